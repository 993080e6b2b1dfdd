// SPDX-License-Identifier: GPL-2.0-only
/*
 * /proc/takakrypt/status and /proc/takakrypt/guard_points, one
 * "key: value" per line so that shell tools and the agent parse them alike.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/proc_fs.h>
#include <linux/seq_file.h>
#include <linux/mutex.h>
#include <linux/list.h>
#include <linux/math64.h>

#include <takakrypt.h>

#include "main.h"
#include "proc.h"
#include "super.h"
#include "genl.h"
#include "cache.h"
#include "data.h"

struct takakrypt_stats takakrypt_stats;

static struct proc_dir_entry *tk_proc_dir;
static LIST_HEAD(tk_gp_list);		/* of takakrypt_sb_info.gp_node */
static DEFINE_MUTEX(tk_gp_mutex);	/* guards tk_gp_list */

/**
 * takakrypt_stats_latency() - account one answered request.
 * @us: time from sending the request to its reply, in microseconds
 */
void takakrypt_stats_latency(u64 us)
{
	s64 max = atomic64_read(&takakrypt_stats.latency_max_us);

	atomic64_inc(&takakrypt_stats.answered);
	atomic64_add(us, &takakrypt_stats.latency_sum_us);
	while ((u64)max < us) {
		s64 seen = atomic64_cmpxchg(&takakrypt_stats.latency_max_us,
					    max, us);
		if (seen == max)
			break;
		max = seen;
	}
}

static void tk_show_counter(struct seq_file *m, const char *name,
			    atomic64_t *v)
{
	seq_printf(m, "%s: %lld\n", name, (long long)atomic64_read(v));
}

static int tk_status_show(struct seq_file *m, void *v)
{
	struct takakrypt_stats *s = &takakrypt_stats;
	struct takakrypt_agent_info agent;
	u64 answered = atomic64_read(&s->answered);
	u64 crypt_answered = atomic64_read(&s->crypt_answered);
	u64 mean = 0, crypt_mean = 0;

	takakrypt_agent_snapshot(&agent);
	if (answered)
		mean = div64_u64(atomic64_read(&s->latency_sum_us), answered);
	if (crypt_answered)
		crypt_mean = div64_u64(atomic64_read(&s->crypt_latency_sum_us),
				       crypt_answered);

	seq_printf(m, "module_version: %s\n", TAKAKRYPT_MODULE_VERSION);
	seq_printf(m, "protocol_version: %u\n", TAKAKRYPT_PROTOCOL_VERSION);
	seq_printf(m, "family: %s\n", TAKAKRYPT_GENL_NAME);
	if (agent.registered) {
		seq_puts(m, "agent: connected\n");
		seq_printf(m, "agent_pid: %d\n", agent.pid);
		seq_printf(m, "agent_port: %u\n", agent.portid);
		seq_printf(m, "agent_since: %lld\n", (long long)agent.since);
	} else {
		seq_puts(m, "agent: not connected\n");
	}
	seq_printf(m, "policy_generation: %llu\n", agent.generation);
	seq_printf(m, "max_cache_ttl_ms: %u\n", agent.max_cache_ttl_ms);
	seq_printf(m, "timeout_ms: %u\n", READ_ONCE(takakrypt_timeout_ms));
	seq_printf(m, "cache_entries: %u\n", takakrypt_cache_count());
	seq_printf(m, "cache_capacity: %u\n", takakrypt_cache_size);
	tk_show_counter(m, "requests", &s->requests);
	tk_show_counter(m, "permits", &s->permits);
	tk_show_counter(m, "denies", &s->denies);
	tk_show_counter(m, "timeouts", &s->timeouts);
	tk_show_counter(m, "cache_hits", &s->cache_hits);
	tk_show_counter(m, "no_agent", &s->no_agent);
	tk_show_counter(m, "errors", &s->errors);
	seq_printf(m, "latency_mean_us: %llu\n", mean);
	tk_show_counter(m, "latency_max_us", &s->latency_max_us);
	tk_show_counter(m, "crypt_requests", &s->crypt_requests);
	tk_show_counter(m, "crypt_failures", &s->crypt_failures);
	tk_show_counter(m, "crypt_units", &s->crypt_units);
	tk_show_counter(m, "crypt_zero_runs", &s->zero_runs);
	tk_show_counter(m, "crypt_spare_headers_used", &s->spare_headers_used);
	tk_show_counter(m, "lower_direct_runs", &s->direct_runs);
	tk_show_counter(m, "lower_direct_reads", &s->direct_reads);
	seq_printf(m, "crypt_latency_mean_us: %llu\n", crypt_mean);
	return 0;
}

static int tk_guard_points_show(struct seq_file *m, void *v)
{
	struct takakrypt_sb_info *sbi;
	bool first = true;

	mutex_lock(&tk_gp_mutex);
	list_for_each_entry(sbi, &tk_gp_list, gp_node) {
		if (!first)
			seq_putc(m, '\n');
		first = false;
		seq_puts(m, "path: ");
		seq_escape(m, sbi->gp_path, "\n\\");
		seq_printf(m, "\npolicy: %s\n", sbi->policy);
		seq_printf(m, "mounted_since: %lld\n",
			   (long long)sbi->mounted_at);
		tk_show_counter(m, "requests", &sbi->stats.requests);
		tk_show_counter(m, "permits", &sbi->stats.permits);
		tk_show_counter(m, "denies", &sbi->stats.denies);
		tk_show_counter(m, "cache_hits", &sbi->stats.cache_hits);
		seq_printf(m, "spare_headers: %u\n",
			   takakrypt_spares_count(sbi));
	}
	mutex_unlock(&tk_gp_mutex);
	return 0;
}

/**
 * takakrypt_proc_add_gp() - list a newly mounted guard point.
 * @sbi: the guard point
 */
void takakrypt_proc_add_gp(struct takakrypt_sb_info *sbi)
{
	mutex_lock(&tk_gp_mutex);
	list_add_tail(&sbi->gp_node, &tk_gp_list);
	mutex_unlock(&tk_gp_mutex);
}

/**
 * takakrypt_proc_del_gp() - drop an unmounted guard point from the list.
 * @sbi: the guard point
 */
void takakrypt_proc_del_gp(struct takakrypt_sb_info *sbi)
{
	mutex_lock(&tk_gp_mutex);
	list_del(&sbi->gp_node);
	mutex_unlock(&tk_gp_mutex);
}

/**
 * takakrypt_proc_init() - create /proc/takakrypt and its files.
 *
 * Return: 0 or -ENOMEM.
 */
int takakrypt_proc_init(void)
{
	int ret = -ENOMEM;

	tk_proc_dir = proc_mkdir("takakrypt", NULL);
	if (!tk_proc_dir)
		goto out;
	if (!proc_create_single("status", 0444, tk_proc_dir, tk_status_show) ||
	    !proc_create_single("guard_points", 0444, tk_proc_dir,
				tk_guard_points_show)) {
		proc_remove(tk_proc_dir);
		goto out;
	}
	ret = 0;
out:
	return ret;
}

/**
 * takakrypt_proc_exit() - remove /proc/takakrypt.
 */
void takakrypt_proc_exit(void)
{
	proc_remove(tk_proc_dir);
}
