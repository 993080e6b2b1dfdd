#!/usr/bin/python3
"""Compare two large sparse files of a guard point without reading their
holes.

    sparse-same.py UPPER_A UPPER_B LOWER_A LOWER_B

UPPER_* are the plaintext files (through the guard point), LOWER_* their
lower files; for a plain file outside any guard point, give the file
itself as its lower file (no header to skip). The format stores an all-zero unit as zeros and never
allocates holes, so a range that is a hole in the lower file reads as
zeros. The data extents of both lower files (SEEK_DATA/SEEK_HOLE) are
merged, shifted by the 4096-byte header, and only those plaintext ranges
are compared; everywhere else both files are zeros, which a few samples
of the holes check. Prints "same N" (N the bytes compared) or what
differs.
"""
import os
import sys

HEADER = 4096
CHUNK = 1 << 20


def data_extents(path, shift):
    """(start, end) of each data extent of the file, in plaintext offsets."""
    out = []
    fd = os.open(path, os.O_RDONLY)
    try:
        size = os.fstat(fd).st_size
        pos = 0
        while pos < size:
            try:
                start = os.lseek(fd, pos, os.SEEK_DATA)
            except OSError:
                break  # ENXIO: no data after pos
            end = os.lseek(fd, start, os.SEEK_HOLE)
            out.append((max(start - shift, 0), max(end - shift, 0)))
            pos = end
    finally:
        os.close(fd)
    return out


def merged(extents):
    out = []
    for start, end in sorted(extents):
        if out and start <= out[-1][1]:
            out[-1] = (out[-1][0], max(out[-1][1], end))
        else:
            out.append((start, end))
    return out


def main(upper_a, upper_b, lower_a, lower_b):
    size_a, size_b = os.path.getsize(upper_a), os.path.getsize(upper_b)
    if size_a != size_b:
        return 'sizes differ: %d and %d' % (size_a, size_b)
    shift_a = 0 if os.path.samefile(upper_a, lower_a) else HEADER
    shift_b = 0 if os.path.samefile(upper_b, lower_b) else HEADER
    ranges = merged(data_extents(lower_a, shift_a) + data_extents(lower_b, shift_b))
    compared = 0
    with open(upper_a, 'rb') as a, open(upper_b, 'rb') as b:
        for start, end in ranges:
            end = min(end, size_a)
            pos = start
            while pos < end:
                n = min(CHUNK, end - pos)
                a.seek(pos)
                b.seek(pos)
                if a.read(n) != b.read(n):
                    return 'differ in [%d, %d)' % (pos, pos + n)
                pos += n
                compared += n
        for pos in (size_a // 4, size_a // 2 + 12345, size_a * 3 // 4):
            if any(s <= pos < e for s, e in ranges):
                continue
            for f in (a, b):
                f.seek(pos)
                if f.read(CHUNK).count(0) != min(CHUNK, size_a - pos):
                    return 'hole at %d does not read as zeros' % pos
    return 'same %d' % compared


if __name__ == '__main__':
    print(main(*sys.argv[1:5]))
