#!/usr/bin/python3
"""Randomised differential test of a file system's data path: the same
random operations go to a file under test and to a reference file, and
after every step both must have the same size and the same bytes.

    random_ops.py FILE REF_FILE OPS [--drop-every N]

Operations: pwrite at random offsets and lengths (crossing data units,
beyond the end), pread, ftruncate (often next to a unit boundary), fsync,
append through an O_APPEND descriptor, mmap reads, MAP_SHARED writes with
msync, close and reopen, and writes to /proc/sys/vm/drop_caches.

The seed is printed first and again on a failure; TK_RANDOM_SEED=N replays
a run, TK_RANDOM_NO_MMAP_WRITE=1 leaves out the shared mapping writes
(to tell their failures from the others').
"""
import argparse
import errno
import mmap
import os
import random
import sys
import time

UNIT = 4096
MAX_SIZE = 384 * 1024


class Failure(Exception):
    pass


class Pair:
    """The file under test and its reference, opened alike."""

    def __init__(self, paths):
        self.paths = paths
        self.fds = [os.open(p, os.O_RDWR | os.O_CREAT | os.O_TRUNC, 0o644)
                    for p in paths]

    def reopen(self):
        for fd in self.fds:
            os.close(fd)
        self.fds = [os.open(p, os.O_RDWR) for p in self.paths]

    def each(self, what, fn):
        """fn(fd) on both; errors must match, results are returned."""
        out = []
        for fd in self.fds:
            try:
                out.append(('ok', fn(fd)))
            except OSError as e:
                out.append(('errno', errno.errorcode.get(e.errno, e.errno)))
        if out[0][0] != out[1][0] or (out[0][0] == 'errno' and
                                      out[0][1] != out[1][1]):
            raise Failure('%s: expected %s as on the reference, got %s' %
                          (what, out[1], out[0]))
        return [r for _, r in out]

    def size(self):
        return [os.fstat(fd).st_size for fd in self.fds]


