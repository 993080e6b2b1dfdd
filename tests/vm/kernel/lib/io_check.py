#!/usr/bin/python3
"""Data-path checks for a guard point: each mode mirrors its I/O on a
reference file outside the guard point and compares, printing "ok ..." or
exiting non-zero with what was expected and what was found.

    io_check.py random FILE REF SEED ROUNDS [notrunc]
    io_check.py mmap FILE
    io_check.py odirect FILE
    io_check.py renameat2 OLD NEW FLAGS
"""
import ctypes
import mmap
import os
import random
import sys

PAGE = 4096


def die(msg):
    sys.exit('io_check: ' + msg)


def compare(path, ref):
    with open(path, 'rb') as a, open(ref, 'rb') as b:
        da, db = a.read(), b.read()
    if da != db:
        first = next((i for i in range(min(len(da), len(db)))
                      if da[i] != db[i]), min(len(da), len(db)))
        die('%s: expected %d bytes equal to %s, got %d bytes, first '
            'difference at %d' % (path, len(db), ref, len(da), first))


def size_of(fd):
    # lseek, not fstat: fstat asks for f_rd_att, lseek needs no decision.
    return os.lseek(fd, 0, os.SEEK_END)


def random_io(path, ref, seed, rounds, truncate=True):
    rng = random.Random(seed)
    fds = [os.open(p, os.O_RDWR | os.O_CREAT | os.O_TRUNC, 0o644)
           for p in (path, ref)]
    for _ in range(rounds):
        op = rng.random()
        off = rng.randrange(0, 3 * 1024 * 1024)
        if op < 0.6:
            data = rng.randbytes(rng.choice([1, 511, 4095, 4096, 4097,
                                             rng.randrange(1, 300000)]))
            for fd in fds:
                if os.pwrite(fd, data, off) != len(data):
                    die('short write at %d' % off)
        elif op < 0.7 and truncate:
            size = rng.randrange(0, 3 * 1024 * 1024)
            for fd in fds:
                os.ftruncate(fd, size)
        else:
            n = rng.randrange(1, 200000)
            got, want = (os.pread(fd, n, off) for fd in fds)
            if got != want:
                die('pread(%d, %d): expected %d bytes as in the reference, '
                    'got %d differing' % (off, n, len(want), len(got)))
        if size_of(fds[0]) != size_of(fds[1]):
            die('size: expected %d, got %d' % (size_of(fds[1]),
                                               size_of(fds[0])))
    for fd in fds:
        os.fsync(fd)
        os.close(fd)
    compare(path, ref)
    print('ok random %d rounds' % rounds)


def mmap_check(path):
    size = 3 * PAGE + 100
    data = bytes(random.Random(7).randbytes(size))
    with open(path, 'wb') as f:
        f.write(b'\0' * size)
    with open(path, 'r+b') as f:
        m = mmap.mmap(f.fileno(), size, mmap.MAP_SHARED)
        m[:] = data
        m.flush()
        m.close()
    with open(path, 'rb') as f:
        if f.read() != data:
            die('shared mapping: expected the written bytes on read')
    with open(path, 'r+b') as f:
        m = mmap.mmap(f.fileno(), size, mmap.MAP_PRIVATE)
        if m[:] != data:
            die('private mapping: expected the file contents')
        m[0:5] = b'XXXXX'
        m.close()
    with open(path, 'rb') as f:
        if f.read() != data:
            die('private mapping: expected the file unchanged by its writes')
    with open(path, 'rb') as f:
        m = mmap.mmap(f.fileno(), size, mmap.MAP_SHARED, mmap.PROT_READ)
        if m[PAGE:PAGE + 10] != data[PAGE:PAGE + 10]:
            die('read-only mapping: expected the file contents')
        m.close()
    print('ok mmap')


def odirect(path):
    buf = mmap.mmap(-1, 2 * PAGE)
    buf.write(random.Random(3).randbytes(2 * PAGE))
    fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_DIRECT, 0o644)
    if os.pwritev(fd, [buf], 0) != 2 * PAGE:
        die('O_DIRECT write: expected %d bytes' % (2 * PAGE))
    back = mmap.mmap(-1, 2 * PAGE)
    if os.preadv(fd, [back], 0) != 2 * PAGE or back[:] != buf[:]:
        die('O_DIRECT read: expected the written bytes')
    os.close(fd)
    print('ok odirect')


def renameat2(old, new, flags):
    libc = ctypes.CDLL(None, use_errno=True)
    at_fdcwd = -100
    ret = libc.syscall(316, at_fdcwd, old.encode(), at_fdcwd, new.encode(),
                       int(flags))
    err = ctypes.get_errno() if ret else 0
    print('errno %d' % err)


def main():
    mode, args = sys.argv[1], sys.argv[2:]
    if mode == 'random':
        random_io(args[0], args[1], int(args[2]), int(args[3]),
                  args[4:] != ['notrunc'])
    elif mode == 'mmap':
        mmap_check(args[0])
    elif mode == 'odirect':
        odirect(args[0])
    elif mode == 'renameat2':
        renameat2(*args)
    else:
        die('unknown mode %r' % mode)


if __name__ == '__main__':
    main()
