// SPDX-License-Identifier: GPL-2.0-only
/*
 * The enforcement point. Every intercepted operation calls
 * takakrypt_decide() with its fine-grained action; the answer comes from
 * the decision cache or from the agent. Anything short of an explicit
 * permit (no agent, timeout, agent lost, allocation failure, a path too
 * long to send) is a deny: the module fails closed.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/fs.h>
#include <linux/dcache.h>
#include <linux/file.h>
#include <linux/cred.h>
#include <linux/sched.h>
#include <linux/sched/mm.h>
#include <linux/mm_types.h>
#include <linux/jhash.h>
#include <linux/slab.h>
#include <linux/rcupdate.h>

#include <takakrypt.h>

#include "decide.h"
#include "cache.h"
#include "genl.h"
#include "proc.h"
#include "super.h"

/* The executable of the current task, as the kernel knows it; the same
 * read of mm->exe_file that get_task_exe_file() does, which modules cannot
 * call. NULL for kernel threads.
 */
static struct file *tk_exe_file(void)
{
	struct mm_struct *mm = current->mm;
	struct file *exe = NULL;

	if (!mm || (current->flags & PF_KTHREAD))
		goto out;
	rcu_read_lock();
	exe = rcu_dereference(mm->exe_file);
	if (exe && !get_file_rcu(exe))
		exe = NULL;
	rcu_read_unlock();
out:
	return exe;
}

static void tk_make_key(struct takakrypt_cache_key *key, struct dentry *dentry,
			struct file *exe, const struct cred *cred, u32 action)
{
	struct group_info *gi = cred->group_info;
	struct inode *inode = d_inode(dentry);

	memset(key, 0, sizeof(*key));
	key->gp = (unsigned long)dentry->d_sb;
	key->ino = inode ? inode->i_ino : 0;
	if (exe) {
		struct inode *xi = file_inode(exe);

		key->exe_ino = xi->i_ino;
		key->exe_dev = xi->i_sb->s_dev;
		key->exe_ctime_sec = xi->i_ctime.tv_sec;
		key->exe_ctime_nsec = xi->i_ctime.tv_nsec;
	}
	key->uid = from_kuid(&init_user_ns, cred->fsuid);
	key->gid = from_kgid(&init_user_ns, cred->fsgid);
	key->groups_hash = jhash(gi->gid, gi->ngroups * sizeof(kgid_t), 0);
	key->action = action;
}

/* Path buffers of a request, freed together. */
struct tk_request_bufs {
	char *exe;
	char *path;
	u32 *groups;
};

static void tk_free_bufs(struct tk_request_bufs *b)
{
	if (b->exe)
		__putname(b->exe);
	if (b->path)
		__putname(b->path);
	kfree(b->groups);
}

static int tk_fill_query(struct takakrypt_query *q, struct tk_request_bufs *b,
			 struct dentry *dentry, struct file *exe,
			 const struct cred *cred, u32 action)
{
	struct takakrypt_sb_info *sbi = takakrypt_sb(dentry->d_sb);
	struct group_info *gi = cred->group_info;
	struct inode *inode = d_inode(dentry);
	int i, ret = -ENOMEM;

	if (gi->ngroups > TAKAKRYPT_MAX_GROUPS) {
		pr_warn_ratelimited("uid %u is in %d groups, more than %d: denied\n",
				    from_kuid(&init_user_ns, cred->fsuid),
				    gi->ngroups, TAKAKRYPT_MAX_GROUPS);
		ret = -E2BIG;
		goto out;
	}
	b->exe = __getname();
	b->path = __getname();
	b->groups = kmalloc_array(max(gi->ngroups, 1), sizeof(u32), GFP_KERNEL);
	if (!b->exe || !b->path || !b->groups)
		goto out;
	for (i = 0; i < gi->ngroups; i++)
		b->groups[i] = from_kgid(&init_user_ns, gi->gid[i]);

	q->exe_path = "";
	if (exe) {
		char *p = d_path(&exe->f_path, b->exe, PATH_MAX);

		if (!IS_ERR(p))
			q->exe_path = p;
	}
	q->path = dentry_path_raw(dentry, b->path, PATH_MAX);
	if (IS_ERR(q->path)) {
		ret = PTR_ERR(q->path);
		goto out;
	}

	memset(&q->req, 0, sizeof(q->req));
	q->req.pid = task_tgid_nr(current);
	q->req.uid = from_kuid(&init_user_ns, cred->fsuid);
	q->req.gid = from_kgid(&init_user_ns, cred->fsgid);
	q->req.action = action;
	if (inode ? S_ISDIR(inode->i_mode) : action == TAKAKRYPT_ACTION_D_MKDIR)
		q->req.flags |= TAKAKRYPT_REQ_F_DIR;
	q->req.ngroups = gi->ngroups;
	q->req.inode = inode ? inode->i_ino : 0;
	q->groups = b->groups;
	q->gp_path = sbi->gp_path;
	q->policy = sbi->policy;
	ret = 0;
out:
	return ret;
}