def pick_offset(rng, size):
    roll = rng.random()
    if roll < 0.15:
        return min(MAX_SIZE - 1, size + rng.randrange(0, 3 * UNIT))
    if roll < 0.35 and size:
        unit = rng.randrange(0, size // UNIT + 1)
        return max(0, min(MAX_SIZE - 1, unit * UNIT + rng.randrange(-20, 20)))
    return rng.randrange(0, max(1, size))


def pick_length(rng):
    roll = rng.random()
    if roll < 0.3:
        return rng.randrange(1, 32)
    if roll < 0.8:
        return rng.randrange(1, 2 * UNIT)
    return rng.randrange(1, 5 * UNIT)


def op_pwrite(pair, rng, size):
    off = pick_offset(rng, size)
    data = rng.randbytes(min(pick_length(rng), MAX_SIZE - off))
    pair.each('pwrite %d+%d' % (off, len(data)),
              lambda fd: os.pwrite(fd, data, off))
    return 'pwrite %d+%d' % (off, len(data))


def op_pread(pair, rng, size):
    off, length = pick_offset(rng, size), pick_length(rng)
    got = pair.each('pread', lambda fd: os.pread(fd, length, off))
    if got[0] != got[1]:
        raise Failure('pread %d+%d: expected %d bytes as on the reference, '
                      'got %d differing' % (off, length, len(got[1]),
                                            len(got[0])))
    return 'pread %d+%d' % (off, length)


def op_truncate(pair, rng, size):
    roll = rng.random()
    if roll < 0.3:
        new = rng.randrange(0, size // UNIT + 3) * UNIT + \
            rng.choice((-1, 0, 0, 1, 17))
    elif roll < 0.9:
        new = size + rng.randrange(-2 * UNIT, 3 * UNIT)
    else:
        new = rng.randrange(0, size + 2 * UNIT + 1)
    new = max(0, min(new, MAX_SIZE))
    pair.each('ftruncate %d' % new, lambda fd: os.ftruncate(fd, new))
    return 'ftruncate %d' % new


def op_append(pair, rng, size):
    data = rng.randbytes(min(pick_length(rng), max(1, MAX_SIZE - size)))

    def append(fd):
        path = pair.paths[pair.fds.index(fd)]
        afd = os.open(path, os.O_WRONLY | os.O_APPEND)
        try:
            return os.write(afd, data)
        finally:
            os.close(afd)
    pair.each('append %d' % len(data), append)
    return 'append %d' % len(data)


def op_fsync(pair, rng, size):
    pair.each('fsync', os.fsync)
    return 'fsync'


def op_mmap_read(pair, rng, size):
    if size == 0:
        return 'mmap read skipped (empty)'
    off = rng.randrange(0, size)
    length = min(pick_length(rng), size - off)

    def read(fd):
        with mmap.mmap(fd, size, mmap.MAP_SHARED, mmap.PROT_READ) as m:
            return m[off:off + length]
    got = pair.each('mmap read', read)
    if got[0] != got[1]:
        raise Failure('mmap read %d+%d: expected the reference bytes, got '
                      'different ones' % (off, length))
    return 'mmap read %d+%d' % (off, length)


def op_mmap_write(pair, rng, size):
    if size == 0 or os.environ.get('TK_RANDOM_NO_MMAP_WRITE') == '1':
        return 'mmap write skipped'
    off = rng.randrange(0, size)
    data = rng.randbytes(min(pick_length(rng), size - off))

    def write(fd):
        with mmap.mmap(fd, size, mmap.MAP_SHARED,
                       mmap.PROT_READ | mmap.PROT_WRITE) as m:
            m[off:off + len(data)] = data
            m.flush()
    pair.each('mmap write %d+%d' % (off, len(data)), write)
    return 'mmap write %d+%d' % (off, len(data))


def op_reopen(pair, rng, size):
    pair.reopen()
    return 'close and reopen'


def op_drop_caches(pair, rng, size):
    # Half the time written back first, so that the next reads decrypt
    # what was encrypted; otherwise dirty pages stay cached.
    synced = rng.random() < 0.5
    if synced:
        os.sync()
    with open('/proc/sys/vm/drop_caches', 'w') as f:
        f.write('3\n')
    return 'sync and drop_caches' if synced else 'drop_caches'


OPS = [(op_pwrite, 30), (op_pread, 15), (op_truncate, 10), (op_append, 10),
       (op_fsync, 8), (op_mmap_read, 8), (op_mmap_write, 8), (op_reopen, 5)]


def compare(pair, step):
    sizes = pair.size()
    if sizes[0] != sizes[1]:
        raise Failure('size: expected %d as on the reference, got %d' %
                      (sizes[1], sizes[0]))
    data = [os.pread(fd, sizes[1] + 1, 0) for fd in pair.fds]
    if data[0] != data[1]:
        first = next((i for i in range(min(map(len, data)))
                      if data[0][i] != data[1][i]), min(map(len, data)))
        raise Failure('contents: expected %d bytes as on the reference, got '
                      '%d, first difference at %d (unit %d)' % (
                          len(data[1]), len(data[0]), first, first // UNIT))


def run(args, seed):
    rng = random.Random(seed)
    pair = Pair([args.file, args.ref])
    ops, weights = zip(*OPS)
    history = []
    counts = {}
    for step in range(args.ops):
        size = pair.size()[1]
        if args.drop_every and step % args.drop_every == args.drop_every - 1:
            op = op_drop_caches
        else:
            op = rng.choices(ops, weights)[0]
        history.append(op(pair, rng, size))
        counts[op.__name__] = counts.get(op.__name__, 0) + 1
        try:
            compare(pair, step)
        except Failure as e:
            raise Failure('step %d (%s): %s; last steps: %s' % (
                step, history[-1], e, ' | '.join(history[-6:-1])))
    op_drop_caches(pair, rng, 0)
    pair.reopen()
    compare(pair, args.ops)
    return counts, pair.size()[1]


def main():
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('file')
    p.add_argument('ref')
    p.add_argument('ops', type=int)
    p.add_argument('--drop-every', type=int, default=97)
    args = p.parse_args()
    seed = int(os.environ.get('TK_RANDOM_SEED') or
               int.from_bytes(os.urandom(4), 'little'))
    print('random_ops: seed %d (replay with TK_RANDOM_SEED=%d)' % (seed, seed),
          flush=True)
    start = time.monotonic()
    try:
        counts, size = run(args, seed)
    except (Failure, OSError) as e:
        sys.exit('random_ops: FAIL with seed %d: %s' % (seed, e))
    print('random_ops: ok %d operations in %.1f s, final size %d: %s' % (
        args.ops, time.monotonic() - start, size,
        ' '.join('%s=%d' % (k[3:], v) for k, v in sorted(counts.items()))))


if __name__ == '__main__':
    main()
