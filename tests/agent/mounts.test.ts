import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describeHolders, findHolders, listGuardMounts } from '../../src/agent/mounts';

describe('listGuardMounts', () => {
  const table = [
    '/dev/vda / ext4 rw,relatime 0 0',
    '/srv/docs /srv/docs takakryptfs rw,relatime,policy=office-policy 0 0',
    '/srv/my\\040files /srv/my\\040files takakryptfs rw,policy=p\\040x 0 0',
    '/srv/raw /srv/raw takakryptfs rw 0 0',
    'proc /proc proc rw 0 0',
    '',
  ].join('\n');

  test('finds only takakryptfs mounts, unescaping paths and the policy', () => {
    expect(listGuardMounts(table)).toEqual([
      { path: '/srv/docs', policy: 'office-policy' },
      { path: '/srv/my files', policy: 'p x' },
      { path: '/srv/raw', policy: null },
    ]);
  });
});

describe('findHolders', () => {
  let proc: string;

  function fakeProcess(pid: number, links: Record<string, string>, maps = ''): void {
    const base = join(proc, String(pid));
    mkdirSync(join(base, 'fd'), { recursive: true });
    for (const [name, target] of Object.entries(links)) symlinkSync(target, join(base, name));
    writeFileSync(join(base, 'maps'), maps);
  }

  beforeEach(() => {
    proc = mkdtempSync(join(tmpdir(), 'tk-proc-'));
    fakeProcess(10, { exe: '/usr/bin/vim', cwd: '/home/alice', 'fd/3': '/srv/docs/a.txt', 'fd/4': '/srv/docsother/b' });
    fakeProcess(11, { exe: '/usr/bin/bash', cwd: '/srv/docs/sub' });
    fakeProcess(12, { exe: '/usr/bin/cat', cwd: '/', 'fd/0': '/srv/docs/gone.txt (deleted)' });
    fakeProcess(13, { exe: '/usr/bin/python3', cwd: '/' }, '7f00-7f01 r--s 00000000 fd:00 12 /srv/docs/db.bin\n');
    fakeProcess(14, { exe: '/usr/bin/sleep', cwd: '/srv/docsother' });
    fakeProcess(15, { exe: '/usr/bin/less', cwd: '/srv/docs' });
    mkdirSync(join(proc, 'self'));
  });
  afterEach(() => rmSync(proc, { recursive: true, force: true }));

  test('names open files, working directories and mappings under the guard point only', () => {
    const holders = findHolders('/srv/docs', proc, 15).sort((a, b) => a.pid - b.pid);
    expect(holders).toEqual([
      { pid: 10, exe: '/usr/bin/vim', what: ['fd 3'] },
      { pid: 11, exe: '/usr/bin/bash', what: ['cwd'] },
      { pid: 12, exe: '/usr/bin/cat', what: ['fd 0'] },
      { pid: 13, exe: '/usr/bin/python3', what: ['mmap'] },
    ]);
    expect(describeHolders(holders.slice(0, 2))).toBe('10 /usr/bin/vim (fd 3); 11 /usr/bin/bash (cwd)');
  });
});
