#!/usr/bin/python3
"""I/O checks for encrypted guard point files that the shell cannot do
well. Each prints what it found on one line ("ok ...", "eio", ...) or
exits non-zero with what was expected and what was found.

    crypt_io.py expect-eio FILE        open and read: "eio" if either
                                       fails with EIO and no byte came
    crypt_io.py write-eio FILE MARKER  write MARKER (repeated to 64 KiB)
                                       and fsync: "eio" if write or fsync
                                       fails with EIO
    crypt_io.py fsync-eio FILE         fsync the file: "eio" if that
                                       fails with EIO
    crypt_io.py append2 FILE N         two processes append N records each
                                       with O_APPEND; every record whole
    crypt_io.py disjoint FILE PROCS    PROCS processes write disjoint
                                       ranges that share data units
    crypt_io.py mmap FILE              MAP_SHARED write, msync, munmap,
                                       drop caches, read back
    crypt_io.py sqlite DIR ROWS        WAL database: insert, reopen,
                                       count, integrity_check
"""
import errno
import mmap
import os
import sqlite3
import sys

UNIT = 4096
RECORD = 64


def die(msg):
    sys.exit('crypt_io: ' + msg)


def drop_caches():
    os.sync()
    with open('/proc/sys/vm/drop_caches', 'w') as f:
        f.write('3\n')


def expect_eio(path):
    got = b''
    try:
        fd = os.open(path, os.O_RDONLY)
        try:
            while True:
                chunk = os.read(fd, 1 << 16)
                if not chunk:
                    break
                got += chunk
        finally:
            os.close(fd)
    except OSError as e:
        if e.errno == errno.EIO and not got:
            return 'eio'
        return 'errno %s after %d bytes' % (errno.errorcode.get(e.errno),
                                           len(got))
    return 'success, %d bytes: %r' % (len(got), got[:40])


def eio_of(fd, steps, done):
    """Run steps(fd), then close fd: "eio" if a step fails with EIO."""
    try:
        steps(fd)
    except OSError as e:
        return 'eio' if e.errno == errno.EIO else \
            'errno %s' % errno.errorcode.get(e.errno)
    finally:
        try:
            os.close(fd)
        except OSError:
            pass
    return done


def write_eio(path, marker):
    data = (marker.encode() * (65536 // len(marker) + 1))[:65536]
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    return eio_of(fd, lambda f: (os.write(f, data), os.fsync(f)),
                  'write and fsync succeeded')


def fsync_eio(path):
    return eio_of(os.open(path, os.O_WRONLY), os.fsync, 'fsync succeeded')


def record(who, i):
    text = '%s %06d ' % (who, i)
    return (text + who * (RECORD - len(text) - 1) + '\n').encode()


def append2(path, count):
    os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644))
    pids = []
    for who in 'AB':
        pid = os.fork()
        if pid == 0:
            fd = os.open(path, os.O_WRONLY | os.O_APPEND)
            for i in range(count):
                os.write(fd, record(who, i))
            os.close(fd)
            os._exit(0)
        pids.append(pid)
    for pid in pids:
        os.waitpid(pid, 0)
    drop_caches()
    with open(path, 'rb') as f:
        data = f.read()
    if len(data) != 2 * count * RECORD:
        die('append2: expected %d bytes, got %d' % (2 * count * RECORD,
                                                   len(data)))
    seen = {'A': [], 'B': []}
    for off in range(0, len(data), RECORD):
        rec = data[off:off + RECORD]
        who = chr(rec[0])
        if who not in seen or rec != record(who, int(rec[2:8])):
            die('append2: expected a whole record at %d, got %r' % (off, rec))
        seen[who].append(int(rec[2:8]))
    for who, ids in seen.items():
        if ids != list(range(count)):
            die('append2: expected records 0..%d of %s in order, got %d '
                'records' % (count - 1, who, len(ids)))
    return 'ok append2 %d records' % (2 * count)


def pattern(p, length):
    return bytes((p * 37 + i * 7 + 1) & 0xff for i in range(length))


