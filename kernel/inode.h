/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Upper inodes and dentries of a guard point, each stacked on
 * its lower (real) counterpart.
 */
#ifndef _TAKAKRYPT_INODE_H
#define _TAKAKRYPT_INODE_H

#include <linux/fs.h>
#include <linux/path.h>
#include <linux/mutex.h>
#include <linux/spinlock.h>

struct takakrypt_header;

/*
 * struct takakrypt_inode_info - an upper inode. Its page cache holds what
 * applications see; lower_file is the persistent lower file that the
 * address_space operations read and write.
 */
struct takakrypt_inode_info {
	struct inode *lower_inode;	/* referenced; constant */
	struct mutex lower_file_mutex;	/* guards setting lower_file */
	/* Regular files: opened on first open, released at eviction. */
	struct file *lower_file;
	/* A read-only lower file replaced by a writable one; kept until
	 * eviction because I/O may still be using it.
	 */
	struct file *lower_file_ro;
	/* Regular files: the verified file header, once known. */
	spinlock_t header_lock;		/* guards the header pointer */
	struct mutex header_mutex;	/* one loader or creator at a time */
	struct takakrypt_header *header;
	struct inode vfs_inode;
};

/* struct takakrypt_dentry_info - the lower path of an upper dentry. */
struct takakrypt_dentry_info {
	struct path lower_path;		/* referenced; constant */
};

static inline struct takakrypt_inode_info *takakrypt_i(struct inode *inode)
{
	return container_of(inode, struct takakrypt_inode_info, vfs_inode);
}

static inline struct inode *takakrypt_lower_inode(struct inode *inode)
{
	return takakrypt_i(inode)->lower_inode;
}

static inline struct path *takakrypt_lower_path(struct dentry *dentry)
{
	return &((struct takakrypt_dentry_info *)dentry->d_fsdata)->lower_path;
}

static inline struct dentry *takakrypt_lower_dentry(struct dentry *dentry)
{
	return takakrypt_lower_path(dentry)->dentry;
}

extern const struct dentry_operations takakrypt_dops;

struct inode *takakrypt_iget(struct super_block *sb, struct inode *lower);
int takakrypt_dentry_attach(struct dentry *dentry, const struct path *lower);
void takakrypt_copy_attr(struct inode *inode);
int takakrypt_lower_setattr(struct dentry *dentry, struct iattr *ia);
int takakrypt_lower_file_get(struct inode *inode, struct dentry *dentry,
			     bool want_write);

#endif /* _TAKAKRYPT_INODE_H */
