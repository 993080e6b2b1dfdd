import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { claimPidFile, controlSocketPath, readPidFile, removePidFile } from '../../src/agent/pid-file';

let dir: string;
let proc: string;
let pidFile: string;

/** A fake /proc entry for `pid` with the given argv. */
function fakeProcess(pid: number, argv: string[]): void {
  mkdirSync(join(proc, String(pid)), { recursive: true });
  writeFileSync(join(proc, String(pid), 'cmdline'), `${argv.join('\0')}\0`);
}

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'tk-pid-'));
  proc = join(dir, 'proc');
  pidFile = join(dir, 'agent.pid');
  mkdirSync(proc);
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('readPidFile', () => {
  test.each([
    ['no file', null, [], { kind: 'absent' }],
    ['garbage', 'not a pid\n', [], { kind: 'stale', pid: null }],
    ['dead pid', '123\n', [], { kind: 'stale', pid: 123 }],
    ['pid reused by another program', '124\n', [[124, ['/usr/bin/sleep', '100']]], { kind: 'stale', pid: 124 }],
    ['live agent by script', '125\n', [[125, ['/usr/bin/node', '/opt/tk/dist/cli/main.js', 'start', '--foreground']]], { kind: 'live', pid: 125 }],
    ['live agent by bin name', '126\n', [[126, ['node', '/usr/local/bin/takakrypt-agent', 'start']]], { kind: 'live', pid: 126 }],
  ] as [string, string | null, [number, string[]][], unknown][])('%s', (_name, content, processes, expected) => {
    if (content !== null) writeFileSync(pidFile, content);
    for (const [pid, argv] of processes) fakeProcess(pid, argv);
    expect(readPidFile(pidFile, proc)).toEqual(expected);
  });
});

describe('claimPidFile', () => {
  test('creates the file with our pid', () => {
    claimPidFile(pidFile, 777, proc);
    expect(readFileSync(pidFile, 'utf8')).toBe('777\n');
  });

  test('refuses when a live agent holds it', () => {
    writeFileSync(pidFile, '500\n');
    fakeProcess(500, ['node', '/x/dist/cli/main.js', 'start']);
    expect(() => claimPidFile(pidFile, 777, proc)).toThrow(expect.objectContaining({
      code: 'AGENT_ALREADY_RUNNING', message: 'already running (pid 500)',
    }));
    expect(readFileSync(pidFile, 'utf8')).toBe('500\n');
  });

  test.each([['dead pid', '501\n'], ['garbage', 'x']])('replaces a stale file (%s)', (_name, content) => {
    writeFileSync(pidFile, content);
    claimPidFile(pidFile, 778, proc);
    expect(readFileSync(pidFile, 'utf8')).toBe('778\n');
  });

  test('reports a directory that does not exist', () => {
    const missing = join(dir, 'nope', 'agent.pid');
    expect(() => claimPidFile(missing, 1, proc)).toThrow(expect.objectContaining({
      code: 'AGENT_PID_FILE',
      message: expect.stringMatching(new RegExp(`^cannot create pid file ${missing}: ENOENT`)),
    }));
  });
});

describe('removePidFile', () => {
  test.each([
    ['ours', 900, false],
    ['someone else\'s', 901, true],
  ])('removes only when it is %s', (_name, pid, kept) => {
    writeFileSync(pidFile, '900\n');
    removePidFile(pidFile, pid);
    expect(existsSync(pidFile)).toBe(kept);
  });

  test('absent file is fine', () => {
    expect(() => removePidFile(pidFile, 1)).not.toThrow();
    expect(existsSync(pidFile)).toBe(false);
  });
});

test.each([
  ['/run/takakrypt-agent.pid', '/run/takakrypt-agent.sock'],
  ['/tmp/agent', '/tmp/agent.sock'],
])('control socket beside %s', (pid, sock) => {
  expect(controlSocketPath(pid)).toBe(sock);
});
