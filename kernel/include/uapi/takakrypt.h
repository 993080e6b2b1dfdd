/* SPDX-License-Identifier: GPL-2.0-only WITH Linux-syscall-note */
/*
 * takakrypt.h - the wire contract between the takakrypt kernel module and
 * the agent (generic netlink family "TAKAKRYPT").
 *
 * This header is the single source of truth: the module and the agent's
 * native addon both include it. It only uses <linux/types.h>, so it builds
 * as C (kernel, gnu11) and as C++ (addon).
 *
 * Every fixed-size payload is a packed struct carried in one netlink
 * attribute. Fields are laid out at their natural alignment anyway, so the
 * packing only lowers the struct's alignment to 1 (attribute payloads are
 * 4-byte aligned, and a __u64 may therefore sit at a 4-byte boundary). All
 * integers are in host byte order (the socket never leaves the machine).
 *
 * Message flow (see docs/PROTOCOL.md):
 *   agent  -> kernel  REGISTER        A_REGISTER
 *   agent  -> kernel  UNREGISTER      (no attributes)
 *   agent  -> kernel  SET_GENERATION  A_GENERATION
 *   kernel -> agent   POLICY_REQ      A_POLICY_REQ, A_GROUPS, A_EXE_PATH,
 *                                     A_GUARD_POINT, A_PATH, A_POLICY_NAME
 *   agent  -> kernel  POLICY_REPLY    A_POLICY_REPLY
 *   kernel -> agent   CRYPT_REQ       A_CRYPT_REQ, then by op:
 *                       NEW_HEADER    A_GUARD_POINT, A_PATH, A_POLICY_NAME
 *                       OPEN_HEADER   A_FILE_HEADER, A_GUARD_POINT, A_PATH,
 *                                     A_POLICY_NAME (A_PATH "" if unknown)
 *                       ENCRYPT,      A_FILE_HEADER, A_GUARD_POINT,
 *                       DECRYPT       one A_DATA per data unit, in order
 *   agent  -> kernel  CRYPT_REPLY     A_CRYPT_REPLY, then on success:
 *                       NEW_HEADER    A_FILE_HEADER, then up to
 *                                     TAKAKRYPT_MAX_SPARE_HEADERS more
 *                                     (spare headers, see below)
 *                       ENCRYPT,      one A_DATA per data unit, the same
 *                       DECRYPT       count and lengths as the request
 *
 * A netlink attribute holds at most 65535 bytes, so data travels as one
 * A_DATA attribute per 4096-byte data unit (the last may be shorter).
 */
#ifndef _UAPI_TAKAKRYPT_H
#define _UAPI_TAKAKRYPT_H

#include <linux/types.h>

#define TAKAKRYPT_GENL_NAME		"TAKAKRYPT"
/* Generic netlink family version (genlmsghdr.version). */
#define TAKAKRYPT_GENL_VERSION		1
/* Protocol version the agent must announce in REGISTER. */
#define TAKAKRYPT_PROTOCOL_VERSION	2

/* Limits the kernel enforces on messages and requests. */
#define TAKAKRYPT_PATH_MAX		4096	/* bytes, NUL included */
#define TAKAKRYPT_POLICY_NAME_MAX	256	/* bytes, NUL included */
#define TAKAKRYPT_MAX_GROUPS		4096	/* more: the kernel denies */
#define TAKAKRYPT_MAX_CACHE_TTL_MS	3600000	/* one hour */

/* Size of a data unit and of the header at the start of a lower file. */
#define TAKAKRYPT_DATA_UNIT_SIZE	4096
#define TAKAKRYPT_FILE_HEADER_SIZE	4096
/* Most data units in one ENCRYPT or DECRYPT request: with its header and
 * attribute overhead a request of 30 units still fits a 128 KiB buffer.
 */
#define TAKAKRYPT_MAX_RUN_UNITS		30
/*
 * Spare headers: a NEW_HEADER reply may carry, after the new file's own
 * header, up to this many more, made under the same key rule for any
 * other new file of the guard point. The kernel keeps them for new files
 * for at most TAKAKRYPT_SPARE_HEADER_TTL_MS, hands out each once, and
 * drops them all at REGISTER, UNREGISTER, SET_GENERATION and agent loss.
 * The agent sends them only when its key rules give every new file of
 * the guard point the same key.
 */
#define TAKAKRYPT_MAX_SPARE_HEADERS	15
#define TAKAKRYPT_SPARE_HEADER_TTL_MS	1000

