// SPDX-License-Identifier: GPL-2.0-only
/*
 * The TAKAKRYPT generic netlink family.
 *
 * One agent at a time registers (CAP_SYS_ADMIN). Requests are unicast to
 * its port and wait, killably and for at most timeout_ms, for a reply that
 * only that port may send. When the agent unregisters or its socket closes
 * (NETLINK_URELEASE), every waiting request fails at once and the decision
 * cache is flushed, so nothing decided by a gone agent outlives it.
 *
 * Crypt replies carry data: the reply handler claims the request under
 * tk_lock, copies the data into the waiter's buffer outside it, and only
 * then completes; a waiter that gives up meanwhile waits for that copy.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/idr.h>
#include <linux/spinlock.h>
#include <linux/completion.h>
#include <linux/netlink.h>
#include <linux/notifier.h>
#include <linux/sched.h>
#include <linux/timekeeping.h>
#include <linux/capability.h>
#include <linux/build_bug.h>
#include <linux/highmem.h>
#include <linux/delay.h>
#include <linux/jiffies.h>
#include <net/genetlink.h>
#include <net/net_namespace.h>

#include <takakrypt.h>

#include "main.h"
#include "genl.h"
#include "cache.h"
#include "proc.h"

/* A request waiting for its reply; lives with the asking task. */
struct tk_pending {
	struct completion done;
	bool answered;			/* under tk_lock: first outcome wins */
	int status;			/* 0: reply valid; <0: agent lost */
	struct takakrypt_policy_reply reply;
	u64 generation;			/* generation when the reply came */
	u32 max_cache_ttl_ms;
	struct takakrypt_crypt_msg *crypt;	/* NULL: a policy request */
	struct takakrypt_crypt_reply crypt_reply;
};
static_assert(sizeof(struct tk_pending) <= sizeof_field(struct takakrypt_crypt_call, pending));

/* tk_lock guards tk_agent and tk_pending together, so that a request is
 * either registered before the agent is lost (and then failed by it) or
 * refused because no agent is registered.
 */
static DEFINE_SPINLOCK(tk_lock);
static DEFINE_IDR(tk_pending);
static struct {
	bool registered;
	u32 portid;
	pid_t pid;
	time64_t since;
	u64 generation;
	u32 max_cache_ttl_ms;
} tk_agent = { .max_cache_ttl_ms = TAKAKRYPT_MAX_CACHE_TTL_MS };

static struct genl_family tk_family;

/* Crypt requests made while no agent is registered wait here for one. */
static DECLARE_WAIT_QUEUE_HEAD(tk_agent_wq);

/* Must hold tk_lock. */
static bool tk_is_agent(const struct genl_info *info)
{
	return tk_agent.registered && tk_agent.portid == info->snd_portid;
}

/*
 * Bumped whenever spare headers may no longer be handed out: at every
 * REGISTER, UNREGISTER, SET_GENERATION and agent loss.
 */
static atomic64_t tk_header_epoch = ATOMIC64_INIT(0);

/**
 * takakrypt_header_epoch() - the current spare header epoch. Spare headers
 * of a request sent under one epoch are kept while it is still current.
 */
u64 takakrypt_header_epoch(void)
{
	return atomic64_read(&tk_header_epoch);
}

/* Must hold tk_lock. Fails every waiting request and forgets the agent. */
static void tk_agent_lost_locked(void)
{
	struct tk_pending *p;
	int id;

	atomic64_inc(&tk_header_epoch);
	tk_agent.registered = false;
	tk_agent.portid = 0;
	tk_agent.pid = 0;
	idr_for_each_entry(&tk_pending, p, id) {
		if (p->answered)
			continue;
		p->answered = true;
		p->status = -ECONNRESET;
		complete(&p->done);
	}
}

static int tk_pre_doit(const struct genl_ops *ops, struct sk_buff *skb,
		       struct genl_info *info)
{
	int ret = 0;

	/* GENL_ADMIN_PERM only asks for CAP_NET_ADMIN; the agent decides who
	 * reads plaintext, so it must hold CAP_SYS_ADMIN as well.
	 */
	if (!netlink_capable(skb, CAP_SYS_ADMIN)) {
		NL_SET_ERR_MSG(info->extack, "CAP_SYS_ADMIN is required");
		ret = -EPERM;
	}
	return ret;
}

