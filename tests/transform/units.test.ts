// Table-driven tests of the transform tool's pure parts.
import type { FileHeader } from '../../src/crypto';
import { parseXattrDump } from '../../src/transform/attributes';
import { decide, type FileState, type TransformMode } from '../../src/transform/classify';
import { guardPointMounts } from '../../src/transform/guard-check';
import { describeProgress, formatBytes, streamProgress } from '../../src/transform/progress';
import { isJournalName, isTempName } from '../../src/transform/walk';

function encrypted(keyName: string, keyVersion: number): FileState {
  const header = { keyName, keyVersion } as FileHeader;
  return { kind: 'encrypted', header, headerBytes: Buffer.alloc(0) };
}
const plain: FileState = { kind: 'plain' };
const k2 = { name: 'k', version: 2 };

describe('decide', () => {
  test.each<[TransformMode, FileState, string, string | null]>([
    ['encrypt', plain, 'transform', null],
    ['encrypt', encrypted('k', 1), 'done', 'already encrypted under k:1'],
    ['encrypt', encrypted('other', 3), 'skip', 'expected plaintext to encrypt, got a file encrypted under other:3; use "transform rekey" to change its key'],
    ['decrypt', plain, 'done', 'already plaintext'],
    ['decrypt', encrypted('any', 7), 'transform', null],
    ['rekey', plain, 'skip', 'expected an encrypted file to rekey, got plaintext; run "transform encrypt" first'],
    ['rekey', encrypted('k', 2), 'done', 'already under k:2'],
    ['rekey', encrypted('k', 1), 'transform', null],
    ['rekey', encrypted('other', 2), 'transform', null],
  ])('%s of %j', (mode, state, action, why) => {
    const decision = decide(mode, state, mode === 'decrypt' ? null : k2);
    expect([decision.action, 'why' in decision ? decision.why : null]).toEqual([action, why]);
  });
});

describe('guardPointMounts', () => {
  test('finds takakryptfs mounts and unescapes blanks', () => {
    const table = [
      '/dev/vda1 / ext4 rw,relatime 0 0',
      '/srv/docs /srv/docs takakryptfs rw,policy=office 0 0',
      '/srv/my\\040data /srv/my\\040data takakryptfs rw,policy=p 0 0',
      'tmpfs /srv/takakryptfs tmpfs rw 0 0',
    ].join('\n');
    expect(guardPointMounts(table)).toEqual(['/srv/docs', '/srv/my data']);
  });
});

describe('progress text', () => {
  test.each([
    [0, '0 B'],
    [1023, '1023 B'],
    [1024, '1.0 KiB'],
    [1536 * 1024, '1.5 MiB'],
    [5 * 1024 ** 3, '5.0 GiB'],
  ])('formatBytes(%d) = %s', (n, text) => {
    expect(formatBytes(n)).toBe(text);
  });

  test.each([
    [{ files: 3, totalFiles: 10, bytes: 1024 * 1024, totalBytes: 4 * 1024 * 1024 }, 1000, '3/10 files, 1.0 MiB/4.0 MiB, 1.0 MiB/s, ETA 0:03'],
    [{ files: 0, totalFiles: 10, bytes: 0, totalBytes: 100 }, 500, '0/10 files, 0 B/100 B, 0 B/s, ETA ?'],
    [{ files: 1, totalFiles: 1, bytes: 90 * 1024, totalBytes: 90 * 1024 }, 0, '1/1 files, 90.0 KiB/90.0 KiB, 0 B/s, ETA ?'],
  ])('describeProgress(%j, %d ms)', (state, elapsed, text) => {
    expect(describeProgress(state, elapsed)).toBe(text);
  });
});

describe('parseXattrDump', () => {
  test('reads names and hex values per file, unescaping paths', () => {
    const dump = [
      '# file: /d/a',
      'security.selinux=0x73797374656d5f7500',
      'user.note=0x68656c6c6f',
      '',
      '# file: /d/with\\040blank',
      'user.x=0x01',
      '',
      '# file: /d/none',
      '',
    ].join('\n');
    expect([...parseXattrDump(dump)]).toEqual([
      ['/d/a', [['security.selinux', '0x73797374656d5f7500'], ['user.note', '0x68656c6c6f']]],
      ['/d/with blank', [['user.x', '0x01']]],
    ]);
  });
});

describe('isTempName', () => {
  test.each([
    ['.takakrypt-transform-123.tmp', true],
    ['.takakrypt-transform-.tmp', true],
    ['takakrypt-transform-1.tmp', false],
    ['.takakrypt-transform-1.tmp.bak', false],
  ])('%s -> %s', (name, yes) => {
    expect(isTempName(name)).toBe(yes);
  });
});

describe('isJournalName', () => {
  test.each([
    ['.takakrypt-transform-links-77.json', true],
    ['.takakrypt-transform-links-77.json.tmp', false],
    ['.takakrypt-transform-77-journal.tmp', false],
    ['takakrypt-transform-links-77.json', false],
  ])('%s -> %s', (name, yes) => {
    expect(isJournalName(name)).toBe(yes);
  });
});

describe('streamProgress', () => {
  function fakeStream(isTTY: boolean): { stream: NodeJS.WriteStream; text: () => string } {
    const chunks: string[] = [];
    const stream = { isTTY, write: (s: string) => chunks.push(s) } as unknown as NodeJS.WriteStream;
    return { stream, text: () => chunks.join('') };
  }
  const state = { files: 1, totalFiles: 4, bytes: 512, totalBytes: 2048 };

  test('on a terminal: a redrawn bar, notes on their own line, a newline at the end', () => {
    const out = fakeStream(true);
    const sink = streamProgress(out.stream);
    sink.update(state);
    sink.note('skipped /x: a symbolic link');
    sink.finish();
    expect(out.text()).toMatch(/^\r\x1b\[K\[######------------------\] 1\/4 files, 512 B\/2\.0 KiB, .*\r\x1b\[Kskipped \/x: a symbolic link\n\r\x1b\[K\[######------------------\] 1\/4 files, .*\n$/);
  });

  test('elsewhere: plain lines, at most one per interval', () => {
    const out = fakeStream(false);
    const sink = streamProgress(out.stream, 60000);
    sink.update(state);
    sink.update({ ...state, files: 2 });
    sink.note('failed /y: boom');
    sink.finish();
    const lines = out.text().split('\n');
    expect(lines.map((l) => l.replace(/, [^,]+\/s, ETA .*$/, ''))).toEqual([
      'progress: 1/4 files, 512 B/2.0 KiB',
      'failed /y: boom',
      'progress: 2/4 files, 512 B/2.0 KiB',
      '',
    ]);
  });
});
