// SPDX-License-Identifier: GPL-2.0-only
/*
 * File operations of a guard point.
 *
 * Opening a regular file is where reads and writes are decided (f_rd,
 * f_wr or f_wr_app); the reads and writes on the open file are covered by
 * that decision, as with permission bits. The decision also fixes the
 * open file's view: with applykey, plaintext through the upper page cache
 * (aops.c, data.c); without it, the bytes as stored, read and written
 * straight on the lower file (a backup process sees header and
 * ciphertext, and restores them). The lower file is opened once per inode
 * with the mounter's credentials and kept until the inode is evicted.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/fs.h>
#include <linux/file.h>
#include <linux/slab.h>
#include <linux/pagemap.h>
#include <linux/splice.h>
#include <linux/falloc.h>
#include <linux/uio.h>

#include <takakrypt.h>

#include "file.h"
#include "inode.h"
#include "super.h"
#include "decide.h"
#include "data.h"

static struct takakrypt_file_info *tk_file_info(struct file *file)
{
	return file->private_data;
}

/*
 * Opens the persistent lower file of @inode: read-write when possible, so
 * that writeback can use it whoever opened the upper file; read-only when
 * the lower side refuses writing (a read-only mount, a running lower
 * executable), until a writer needs more.
 */
int takakrypt_lower_file_get(struct inode *inode, struct dentry *dentry,
			     bool want_write)
{
	struct takakrypt_inode_info *ti = takakrypt_i(inode);
	const struct cred *cred = takakrypt_sb(inode->i_sb)->mounter_cred;
	struct path *lower_path = takakrypt_lower_path(dentry);
	struct file *lower;
	int ret = 0;

	mutex_lock(&ti->lower_file_mutex);
	if (ti->lower_file && (ti->lower_file->f_mode & FMODE_WRITE))
		goto out;
	if (ti->lower_file && !want_write)
		goto out;

	lower = dentry_open(lower_path, O_RDWR | O_LARGEFILE, cred);
	if (IS_ERR(lower) && !want_write && !ti->lower_file)
		lower = dentry_open(lower_path, O_RDONLY | O_LARGEFILE, cred);
	if (IS_ERR(lower)) {
		ret = PTR_ERR(lower);
		goto out;
	}
	/* Readers may still hold the read-only file without a reference. */
	if (ti->lower_file)
		ti->lower_file_ro = ti->lower_file;
	WRITE_ONCE(ti->lower_file, lower);
out:
	mutex_unlock(&ti->lower_file_mutex);
	return ret;
}

/*
 * The decisions of an open: f_rd to read, f_wr or f_wr_app to write, both
 * for O_RDWR. Both must agree on applykey: a file read as plaintext and
 * written as ciphertext through one descriptor would be corrupted.
 */
static int tk_open_decide(struct file *file, bool *applykey)
{
	struct dentry *dentry = file->f_path.dentry;
	bool rd = file->f_mode & FMODE_READ;
	bool wr = file->f_mode & FMODE_WRITE;
	bool rd_key = false, wr_key = false;
	int ret = 0;

	if (rd || !wr)
		ret = takakrypt_decide(dentry, TAKAKRYPT_ACTION_F_RD, 0,
				       &rd_key);
	if (!ret && wr)
		ret = takakrypt_decide(dentry, (file->f_flags & O_APPEND) ?
				       TAKAKRYPT_ACTION_F_WR_APP :
				       TAKAKRYPT_ACTION_F_WR, 0, &wr_key);
	if (!ret && rd && wr && rd_key != wr_key) {
		pr_warn_ratelimited("read and write decisions disagree on applykey for inode %lu: denied\n",
				    file_inode(file)->i_ino);
		ret = -EACCES;
	}
	*applykey = wr ? wr_key : rd_key;
	return ret;
}

