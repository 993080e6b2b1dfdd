#!/usr/bin/python3
"""A stand-in for the Takakrypt agent, speaking the TAKAKRYPT generic
netlink protocol of kernel/include/uapi/takakrypt.h directly, so the
kernel module can be tested without Node.

Agent mode (default): resolve the family, register, answer each policy
request by the first matching --rule (no match: deny) and log every
request as one JSON line.

    fake_agent.py --log FILE --ready FILE [--ttl MS] [--rule RULE]...

    RULE is EFFECTS[;KEY=VALUE]... with EFFECTS a comma list of permit or
    deny plus optional applykey, audit and anyobject (the reply says the
    decision holds for every object of the guard point), and KEY one of action (comma
    list of names), uid, gid (comma lists), path, exe (fnmatch patterns;
    path is the path inside the guard point). Example:
        --rule 'deny;path=/secret*' --rule 'permit,applykey;uid=0'

    SIGUSR1 sends SET_GENERATION with the next generation (flushes the
    kernel's decision cache); SIGTERM unregisters and exits.

    Crypt requests (CRYPT_REQ) are answered only with --crypt: by a toy
    transform that is not encryption (each byte XORed with a value of its
    data unit, all-zero units kept as zeros as docs/FORMAT.md 4.3 asks),
    enough to tell plaintext from stored bytes. NEW_HEADER gets a header
    with the format's magic and a serial number (so that no two are the
    same), plus --spares N spare headers; OPEN_HEADER accepts any header
    with the magic.
    --crypt-fault KIND makes the ops of --fault-ops (default
    encrypt,decrypt) fail, from the start or, with --fault-on-signal, from
    the first SIGUSR2 on:
        error       status -EIO, reason INTERNAL
        short-unit  the last data unit one byte short
        extra-unit  one data unit more than asked for
        bad-length  the reply's length field one more than the data
        ignore      never answered

Probe mode: send one message and print the kernel's answer as
"errno N: MESSAGE" (N = 0 for success), for the hostile-caller tests.

    fake_agent.py probe register|unregister|reply|generation|
                        bad-length|unknown-attr|kernel-attr|unknown-cmd|
                        crypt|bad-verdict|bad-flags|big-ttl|bad-version|
                        missing-attr
    fake_agent.py probe flood N   (N rounds of malformed messages)
"""
import argparse
import errno
import fnmatch
import json
import os
import signal
import socket
import struct
import sys

NETLINK_GENERIC = 16
NLM_F_REQUEST, NLM_F_ACK = 0x1, 0x4
SO_RCVBUFFORCE = 33
NLMSG_ERROR = 2
NLM_F_ACK_TLVS = 0x200
NLMSGERR_ATTR_MSG = 1
SOL_NETLINK, NETLINK_CAP_ACK, NETLINK_EXT_ACK = 270, 10, 11
GENL_ID_CTRL, CTRL_CMD_GETFAMILY = 0x10, 3
CTRL_ATTR_FAMILY_ID, CTRL_ATTR_FAMILY_NAME = 1, 2

# From kernel/include/uapi/takakrypt.h.
FAMILY, GENL_VERSION, PROTOCOL_VERSION = 'TAKAKRYPT', 1, 2
CMD = dict(REGISTER=1, UNREGISTER=2, SET_GENERATION=3, POLICY_REQ=4,
           POLICY_REPLY=5, CRYPT_REQ=6, CRYPT_REPLY=7)
A = dict(REGISTER=1, GENERATION=2, POLICY_REQ=3, GROUPS=4, EXE_PATH=5,
         GUARD_POINT=6, PATH=7, POLICY_NAME=8, POLICY_REPLY=9,
         CRYPT_REQ=10, CRYPT_REPLY=11, DATA=12, FILE_HEADER=13)
ACTIONS = ['f_rd', 'f_wr', 'f_wr_app', 'f_cre', 'f_ren', 'f_link', 'f_rm',
           'f_rd_att', 'f_chg_att', 'f_rd_sec', 'f_chg_sec', 'd_rd', 'd_ren',
           'd_rd_att', 'd_chg_att', 'd_rd_sec', 'd_chg_sec', 'd_mkdir',
           'd_rmdir', 'd_mknod']
