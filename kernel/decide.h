/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Ask whether the current task may perform an action on an
 * object in a guard point: from the cache, else from the agent.
 */
#ifndef _TAKAKRYPT_DECIDE_H
#define _TAKAKRYPT_DECIDE_H

#include <linux/types.h>

#include <takakrypt.h>

struct dentry;

/* Do not use or fill the cache (a name the inode does not have yet). */
#define TAKAKRYPT_DECIDE_NOCACHE	(1U << 0)

int takakrypt_decide(struct dentry *dentry, enum takakrypt_action action,
		     unsigned int flags, bool *applykey);

#endif /* _TAKAKRYPT_DECIDE_H */