static int tk_register(struct sk_buff *skb, struct genl_info *info)
{
	struct nlattr *attr = info->attrs[TAKAKRYPT_A_REGISTER];
	struct takakrypt_register reg;
	int ret = -EINVAL;

	if (GENL_REQ_ATTR_CHECK(info, TAKAKRYPT_A_REGISTER)) {
		NL_SET_ERR_MSG(info->extack, "register attribute missing");
		goto out;
	}
	memcpy(&reg, nla_data(attr), sizeof(reg));
	if (reg.protocol_version != TAKAKRYPT_PROTOCOL_VERSION) {
		NL_SET_ERR_MSG_ATTR(info->extack, attr,
				    "unsupported protocol version");
		ret = -EPROTONOSUPPORT;
		goto out;
	}
	if (reg.flags || reg.reserved) {
		NL_SET_ERR_MSG_ATTR(info->extack, attr,
				    "flags and reserved must be zero");
		ret = -EOPNOTSUPP;
		goto out;
	}

	spin_lock(&tk_lock);
	if (tk_agent.registered && !tk_is_agent(info)) {
		NL_SET_ERR_MSG(info->extack, "another agent is registered");
		ret = -EBUSY;
	} else {
		/* A new agent starts from a clean slate: what the previous one
		 * set (its generation, its cache cap) does not carry over.
		 */
		if (!tk_agent.registered) {
			tk_agent.generation = 0;
			tk_agent.max_cache_ttl_ms = TAKAKRYPT_MAX_CACHE_TTL_MS;
		}
		atomic64_inc(&tk_header_epoch);
		tk_agent.registered = true;
		tk_agent.portid = info->snd_portid;
		tk_agent.pid = task_tgid_nr(current);
		tk_agent.since = ktime_get_real_seconds();
		ret = 0;
	}
	spin_unlock(&tk_lock);

	if (!ret) {
		takakrypt_cache_flush();
		wake_up_all(&tk_agent_wq);
		pr_debug("agent registered: pid %d port %u\n",
			 task_tgid_nr(current), info->snd_portid);
	}
out:
	return ret;
}

static int tk_unregister(struct sk_buff *skb, struct genl_info *info)
{
	int ret = 0;

	spin_lock(&tk_lock);
	if (tk_is_agent(info))
		tk_agent_lost_locked();
	else
		ret = -EPERM;
	spin_unlock(&tk_lock);

	if (ret)
		NL_SET_ERR_MSG(info->extack,
			       "sender is not the registered agent");
	else
		takakrypt_cache_flush();
	return ret;
}

static int tk_set_generation(struct sk_buff *skb, struct genl_info *info)
{
	struct nlattr *attr = info->attrs[TAKAKRYPT_A_GENERATION];
	struct takakrypt_generation gen;
	int ret = -EINVAL;

	if (GENL_REQ_ATTR_CHECK(info, TAKAKRYPT_A_GENERATION)) {
		NL_SET_ERR_MSG(info->extack, "generation attribute missing");
		goto out;
	}
	memcpy(&gen, nla_data(attr), sizeof(gen));
	if (gen.reserved) {
		NL_SET_ERR_MSG_ATTR(info->extack, attr,
				    "reserved must be zero");
		goto out;
	}
	if (gen.max_cache_ttl_ms > TAKAKRYPT_MAX_CACHE_TTL_MS) {
		NL_SET_ERR_MSG_ATTR(info->extack, attr,
				    "max_cache_ttl_ms above TAKAKRYPT_MAX_CACHE_TTL_MS");
		ret = -ERANGE;
		goto out;
	}

	spin_lock(&tk_lock);
	if (tk_is_agent(info)) {
		atomic64_inc(&tk_header_epoch);
		tk_agent.generation = gen.generation;
		tk_agent.max_cache_ttl_ms = gen.max_cache_ttl_ms;
		ret = 0;
	} else {
		NL_SET_ERR_MSG(info->extack,
			       "sender is not the registered agent");
		ret = -EPERM;
	}
	spin_unlock(&tk_lock);

	if (!ret)
		takakrypt_cache_flush();
out:
	return ret;
}

static int tk_check_reply(const struct takakrypt_policy_reply *r,
			  struct nlattr *attr, struct genl_info *info)
{
	int ret = 0;

	if (!r->request_id) {
		NL_SET_ERR_MSG_ATTR(info->extack, attr, "request_id is zero");
		ret = -EINVAL;
	} else if (r->verdict > TAKAKRYPT_VERDICT_PERMIT) {
		NL_SET_ERR_MSG_ATTR(info->extack, attr, "unknown verdict");
		ret = -EINVAL;
	} else if (r->flags & ~TAKAKRYPT_REPLY_F_ALL) {
		NL_SET_ERR_MSG_ATTR(info->extack, attr,
				    "unknown reply flag bits");
		ret = -EOPNOTSUPP;
	} else if (r->cache_ttl_ms > TAKAKRYPT_MAX_CACHE_TTL_MS) {
		NL_SET_ERR_MSG_ATTR(info->extack, attr,
				    "cache_ttl_ms above TAKAKRYPT_MAX_CACHE_TTL_MS");
		ret = -ERANGE;
	}
	return ret;
}

