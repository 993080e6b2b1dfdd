// `takakrypt-agent config validate`, run as the built executable.
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EXIT } from '../../../src/cli/exit-codes';

const ROOT = join(__dirname, '../../..');
const MAIN = join(ROOT, 'dist/cli/main.js');

function run(...args: string[]) {
  const out = spawnSync(process.execPath, [MAIN, ...args], { encoding: 'utf8', cwd: ROOT });
  return { status: out.status, stdout: out.stdout, stderr: out.stderr };
}

let dir: string;

beforeAll(() => {
  // Other parts may be mid-edit and fail to type-check; tsc still emits, and
  // the commands under test only need their own modules.
  spawnSync('npx', ['tsc', '-p', 'tsconfig.json'], { cwd: ROOT, encoding: 'utf8' });
  if (!existsSync(MAIN)) throw new Error(`expected ${MAIN} after the build, got nothing`);
  dir = mkdtempSync(join(tmpdir(), 'takakrypt-cli-config-'));
}, 120_000);

afterAll(() => rmSync(dir, { recursive: true, force: true }));

// Mode 0644 whatever the umask, so no file-mode warning appears.
function write(name: string, text: string): string {
  const file = join(dir, name);
  writeFileSync(file, text);
  chmodSync(file, 0o644);
  return file;
}

const VALID = [
  'policies:',
  '  - name: p',
  '    security_rules:',
  '      - { action: read, effect: permit }',
  '      - { action: f_rd, effect: deny }',
  'guard_points:',
  '  - { path: /srv/g, policy: p }',
  '',
].join('\n');

describe('config validate', () => {
  test('a valid configuration prints a summary and exits 0', () => {
    const file = write('valid.yaml', VALID.replace('action: f_rd', 'action: write'));
    expect(run('config', 'validate', '--config', file)).toEqual({
      status: EXIT.OK,
      stdout: `${file}: valid: 1 guard point, 1 policy (2 security rules, 0 key rules), 0 user sets, 0 process sets, 0 resource sets; 0 warnings\n`,
      stderr: '',
    });
  });

  test('warnings go to stderr and do not fail validation', () => {
    const file = write('warn.yaml', VALID);
    expect(run('config', 'validate', '--config', file)).toEqual({
      status: EXIT.OK,
      stdout: `${file}: valid: 1 guard point, 1 policy (2 security rules, 0 key rules), 0 user sets, 0 process sets, 0 resource sets; 1 warning\n`,
      stderr: `${file}:5:9: policies[0].security_rules[1]: warning: security rule can never match: earlier rules (security_rules[0]) decide every request it covers\n`,
    });
  });

  test('every problem is printed and the exit code is CONFIG_INVALID', () => {
    const file = write('invalid.yaml', VALID.replace('effect: permit', 'effect: allow').replace('/srv/g', '/sys'));
    expect(run('config', 'validate', '--config', file)).toEqual({
      status: EXIT.CONFIG_INVALID,
      stdout: '',
      stderr: [
        `${file}:4:33: policies[0].security_rules[0].effect: unknown effect "allow"; expected one of permit, deny, audit, applykey`,
        `${file}:7:13: guard_points[0].path: expected a directory outside /sys, got "/sys"`,
        `${file}:5:9: policies[0].security_rules[1]: warning: security rule can never match: earlier rules (security_rules[0]) decide every request it covers`,
        `${file}: invalid: 2 problems, 1 warning`,
        '',
      ].join('\n'),
    });
  });

  test('--json prints the result on stdout', () => {
    const file = write('json.yaml', VALID.replace('/srv/g', 'srv/g'));
    const out = run('config', 'validate', '--config', file, '--json');
    expect(out.status).toBe(EXIT.CONFIG_INVALID);
    expect(JSON.parse(out.stdout)).toEqual({
      file,
      valid: false,
      summary: null,
      problems: [{ file, line: 7, column: 13, path: 'guard_points[0].path', message: "expected an absolute path (starting with '/'), got \"srv/g\"" }],
      warnings: [{
        file, line: 5, column: 9, path: 'policies[0].security_rules[1]',
        message: 'security rule can never match: earlier rules (security_rules[0]) decide every request it covers',
      }],
    });
  });

  test('a missing file is a failure to read, not an invalid configuration', () => {
    const file = join(dir, 'absent.yaml');
    expect(run('config', 'validate', '--config', file)).toEqual({
      status: EXIT.FAILURE,
      stdout: '',
      stderr: `takakrypt-agent: ${file}: expected a readable file, got ENOENT\n`,
    });
  });

  test.each(['database.yaml', 'demo.yaml', 'office.yaml'])('configs/%s validates', (name) => {
    const file = write(name, readFileSync(join(ROOT, 'configs', name), 'utf8'));
    const out = run('config', 'validate', '--config', file);
    expect([out.status, out.stderr]).toEqual([EXIT.OK, '']);
    expect(out.stdout.startsWith(`${file}: valid: 1 guard point, 1 policy (`)).toBe(true);
    expect(out.stdout.endsWith('; 0 warnings\n')).toBe(true);
  });

  test('a file others may change is valid, with a warning', () => {
    const file = write('loose.yaml', VALID.replace('action: f_rd', 'action: write'));
    chmodSync(file, 0o666);
    const out = run('config', 'validate', '--config', file);
    expect(out.status).toBe(EXIT.OK);
    expect(out.stderr).toBe(`${file}:1:1: (file): warning: expected a file only its owner may change (mode 0644 or stricter), got mode 0666\n`);
  });

  test('without a subcommand it is a usage error', () => {
    const out = run('config');
    expect(out.status).toBe(EXIT.USAGE);
    expect(out.stderr).toContain('Expected a config command: validate.');
  });

  test('--help shows the default configuration file', () => {
    const out = run('config', 'validate', '--help');
    expect(out.status).toBe(EXIT.OK);
    expect(out.stdout).toContain('[default: "/etc/takakrypt/config.yaml"]');
  });
});