enum takakrypt_cmd {
	TAKAKRYPT_CMD_UNSPEC = 0,
	TAKAKRYPT_CMD_REGISTER = 1,
	TAKAKRYPT_CMD_UNREGISTER = 2,
	TAKAKRYPT_CMD_SET_GENERATION = 3,
	TAKAKRYPT_CMD_POLICY_REQ = 4,
	TAKAKRYPT_CMD_POLICY_REPLY = 5,
	TAKAKRYPT_CMD_CRYPT_REQ = 6,
	TAKAKRYPT_CMD_CRYPT_REPLY = 7,
	__TAKAKRYPT_CMD_MAX
};
#define TAKAKRYPT_CMD_MAX (__TAKAKRYPT_CMD_MAX - 1)

enum takakrypt_attr {
	TAKAKRYPT_A_UNSPEC = 0,
	TAKAKRYPT_A_REGISTER = 1,	/* struct takakrypt_register */
	TAKAKRYPT_A_GENERATION = 2,	/* struct takakrypt_generation */
	TAKAKRYPT_A_POLICY_REQ = 3,	/* struct takakrypt_policy_req */
	TAKAKRYPT_A_GROUPS = 4,		/* __u32[ngroups], may be absent if 0 */
	TAKAKRYPT_A_EXE_PATH = 5,	/* NUL-terminated; "" if none */
	TAKAKRYPT_A_GUARD_POINT = 6,	/* NUL-terminated absolute path */
	TAKAKRYPT_A_PATH = 7,		/* NUL-terminated, starts with '/' */
	TAKAKRYPT_A_POLICY_NAME = 8,	/* NUL-terminated, mount's policy= */
	TAKAKRYPT_A_POLICY_REPLY = 9,	/* struct takakrypt_policy_reply */
	TAKAKRYPT_A_CRYPT_REQ = 10,	/* struct takakrypt_crypt_req */
	TAKAKRYPT_A_CRYPT_REPLY = 11,	/* struct takakrypt_crypt_reply */
	TAKAKRYPT_A_DATA = 12,		/* one data unit, 1..4096 bytes */
	TAKAKRYPT_A_FILE_HEADER = 13,	/* the 4096-byte file header */
	__TAKAKRYPT_A_MAX
};
#define TAKAKRYPT_A_MAX (__TAKAKRYPT_A_MAX - 1)

/* Fine-grained actions, one per intercepted operation (docs/PROTOCOL.md). */
enum takakrypt_action {
	TAKAKRYPT_ACTION_F_RD = 0,
	TAKAKRYPT_ACTION_F_WR = 1,
	TAKAKRYPT_ACTION_F_WR_APP = 2,
	TAKAKRYPT_ACTION_F_CRE = 3,
	TAKAKRYPT_ACTION_F_REN = 4,
	TAKAKRYPT_ACTION_F_LINK = 5,
	TAKAKRYPT_ACTION_F_RM = 6,
	TAKAKRYPT_ACTION_F_RD_ATT = 7,
	TAKAKRYPT_ACTION_F_CHG_ATT = 8,
	TAKAKRYPT_ACTION_F_RD_SEC = 9,
	TAKAKRYPT_ACTION_F_CHG_SEC = 10,
	TAKAKRYPT_ACTION_D_RD = 11,
	TAKAKRYPT_ACTION_D_REN = 12,
	TAKAKRYPT_ACTION_D_RD_ATT = 13,
	TAKAKRYPT_ACTION_D_CHG_ATT = 14,
	TAKAKRYPT_ACTION_D_RD_SEC = 15,
	TAKAKRYPT_ACTION_D_CHG_SEC = 16,
	TAKAKRYPT_ACTION_D_MKDIR = 17,
	TAKAKRYPT_ACTION_D_RMDIR = 18,
	TAKAKRYPT_ACTION_D_MKNOD = 19,
	TAKAKRYPT_ACTION_COUNT = 20
};

/* takakrypt_policy_req.flags */
#define TAKAKRYPT_REQ_F_DIR		(1U << 0)	/* a directory */
#define TAKAKRYPT_REQ_F_ALL		(TAKAKRYPT_REQ_F_DIR)

/* takakrypt_policy_reply.verdict; zero (a zero-filled reply) denies */
enum takakrypt_verdict {
	TAKAKRYPT_VERDICT_DENY = 0,
	TAKAKRYPT_VERDICT_PERMIT = 1
};

/* takakrypt_policy_reply.flags */
#define TAKAKRYPT_REPLY_F_APPLYKEY	(1U << 0)	/* transform contents */
#define TAKAKRYPT_REPLY_F_AUDIT		(1U << 1)	/* agent audited it */
/*
 * The decision is the same for every object of the guard point: no
 * resource set took part in it. The kernel may then reuse it, within its
 * lifetime, for any object there (same user, groups, executable, action).
 */
#define TAKAKRYPT_REPLY_F_ANY_OBJECT	(1U << 2)
#define TAKAKRYPT_REPLY_F_ALL \
	(TAKAKRYPT_REPLY_F_APPLYKEY | TAKAKRYPT_REPLY_F_AUDIT | \
	 TAKAKRYPT_REPLY_F_ANY_OBJECT)

