/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Counters and /proc/takakrypt/{status,guard_points}.
 */
#ifndef _TAKAKRYPT_PROC_H
#define _TAKAKRYPT_PROC_H

#include <linux/atomic.h>
#include <linux/types.h>

struct takakrypt_sb_info;

/* struct takakrypt_stats - module-wide counters, shown in status. */
struct takakrypt_stats {
	atomic64_t requests;	/* requests sent to the agent */
	atomic64_t permits;	/* decisions that permitted, any source */
	atomic64_t denies;	/* decisions that denied, any source */
	atomic64_t timeouts;	/* requests the agent did not answer in time */
	atomic64_t cache_hits;	/* decisions served by the cache */
	atomic64_t no_agent;	/* denied because no agent was registered */
	atomic64_t errors;	/* send failures, agent lost, bad requests */
	atomic64_t answered;	/* replies received, for the mean latency */
	atomic64_t latency_sum_us;
	atomic64_t latency_max_us;
	atomic64_t crypt_requests;	/* crypt requests sent to the agent */
	atomic64_t crypt_failures;	/* crypt requests that failed, any way */
	atomic64_t crypt_answered;	/* crypt replies received */
	atomic64_t crypt_latency_sum_us;	/* of answered crypt requests */
	atomic64_t crypt_units;		/* data units sent for transform */
	atomic64_t zero_runs;		/* all-zero runs done without the agent */
	atomic64_t spare_headers_used;	/* new files given a spare header */
	atomic64_t direct_runs;		/* runs the lower fs took as direct I/O */
	atomic64_t direct_reads;	/* lower reads done as direct I/O */
};

/* struct takakrypt_gp_stats - per guard point counters. */
struct takakrypt_gp_stats {
	atomic64_t requests;
	atomic64_t permits;
	atomic64_t denies;
	atomic64_t cache_hits;
};

extern struct takakrypt_stats takakrypt_stats;

int takakrypt_proc_init(void);
void takakrypt_proc_exit(void);
void takakrypt_proc_add_gp(struct takakrypt_sb_info *sbi);
void takakrypt_proc_del_gp(struct takakrypt_sb_info *sbi);
void takakrypt_stats_latency(u64 us);

#endif /* _TAKAKRYPT_PROC_H */