def disjoint(path, procs):
    # Ranges of a unit and a half: neighbours share a data unit, so
    # their read-modify-write of that unit races.
    span = UNIT + UNIT // 2 + 11
    fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_TRUNC, 0o644)
    os.ftruncate(fd, span * procs)
    os.close(fd)
    pids = []
    for p in range(procs):
        pid = os.fork()
        if pid == 0:
            fd = os.open(path, os.O_WRONLY)
            data = pattern(p, span)
            for rnd in range(20):
                for off in range(0, span, 997):
                    os.pwrite(fd, data[off:off + 997], p * span + off)
            os.close(fd)
            os._exit(0)
        pids.append(pid)
    for pid in pids:
        os.waitpid(pid, 0)
    expected = b''.join(pattern(p, span) for p in range(procs))
    for when in ('cached', 'after drop_caches'):
        with open(path, 'rb') as f:
            data = f.read()
        if data != expected:
            first = next((i for i in range(min(len(data), len(expected)))
                          if data[i] != expected[i]), -1)
            die('disjoint %s: expected %d bytes of the writers\' patterns, '
                'got %d bytes, first difference at %d' % (
                    when, len(expected), len(data), first))
        drop_caches()
    return 'ok disjoint %d writers' % procs


def mmap_check(path):
    size = 3 * UNIT + 100
    base = bytes((i * 13 + 5) & 0xff for i in range(size))
    with open(path, 'wb') as f:
        f.write(base)
    expected = bytearray(base)
    fd = os.open(path, os.O_RDWR)
    try:
        m = mmap.mmap(fd, size, mmap.MAP_SHARED,
                      mmap.PROT_READ | mmap.PROT_WRITE)
    except OSError as e:
        die('mmap MAP_SHARED writable: expected a mapping, got errno %s' %
            errno.errorcode.get(e.errno))
    for off, text in ((10, b'MMAP-FIRST'), (UNIT - 3, b'MMAP-CROSS'),
                      (size - 9, b'MMAP-TAIL')):
        m[off:off + len(text)] = text
        expected[off:off + len(text)] = text
    m.flush()
    m.close()
    os.close(fd)
    drop_caches()
    with open(path, 'rb') as f:
        data = f.read()
    if data != bytes(expected):
        die('mmap: expected the mapped writes after drop_caches, got %d '
            'bytes differing' % sum(a != b for a, b in zip(data, expected)))
    return 'ok mmap shared write'


def sqlite_check(directory, rows):
    path = os.path.join(directory, 'test.db')
    db = sqlite3.connect(path)
    mode = db.execute('PRAGMA journal_mode=WAL').fetchone()[0]
    if mode != 'wal':
        die('sqlite: expected journal_mode wal, got %s' % mode)
    db.execute('CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT, n INTEGER)')
    per = 500
    for start in range(0, rows, per):
        with db:
            db.executemany('INSERT INTO t (v, n) VALUES (?, ?)',
                           (('row %d %s' % (i, 'x' * (i % 97)), i)
                            for i in range(start, min(rows, start + per))))
    db.close()
    drop_caches()
    db = sqlite3.connect(path)
    count = db.execute('SELECT count(*), sum(n) FROM t').fetchone()
    check = db.execute('PRAGMA integrity_check').fetchone()[0]
    db.close()
    want = (rows, rows * (rows - 1) // 2)
    if count != want or check != 'ok':
        die('sqlite: expected %s rows/sum and integrity ok, got %s and %s' %
            (want, count, check))
    return 'ok sqlite %d rows' % rows


def main():
    cmd, args = sys.argv[1], sys.argv[2:]
    if cmd == 'expect-eio':
        print(expect_eio(args[0]))
    elif cmd == 'write-eio':
        print(write_eio(args[0], args[1]))
    elif cmd == 'fsync-eio':
        print(fsync_eio(args[0]))
    elif cmd == 'append2':
        print(append2(args[0], int(args[1])))
    elif cmd == 'disjoint':
        print(disjoint(args[0], int(args[1])))
    elif cmd == 'mmap':
        print(mmap_check(args[0]))
    elif cmd == 'sqlite':
        print(sqlite_check(args[0], int(args[1])))
    else:
        die('unknown command %r' % cmd)


if __name__ == '__main__':
    main()