/*
 * Must hold tk_lock. Finds the waiting request a reply answers and claims
 * it (first outcome wins): only from the registered agent, only a request
 * of the reply's kind, only once. Return: the request, or NULL with *err
 * set and the reason in the extended ack.
 */
static struct tk_pending *tk_claim_locked(struct genl_info *info,
					  struct nlattr *attr, u32 id,
					  bool crypt, int *err)
{
	struct tk_pending *p = NULL;

	if (!tk_is_agent(info)) {
		NL_SET_ERR_MSG(info->extack,
			       "sender is not the registered agent");
		*err = -EPERM;
		return NULL;
	}
	if (id <= INT_MAX)
		p = idr_find(&tk_pending, id);
	if (!p || p->answered || !p->crypt != !crypt) {
		NL_SET_ERR_MSG_ATTR(info->extack, attr,
				    "unknown or expired request_id");
		*err = -ENOENT;
		return NULL;
	}
	p->answered = true;
	return p;
}

static int tk_policy_reply(struct sk_buff *skb, struct genl_info *info)
{
	struct nlattr *attr = info->attrs[TAKAKRYPT_A_POLICY_REPLY];
	struct takakrypt_policy_reply r;
	struct tk_pending *p;
	int ret = -EINVAL;

	if (GENL_REQ_ATTR_CHECK(info, TAKAKRYPT_A_POLICY_REPLY)) {
		NL_SET_ERR_MSG(info->extack, "policy_reply attribute missing");
		goto out;
	}
	memcpy(&r, nla_data(attr), sizeof(r));
	ret = tk_check_reply(&r, attr, info);
	if (ret)
		goto out;

	spin_lock(&tk_lock);
	p = tk_claim_locked(info, attr, r.request_id, false, &ret);
	if (p) {
		p->reply = r;
		p->generation = tk_agent.generation;
		p->max_cache_ttl_ms = tk_agent.max_cache_ttl_ms;
		p->status = 0;
		complete(&p->done);
	}
	spin_unlock(&tk_lock);
out:
	if (ret)
		atomic64_inc(&takakrypt_stats.errors);
	return ret;
}

static int tk_kernel_only(struct sk_buff *skb, struct genl_info *info)
{
	NL_SET_ERR_MSG(info->extack, "CRYPT_REQ is sent by the kernel only");
	return -EOPNOTSUPP;
}

/* Length of data unit @i of a run of @length bytes. */
static u32 tk_unit_len(u32 length, u32 i)
{
	return min_t(u32, length - i * TAKAKRYPT_DATA_UNIT_SIZE,
		     TAKAKRYPT_DATA_UNIT_SIZE);
}

/*
 * Copies the headers of a NEW_HEADER reply: the first to @m->out, the
 * spares after it to fresh buffers in @m->spares. A spare that finds no
 * memory at once is left out: spares only spare round trips. The policy
 * has checked each header's length.
 */
static int tk_copy_headers(struct genl_info *info, struct takakrypt_crypt_msg *m)
{
	struct takakrypt_spare_headers *sp = m->spares;
	unsigned int headers = 0;
	struct nlattr *a;
	u8 *buf;
	int rem;

	nla_for_each_attr(a, genlmsg_data(info->genlhdr),
			  genlmsg_len(info->genlhdr), rem) {
		if (nla_type(a) != TAKAKRYPT_A_FILE_HEADER)
			continue;
		if (headers > TAKAKRYPT_MAX_SPARE_HEADERS) {
			NL_SET_ERR_MSG_ATTR(info->extack, a,
					    "more spare headers than TAKAKRYPT_MAX_SPARE_HEADERS in the NEW_HEADER reply");
			return -EINVAL;
		}
		if (!headers) {
			memcpy(m->out, nla_data(a), TAKAKRYPT_FILE_HEADER_SIZE);
		} else if (sp) {
			/* The agent's own send path: never reclaim from it. */
			buf = kmalloc(TAKAKRYPT_FILE_HEADER_SIZE,
				      GFP_NOWAIT | __GFP_NOWARN);
			if (buf) {
				memcpy(buf, nla_data(a),
				       TAKAKRYPT_FILE_HEADER_SIZE);
				sp->bytes[sp->n++] = buf;
			}
		}
		headers++;
	}
	if (!headers) {
		NL_SET_ERR_MSG(info->extack,
			       "expected file_header in the NEW_HEADER reply");
		return -EINVAL;
	}
	return 0;
}

/*
 * Copies the data of a successful crypt reply to @m->out: the new header
 * for NEW_HEADER, else exactly the units the request sent, in order and
 * with the same lengths.
 */