/* takakrypt_crypt_req.op */
enum takakrypt_crypt_op {
	TAKAKRYPT_CRYPT_NEW_HEADER = 1,	/* make a header for a new file */
	TAKAKRYPT_CRYPT_OPEN_HEADER = 2,	/* verify a file's header */
	TAKAKRYPT_CRYPT_ENCRYPT = 3,	/* plaintext units -> stored units */
	TAKAKRYPT_CRYPT_DECRYPT = 4	/* stored units -> plaintext units */
};

/* takakrypt_crypt_reply.reason: why a request failed (0 when it did not) */
enum takakrypt_crypt_reason {
	TAKAKRYPT_CRYPT_R_NONE = 0,
	TAKAKRYPT_CRYPT_R_NOT_ENCRYPTED = 1,	/* no or short header, bad magic */
	TAKAKRYPT_CRYPT_R_HEADER_INVALID = 2,	/* unsupported version, fields */
	TAKAKRYPT_CRYPT_R_HEADER_TAMPERED = 3,	/* MAC or key check mismatch */
	TAKAKRYPT_CRYPT_R_KEY_MISSING = 4,	/* key or version not in store */
	TAKAKRYPT_CRYPT_R_NO_KEY_RULE = 5,	/* no key for a new file */
	TAKAKRYPT_CRYPT_R_BAD_REQUEST = 6,	/* malformed request */
	TAKAKRYPT_CRYPT_R_INTERNAL = 7	/* anything else in the agent */
};

/* REGISTER payload (agent -> kernel). Needs CAP_SYS_ADMIN. */
struct takakrypt_register {
	__u32 protocol_version;	/* TAKAKRYPT_PROTOCOL_VERSION */
	__u32 agent_pid;	/* informational; shown in /proc/takakrypt */
	__u32 flags;		/* none defined: must be 0 */
	__u32 reserved;		/* must be 0 */
} __attribute__((packed));

/* SET_GENERATION payload (agent -> kernel): flushes the decision cache. */
struct takakrypt_generation {
	__u64 generation;	/* policy generation, echoed in requests */
	__u32 max_cache_ttl_ms;	/* cap on reply ttls; 0 disables caching */
	__u32 reserved;		/* must be 0 */
} __attribute__((packed));

/* POLICY_REQ fixed part (kernel -> agent). */
struct takakrypt_policy_req {
	__u32 request_id;	/* echoed in the reply; never 0 */
	__u32 pid;		/* thread group id of the caller */
	__u32 uid;		/* fsuid, in the initial user namespace */
	__u32 gid;		/* fsgid, in the initial user namespace */
	__u32 action;		/* enum takakrypt_action */
	__u32 flags;		/* TAKAKRYPT_REQ_F_* */
	__u32 ngroups;		/* number of __u32 in TAKAKRYPT_A_GROUPS */
	__u32 reserved;		/* 0 */
	__u64 inode;		/* lower inode number */
	__u64 generation;	/* policy generation when sent */
} __attribute__((packed));

/* POLICY_REPLY payload (agent -> kernel), from the registered port only. */
struct takakrypt_policy_reply {
	__u32 request_id;	/* from the request */
	__u32 verdict;		/* enum takakrypt_verdict */
	__u32 flags;		/* TAKAKRYPT_REPLY_F_*; unknown bits rejected */
	__u32 cache_ttl_ms;	/* 0: do not cache */
} __attribute__((packed));

/*
 * CRYPT_REQ fixed part (kernel -> agent).
 * NEW_HEADER: length 0, first_unit 0.
 * OPEN_HEADER: length = bytes of the header the lower file has (0..4096;
 *   A_FILE_HEADER is zero-filled beyond them), first_unit 0.
 * ENCRYPT, DECRYPT: length = total bytes of the A_DATA units (every unit
 *   4096 bytes but the last, 1..4096), at most TAKAKRYPT_MAX_RUN_UNITS
 *   units; first_unit = index of the first one in the file.
 */
struct takakrypt_crypt_req {
	__u32 request_id;	/* echoed in the reply; never 0 */
	__u32 op;		/* enum takakrypt_crypt_op */
	__u32 pid;		/* task that caused it; 0 for writeback */
	__u32 uid;		/* its fsuid; 0 for writeback */
	__u64 inode;		/* lower inode number */
	__u64 first_unit;	/* index of the first data unit */
	__u32 length;		/* see above */
	__u32 reserved;		/* 0 */
} __attribute__((packed));

