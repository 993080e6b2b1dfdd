/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The TAKAKRYPT generic netlink family: the registered agent and
 * the requests waiting for its replies.
 */
#ifndef _TAKAKRYPT_GENL_H
#define _TAKAKRYPT_GENL_H

#include <linux/types.h>
#include <linux/time64.h>
#include <linux/ktime.h>

#include <takakrypt.h>

/* struct takakrypt_agent_info - a snapshot of the agent, for /proc. */
struct takakrypt_agent_info {
	bool registered;
	pid_t pid;		/* thread group id of the registering task */
	u32 portid;
	time64_t since;		/* real time of registration, seconds */
	u64 generation;
	u32 max_cache_ttl_ms;
};

/*
 * struct takakrypt_query - one request as the decision code builds it.
 * The strings are owned by the caller.
 */
struct takakrypt_query {
	struct takakrypt_policy_req req;	/* request_id is set by send */
	const u32 *groups;			/* req.ngroups entries */
	const char *exe_path;
	const char *gp_path;
	const char *path;
	const char *policy;
};

/* struct takakrypt_answer - the outcome of takakrypt_genl_ask(). */
struct takakrypt_answer {
	struct takakrypt_policy_reply reply;
	u64 generation;		/* generation the request was sent under */
	u32 max_cache_ttl_ms;	/* cap in force when the reply arrived */
	bool cacheable;		/* generation unchanged since sending */
};

/*
 * struct takakrypt_spare_headers - the spare headers of a NEW_HEADER
 * reply: @n buffers of TAKAKRYPT_FILE_HEADER_SIZE bytes, allocated by the
 * reply's receiver, owned (and freed) by the caller from then on.
 */
struct takakrypt_spare_headers {
	u8 *bytes[TAKAKRYPT_MAX_SPARE_HEADERS];
	unsigned int n;
};

/*
 * struct takakrypt_crypt_msg - one crypt request and where its reply goes.
 * Strings and buffers are owned by the caller; NULL strings are omitted.
 * For ENCRYPT and DECRYPT, req.length bytes of data units come from
 * @pages (one page per unit) or else from @data, and the reply's units
 * are copied to @out, which may be @data itself. For NEW_HEADER the new
 * header (TAKAKRYPT_FILE_HEADER_SIZE bytes) is copied to @out, and the
 * reply's spare headers to @spares when it is set.
 */
struct takakrypt_crypt_msg {
	struct takakrypt_crypt_req req;	/* request_id is set by send */
	const u8 *header;		/* A_FILE_HEADER, or NULL */
	const char *gp_path;
	const char *path;
	const char *policy;
	struct page **pages;
	const u8 *data;
	u8 *out;
	struct takakrypt_spare_headers *spares;
};

/*
 * struct takakrypt_crypt_call - a crypt request in flight, from
 * takakrypt_crypt_start() to takakrypt_crypt_finish(). The waiting state
 * is genl.c's own; it lives here so that callers need not allocate it.
 */
struct takakrypt_crypt_call {
	u64 pending[16];
	ktime_t start;
	unsigned long deadline;		/* jiffies: timeout_ms after sending */
	int id;
};

int takakrypt_genl_init(void);
void takakrypt_genl_exit(void);
void takakrypt_agent_snapshot(struct takakrypt_agent_info *info);
int takakrypt_genl_ask(struct takakrypt_query *query,
		       struct takakrypt_answer *answer);
int takakrypt_genl_crypt(struct takakrypt_crypt_msg *msg,
			 struct takakrypt_crypt_reply *reply);
int takakrypt_crypt_start(struct takakrypt_crypt_call *call,
			  struct takakrypt_crypt_msg *msg);
int takakrypt_crypt_finish(struct takakrypt_crypt_call *call,
			   struct takakrypt_crypt_reply *reply);
bool takakrypt_agent_present(void);
u64 takakrypt_header_epoch(void);
bool takakrypt_agent_wait(void);

#endif /* _TAKAKRYPT_GENL_H */
