// start, stop, status, reload and restart as the built executable, on a
// host without the kernel module: every path that needs no kernel, in
// particular a detached start reporting its failure through the pipe.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EXIT } from '../../../src/cli/exit-codes';

const ROOT = join(__dirname, '../../..');
const MAIN = join(ROOT, 'dist/cli/main.js');

function run(...args: string[]) {
  const out = spawnSync(process.execPath, [MAIN, ...args], { encoding: 'utf8', cwd: ROOT, timeout: 60_000 });
  return { status: out.status, stdout: out.stdout, stderr: out.stderr };
}

let dir: string;
let pidFile: string;

beforeAll(() => {
  spawnSync('npx', ['tsc', '-p', 'tsconfig.json'], { cwd: ROOT, encoding: 'utf8' });
  if (!existsSync(MAIN)) throw new Error(`expected ${MAIN} after the build, got nothing`);
  dir = mkdtempSync(join(tmpdir(), 'takakrypt-cli-agent-'));
  // The guard point may lie neither in the configuration's nor in the logs' directory.
  for (const sub of ['etc', 'log', 'run']) mkdirSync(join(dir, sub));
  pidFile = join(dir, 'run', 'agent.pid');
}, 120_000);

afterAll(() => rmSync(dir, { recursive: true, force: true }));

function config(name: string, effect = 'deny,audit'): string {
  const file = join(dir, 'etc', name);
  writeFileSync(file, [
    'agent:',
    `  pid_file: ${pidFile}`,
    `  audit_file: ${join(dir, 'log', 'audit.log')}`,
    `  log_file: ${join(dir, 'log', 'agent.log')}`,
    'policies:',
    '  - name: p',
    '    security_rules:',
    `      - { action: all_ops, effect: "${effect}" }`,
    'guard_points:',
    `  - { path: ${join(dir, 'gp')}, policy: p }`,
    '',
  ].join('\n'), { mode: 0o644 });
  return file;
}

describe('start without a running kernel module', () => {
  test.each([
    ['detached', []],
    ['foreground', ['--foreground']],
  ])('%s: an invalid configuration lists each problem, exit 3', (_mode, extra) => {
    const file = config('bad.yaml', 'allow');
    const out = run('start', '--config', file, ...extra);
    expect(out.status).toBe(EXIT.CONFIG_INVALID);
    expect(out.stderr).toContain('configuration is invalid (1 problem):\n');
    expect(out.stderr).toContain(`${file}:8:`);
    expect(out.stderr).toContain('unknown effect "allow"; expected one of permit, deny, audit, applykey');
    expect(existsSync(pidFile)).toBe(false);
  });

  // The build and test host never has the module loaded (the VM suite does).
  test.each([
    ['detached', [], 'takakrypt-agent: kernel module takakrypt is not loaded; run insmod takakrypt.ko\n'],
    ['foreground', ['--foreground'], 'kernel module takakrypt is not loaded; run insmod takakrypt.ko\n'],
  ])('%s: no module, exit 1 with the instruction, no pid file left', (_mode, extra, message) => {
    const out = run('start', '--config', config('good.yaml'), ...extra);
    expect(out.status).toBe(EXIT.FAILURE);
    expect(out.stderr).toBe(message);
    expect(existsSync(pidFile)).toBe(false);
  });
});

describe('commands that need a running agent', () => {
  test.each([
    ['stop', EXIT.NOT_RUNNING],
    ['reload', EXIT.NOT_RUNNING],
  ])('%s: not running, exit 5', (command, status) => {
    const out = run(command, '--pid-file', pidFile);
    expect(out.status).toBe(status);
    expect(out.stderr).toBe(`takakrypt-agent: takakrypt-agent is not running (no pid file ${pidFile})\n`);
  });

  test('status: not running, exit 5, and the kernel part', () => {
    const out = run('status', '--config', config('good.yaml'));
    expect(out.status).toBe(EXIT.NOT_RUNNING);
    expect(out.stdout.split('\n')[0]).toBe('agent: not running');
  });

  test('a stale pid file does not count as running', () => {
    writeFileSync(pidFile, '999999\n');
    const out = run('stop', '--pid-file', pidFile);
    expect(out.status).toBe(EXIT.NOT_RUNNING);
    expect(out.stderr).toBe(`takakrypt-agent: takakrypt-agent is not running (pid file ${pidFile} names no live agent)\n`);
    rmSync(pidFile);
  });
});
