// `policy check` run as administrators run it: the built executable.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const repo = resolve(__dirname, '../../..');
const cli = join(repo, 'dist/cli/main.js');
const dir = mkdtempSync(join(tmpdir(), 'takakrypt-policy-cli-'));
const gp = join(dir, 'guarded');
const tool = join(dir, 'bin', 'tool');
const impostor = join(dir, 'other', 'tool');

function setUp(): string {
  mkdirSync(gp);
  mkdirSync(join(dir, 'bin'));
  mkdirSync(join(dir, 'other'));
  writeFileSync(tool, '#!/bin/sh\necho tool\n', { mode: 0o755 });
  writeFileSync(impostor, '#!/bin/sh\necho impostor\n', { mode: 0o755 });
  const sha = createHash('sha256').update('#!/bin/sh\necho tool\n').digest('hex');
  mkdirSync(join(dir, 'etc'));
  const file = join(dir, 'etc', 'config.yaml');
  writeFileSync(file, `
agent:
  audit_file: ${dir}/var/audit.log
  pid_file: ${dir}/run/agent.pid
key_store:
  path: ${dir}/etc/keys
user_sets:
  - name: admins
    users: [root]
  - name: daemons
    groups: [daemon]
process_sets:
  - name: signed-tool
    processes:
      - path: ${join(dir, 'bin')}/tool
        sha256: ${sha}
resource_sets:
  - name: data
    resources:
      - directory: /data
        file: "*"
        subfolders: true
policies:
  - name: check-policy
    security_rules:
      - user_set: admins
        process_set: signed-tool
        resource_set: data
        action: all_ops
        effect: permit,applykey
      - user_set: daemons
        action: read
        effect: permit,audit
      - action: all_ops
        effect: deny,audit
        browsing: true
    key_rules:
      - resource_set: data
        key: data-key
guard_points:
  - path: ${gp}
    policy: check-policy
`);
  return file;
}

let config: string;
beforeAll(() => {
  spawnSync('npx', ['tsc', '-p', 'tsconfig.json'], { cwd: repo, stdio: 'ignore' });
  config = setUp();
}, 120000);

function run(...args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [cli, 'policy', 'check', '--config', config, ...args], { encoding: 'utf8' });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

test('a permit prints the decision and the deciding rule, exit 0', () => {
  const r = run('--user', 'root', '--exe', tool, '--path', `${gp}/data/x.db`, '--action', 'f_wr');
  expect(r.status).toBe(0);
  expect(r.stderr).toBe('');
  expect(r.stdout.split('\n')).toEqual([
    `PERMIT f_wr on ${gp}/data/x.db`,
    '  user:       root (uid 0, gid 0, groups 0)',
    `  process:    ${tool} (sha256 ${createHash('sha256').update('#!/bin/sh\necho tool\n').digest('hex')})`,
    `  policy:     check-policy (guard point ${gp})`,
    '  rule:       0: user_set admins; process_set signed-tool; resource_set data; action all_ops; effect permit,applykey; browsing no',
    '  key:        data-key',
    '  apply key:  yes',
    '  audit:      no',
    '  learn mode: no',
    '  reason:     security rule 0 (permit,applykey) permitted f_wr',
    '',
  ]);
});

test.each<[string, string[], number, number | null, string]>([
  ['same name in another directory', ['--user', 'root', '--exe', impostor], 4, 2, 'security rule 2 (deny,audit) denied f_rd'],
  ['unreadable binary', ['--user', 'root', '--exe', join(dir, 'bin', 'missing')], 4, 2, 'security rule 2 (deny,audit) denied f_rd'],
  ['daemon group reads', ['--user', 'daemon', '--exe', '/usr/bin/cat'], 0, 1, 'security rule 1 (permit,audit) permitted f_rd'],
  ['--group replaces the user\'s groups', ['--user', 'daemon', '--group', 'adm', '--exe', '/usr/bin/cat'], 4, 2, 'security rule 2 (deny,audit) denied f_rd'],
  ['a uid without passwd entry with --group', ['--user', '4242', '--group', '1', '--exe', '/usr/bin/cat'], 0, 1, 'security rule 1 (permit,audit) permitted f_rd'],
])('%s', (_name, args, status, rule, reason) => {
  const r = run(...args, '--path', `${gp}/data/x.db`, '--action', 'f_rd', '--json');
  expect(r.status).toBe(status);
  const out = JSON.parse(r.stdout);
  expect([out.decision.ruleIndex, out.decision.reason]).toEqual([rule, reason]);
});

