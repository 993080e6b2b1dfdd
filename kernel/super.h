/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * A mounted guard point (one takakryptfs super_block).
 */
#ifndef _TAKAKRYPT_SUPER_H
#define _TAKAKRYPT_SUPER_H

#include <linux/fs.h>
#include <linux/path.h>
#include <linux/list.h>
#include <linux/cred.h>
#include <linux/workqueue.h>
#include <linux/wait.h>
#include <linux/atomic.h>
#include <linux/spinlock.h>

#include <takakrypt.h>

#include "proc.h"

/*
 * struct takakrypt_spare_pool - spare headers kept for the guard point's
 * new files (data.c), oldest first, each until @expires (jiffies), all
 * valid while @epoch is takakrypt_header_epoch().
 */
struct takakrypt_spare_pool {
	spinlock_t lock;
	u64 epoch;
	unsigned int n;
	struct {
		u8 *bytes;
		unsigned long expires;
	} hdr[TAKAKRYPT_MAX_SPARE_HEADERS];
};

/*
 * struct takakrypt_sb_info - one guard point. Set up at mount, constant
 * until unmount except for the counters.
 */
struct takakrypt_sb_info {
	struct path lower_path;		/* the guard point directory below */
	const struct cred *mounter_cred; /* for I/O on lower files */
	char *gp_path;			/* absolute path, sent in requests */
	char *policy;			/* policy= mount option */
	time64_t mounted_at;		/* real time, seconds */
	struct list_head gp_node;	/* on the /proc guard point list */
	struct takakrypt_gp_stats stats;
	/* Writeback runs sent to the agent, ended in send order (aops.c). */
	struct workqueue_struct *wb_wq;
	struct workqueue_struct *ra_wq;	/* the same for readahead */
	atomic_t wb_inflight;
	wait_queue_head_t wb_wait;
	/* Files evicted at unmount with data no agent stored (dropped). */
	atomic_t dropped;
	struct takakrypt_spare_pool spares;
};

static inline struct takakrypt_sb_info *takakrypt_sb(struct super_block *sb)
{
	return sb->s_fs_info;
}

int takakrypt_fs_register(void);
void takakrypt_fs_unregister(void);

#endif /* _TAKAKRYPT_SUPER_H */