REQ_F_DIR = 1
REPLY_F_APPLYKEY, REPLY_F_AUDIT, REPLY_F_ANY_OBJECT = 1, 2, 4
REGISTER_FMT = '=IIII'
GENERATION_FMT = '=QII'
POLICY_REQ_FMT = '=IIIIIIIIQQ'
REPLY_FMT = '=IIII'
assert struct.calcsize(POLICY_REQ_FMT) == 48
assert struct.calcsize(REPLY_FMT) == 16
CRYPT_REQ_FMT = '=IIIIQQII'
CRYPT_REPLY_FMT = '=IiII'
assert struct.calcsize(CRYPT_REQ_FMT) == 40
assert struct.calcsize(CRYPT_REPLY_FMT) == 16
CRYPT_OPS = {1: 'new_header', 2: 'open_header', 3: 'encrypt', 4: 'decrypt'}
R_NOT_ENCRYPTED, R_INTERNAL = 1, 7
MAGIC = b'\x89TKRYPT\n'
HEADER_SIZE = 4096
FAULTS = ('error', 'short-unit', 'extra-unit', 'bad-length', 'ignore')


def attr(kind, payload):
    hdr = struct.pack('=HH', 4 + len(payload), kind)
    return hdr + payload + b'\0' * (-len(payload) % 4)


def attr_list(data):
    """Every attribute in order, repeated kinds included."""
    out, off = [], 0
    while off + 4 <= len(data):
        length, kind = struct.unpack_from('=HH', data, off)
        if length < 4:
            break
        out.append((kind & 0x3fff, data[off + 4:off + length]))
        off += (length + 3) & ~3
    return out


def parse_attrs(data):
    out, off = {}, 0
    while off + 4 <= len(data):
        length, kind = struct.unpack_from('=HH', data, off)
        if length < 4:
            break
        out[kind & 0x3fff] = data[off + 4:off + length]
        off += (length + 3) & ~3
    return out


class Genl:
    """One generic netlink socket with sequence numbers and acks."""

    def __init__(self):
        self.sock = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW,
                                  NETLINK_GENERIC)
        # Readahead sends several 120 KiB requests at once: without a big
        # buffer (SO_RCVBUFFORCE, beyond rmem_max) the kernel finds the
        # socket full, sends again later and flags ENOBUFS here.
        try:
            self.sock.setsockopt(socket.SOL_SOCKET, SO_RCVBUFFORCE, 1 << 25)
        except PermissionError:
            self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 22)
        self.sock.setsockopt(SOL_NETLINK, NETLINK_EXT_ACK, 1)
        self.sock.setsockopt(SOL_NETLINK, NETLINK_CAP_ACK, 1)
        self.sock.bind((0, 0))
        self.seq = 0
        self.family = None

    def send(self, msg_type, cmd, payload, flags=NLM_F_REQUEST | NLM_F_ACK,
             version=GENL_VERSION):
        self.seq += 1
        body = struct.pack('=BBH', cmd, version, 0) + payload
        hdr = struct.pack('=IHHII', 16 + len(body), msg_type, flags,
                          self.seq, 0)
        self.sock.send(hdr + body)
        return self.seq

    def recv(self):
        data = self.sock.recv(1 << 20)
        msgs, off = [], 0
        while off + 16 <= len(data):
            length, kind, flags, seq, pid = struct.unpack_from('=IHHII',
                                                               data, off)
            msgs.append((kind, flags, seq, data[off + 16:off + length]))
            off += (length + 3) & ~3
        return msgs

    def wait_ack(self, seq):
        """Return (errno, extack message) of the ack for seq."""
        while True:
            for kind, flags, mseq, body in self.recv():
                if kind != NLMSG_ERROR or mseq != seq:
                    continue
                err = -struct.unpack_from('=i', body)[0]
                msg = ''
                if flags & NLM_F_ACK_TLVS:
                    tlvs = parse_attrs(body[4 + 16:])
                    msg = tlvs.get(NLMSGERR_ATTR_MSG, b'').rstrip(b'\0')
                    msg = msg.decode(errors='replace')
                return err, msg

    def resolve(self):
        seq = self.send(GENL_ID_CTRL, CTRL_CMD_GETFAMILY,
                        attr(CTRL_ATTR_FAMILY_NAME, FAMILY.encode() + b'\0'),
                        flags=NLM_F_REQUEST)
        while True:
            for kind, flags, mseq, body in self.recv():
                if mseq != seq:
                    continue
                if kind == NLMSG_ERROR:
                    err = -struct.unpack_from('=i', body)[0]
                    raise OSError(err, 'family %s not found' % FAMILY)
                attrs = parse_attrs(body[4:])
                self.family = struct.unpack('=H',
                                            attrs[CTRL_ATTR_FAMILY_ID][:2])[0]
                return self.family

    def request(self, cmd, payload, version=GENL_VERSION):
        return self.wait_ack(self.send(self.family, cmd, payload,
                                       version=version))


