// SPDX-License-Identifier: GPL-2.0-only
/*
 * Load and unload takakrypt: the decision cache, /proc/takakrypt,
 * the TAKAKRYPT generic netlink family and the takakryptfs filesystem.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/fs.h>
#include <net/genetlink.h>

#include <takakrypt.h>

#include "main.h"
#include "cache.h"
#include "proc.h"
#include "genl.h"
#include "super.h"
#include "aops.h"

unsigned int takakrypt_timeout_ms = 5000;
module_param_named(timeout_ms, takakrypt_timeout_ms, uint, 0644);
MODULE_PARM_DESC(timeout_ms,
		 "How long an operation waits for the agent before it is denied (ms)");

bool takakrypt_direct_writes = true;
module_param_named(direct_writes, takakrypt_direct_writes, bool, 0644);
MODULE_PARM_DESC(direct_writes,
		 "Write the whole lower blocks of runs of 8 units or more by direct I/O (default on)");

bool takakrypt_direct_reads = true;
module_param_named(direct_reads, takakrypt_direct_reads, bool, 0644);
MODULE_PARM_DESC(direct_reads,
		 "Read whole lower blocks by direct I/O, past the lower page cache (default on)");

unsigned int takakrypt_cache_size = 4096;
module_param_named(cache_size, takakrypt_cache_size, uint, 0444);
MODULE_PARM_DESC(cache_size, "Decision cache capacity (0: no cache)");

static int __init takakrypt_init(void)
{
	int ret;

	ret = takakrypt_cache_init();
	if (ret)
		goto out;

	ret = takakrypt_proc_init();
	if (ret)
		goto out_cache;

	ret = takakrypt_genl_init();
	if (ret)
		goto out_proc;

	ret = takakrypt_fs_register();
	if (ret)
		goto out_genl;

	pr_info("version %s loaded, protocol %u\n", TAKAKRYPT_MODULE_VERSION,
		TAKAKRYPT_PROTOCOL_VERSION);
	goto out;

out_genl:
	takakrypt_genl_exit();
out_proc:
	takakrypt_proc_exit();
out_cache:
	takakrypt_cache_exit();
out:
	return ret;
}

static void __exit takakrypt_exit(void)
{
	takakrypt_fs_unregister();
	takakrypt_genl_exit();
	takakrypt_proc_exit();
	takakrypt_cache_exit();
	takakrypt_aops_exit();
}

module_init(takakrypt_init);
module_exit(takakrypt_exit);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("Takakrypt guard points and policy requests");
MODULE_VERSION(TAKAKRYPT_MODULE_VERSION);
MODULE_ALIAS_FS(TAKAKRYPT_FS_NAME);
MODULE_ALIAS_GENL_FAMILY(TAKAKRYPT_GENL_NAME);