static int tk_open(struct inode *inode, struct file *file)
{
	struct takakrypt_file_info *fi;
	bool applykey = false;
	int ret;

	ret = tk_open_decide(file, &applykey);
	if (ret)
		goto out;
	ret = takakrypt_lower_file_get(inode, file->f_path.dentry,
				       file->f_mode & FMODE_WRITE);
	if (ret)
		goto out;
	/*
	 * A plaintext view needs the header. Opened for writing it is
	 * verified now (or made, for an empty file), so a bad one fails the
	 * open; for reading only it is read now and verified by the agent
	 * with the first read, which a bad one fails.
	 */
	if (applykey) {
		ret = takakrypt_header_load(inode, file->f_path.dentry,
					    file->f_mode & FMODE_WRITE);
		if (ret)
			goto out;
	}

	ret = -ENOMEM;
	fi = kzalloc(sizeof(*fi), GFP_KERNEL);
	if (!fi)
		goto out;
	fi->applykey = applykey;
	file->private_data = fi;
	ret = 0;
out:
	return ret;
}

static int tk_release(struct inode *inode, struct file *file)
{
	struct takakrypt_file_info *fi = tk_file_info(file);

	if (fi && fi->lower_dir)
		fput(fi->lower_dir);
	kfree(fi);
	return 0;
}

static bool tk_applykey(struct file *file)
{
	return tk_file_info(file)->applykey;
}

static const struct cred *tk_as_mounter(struct inode *inode)
{
	return override_creds(takakrypt_sb(inode->i_sb)->mounter_cred);
}

/* Stored bytes: what the page cache holds is written first. */
static ssize_t tk_raw_read_iter(struct kiocb *iocb, struct iov_iter *to)
{
	struct inode *inode = file_inode(iocb->ki_filp);
	struct file *lower = READ_ONCE(takakrypt_i(inode)->lower_file);
	const struct cred *old;
	ssize_t ret;

	ret = filemap_write_and_wait(inode->i_mapping);
	if (ret)
		return ret;
	old = tk_as_mounter(inode);
	ret = vfs_iter_read(lower, to, &iocb->ki_pos, 0);
	revert_creds(old);
	return ret;
}

/* Stored bytes written back (a restore): the plaintext cache is dropped. */
static ssize_t tk_raw_write_iter(struct kiocb *iocb, struct iov_iter *from)
{
	struct inode *inode = file_inode(iocb->ki_filp);
	struct file *lower = READ_ONCE(takakrypt_i(inode)->lower_file);
	const struct cred *old;
	loff_t pos;
	ssize_t ret;

	inode_lock(inode);
	ret = filemap_write_and_wait(inode->i_mapping);
	if (ret)
		goto out;
	pos = (iocb->ki_flags & IOCB_APPEND) ?
	      i_size_read(takakrypt_lower_inode(inode)) : iocb->ki_pos;
	old = tk_as_mounter(inode);
	ret = vfs_iter_write(lower, from, &pos, 0);
	revert_creds(old);
	if (ret > 0)
		iocb->ki_pos = pos;
	takakrypt_raw_changed(inode);
	takakrypt_copy_attr(inode);
out:
	inode_unlock(inode);
	if (ret > 0)
		ret = generic_write_sync(iocb, ret);
	return ret;
}

static ssize_t tk_read_iter(struct kiocb *iocb, struct iov_iter *to)
{
	if (!tk_applykey(iocb->ki_filp))
		return tk_raw_read_iter(iocb, to);
	return generic_file_read_iter(iocb, to);
}

/*
 * Plaintext writes go through the page cache; a write that moves the end
 * of the file rewrites the unit that held the old end (data.c).
 */
static ssize_t tk_write_iter(struct kiocb *iocb, struct iov_iter *from)
{
	struct inode *inode = file_inode(iocb->ki_filp);
	loff_t size;
	ssize_t ret;

	if (!tk_applykey(iocb->ki_filp))
		return tk_raw_write_iter(iocb, from);

	inode_lock(inode);
	size = i_size_read(inode);
	ret = generic_write_checks(iocb, from);
	if (ret > 0) {
		int err = takakrypt_prepare_extend(inode, iocb->ki_pos +
						   iov_iter_count(from));

		if (err)
			ret = err;
	}
	if (ret > 0)
		ret = __generic_file_write_iter(iocb, from);
	if (ret > 0) {
		int err = takakrypt_end_extend(inode, size);

		if (err)
			ret = err;
	}
	inode_unlock(inode);
	if (ret > 0)
		ret = generic_write_sync(iocb, ret);
	return ret;
}