static void tk_count_failure(int err)
{
	switch (err) {
	case -ENOTCONN:
		atomic64_inc(&takakrypt_stats.no_agent);
		break;
	case -ETIMEDOUT:
		atomic64_inc(&takakrypt_stats.timeouts);
		pr_warn_ratelimited("agent did not answer in time; denied\n");
		break;
	case -EINTR:
		break;
	default:
		atomic64_inc(&takakrypt_stats.errors);
		break;
	}
}

/* Asks the agent; on any failure @d is left denying. */
static int tk_ask(struct dentry *dentry, struct file *exe,
		  const struct cred *cred, u32 action, unsigned int flags,
		  const struct takakrypt_cache_key *key,
		  struct takakrypt_decision *d)
{
	struct takakrypt_sb_info *sbi = takakrypt_sb(dentry->d_sb);
	struct tk_request_bufs bufs = { };
	struct takakrypt_answer answer;
	struct takakrypt_query q;
	unsigned int ttl;
	int ret;

	d->permit = false;
	d->applykey = false;
	ret = tk_fill_query(&q, &bufs, dentry, exe, cred, action);
	if (ret)
		goto out;

	atomic64_inc(&sbi->stats.requests);
	ret = takakrypt_genl_ask(&q, &answer);
	if (ret)
		goto out;

	d->permit = answer.reply.verdict == TAKAKRYPT_VERDICT_PERMIT;
	d->applykey = !!(answer.reply.flags & TAKAKRYPT_REPLY_F_APPLYKEY);
	ttl = min(answer.reply.cache_ttl_ms, answer.max_cache_ttl_ms);
	if (answer.cacheable && ttl &&
	    (answer.reply.flags & TAKAKRYPT_REPLY_F_ANY_OBJECT)) {
		struct takakrypt_cache_key any = *key;

		any.ino = 0;
		takakrypt_cache_insert(&any, d, ttl);
	} else if (answer.cacheable && key->ino &&
		   !(flags & TAKAKRYPT_DECIDE_NOCACHE)) {
		takakrypt_cache_insert(key, d, ttl);
	}
	pr_debug("request %u action %u %s%s: %s\n", q.req.request_id, action,
		 sbi->gp_path, q.path, d->permit ? "permit" : "deny");
out:
	if (ret)
		tk_count_failure(ret);
	tk_free_bufs(&bufs);
	return ret;
}

/*
 * A cached decision for this object, else one the agent gave for any
 * object of the guard point. A new name (NOCACHE) can only use the latter.
 */
static bool tk_cached(const struct takakrypt_cache_key *key, unsigned int flags,
		      struct takakrypt_decision *d)
{
	struct takakrypt_cache_key any;

	if (key->ino && !(flags & TAKAKRYPT_DECIDE_NOCACHE) &&
	    takakrypt_cache_lookup(key, d))
		return true;
	any = *key;
	any.ino = 0;
	return takakrypt_cache_lookup(&any, d);
}

/**
 * takakrypt_decide() - may the current task perform @action on @dentry?
 * @dentry: object in a guard point (negative for a name being created)
 * @action: the fine-grained action of the operation
 * @flags: TAKAKRYPT_DECIDE_*
 * @applykey: if not NULL, whether the decision carries applykey
 *
 * Context: process context, may sleep until the agent answers.
 * Return: 0 if permitted, -EINTR if the task was killed while waiting,
 * -EACCES otherwise.
 */
int takakrypt_decide(struct dentry *dentry, enum takakrypt_action action,
		     unsigned int flags, bool *applykey)
{
	struct takakrypt_sb_info *sbi = takakrypt_sb(dentry->d_sb);
	const struct cred *cred = current_cred();
	struct takakrypt_cache_key key;
	struct takakrypt_decision d;
	struct file *exe;
	int ret = 0;

	exe = tk_exe_file();
	tk_make_key(&key, dentry, exe, cred, action);
	if (tk_cached(&key, flags, &d)) {
		atomic64_inc(&takakrypt_stats.cache_hits);
		atomic64_inc(&sbi->stats.cache_hits);
	} else {
		ret = tk_ask(dentry, exe, cred, action, flags, &key, &d);
	}
	if (exe)
		fput(exe);

	if (d.permit) {
		atomic64_inc(&takakrypt_stats.permits);
		atomic64_inc(&sbi->stats.permits);
	} else {
		atomic64_inc(&takakrypt_stats.denies);
		atomic64_inc(&sbi->stats.denies);
	}
	if (ret != -EINTR)
		ret = d.permit ? 0 : -EACCES;
	if (applykey)
		*applykey = d.applykey;
	return ret;
}
