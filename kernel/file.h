/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Open files of a guard point.
 */
#ifndef _TAKAKRYPT_FILE_H
#define _TAKAKRYPT_FILE_H

#include <linux/fs.h>

/*
 * struct takakrypt_file_info - private data of an open upper file.
 * Constant after open.
 */
struct takakrypt_file_info {
	/* Directories: the lower directory readdir reads; else NULL. */
	struct file *lower_dir;
	/* The open's decision carried applykey: the data path transforms
	 * this file's contents.
	 */
	bool applykey;
};

extern const struct file_operations takakrypt_file_fops;
extern const struct file_operations takakrypt_dir_fops;

#endif /* _TAKAKRYPT_FILE_H */
