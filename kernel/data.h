/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The encrypted contents of a guard point's regular files: the file
 * header, data units transformed by the agent, and size changes that
 * keep every unit encrypted at its real length.
 */
#ifndef _TAKAKRYPT_DATA_H
#define _TAKAKRYPT_DATA_H

#include <linux/fs.h>
#include <linux/refcount.h>

#include <takakrypt.h>

#include "genl.h"

/* struct takakrypt_header - a verified file header, shared by its users. */
struct takakrypt_header {
	refcount_t ref;
	/*
	 * The agent has accepted these bytes (made them, or answered a
	 * request that carried them). Read from the lower file for reading
	 * only, they are first sent unverified with the first data request,
	 * which the agent verifies as it would an OPEN_HEADER.
	 */
	bool verified;
	u8 bytes[TAKAKRYPT_FILE_HEADER_SIZE];
};

/* Plaintext size of a file whose lower file has @lower_size bytes. */
static inline loff_t takakrypt_plain_size(loff_t lower_size)
{
	return max_t(loff_t, lower_size - TAKAKRYPT_FILE_HEADER_SIZE, 0);
}

/* Where plaintext offset @pos lives in the lower file. */
static inline loff_t takakrypt_lower_pos(loff_t pos)
{
	return pos + TAKAKRYPT_FILE_HEADER_SIZE;
}

ssize_t takakrypt_lower_read(struct inode *inode, void *buf, size_t len,
			     loff_t pos);
ssize_t takakrypt_lower_write(struct inode *inode, const void *buf,
			      size_t len, loff_t pos);
ssize_t takakrypt_lower_write_run(struct inode *inode, const void *buf,
				  size_t len, loff_t pos);

struct takakrypt_header *takakrypt_header_get(struct inode *inode);
void takakrypt_header_put(struct takakrypt_header *h);
int takakrypt_header_load(struct inode *inode, struct dentry *dentry,
			  bool create);
void takakrypt_raw_changed(struct inode *inode);
void takakrypt_header_release(struct inode *inode);

struct takakrypt_sb_info;
unsigned int takakrypt_spares_count(struct takakrypt_sb_info *sbi);
void takakrypt_spares_free(struct takakrypt_sb_info *sbi);

/* struct takakrypt_crypt_job - a run of units being transformed. */
struct takakrypt_crypt_job {
	struct inode *inode;
	struct takakrypt_header *header;	/* held while in flight */
	struct takakrypt_crypt_msg msg;
	struct takakrypt_crypt_call call;
	u32 op;
	int ret;		/* outcome once done */
	bool sent;		/* in flight: takakrypt_crypt_end() waits */
};

void takakrypt_crypt_begin(struct takakrypt_crypt_job *job, struct inode *inode,
			   bool encrypt, pgoff_t first, struct page **pages,
			   unsigned int nr, u8 *buf, size_t len);
int takakrypt_crypt_end(struct takakrypt_crypt_job *job);
int takakrypt_crypt_run(struct inode *inode, bool encrypt, pgoff_t first,
			struct page **pages, unsigned int nr, u8 *buf,
			size_t len);

int takakrypt_prepare_extend(struct inode *inode, loff_t new_size);
int takakrypt_end_extend(struct inode *inode, loff_t old_size);
int takakrypt_set_plain_size(struct dentry *dentry, loff_t new_size);
long takakrypt_plain_fallocate(struct file *file, int mode, loff_t offset,
			       loff_t len);

#endif /* _TAKAKRYPT_DATA_H */
