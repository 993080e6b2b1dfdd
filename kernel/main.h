/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Module-wide constants and parameters of takakrypt.
 */
#ifndef _TAKAKRYPT_MAIN_H
#define _TAKAKRYPT_MAIN_H

#include <linux/types.h>

#define TAKAKRYPT_MODULE_VERSION	"0.1.0"
#define TAKAKRYPT_FS_NAME		"takakryptfs"
/* "TKKR": the f_type statfs reports for a guard point. */
#define TAKAKRYPT_SUPER_MAGIC		0x544b4b52

/* How long a request waits for the agent's reply (module parameter). */
extern unsigned int takakrypt_timeout_ms;
/* Whether writeback may write long runs by direct I/O (module parameter). */
extern bool takakrypt_direct_writes;
/* Whether runs are read from the lower disk by direct I/O (module parameter). */
extern bool takakrypt_direct_reads;
/* Capacity of the decision cache, in entries (module parameter). */
extern unsigned int takakrypt_cache_size;

#endif /* _TAKAKRYPT_MAIN_H */
