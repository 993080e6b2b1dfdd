// SPDX-License-Identifier: GPL-2.0-only
/*
 * A bounded hash table of recent decisions, so that the common
 * path of an operation makes no round trip to the agent.
 *
 * One spinlock guards the table: lookups are a short hash walk, and two
 * cores share it. When the table is full the least recently inserted entry
 * goes. Entries expire after the lifetime the agent gave them; the whole
 * table is flushed on a new policy generation, on agent loss and when a
 * guard point is unmounted (its key would otherwise be reusable).
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/slab.h>
#include <linux/spinlock.h>
#include <linux/list.h>
#include <linux/jhash.h>
#include <linux/jiffies.h>
#include <linux/build_bug.h>

#include "main.h"
#include "cache.h"

#define TK_CACHE_BUCKETS_BITS	10
#define TK_CACHE_BUCKETS	(1U << TK_CACHE_BUCKETS_BITS)

struct tk_cache_entry {
	struct hlist_node hash;		/* in tk_table.buckets */
	struct list_head age;		/* in tk_table.oldest_first */
	struct takakrypt_cache_key key;
	struct takakrypt_decision decision;
	unsigned long expires;		/* jiffies */
};

static struct {
	spinlock_t lock;		/* guards everything below */
	struct hlist_head *buckets;
	struct list_head oldest_first;
	unsigned int count;
} tk_table;

static struct kmem_cache *tk_cache_entries;

static u32 tk_cache_hash(const struct takakrypt_cache_key *key)
{
	BUILD_BUG_ON(sizeof(*key) % sizeof(u32));
	return jhash2((const u32 *)key, sizeof(*key) / sizeof(u32), 0) &
	       (TK_CACHE_BUCKETS - 1);
}

static void tk_cache_remove(struct tk_cache_entry *e)
{
	hlist_del(&e->hash);
	list_del(&e->age);
	tk_table.count--;
	kmem_cache_free(tk_cache_entries, e);
}

/**
 * takakrypt_cache_init() - allocate the decision cache.
 *
 * Return: 0 or -ENOMEM.
 */
int takakrypt_cache_init(void)
{
	int ret = -ENOMEM;

	BUILD_BUG_ON(sizeof(struct takakrypt_cache_key) != 56);
	spin_lock_init(&tk_table.lock);
	INIT_LIST_HEAD(&tk_table.oldest_first);
	tk_table.buckets = kcalloc(TK_CACHE_BUCKETS, sizeof(*tk_table.buckets),
				   GFP_KERNEL);
	if (!tk_table.buckets)
		goto out;

	tk_cache_entries = KMEM_CACHE(tk_cache_entry, 0);
	if (!tk_cache_entries) {
		kfree(tk_table.buckets);
		goto out;
	}
	ret = 0;
out:
	return ret;
}

/**
 * takakrypt_cache_exit() - free every entry and the table.
 */
void takakrypt_cache_exit(void)
{
	takakrypt_cache_flush();
	kmem_cache_destroy(tk_cache_entries);
	kfree(tk_table.buckets);
}

static struct tk_cache_entry *
tk_cache_find(const struct takakrypt_cache_key *key, u32 bucket)
{
	struct tk_cache_entry *e;

	hlist_for_each_entry(e, &tk_table.buckets[bucket], hash)
		if (!memcmp(&e->key, key, sizeof(*key)))
			return e;
	return NULL;
}

/**
 * takakrypt_cache_lookup() - find a live decision for @key.
 * @key: zero-filled key
 * @out: where the decision is copied on a hit
 *
 * Return: true on a hit; an expired entry is dropped and counts as a miss.
 */
bool takakrypt_cache_lookup(const struct takakrypt_cache_key *key,
			    struct takakrypt_decision *out)
{
	u32 bucket = tk_cache_hash(key);
	struct tk_cache_entry *e;
	bool hit = false;

	spin_lock(&tk_table.lock);
	e = tk_cache_find(key, bucket);
	if (e && time_after_eq(jiffies, e->expires)) {
		tk_cache_remove(e);
		e = NULL;
	}
	if (e) {
		*out = e->decision;
		hit = true;
	}
	spin_unlock(&tk_table.lock);
	return hit;
}

/**
 * takakrypt_cache_insert() - remember a decision for @ttl_ms milliseconds.
 * @key: zero-filled key
 * @decision: the agent's decision
 * @ttl_ms: lifetime; 0 stores nothing
 *
 * Allocation failure only costs a future round trip, so it is silent.
 */
void takakrypt_cache_insert(const struct takakrypt_cache_key *key,
			    const struct takakrypt_decision *decision,
			    unsigned int ttl_ms)
{
	u32 bucket = tk_cache_hash(key);
	struct tk_cache_entry *e, *old;
	unsigned int capacity = READ_ONCE(takakrypt_cache_size);

	if (!ttl_ms || !capacity)
		return;

	e = kmem_cache_alloc(tk_cache_entries, GFP_KERNEL);
	if (!e)
		return;
	e->key = *key;
	e->decision = *decision;
	e->expires = jiffies + msecs_to_jiffies(ttl_ms);

	spin_lock(&tk_table.lock);
	old = tk_cache_find(key, bucket);
	if (old)
		tk_cache_remove(old);
	while (tk_table.count >= capacity)
		tk_cache_remove(list_first_entry(&tk_table.oldest_first,
						 struct tk_cache_entry, age));
	hlist_add_head(&e->hash, &tk_table.buckets[bucket]);
	list_add_tail(&e->age, &tk_table.oldest_first);
	tk_table.count++;
	spin_unlock(&tk_table.lock);
}

/**
 * takakrypt_cache_flush() - forget every decision.
 */
void takakrypt_cache_flush(void)
{
	struct tk_cache_entry *e, *next;

	spin_lock(&tk_table.lock);
	list_for_each_entry_safe(e, next, &tk_table.oldest_first, age)
		tk_cache_remove(e);
	spin_unlock(&tk_table.lock);
}

/**
 * takakrypt_cache_count() - number of entries, for /proc/takakrypt/status.
 *
 * Return: the current count.
 */
unsigned int takakrypt_cache_count(void)
{
	return READ_ONCE(tk_table.count);
}
