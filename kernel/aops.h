/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The guard point's own page cache and the transform between it
 * and the lower file.
 */
#ifndef _TAKAKRYPT_AOPS_H
#define _TAKAKRYPT_AOPS_H

#include <linux/fs.h>

/* enum takakrypt_transform_dir - which way a run of pages is transformed. */
enum takakrypt_transform_dir {
	TAKAKRYPT_TO_PAGES,	/* lower bytes -> page contents (decrypt) */
	TAKAKRYPT_TO_LOWER,	/* page contents -> lower bytes (encrypt) */
};

extern const struct address_space_operations takakrypt_aops;

int takakrypt_transform(struct inode *inode, enum takakrypt_transform_dir dir,
			struct page **pages, unsigned int nr, u8 *lower_buf);

#endif /* _TAKAKRYPT_AOPS_H */