static int tk_crypt_copy(struct genl_info *info,
			 const struct takakrypt_crypt_reply *r,
			 struct takakrypt_crypt_msg *m)
{
	u32 length = m->req.length, units, i = 0;
	struct nlattr *a;
	int rem;

	if (m->req.op == TAKAKRYPT_CRYPT_NEW_HEADER)
		return tk_copy_headers(info, m);
	if (m->req.op == TAKAKRYPT_CRYPT_OPEN_HEADER)
		return 0;

	if (r->length != length) {
		NL_SET_ERR_MSG(info->extack,
			       "reply length differs from the request's");
		return -EINVAL;
	}
	units = DIV_ROUND_UP(length, TAKAKRYPT_DATA_UNIT_SIZE);
	nla_for_each_attr(a, genlmsg_data(info->genlhdr),
			  genlmsg_len(info->genlhdr), rem) {
		if (nla_type(a) != TAKAKRYPT_A_DATA)
			continue;
		if (i >= units || nla_len(a) != tk_unit_len(length, i)) {
			NL_SET_ERR_MSG_ATTR(info->extack, a,
					    "data unit count or length differs from the request's");
			return -EINVAL;
		}
		memcpy(m->out + i * TAKAKRYPT_DATA_UNIT_SIZE, nla_data(a),
		       nla_len(a));
		i++;
	}
	if (i != units) {
		NL_SET_ERR_MSG(info->extack,
			       "fewer data units than the request sent");
		return -EINVAL;
	}
	return 0;
}

static int tk_check_crypt_reply(const struct takakrypt_crypt_reply *r,
				struct nlattr *attr, struct genl_info *info)
{
	int ret = -EINVAL;

	if (!r->request_id)
		NL_SET_ERR_MSG_ATTR(info->extack, attr, "request_id is zero");
	else if (r->status > 0 || r->status < -MAX_ERRNO)
		NL_SET_ERR_MSG_ATTR(info->extack, attr,
				    "status is neither 0 nor a negative errno");
	else if (r->reason > TAKAKRYPT_CRYPT_R_INTERNAL)
		NL_SET_ERR_MSG_ATTR(info->extack, attr, "unknown reason");
	else if (!r->status && r->reason)
		NL_SET_ERR_MSG_ATTR(info->extack, attr,
				    "a reason without a failure status");
	else
		ret = 0;
	return ret;
}

static int tk_crypt_reply(struct sk_buff *skb, struct genl_info *info)
{
	struct nlattr *attr = info->attrs[TAKAKRYPT_A_CRYPT_REPLY];
	struct takakrypt_crypt_reply r;
	struct tk_pending *p = NULL;
	int ret = -EINVAL;

	if (GENL_REQ_ATTR_CHECK(info, TAKAKRYPT_A_CRYPT_REPLY)) {
		NL_SET_ERR_MSG(info->extack, "crypt_reply attribute missing");
		goto out;
	}
	memcpy(&r, nla_data(attr), sizeof(r));
	ret = tk_check_crypt_reply(&r, attr, info);
	if (ret)
		goto out;

	/* Claimed: the waiter now waits for the copy. */
	spin_lock(&tk_lock);
	p = tk_claim_locked(info, attr, r.request_id, true, &ret);
	spin_unlock(&tk_lock);
	if (!p)
		goto out;

	ret = r.status ? 0 : tk_crypt_copy(info, &r, p->crypt);
	p->crypt_reply = r;
	p->status = ret ? -EPROTO : 0;
	complete(&p->done);
out:
	if (ret)
		atomic64_inc(&takakrypt_stats.errors);
	return ret;
}

static const struct nla_policy tk_policy[TAKAKRYPT_A_MAX + 1] = {
	[TAKAKRYPT_A_REGISTER] =
		NLA_POLICY_EXACT_LEN(sizeof(struct takakrypt_register)),
	[TAKAKRYPT_A_GENERATION] =
		NLA_POLICY_EXACT_LEN(sizeof(struct takakrypt_generation)),
	[TAKAKRYPT_A_POLICY_REQ] = { .type = NLA_REJECT,
		.reject_message = "policy_req is sent by the kernel only" },
	[TAKAKRYPT_A_GROUPS] = { .type = NLA_REJECT,
		.reject_message = "groups are sent by the kernel only" },
	[TAKAKRYPT_A_EXE_PATH] = { .type = NLA_REJECT,
		.reject_message = "exe_path is sent by the kernel only" },
	[TAKAKRYPT_A_GUARD_POINT] = { .type = NLA_REJECT,
		.reject_message = "guard_point is sent by the kernel only" },
	[TAKAKRYPT_A_PATH] = { .type = NLA_REJECT,
		.reject_message = "path is sent by the kernel only" },
	[TAKAKRYPT_A_POLICY_NAME] = { .type = NLA_REJECT,
		.reject_message = "policy_name is sent by the kernel only" },
	[TAKAKRYPT_A_POLICY_REPLY] =
		NLA_POLICY_EXACT_LEN(sizeof(struct takakrypt_policy_reply)),
	[TAKAKRYPT_A_CRYPT_REQ] = { .type = NLA_REJECT,
		.reject_message = "crypt_req is sent by the kernel only" },
	[TAKAKRYPT_A_CRYPT_REPLY] =
		NLA_POLICY_EXACT_LEN(sizeof(struct takakrypt_crypt_reply)),
	[TAKAKRYPT_A_DATA] = { .type = NLA_BINARY,
		.len = TAKAKRYPT_DATA_UNIT_SIZE },
	[TAKAKRYPT_A_FILE_HEADER] =
		NLA_POLICY_EXACT_LEN(TAKAKRYPT_FILE_HEADER_SIZE),
};