test('--json carries request, decision, rule and warnings', () => {
  const r = run('--user', 'root', '--exe', impostor, '--path', gp, '--action', 'd_rd', '--dir', '--json');
  expect(r.status).toBe(0);
  const out = JSON.parse(r.stdout);
  expect(out.request).toEqual({
    guardPoint: gp, path: '/', isDirectory: true, action: 'd_rd', uid: 0, gid: 0, groups: [0],
    exe: impostor, pid: 0, userName: 'root', exeSha256: createHash('sha256').update('#!/bin/sh\necho impostor\n').digest('hex'),
  });
  expect(out.decision).toEqual({
    permit: true, applyKey: false, audit: true, ruleIndex: 2, policy: 'check-policy', keyName: null, learnMode: false,
    reason: 'security rule 2 (deny,audit) allows browsing: d_rd permitted without contents', anyObject: false,
  });
  expect(out.rule).toMatchObject({ index: 2, actions: ['all_ops'], effects: ['deny', 'audit'], browsing: true });
  expect([out.explain, out.warnings]).toEqual([null, []]);
});

test('--explain says why each earlier rule did not match', () => {
  const r = run('--user', 'root', '--exe', impostor, '--path', `${gp}/data/x`, '--action', 'f_rd', '--explain');
  expect(r.status).toBe(4);
  expect(r.stdout.split('\n').slice(-5)).toEqual([
    '  rules:',
    `      0 skip  process set signed-tool does not contain ${impostor}`,
    '      1 skip  user set daemons does not contain uid 0 or gids 0',
    '      2 match every set matches',
    '',
  ]);
});

test('--explain names a signature mismatch', () => {
  writeFileSync(tool, '#!/bin/sh\necho changed\n', { mode: 0o755 });
  try {
    const r = run('--user', 'root', '--exe', tool, '--path', `${gp}/data/x`, '--action', 'f_rd', '--explain');
    expect(r.status).toBe(4);
    const sha = createHash('sha256').update('#!/bin/sh\necho changed\n').digest('hex');
    expect(r.stdout).toContain(`      0 skip  process set signed-tool lists ${tool} only with a SHA-256 the binary does not have (${sha})\n`);
  } finally {
    writeFileSync(tool, '#!/bin/sh\necho tool\n', { mode: 0o755 });
  }
});

test.each<[string, string[], number, string]>([
  ['path outside every guard point', ['--user', 'root', '--exe', tool, '--path', `${gp}x/a`, '--action', 'f_rd'], 2,
    `takakrypt-agent: expected --path inside a guard point (${gp}), got ${gp}x/a\n`],
  ['relative path', ['--user', 'root', '--exe', tool, '--path', 'a/b', '--action', 'f_rd'], 2,
    'takakrypt-agent: expected --path to be an absolute path, got "a/b"\n'],
  ['relative exe', ['--user', 'root', '--exe', 'tool', '--path', `${gp}/a`, '--action', 'f_rd'], 2,
    'takakrypt-agent: expected --exe to be an absolute path, got "tool"\n'],
  ['coarse action', ['--user', 'root', '--exe', tool, '--path', `${gp}/a`, '--action', 'write'], 2,
    'takakrypt-agent: expected --action to be a fine-grained action (f_rd, f_wr, d_rd, ...), got "write"\n'],
  ['unknown user', ['--user', 'no-such-user-here', '--exe', tool, '--path', `${gp}/a`, '--action', 'f_rd'], 2,
    'takakrypt-agent: expected --user to name a user known to NSS, got "no-such-user-here"\n'],
  ['unknown group', ['--user', 'root', '--group', 'no-such-group-here', '--exe', tool, '--path', `${gp}/a`, '--action', 'f_rd'], 2,
    'takakrypt-agent: expected --group to name a group known to NSS, got "no-such-group-here"\n'],
  ['uid without passwd entry', ['--user', '4242', '--exe', tool, '--path', `${gp}/a`, '--action', 'f_rd'], 2,
    'takakrypt-agent: expected uid 4242 (--user 4242) to have a passwd entry, got none; give its groups with --group\n'],
])('%s', (_name, args, status, stderr) => {
  const r = run(...args);
  expect([r.status, r.stdout, r.stderr]).toEqual([status, '', stderr]);
});

test('an invalid configuration exits 3 with its problems', () => {
  const bad = join(dir, 'etc', 'bad.yaml');
  writeFileSync(bad, 'policies: 7\n');
  const r = spawnSync(process.execPath, [cli, 'policy', 'check', '--config', bad, '--user', 'root', '--exe', tool,
    '--path', `${gp}/a`, '--action', 'f_rd'], { encoding: 'utf8' });
  expect(r.status).toBe(3);
  expect(r.stdout).toBe('');
  expect(r.stderr).toMatch(/^takakrypt-agent: .*bad\.yaml:1:\d+: /);
});
