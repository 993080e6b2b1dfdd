/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The guard point's own page cache (plaintext) and how it is
 * filled from and written to the lower file.
 */
#ifndef _TAKAKRYPT_AOPS_H
#define _TAKAKRYPT_AOPS_H

#include <linux/fs.h>

extern const struct address_space_operations takakrypt_aops;

void takakrypt_aops_exit(void);

#endif /* _TAKAKRYPT_AOPS_H */