static const struct genl_small_ops tk_ops[] = {
	{
		.cmd = TAKAKRYPT_CMD_REGISTER,
		.flags = GENL_ADMIN_PERM,
		.doit = tk_register,
	},
	{
		.cmd = TAKAKRYPT_CMD_UNREGISTER,
		.flags = GENL_ADMIN_PERM,
		.doit = tk_unregister,
	},
	{
		.cmd = TAKAKRYPT_CMD_SET_GENERATION,
		.flags = GENL_ADMIN_PERM,
		.doit = tk_set_generation,
	},
	{
		.cmd = TAKAKRYPT_CMD_POLICY_REPLY,
		.flags = GENL_ADMIN_PERM,
		.doit = tk_policy_reply,
	},
	{
		.cmd = TAKAKRYPT_CMD_CRYPT_REQ,
		.flags = GENL_ADMIN_PERM,
		.doit = tk_kernel_only,
	},
	{
		.cmd = TAKAKRYPT_CMD_CRYPT_REPLY,
		.flags = GENL_ADMIN_PERM,
		.doit = tk_crypt_reply,
	},
};

static struct genl_family tk_family = {
	.name = TAKAKRYPT_GENL_NAME,
	.version = TAKAKRYPT_GENL_VERSION,
	.maxattr = TAKAKRYPT_A_MAX,
	.policy = tk_policy,
	.netnsok = false,
	.pre_doit = tk_pre_doit,
	.module = THIS_MODULE,
	.small_ops = tk_ops,
	.n_small_ops = ARRAY_SIZE(tk_ops),
};

static int tk_netlink_event(struct notifier_block *nb, unsigned long event,
			    void *ptr)
{
	struct netlink_notify *n = ptr;
	bool lost = false;

	if (event != NETLINK_URELEASE || n->protocol != NETLINK_GENERIC ||
	    !net_eq(n->net, &init_net))
		goto out;

	spin_lock(&tk_lock);
	if (tk_agent.registered && tk_agent.portid == n->portid) {
		tk_agent_lost_locked();
		lost = true;
	}
	spin_unlock(&tk_lock);

	if (lost) {
		takakrypt_cache_flush();
		pr_warn_ratelimited("agent socket closed; failing closed\n");
	}
out:
	return NOTIFY_DONE;
}

static struct notifier_block tk_netlink_notifier = {
	.notifier_call = tk_netlink_event,
};

static size_t tk_string_size(const char *s)
{
	return nla_total_size(strlen(s) + 1);
}

static struct sk_buff *tk_build_request(const struct takakrypt_query *q)
{
	size_t groups_len = q->req.ngroups * sizeof(u32);
	struct sk_buff *skb;
	void *hdr;
	size_t size;

	size = nla_total_size(sizeof(q->req)) + nla_total_size(groups_len) +
	       tk_string_size(q->exe_path) + tk_string_size(q->gp_path) +
	       tk_string_size(q->path) + tk_string_size(q->policy);
	skb = genlmsg_new(size, GFP_KERNEL);
	if (!skb)
		goto out;
	hdr = genlmsg_put(skb, 0, 0, &tk_family, 0, TAKAKRYPT_CMD_POLICY_REQ);
	if (!hdr)
		goto fail;
	if (nla_put(skb, TAKAKRYPT_A_POLICY_REQ, sizeof(q->req), &q->req) ||
	    (groups_len &&
	     nla_put(skb, TAKAKRYPT_A_GROUPS, groups_len, q->groups)) ||
	    nla_put_string(skb, TAKAKRYPT_A_EXE_PATH, q->exe_path) ||
	    nla_put_string(skb, TAKAKRYPT_A_GUARD_POINT, q->gp_path) ||
	    nla_put_string(skb, TAKAKRYPT_A_PATH, q->path) ||
	    nla_put_string(skb, TAKAKRYPT_A_POLICY_NAME, q->policy))
		goto fail;
	genlmsg_end(skb, hdr);
	goto out;
fail:
	nlmsg_free(skb);
	skb = NULL;
out:
	return skb;
}