/*
 * Stored bytes are mapped from the lower file itself, never writable
 * through a shared mapping: writes of stored bytes go through write(2),
 * which keeps the plaintext cache coherent.
 */
static int tk_raw_mmap(struct file *file, struct vm_area_struct *vma)
{
	struct inode *inode = file_inode(file);
	struct file *lower = READ_ONCE(takakrypt_i(inode)->lower_file);
	int ret;

	if ((vma->vm_flags & VM_SHARED) && (vma->vm_flags & VM_WRITE))
		return -EACCES;
	if (vma->vm_flags & VM_SHARED)
		vma->vm_flags &= ~VM_MAYWRITE;
	ret = filemap_write_and_wait(inode->i_mapping);
	if (ret)
		return ret;
	if (!lower->f_op->mmap)
		return -ENODEV;
	vma_set_file(vma, lower);
	return call_mmap(lower, vma);
}

static int tk_mmap(struct file *file, struct vm_area_struct *vma)
{
	if (!tk_applykey(file))
		return tk_raw_mmap(file, vma);
	return generic_file_mmap(file, vma);
}

/*
 * Holes are the lower file's: units sit at the same 4096-byte alignment
 * below, one unit further on, and a hole reads as zeros in both views.
 */
static loff_t tk_seek_hole_data(struct file *file, loff_t offset, int whence,
				loff_t shift, loff_t maxsize)
{
	struct inode *inode = file_inode(file);
	struct file *lower = READ_ONCE(takakrypt_i(inode)->lower_file);
	loff_t pos;
	int ret;

	if (offset < 0)
		return -ENXIO;
	ret = filemap_write_and_wait(inode->i_mapping);
	if (ret)
		return ret;
	pos = vfs_llseek(lower, offset + shift, whence);
	if (pos < 0)
		return pos;
	return vfs_setpos(file, max(pos - shift, offset), maxsize);
}

static loff_t tk_llseek(struct file *file, loff_t offset, int whence)
{
	struct inode *inode = file_inode(file);
	loff_t max = inode->i_sb->s_maxbytes;
	bool applykey = tk_applykey(file);
	int ret;

	if (whence == SEEK_DATA || whence == SEEK_HOLE)
		return tk_seek_hole_data(file, offset, whence,
					 applykey ? TAKAKRYPT_FILE_HEADER_SIZE : 0,
					 applykey ? max :
					 max + TAKAKRYPT_FILE_HEADER_SIZE);
	if (applykey)
		return generic_file_llseek(file, offset, whence);
	if (whence == SEEK_END) {
		ret = filemap_write_and_wait(inode->i_mapping);
		if (ret)
			return ret;
	}
	return generic_file_llseek_size(file, offset, whence,
					max + TAKAKRYPT_FILE_HEADER_SIZE,
					i_size_read(takakrypt_lower_inode(inode)));
}

/* Units sit at other offsets below: the whole lower file is synced. */
static int tk_fsync(struct file *file, loff_t start, loff_t end, int datasync)
{
	struct inode *inode = file_inode(file);
	struct file *lower = READ_ONCE(takakrypt_i(inode)->lower_file);
	int ret;

	ret = file_write_and_wait_range(file, start, end);
	if (!ret)
		ret = vfs_fsync_range(lower, 0, LLONG_MAX, datasync);
	return ret;
}

#define TK_FALLOC_SUPPORTED \
	(FALLOC_FL_KEEP_SIZE | FALLOC_FL_PUNCH_HOLE | FALLOC_FL_ZERO_RANGE)

