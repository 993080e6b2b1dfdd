/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Extended attributes of a guard point, forwarded to the lower
 * objects after an f_rd_sec/d_rd_sec or f_chg_sec/d_chg_sec decision.
 */
#ifndef _TAKAKRYPT_XATTR_H
#define _TAKAKRYPT_XATTR_H

#include <linux/xattr.h>

extern const struct xattr_handler *takakrypt_xattr_handlers[];

ssize_t takakrypt_listxattr(struct dentry *dentry, char *list, size_t size);

#endif /* _TAKAKRYPT_XATTR_H */