def register_payload(version=PROTOCOL_VERSION):
    return attr(A['REGISTER'], struct.pack(REGISTER_FMT, version,
                                           os.getpid(), 0, 0))


def parse_rule(text):
    effects, *conds = text.split(';')
    rule = {'effects': set(effects.split(','))}
    if not rule['effects'] & {'permit', 'deny'}:
        sys.exit('rule %r: expected permit or deny first' % text)
    unknown = rule['effects'] - {'permit', 'deny', 'applykey', 'audit',
                                 'anyobject'}
    if unknown:
        sys.exit('rule %r: unknown effects %s' % (text, sorted(unknown)))
    for cond in conds:
        key, _, value = cond.partition('=')
        if key not in ('action', 'uid', 'gid', 'path', 'exe'):
            sys.exit('rule %r: unknown key %r' % (text, key))
        rule[key] = value.split(',') if key in ('action', 'uid', 'gid') \
            else value
    return rule


def matches(rule, q):
    if 'action' in rule and q['action'] not in rule['action']:
        return False
    if 'uid' in rule and str(q['uid']) not in rule['uid']:
        return False
    if 'gid' in rule and str(q['gid']) not in rule['gid']:
        return False
    if 'path' in rule and not fnmatch.fnmatchcase(q['path'], rule['path']):
        return False
    if 'exe' in rule and not fnmatch.fnmatchcase(q['exe'], rule['exe']):
        return False
    return True


def decode_request(body):
    attrs = parse_attrs(body[4:])
    (rid, pid, uid, gid, action, flags, ngroups, _res, inode,
     generation) = struct.unpack(POLICY_REQ_FMT, attrs[A['POLICY_REQ']])
    groups = list(struct.unpack('=%dI' % ngroups,
                                attrs.get(A['GROUPS'], b'')[:4 * ngroups]))

    def text(kind):
        return attrs[kind].rstrip(b'\0').decode(errors='replace')
    return dict(id=rid, pid=pid, uid=uid, gid=gid,
                action=ACTIONS[action] if action < len(ACTIONS) else action,
                dir=bool(flags & REQ_F_DIR), groups=groups, inode=inode,
                generation=generation, exe=text(A['EXE_PATH']),
                gp=text(A['GUARD_POINT']), path=text(A['PATH']),
                policy=text(A['POLICY_NAME']))


def run_agent(args):
    rules = [parse_rule(r) for r in args.rule]
    nl = Genl()
    nl.resolve()
    err, msg = nl.request(CMD['REGISTER'], register_payload())
    if err:
        sys.exit('register failed: errno %d: %s' % (err, msg))
    state = {'generation': args.generation}

    def set_generation(*_):
        state['generation'] += 1
        payload = struct.pack(GENERATION_FMT, state['generation'],
                              args.max_ttl, 0)
        nl.send(nl.family, CMD['SET_GENERATION'],
                attr(A['GENERATION'], payload), flags=NLM_F_REQUEST)

    def stop(*_):
        nl.send(nl.family, CMD['UNREGISTER'], b'', flags=NLM_F_REQUEST)
        sys.exit(0)
    def start_faults(*_):
        state['faulty'] = True
    state['faulty'] = bool(args.crypt_fault) and not args.fault_on_signal
    signal.signal(signal.SIGUSR1, set_generation)
    signal.signal(signal.SIGUSR2, start_faults)
    signal.signal(signal.SIGTERM, stop)
    if args.generation:
        state['generation'] -= 1
        set_generation()

    log = open(args.log, 'a', buffering=1) if args.log else sys.stdout
    if args.probe_unknown_id:
        reply = struct.pack(REPLY_FMT, 0x7ffffff0, 1, 0, 0)
        err, msg = nl.request(CMD['POLICY_REPLY'],
                              attr(A['POLICY_REPLY'], reply))
        log.write(json.dumps({'probe_unknown_id': [err, msg]}) + '\n')
    if args.ready:
        with open(args.ready, 'w') as f:
            f.write('%d\n' % os.getpid())
    while True:
        try:
            msgs = nl.recv()
        except InterruptedError:
            continue
        except OSError as e:
            # An overrun: the kernel sends a dropped request again.
            if e.errno != errno.ENOBUFS:
                raise
            log.write(json.dumps({'overrun': True}) + '\n')
            continue
        for kind, flags, seq, body in msgs:
            if kind == NLMSG_ERROR:
                err = -struct.unpack_from('=i', body)[0]
                if err:
                    log.write(json.dumps({'kernel_error': err}) + '\n')
                continue
            if kind != nl.family:
                continue
            if body[0] == CMD['POLICY_REQ']:
                answer(nl, args, rules, decode_request(body), log)
            elif body[0] == CMD['CRYPT_REQ'] and args.crypt:
                answer_crypt(nl, args, state['faulty'], body, log)


