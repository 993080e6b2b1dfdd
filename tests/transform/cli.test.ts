// `transform` as administrators run it: the built executable, not a TTY.
import { spawnSync } from 'child_process';
import { linkSync, mkdirSync, statSync, symlinkSync, writeFileSync } from 'fs';
import path from 'path';
import { builtCli } from './build';
import { makeFixture, type Fixture } from './helpers';

let cli = '';
let fx: Fixture;
beforeAll(() => { cli = builtCli(); }, 120000);
beforeEach(async () => {
  fx = await makeFixture('tk-transform-cli-');
  mkdirSync(fx.data);
  writeFileSync(path.join(fx.data, 'one'), 'first file\n');
  writeFileSync(path.join(fx.data, 'two'), Buffer.alloc(10000, 7));
  symlinkSync('one', path.join(fx.data, 'link'));
});
afterEach(() => fx.cleanup());

function run(...args: string[]) {
  const r = spawnSync(process.execPath, [cli, 'transform', ...args, '--store', fx.storePath], { encoding: 'utf8' });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

test('encrypt prints progress lines and notes on stderr, the summary on stdout', () => {
  const r = run('encrypt', fx.data, '--key', 'k');
  expect(r.status).toBe(0);
  expect(r.stdout).toMatch(new RegExp(`^encrypt to k:1 ${fx.data}: transformed 2 of 2 files \\(9\\.8 KiB\\), 0 already done, 1 skipped, 0 changed during the run, 0 failed; \\d+\\.\\d s, .*/s\n$`));
  const lines = r.stderr.trim().split('\n');
  expect(lines[0]).toBe(`skipped ${path.join(fx.data, 'link')}: a symbolic link; its target is transformed where it lives`);
  expect(lines.slice(1).every((l) => /^progress: \d+\/2 files, .* ETA \d+:\d\d$/.test(l))).toBe(true);
});

test('--dry-run changes nothing and --json prints the summary object', () => {
  const r = run('encrypt', fx.data, '--key', 'k', '--dry-run', '--json');
  const summary = JSON.parse(r.stdout) as Record<string, unknown>;
  expect([r.status, summary.mode, summary.dryRun, summary.transformed, summary.target]).toEqual([0, 'encrypt', true, 2, { name: 'k', version: 1 }]);
  const again = JSON.parse(run('decrypt', fx.data, '--json').stdout) as Record<string, unknown>;
  expect([again.transformed, again.done]).toEqual([0, 2]);
});

test('a hard link outside the tree makes the run incomplete: exit 1 with TRANSFORM_INCOMPLETE', () => {
  linkSync(path.join(fx.data, 'two'), path.join(fx.dir, 'outside'));
  const r = run('encrypt', fx.data, '--key', 'k');
  expect(r.status).toBe(1);
  expect(r.stderr).toContain(`skipped ${path.join(fx.data, 'two')}: expected every name of a hard-linked file under the tree, got 1 of its 2 names`);
  expect(r.stderr.endsWith('takakrypt-agent: expected every file converted, got 0 failed, 0 changed, 2 skipped; see the lines above and run again after fixing them\n')).toBe(true);
});

test('hard links inside the tree are kept', () => {
  linkSync(path.join(fx.data, 'two'), path.join(fx.data, 'three'));
  const r = run('encrypt', fx.data, '--key', 'k');
  expect(r.status).toBe(0);
  expect(r.stdout).toContain('transformed 2 of 2 files');
  expect(statSync(path.join(fx.data, 'three')).ino).toBe(statSync(path.join(fx.data, 'two')).ino);
  expect(statSync(path.join(fx.data, 'three')).size).toBe(4096 + 10000);
});

test.each([
  [['encrypt', 'DATA'], 2, /Missing required argument: key/],
  [['encrypt', 'DATA', '--key', 'k:0'], 1, /^takakrypt-agent: expected NAME:VERSION with a positive integer VERSION, got "k:0"\n$/],
  [['rekey', 'DATA', '--key', 'absent'], 1, /^takakrypt-agent: key absent: expected a key file .*absent\.key, got none\n$/],
  [['decrypt', 'DATA', '--jobs', '0'], 2, /expected --jobs to be an integer from 1 to 64, got 0/],
  [['decrypt', '/nonexistent-tk'], 1, /^takakrypt-agent: expected a directory to transform, got nothing at \/nonexistent-tk\n$/],
])('%j exits %d', (args, status, message) => {
  const r = run(...args.map((a) => a.replace('DATA', fx.data)));
  expect([r.status, r.stderr]).toEqual([status, expect.stringMatching(message)]);
});
