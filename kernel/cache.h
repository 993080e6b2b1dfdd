/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The bounded decision cache: what the agent decided for one
 * (guard point, inode, fsuid, fsgid, groups, executable, action).
 */
#ifndef _TAKAKRYPT_CACHE_H
#define _TAKAKRYPT_CACHE_H

#include <linux/types.h>

/*
 * struct takakrypt_cache_key - identity of a decision. Compared bytewise,
 * so it is always zero-filled before its fields are set.
 */
struct takakrypt_cache_key {
	u64 gp;			/* the guard point's super_block address */
	u64 ino;		/* inode number; 0: any object (see
				 * TAKAKRYPT_REPLY_F_ANY_OBJECT) */
	u64 exe_ino;		/* executable's inode number; 0 if none */
	s64 exe_ctime_sec;	/* executable's ctime: changes on rewrite */
	u32 exe_ctime_nsec;
	u32 exe_dev;		/* executable's device */
	u32 uid;		/* fsuid, initial user namespace */
	u32 gid;		/* fsgid, initial user namespace */
	u32 groups_hash;	/* hash of the supplementary groups */
	u32 action;		/* enum takakrypt_action */
};

/* struct takakrypt_decision - what the cache returns. */
struct takakrypt_decision {
	bool permit;
	bool applykey;
};

int takakrypt_cache_init(void);
void takakrypt_cache_exit(void);
bool takakrypt_cache_lookup(const struct takakrypt_cache_key *key,
			    struct takakrypt_decision *out);
void takakrypt_cache_insert(const struct takakrypt_cache_key *key,
			    const struct takakrypt_decision *decision,
			    unsigned int ttl_ms);
void takakrypt_cache_flush(void);
unsigned int takakrypt_cache_count(void);

#endif /* _TAKAKRYPT_CACHE_H */