def answer(nl, args, rules, q, log):
    rule = next((r for r in rules if matches(r, q)), {'effects': {'deny'}})
    permit = 'permit' in rule['effects']
    q['verdict'] = 'permit' if permit else 'deny'
    if args.ignore:
        q['verdict'] = 'ignored'
    log.write(json.dumps(q) + '\n')
    if args.ignore:
        return
    flags = (REPLY_F_APPLYKEY if 'applykey' in rule['effects'] else 0) | \
        (REPLY_F_AUDIT if 'audit' in rule['effects'] else 0) | \
        (REPLY_F_ANY_OBJECT if 'anyobject' in rule['effects'] else 0)
    reply = struct.pack(REPLY_FMT, q['id'], 1 if permit else 0, flags,
                        args.ttl)
    nl.send(nl.family, CMD['POLICY_REPLY'], attr(A['POLICY_REPLY'], reply),
            flags=NLM_F_REQUEST)


def toy_unit(index, data):
    """The toy transform of one data unit; its own inverse. A unit of
    zeros stays zeros, and the one unit the XOR would turn into zeros
    becomes the XOR of zeros instead (the swap of FORMAT.md 4.3)."""
    zeros = bytes(len(data))
    if data == zeros:
        return zeros
    pad = bytes([(0xa5 + index) & 0xff or 0x5a]) * len(data)
    # One big-integer XOR: byte by byte is far too slow under TCG.
    out = (int.from_bytes(data, 'little') ^
           int.from_bytes(pad, 'little')).to_bytes(len(data), 'little')
    return pad if out == zeros else out


TOY_SERIAL = [0]


def toy_header():
    """A header the kernel recognises by its magic; not a real one. Each
    carries the next serial number at byte 64."""
    TOY_SERIAL[0] += 1
    head = MAGIC + struct.pack('=HHIII', 1, 1, HEADER_SIZE, 4096, 0)
    head += b'\0' * (64 - len(head)) + struct.pack('=Q', TOY_SERIAL[0])
    return head + b'\0' * (HEADER_SIZE - len(head))


def crypt_result(req, op, units):
    """(status, reason, header, data units) of a correct answer."""
    if op == 'new_header':
        return 0, 0, toy_header(), []
    if op == 'open_header':
        header = units[0] if units else b''
        if header[:8] != MAGIC:
            return -errno.EIO, R_NOT_ENCRYPTED, None, []
        return 0, 0, None, []
    first = req[5]
    return 0, 0, None, [toy_unit(first + i, u) for i, u in enumerate(units)]


def answer_crypt(nl, args, faulty, body, log):
    attrs = attr_list(body[4:])
    fixed = next(p for k, p in attrs if k == A['CRYPT_REQ'])
    req = struct.unpack(CRYPT_REQ_FMT, fixed)
    op = CRYPT_OPS.get(req[1], req[1])
    units = [p for k, p in attrs if k == A['DATA']]
    if op == 'open_header':
        units = [p for k, p in attrs if k == A['FILE_HEADER']]
    fault = args.crypt_fault if faulty and op in args.fault_ops else None
    path = next((p for k, p in attrs if k == A['PATH']), b'')
    log.write(json.dumps({'crypt': op, 'id': req[0], 'pid': req[2],
                          'inode': req[4], 'first_unit': req[5],
                          'length': req[6], 'units': len(units),
                          'path': path.rstrip(b'\0').decode(errors='replace'),
                          'fault': fault}) + '\n')
    if fault == 'ignore':
        return
    status, reason, header, out = crypt_result(req, op, units)
    if fault == 'error':
        status, reason, header, out = -errno.EIO, R_INTERNAL, None, []
    elif fault == 'short-unit' and out:
        out[-1] = out[-1][:-1]
    elif fault == 'extra-unit' and out:
        out.append(out[-1])
    length = sum(len(u) for u in out) + (1 if fault == 'bad-length' else 0)
    payload = attr(A['CRYPT_REPLY'], struct.pack(CRYPT_REPLY_FMT, req[0],
                                                 status, reason, length))
    if header is not None:
        payload += attr(A['FILE_HEADER'], header)
        if op == 'new_header' and status == 0:
            payload += b''.join(attr(A['FILE_HEADER'], toy_header())
                                for _ in range(args.spares))
    payload += b''.join(attr(A['DATA'], u) for u in out)
    nl.send(nl.family, CMD['CRYPT_REPLY'], payload, flags=NLM_F_REQUEST)