/* Registers @p under a fresh id if an agent is there; returns the id. */
static int tk_pending_add(struct tk_pending *p, u32 *portid, u64 *generation)
{
	int id = -ENOTCONN;

	idr_preload(GFP_KERNEL);
	spin_lock(&tk_lock);
	if (tk_agent.registered) {
		id = idr_alloc_cyclic(&tk_pending, p, 1, INT_MAX, GFP_NOWAIT);
		*portid = tk_agent.portid;
		*generation = tk_agent.generation;
	}
	spin_unlock(&tk_lock);
	idr_preload_end();
	return id;
}

/* Removes @p from the table; returns whether it was answered meanwhile. */
static bool tk_pending_remove(struct tk_pending *p, int id)
{
	bool answered;

	spin_lock(&tk_lock);
	idr_remove(&tk_pending, id);
	answered = p->answered;
	spin_unlock(&tk_lock);
	return answered;
}

/* Waits until @deadline (jiffies) at most, killably, for @p's outcome. */
static int tk_wait(struct tk_pending *p, int id, unsigned long deadline)
{
	unsigned long timeout = 1;
	long left;
	int ret;

	if (time_before(jiffies, deadline))
		timeout = deadline - jiffies;
	left = wait_for_completion_killable_timeout(&p->done, timeout);
	if (tk_pending_remove(p, id)) {
		/* Answered while timing out: a crypt reply may still be
		 * copying into our buffer; its completion is still owed.
		 */
		if (left <= 0)
			wait_for_completion(&p->done);
		ret = p->status;
	}
	else if (left < 0)
		ret = -EINTR;
	else
		ret = -ETIMEDOUT;
	return ret;
}

/**
 * takakrypt_genl_ask() - send a policy request and wait for the reply.
 * @query: the request; its request_id and generation are filled in here
 * @answer: the reply and whether it may be cached
 *
 * Context: process context, may sleep; the wait is killable.
 * Return: 0 with @answer filled, -ENOTCONN with no agent, -ETIMEDOUT,
 * -ECONNRESET when the agent went away, -EINTR when killed, or the error of
 * building or sending the message.
 */
int takakrypt_genl_ask(struct takakrypt_query *query,
		       struct takakrypt_answer *answer)
{
	struct tk_pending p = { .answered = false };
	struct sk_buff *skb;
	u64 generation = 0;
	ktime_t start;
	u32 portid = 0;
	int id, ret;

	init_completion(&p.done);
	id = tk_pending_add(&p, &portid, &generation);
	if (id < 0) {
		ret = id;
		goto out;
	}
	query->req.request_id = id;
	query->req.generation = generation;

	skb = tk_build_request(query);
	if (!skb) {
		tk_pending_remove(&p, id);
		ret = -ENOMEM;
		goto out;
	}

	start = ktime_get();
	atomic64_inc(&takakrypt_stats.requests);
	ret = genlmsg_unicast(&init_net, skb, portid);
	if (ret) {
		tk_pending_remove(&p, id);
		goto out;
	}

	ret = tk_wait(&p, id, jiffies +
		      msecs_to_jiffies(READ_ONCE(takakrypt_timeout_ms)));
	if (ret)
		goto out;
	takakrypt_stats_latency(ktime_us_delta(ktime_get(), start));
	answer->reply = p.reply;
	answer->generation = generation;
	answer->max_cache_ttl_ms = p.max_cache_ttl_ms;
	answer->cacheable = p.generation == generation;
out:
	return ret;
}

static size_t tk_crypt_size(const struct takakrypt_crypt_msg *m)
{
	size_t size = nla_total_size(sizeof(m->req));
	u32 units = DIV_ROUND_UP(m->req.length, TAKAKRYPT_DATA_UNIT_SIZE);

	if (m->header)
		size += nla_total_size(TAKAKRYPT_FILE_HEADER_SIZE);
	if (m->gp_path)
		size += tk_string_size(m->gp_path);
	if (m->path)
		size += tk_string_size(m->path);
	if (m->policy)
		size += tk_string_size(m->policy);
	if (m->pages || m->data)
		size += units * nla_total_size(TAKAKRYPT_DATA_UNIT_SIZE);
	return size;
}

static int tk_put_string(struct sk_buff *skb, int type, const char *s)
{
	return s ? nla_put_string(skb, type, s) : 0;
}