/* CRYPT_REPLY fixed part (agent -> kernel), from the registered port only. */
struct takakrypt_crypt_reply {
	__u32 request_id;	/* from the request */
	__s32 status;		/* 0, or a negative errno: the operation fails */
	__u32 reason;		/* enum takakrypt_crypt_reason; 0 if status 0 */
	__u32 length;		/* bytes in the A_DATA units; 0 if none */
} __attribute__((packed));

#ifdef __cplusplus
#define TAKAKRYPT_STATIC_ASSERT(expr, msg) static_assert(expr, msg)
#else
#define TAKAKRYPT_STATIC_ASSERT(expr, msg) _Static_assert(expr, msg)
#endif
#define TAKAKRYPT_CHECK_SIZE(type, size) \
	TAKAKRYPT_STATIC_ASSERT(sizeof(struct type) == (size), \
				#type " size")
#define TAKAKRYPT_CHECK_OFF(type, field, off) \
	TAKAKRYPT_STATIC_ASSERT(__builtin_offsetof(struct type, field) == \
				(off), #type "." #field " offset")

TAKAKRYPT_CHECK_SIZE(takakrypt_register, 16);
TAKAKRYPT_CHECK_OFF(takakrypt_register, protocol_version, 0);
TAKAKRYPT_CHECK_OFF(takakrypt_register, agent_pid, 4);
TAKAKRYPT_CHECK_OFF(takakrypt_register, flags, 8);
TAKAKRYPT_CHECK_OFF(takakrypt_register, reserved, 12);

TAKAKRYPT_CHECK_SIZE(takakrypt_generation, 16);
TAKAKRYPT_CHECK_OFF(takakrypt_generation, generation, 0);
TAKAKRYPT_CHECK_OFF(takakrypt_generation, max_cache_ttl_ms, 8);
TAKAKRYPT_CHECK_OFF(takakrypt_generation, reserved, 12);

TAKAKRYPT_CHECK_SIZE(takakrypt_policy_req, 48);
TAKAKRYPT_CHECK_OFF(takakrypt_policy_req, request_id, 0);
TAKAKRYPT_CHECK_OFF(takakrypt_policy_req, pid, 4);
TAKAKRYPT_CHECK_OFF(takakrypt_policy_req, uid, 8);
TAKAKRYPT_CHECK_OFF(takakrypt_policy_req, gid, 12);
TAKAKRYPT_CHECK_OFF(takakrypt_policy_req, action, 16);
TAKAKRYPT_CHECK_OFF(takakrypt_policy_req, flags, 20);
TAKAKRYPT_CHECK_OFF(takakrypt_policy_req, ngroups, 24);
TAKAKRYPT_CHECK_OFF(takakrypt_policy_req, reserved, 28);
TAKAKRYPT_CHECK_OFF(takakrypt_policy_req, inode, 32);
TAKAKRYPT_CHECK_OFF(takakrypt_policy_req, generation, 40);

TAKAKRYPT_CHECK_SIZE(takakrypt_policy_reply, 16);
TAKAKRYPT_CHECK_OFF(takakrypt_policy_reply, request_id, 0);
TAKAKRYPT_CHECK_OFF(takakrypt_policy_reply, verdict, 4);
TAKAKRYPT_CHECK_OFF(takakrypt_policy_reply, flags, 8);
TAKAKRYPT_CHECK_OFF(takakrypt_policy_reply, cache_ttl_ms, 12);

TAKAKRYPT_CHECK_SIZE(takakrypt_crypt_req, 40);
TAKAKRYPT_CHECK_OFF(takakrypt_crypt_req, request_id, 0);
TAKAKRYPT_CHECK_OFF(takakrypt_crypt_req, op, 4);
TAKAKRYPT_CHECK_OFF(takakrypt_crypt_req, pid, 8);
TAKAKRYPT_CHECK_OFF(takakrypt_crypt_req, uid, 12);
TAKAKRYPT_CHECK_OFF(takakrypt_crypt_req, inode, 16);
TAKAKRYPT_CHECK_OFF(takakrypt_crypt_req, first_unit, 24);
TAKAKRYPT_CHECK_OFF(takakrypt_crypt_req, length, 32);
TAKAKRYPT_CHECK_OFF(takakrypt_crypt_req, reserved, 36);

TAKAKRYPT_CHECK_SIZE(takakrypt_crypt_reply, 16);
TAKAKRYPT_CHECK_OFF(takakrypt_crypt_reply, request_id, 0);
TAKAKRYPT_CHECK_OFF(takakrypt_crypt_reply, status, 4);
TAKAKRYPT_CHECK_OFF(takakrypt_crypt_reply, reason, 8);
TAKAKRYPT_CHECK_OFF(takakrypt_crypt_reply, length, 12);

#undef TAKAKRYPT_CHECK_OFF
#undef TAKAKRYPT_CHECK_SIZE
#undef TAKAKRYPT_STATIC_ASSERT

#endif /* _UAPI_TAKAKRYPT_H */