def probe(kind):
    """Send one message of the given kind; return (errno, extack)."""
    nl = Genl()
    nl.resolve()
    reply = struct.pack(REPLY_FMT, 1, 1, 0, 0)
    table = {
        'register': (CMD['REGISTER'], register_payload()),
        'bad-version': (CMD['REGISTER'], register_payload(version=99)),
        'unregister': (CMD['UNREGISTER'], b''),
        'reply': (CMD['POLICY_REPLY'], attr(A['POLICY_REPLY'], reply)),
        'generation': (CMD['SET_GENERATION'], attr(
            A['GENERATION'], struct.pack(GENERATION_FMT, 7, 1000, 0))),
        'bad-length': (CMD['POLICY_REPLY'],
                       attr(A['POLICY_REPLY'], reply[:12])),
        'unknown-attr': (CMD['REGISTER'], register_payload() +
                         attr(200, b'\0' * 4)),
        'kernel-attr': (CMD['POLICY_REPLY'],
                        attr(A['PATH'], b'/etc/shadow\0')),
        'unknown-cmd': (99, b''),
        'missing-attr': (CMD['POLICY_REPLY'], b''),
        'crypt': (CMD['CRYPT_REQ'], b''),
        'bad-verdict': (CMD['POLICY_REPLY'], attr(
            A['POLICY_REPLY'], struct.pack(REPLY_FMT, 1, 7, 0, 0))),
        'bad-flags': (CMD['POLICY_REPLY'], attr(
            A['POLICY_REPLY'], struct.pack(REPLY_FMT, 1, 1, 0x80, 0))),
        'big-ttl': (CMD['POLICY_REPLY'], attr(
            A['POLICY_REPLY'], struct.pack(REPLY_FMT, 1, 1, 0, 1 << 31))),
    }
    cmd, payload = table[kind]
    return nl.request(cmd, payload)


def flood(count):
    """Send count malformed messages of every kind from one socket; return
    the distinct errnos seen."""
    nl = Genl()
    nl.resolve()
    seen = set()
    junk = [attr(A['POLICY_REPLY'], b'\xff' * n) for n in (0, 1, 15, 17)]
    junk += [attr(A['REGISTER'], b'\0' * 3), b'\xff\xff\xff',
             attr(A['GROUPS'], b'\0' * 64), attr(0x3fff, b'')]
    for i in range(count):
        for cmd in (CMD['POLICY_REPLY'], CMD['REGISTER'], 0, 255):
            err, _ = nl.request(cmd, junk[i % len(junk)])
            seen.add(err)
    return ' '.join(str(e) for e in sorted(seen))


def main():
    if len(sys.argv) > 2 and sys.argv[1] == 'probe' and \
            sys.argv[2] == 'flood':
        print(flood(int(sys.argv[3])))
        return
    if len(sys.argv) > 1 and sys.argv[1] == 'probe':
        err, msg = probe(sys.argv[2])
        print('errno %d: %s' % (err, msg))
        return
    p = argparse.ArgumentParser(description='fake Takakrypt agent')
    p.add_argument('--rule', action='append', default=[])
    p.add_argument('--ttl', type=int, default=0,
                   help='cache lifetime of every reply, ms')
    p.add_argument('--max-ttl', type=int, default=3600000)
    p.add_argument('--generation', type=int, default=0)
    p.add_argument('--ignore', action='store_true',
                   help='log requests but never answer')
    p.add_argument('--probe-unknown-id', action='store_true',
                   help='first reply to a request id never sent; log it')
    p.add_argument('--crypt', action='store_true',
                   help='answer crypt requests with the toy transform')
    p.add_argument('--crypt-fault', choices=FAULTS,
                   help='make the --fault-ops crypt requests fail so')
    p.add_argument('--fault-ops', type=lambda v: v.split(','),
                   default=['encrypt', 'decrypt'],
                   help='comma list of new_header, open_header, encrypt, '
                   'decrypt')
    p.add_argument('--fault-on-signal', action='store_true',
                   help='faults start at the first SIGUSR2')
    p.add_argument('--spares', type=int, default=0,
                   help='spare headers sent with each NEW_HEADER reply')
    p.add_argument('--log')
    p.add_argument('--ready', help='file written once registered')
    run_agent(p.parse_args())


if __name__ == '__main__':
    try:
        main()
    except OSError as e:
        sys.exit('fake_agent: %s (errno %s)' % (e, errno.errorcode.get(
            e.errno, e.errno)))