/* Puts the request's data units, one A_DATA attribute each. */
static int tk_put_units(struct sk_buff *skb, const struct takakrypt_crypt_msg *m)
{
	u32 units = DIV_ROUND_UP(m->req.length, TAKAKRYPT_DATA_UNIT_SIZE);
	struct nlattr *a;
	u32 i, len;

	if (!m->pages && !m->data)
		return 0;
	for (i = 0; i < units; i++) {
		len = tk_unit_len(m->req.length, i);
		a = nla_reserve(skb, TAKAKRYPT_A_DATA, len);
		if (!a)
			return -EMSGSIZE;
		if (m->pages)
			memcpy_from_page(nla_data(a), m->pages[i], 0, len);
		else
			memcpy(nla_data(a), m->data +
			       i * TAKAKRYPT_DATA_UNIT_SIZE, len);
	}
	return 0;
}

static struct sk_buff *tk_build_crypt(const struct takakrypt_crypt_msg *m)
{
	struct sk_buff *skb;
	void *hdr;

	/* Writeback calls this: reclaim must not recurse into filesystems. */
	skb = genlmsg_new(tk_crypt_size(m), GFP_NOFS | __GFP_NOWARN);
	if (!skb)
		goto out;
	hdr = genlmsg_put(skb, 0, 0, &tk_family, 0, TAKAKRYPT_CMD_CRYPT_REQ);
	if (!hdr)
		goto fail;
	if (nla_put(skb, TAKAKRYPT_A_CRYPT_REQ, sizeof(m->req), &m->req) ||
	    (m->header && nla_put(skb, TAKAKRYPT_A_FILE_HEADER,
				  TAKAKRYPT_FILE_HEADER_SIZE, m->header)) ||
	    tk_put_string(skb, TAKAKRYPT_A_GUARD_POINT, m->gp_path) ||
	    tk_put_string(skb, TAKAKRYPT_A_PATH, m->path) ||
	    tk_put_string(skb, TAKAKRYPT_A_POLICY_NAME, m->policy) ||
	    tk_put_units(skb, m))
		goto fail;
	genlmsg_end(skb, hdr);
	goto out;
fail:
	nlmsg_free(skb);
	skb = NULL;
out:
	return skb;
}

/*
 * Sends a crypt request. A full agent socket is not a failure: the
 * message is built again and resent until the request's time is up.
 */
static int tk_send_crypt(struct tk_pending *p, const struct takakrypt_crypt_msg *m,
			 u32 portid)
{
	unsigned long deadline = jiffies +
		msecs_to_jiffies(READ_ONCE(takakrypt_timeout_ms));
	struct sk_buff *skb;
	int ret;

	for (;;) {
		skb = tk_build_crypt(m);
		if (!skb)
			return -ENOMEM;
		ret = genlmsg_unicast(&init_net, skb, portid);
		if (ret != -EAGAIN || READ_ONCE(p->answered) ||
		    time_after(jiffies, deadline) || fatal_signal_pending(current))
			return ret;
		usleep_range(1000, 2000);
	}
}

/**
 * takakrypt_crypt_start() - send a crypt request without waiting for it.
 * @call: where the request in flight is kept until takakrypt_crypt_finish()
 * @msg: the request; its request_id is filled in here. It and its buffers
 *	must stay until takakrypt_crypt_finish() returns.
 *
 * Every successful start must be finished, also when the caller gives up.
 * Several calls of one task may be in flight at once; the agent answers
 * them in any order.
 *
 * Context: process context, may sleep.
 * Return: 0 when sent, -ENOTCONN with no agent (after waiting up to
 * timeout_ms for one), -ENOMEM, or the error of sending.
 */
int takakrypt_crypt_start(struct takakrypt_crypt_call *call,
			  struct takakrypt_crypt_msg *msg)
{
	struct tk_pending *p = (struct tk_pending *)call->pending;
	u64 generation = 0;
	u32 portid = 0;
	int id, ret;

	memset(p, 0, sizeof(*p));
	p->crypt = msg;
	init_completion(&p->done);
	id = tk_pending_add(p, &portid, &generation);
	/*
	 * Between an agent's stop and the next one's start (a restart),
	 * data requests wait for it rather than fail: waiting exposes
	 * nothing, and open files keep working across the restart.
	 */
	if (id == -ENOTCONN && takakrypt_agent_wait())
		id = tk_pending_add(p, &portid, &generation);
	if (id < 0)
		return id;
	msg->req.request_id = id;
	call->id = id;
	call->start = ktime_get();
	call->deadline = jiffies +
		msecs_to_jiffies(READ_ONCE(takakrypt_timeout_ms));
	atomic64_inc(&takakrypt_stats.crypt_requests);
	ret = tk_send_crypt(p, msg, portid);
	if (ret)
		tk_pending_remove(p, id);
	return ret;
}

