#!/usr/bin/python3
"""Drive an interactive program (an editor) through a pseudo-terminal.

    pty-drive.py [--wait TEXT] KEYS CMD [ARGS...]

The program runs on a new 80x24 terminal (TERM=xterm). Once it has drawn
its screen (TEXT has appeared, if given), KEYS is typed: pieces separated
by '|', each a Python string literal body ('\\r' is Enter, '\\x0f' is
Ctrl-O), with a pause after each until the screen is quiet again. Then
the program must exit by itself. Prints "exit N" (N the exit status); on a
timeout prints "timeout" and the screen's last bytes, and kills it.
"""
import ast
import fcntl
import os
import pty
import select
import signal
import struct
import sys
import termios
import time

QUIET_S = 0.7  # the screen counts as drawn after this long without output
STEP_LIMIT_S = 60
EXIT_LIMIT_S = 60


def read_until_quiet(fd, seen, want=None):
    """Collect output until QUIET_S passes without any (and `want` was seen)."""
    deadline = time.monotonic() + STEP_LIMIT_S
    last = time.monotonic()
    while time.monotonic() < deadline:
        ready, _, _ = select.select([fd], [], [], 0.1)
        if ready:
            try:
                chunk = os.read(fd, 65536)
            except OSError:
                return False
            if not chunk:
                return False
            seen.extend(chunk)
            last = time.monotonic()
        elif time.monotonic() - last >= QUIET_S:
            if want is None or want in seen:
                return True
    return False


def main(argv):
    want = None
    if argv[:1] == ['--wait']:
        want = argv[1].encode()
        argv = argv[2:]
    keys, cmd = argv[0], argv[1:]
    pid, fd = pty.fork()
    if pid == 0:
        os.environ['TERM'] = 'xterm'
        os.execvp(cmd[0], cmd)
    fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack('HHHH', 24, 80, 0, 0))
    seen = bytearray()
    if read_until_quiet(fd, seen, want):
        for piece in keys.split('|'):
            os.write(fd, ast.literal_eval("'" + piece + "'").encode())
            if not read_until_quiet(fd, seen):
                break
    deadline = time.monotonic() + EXIT_LIMIT_S
    while time.monotonic() < deadline:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            print('exit', os.waitstatus_to_exitcode(status))
            return 0
        read_until_quiet(fd, seen)
    os.kill(pid, signal.SIGKILL)
    os.waitpid(pid, 0)
    print('timeout; screen ends with:', bytes(seen[-400:]))
    return 1


if __name__ == '__main__':
    sys.exit(main(sys.argv[1:]))