static long tk_fallocate(struct file *file, int mode, loff_t offset,
			 loff_t len)
{
	struct inode *inode = file_inode(file);
	struct file *lower = READ_ONCE(takakrypt_i(inode)->lower_file);
	long ret = -EOPNOTSUPP;

	/* Collapsing or inserting ranges would move data units. */
	if (mode & ~TK_FALLOC_SUPPORTED)
		goto out;

	inode_lock(inode);
	/* Lower and upper agree on size and contents before the lower file
	 * changes under the page cache.
	 */
	ret = filemap_write_and_wait(inode->i_mapping);
	if (ret)
		goto out_unlock;
	if (tk_applykey(file)) {
		ret = takakrypt_plain_fallocate(file, mode, offset, len);
	} else {
		ret = vfs_fallocate(lower, mode, offset, len);
		takakrypt_raw_changed(inode);
	}
	takakrypt_copy_attr(inode);
out_unlock:
	inode_unlock(inode);
out:
	return ret;
}

/*
 * Copies and clones between files must not hand lower (stored) bytes
 * across: refusing makes userspace fall back to read and write, which go
 * through the page cache.
 */
static ssize_t tk_copy_file_range(struct file *in, loff_t pos_in,
				  struct file *out, loff_t pos_out,
				  size_t len, unsigned int flags)
{
	return -EOPNOTSUPP;
}

static loff_t tk_remap_file_range(struct file *in, loff_t pos_in,
				  struct file *out, loff_t pos_out,
				  loff_t len, unsigned int remap_flags)
{
	return -EOPNOTSUPP;
}

const struct file_operations takakrypt_file_fops = {
	.open = tk_open,
	.release = tk_release,
	.llseek = tk_llseek,
	.read_iter = tk_read_iter,
	.write_iter = tk_write_iter,
	.mmap = tk_mmap,
	.fsync = tk_fsync,
	.splice_read = generic_file_splice_read,
	.splice_write = iter_file_splice_write,
	.fallocate = tk_fallocate,
	.copy_file_range = tk_copy_file_range,
	.remap_file_range = tk_remap_file_range,
};

static int tk_dir_open(struct inode *inode, struct file *file)
{
	struct takakrypt_file_info *fi;
	struct file *lower;
	int ret = -ENOMEM;

	fi = kzalloc(sizeof(*fi), GFP_KERNEL);
	if (!fi)
		goto out;
	lower = dentry_open(takakrypt_lower_path(file->f_path.dentry),
			    file->f_flags, file->f_cred);
	if (IS_ERR(lower)) {
		kfree(fi);
		ret = PTR_ERR(lower);
		goto out;
	}
	fi->lower_dir = lower;
	file->private_data = fi;
	ret = 0;
out:
	return ret;
}

static int tk_iterate(struct file *file, struct dir_context *ctx)
{
	struct file *lower = tk_file_info(file)->lower_dir;
	int ret;

	ret = takakrypt_decide(file->f_path.dentry, TAKAKRYPT_ACTION_D_RD, 0,
			       NULL);
	if (ret)
		goto out;
	/* The upper position leads; the lower directory follows it. */
	lower->f_pos = ctx->pos;
	ret = iterate_dir(lower, ctx);
	takakrypt_copy_attr(file_inode(file));
out:
	return ret;
}

static loff_t tk_dir_llseek(struct file *file, loff_t offset, int whence)
{
	struct file *lower = tk_file_info(file)->lower_dir;
	loff_t ret;

	ret = vfs_llseek(lower, offset, whence);
	if (ret >= 0)
		file->f_pos = ret;
	return ret;
}

static int tk_dir_fsync(struct file *file, loff_t start, loff_t end,
			int datasync)
{
	return vfs_fsync_range(tk_file_info(file)->lower_dir, start, end,
			       datasync);
}

const struct file_operations takakrypt_dir_fops = {
	.open = tk_dir_open,
	.release = tk_release,
	.llseek = tk_dir_llseek,
	.read = generic_read_dir,
	.iterate_shared = tk_iterate,
	.fsync = tk_dir_fsync,
};