/**
 * takakrypt_crypt_finish() - wait for the reply of a started request.
 * @call: as filled by a successful takakrypt_crypt_start()
 * @reply: the reply's fixed part; its status says whether the agent did it
 *
 * Context: process context, may sleep; the wait is killable and ends
 * timeout_ms after the request was sent.
 * Return: 0 when a well-formed reply arrived (then check @reply->status),
 * -ETIMEDOUT, -ECONNRESET, -EINTR, or -EPROTO when the reply's data did
 * not match the request.
 */
int takakrypt_crypt_finish(struct takakrypt_crypt_call *call,
			   struct takakrypt_crypt_reply *reply)
{
	struct tk_pending *p = (struct tk_pending *)call->pending;
	int ret;

	ret = tk_wait(p, call->id, call->deadline);
	if (!ret) {
		atomic64_inc(&takakrypt_stats.crypt_answered);
		atomic64_add(ktime_us_delta(ktime_get(), call->start),
			     &takakrypt_stats.crypt_latency_sum_us);
		*reply = p->crypt_reply;
	} else if (ret == -ETIMEDOUT) {
		atomic64_inc(&takakrypt_stats.timeouts);
	}
	return ret;
}

/**
 * takakrypt_genl_crypt() - send a crypt request and wait for the reply.
 * @msg: the request; its request_id is filled in here
 * @reply: the reply's fixed part; its status says whether the agent did it
 *
 * Context: process context, may sleep; the wait is killable.
 * Return: as takakrypt_crypt_start(), then as takakrypt_crypt_finish().
 */
int takakrypt_genl_crypt(struct takakrypt_crypt_msg *msg,
			 struct takakrypt_crypt_reply *reply)
{
	struct takakrypt_crypt_call call;
	int ret;

	ret = takakrypt_crypt_start(&call, msg);
	if (!ret)
		ret = takakrypt_crypt_finish(&call, reply);
	return ret;
}

/**
 * takakrypt_agent_wait() - wait, killably and for at most timeout_ms, for
 * an agent to be registered.
 *
 * Return: whether one is.
 */
bool takakrypt_agent_wait(void)
{
	return wait_event_killable_timeout(tk_agent_wq, takakrypt_agent_present(),
					   msecs_to_jiffies(READ_ONCE(takakrypt_timeout_ms))) > 0;
}

/**
 * takakrypt_agent_present() - whether an agent is registered right now.
 */
bool takakrypt_agent_present(void)
{
	bool present;

	spin_lock(&tk_lock);
	present = tk_agent.registered;
	spin_unlock(&tk_lock);
	return present;
}

/**
 * takakrypt_agent_snapshot() - copy the agent's state for display.
 * @info: where to copy it
 */
void takakrypt_agent_snapshot(struct takakrypt_agent_info *info)
{
	spin_lock(&tk_lock);
	info->registered = tk_agent.registered;
	info->pid = tk_agent.pid;
	info->portid = tk_agent.portid;
	info->since = tk_agent.since;
	info->generation = tk_agent.generation;
	info->max_cache_ttl_ms = tk_agent.max_cache_ttl_ms;
	spin_unlock(&tk_lock);
}

/**
 * takakrypt_genl_init() - register the family and the socket notifier.
 *
 * Return: 0 or the error of genl_register_family().
 */
int takakrypt_genl_init(void)
{
	int ret;

	/* The wire layout, also pinned in the header for the addon. */
	BUILD_BUG_ON(sizeof(struct takakrypt_register) != 16);
	BUILD_BUG_ON(sizeof(struct takakrypt_generation) != 16);
	BUILD_BUG_ON(sizeof(struct takakrypt_policy_req) != 48);
	BUILD_BUG_ON(sizeof(struct takakrypt_policy_reply) != 16);
	BUILD_BUG_ON(sizeof(struct takakrypt_crypt_req) != 40);
	BUILD_BUG_ON(sizeof(struct takakrypt_crypt_reply) != 16);
	BUILD_BUG_ON(TAKAKRYPT_ACTION_COUNT != 20);

	ret = netlink_register_notifier(&tk_netlink_notifier);
	if (ret)
		goto out;
	ret = genl_register_family(&tk_family);
	if (ret)
		netlink_unregister_notifier(&tk_netlink_notifier);
out:
	return ret;
}

/**
 * takakrypt_genl_exit() - unregister the family; nothing can be waiting,
 * since no guard point is mounted when the module goes.
 */
void takakrypt_genl_exit(void)
{
	genl_unregister_family(&tk_family);
	netlink_unregister_notifier(&tk_netlink_notifier);
	spin_lock(&tk_lock);
	tk_agent_lost_locked();
	spin_unlock(&tk_lock);
	idr_destroy(&tk_pending);
}
