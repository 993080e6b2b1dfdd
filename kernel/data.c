// SPDX-License-Identifier: GPL-2.0-only
/*
 * The encrypted data path (docs/PROTOCOL.md, "Data path").
 *
 * A lower file holds a 4096-byte header, then the file's data units, each
 * encrypted by the agent at its own length (a short last unit included).
 * The header is made by the agent when an applykey process first writes an
 * empty file. The module keeps its bytes per inode and sends them with
 * every request, so the agent needs no per-file state to survive a
 * restart; the agent verifies them whenever they are new to it. A file
 * opened for writing has its header verified at open (OPEN_HEADER), so a
 * bad one fails the open rather than the writeback of what was written; a
 * file opened for reading only sends it with its first read, which spares
 * a round trip per file (the read fails instead of the open).
 *
 * A unit's stored form depends on its length, so whenever the file's size
 * moves the unit that holds the old or the new end is rewritten at its new
 * length (takakrypt_prepare_extend(), takakrypt_set_plain_size()). All-zero
 * runs need no agent: the format stores an all-zero unit as zeros.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/blkdev.h>
#include <linux/fs.h>
#include <linux/pagemap.h>
#include <linux/highmem.h>
#include <linux/slab.h>
#include <linux/cred.h>
#include <linux/falloc.h>
#include <linux/string.h>
#include <linux/uio.h>
#include <linux/bvec.h>

#include <takakrypt.h>

#include "data.h"
#include "genl.h"
#include "inode.h"
#include "super.h"
#include "proc.h"
#include "main.h"

/*
 * Runs of fewer bytes than this go through the lower page cache. A direct
 * write waits for the disk, and many small ones (random writes, small
 * files) are cheaper gathered by the lower filesystem's own writeback. A
 * small file is read in such runs, and its first units are usually in
 * the lower page cache already (the header's read brought them in by
 * readahead), which a direct read would fetch from the disk again.
 */
#define TK_DIRECT_MIN_BYTES	(8 * PAGE_SIZE)

/*
 * Sets up a synchronous direct-I/O request for @len bytes at @pos of
 * @lower over @buf (page-aligned, physically contiguous: one bio_vec).
 */
static void tk_direct_init(struct file *lower, const void *buf, size_t len,
			   loff_t pos, unsigned int dir, struct bio_vec *bv,
			   struct iov_iter *iter, struct kiocb *kiocb)
{
	bv->bv_page = virt_to_page(buf);
	bv->bv_offset = 0;
	bv->bv_len = len;
	iov_iter_bvec(iter, dir, bv, 1, len);
	init_sync_kiocb(kiocb, lower);
	kiocb->ki_pos = pos;
	kiocb->ki_flags |= IOCB_DIRECT;
}

/*
 * Reads @len bytes at @pos of the lower file straight from its disk into
 * @buf, past the lower page cache, when that can be done: a run of at
 * least TK_DIRECT_MIN_BYTES and a whole number of lower blocks at a
 * block-aligned offset, into a page-aligned buffer in the kernel's direct
 * map (a run buffer of that size comes from the page allocator:
 * physically contiguous, so one bio_vec covers it), from a file that
 * takes O_DIRECT. The lower file then keeps no second, encrypted copy of
 * what the guard point's page cache holds in clear, and each byte is
 * copied once less.
 *
 * The read is asked not to wait (IOCB_NOWAIT, so only on a file that
 * honours it): when the lower inode's lock is held exclusively, or the
 * lower page cache has pages of the range dirty or under writeback (which
 * a direct read would write back first), the run goes through the page
 * cache, which has those pages. So it does not wait for the lower inode's
 * lock, which a task writing the lower file by another path holds while
 * it faults in its buffer, maybe a mapping of this very file. It still
 * waits for the disk and the lower filesystem's own metadata.
 *
 * A lower file that cannot take direct I/O at the moment (ext4 with
 * data=journal, for one) may be read through its page cache instead,
 * with the same flag: then the read stops short at the first page it
 * would have to wait for. The caller reads the rest.
 *
 * Return: bytes read (short at the end of the file, or as above),
 * -ENOTBLK when the read must go through the page cache instead, or the
 * read's error.
 */
static ssize_t tk_lower_read_direct(struct file *lower, void *buf,
				    size_t len, loff_t pos)
{
	unsigned int blocksize = i_blocksize(file_inode(lower));
	struct bio_vec bv;
	struct iov_iter iter;
	struct kiocb kiocb;
	ssize_t ret;

	if (!READ_ONCE(takakrypt_direct_reads) ||
	    (lower->f_mode & (FMODE_CAN_ODIRECT | FMODE_NOWAIT)) !=
	    (FMODE_CAN_ODIRECT | FMODE_NOWAIT) ||
	    len < TK_DIRECT_MIN_BYTES || !IS_ALIGNED(len, blocksize) ||
	    !IS_ALIGNED(pos, blocksize) || !PAGE_ALIGNED(buf) ||
	    !virt_addr_valid(buf))
		return -ENOTBLK;
	tk_direct_init(lower, buf, len, pos, READ, &bv, &iter, &kiocb);
	kiocb.ki_flags |= IOCB_NOWAIT;
	ret = vfs_iocb_iter_read(lower, &kiocb, &iter);
	/* Refused or would wait: the page cache does it. */
	if (ret == -EAGAIN || ret == -EINVAL || ret == -EOPNOTSUPP ||
	    ret == -ENOTBLK)
		return -ENOTBLK;
	if (ret > 0)
		atomic64_inc(&takakrypt_stats.direct_reads);
	return ret;
}

/*
 * I/O on the persistent lower file, as the mounter.
 *
 * Reads come mostly from inside a readahead, which holds the reader's
 * block plug: the bios of a lower read that goes to the disk would sit in
 * that plug until the reader sleeps waiting for them, and a plug flushed
 * by the scheduler hands its requests to a kblockd worker, one more
 * thread wake-up per read. So the caller's plug is finished (what it
 * holds goes out now) and started again, with default settings, after
 * the read; the lower filesystem submits the read's bios itself.
 */
ssize_t takakrypt_lower_read(struct inode *inode, void *buf, size_t len,
			     loff_t pos)
{
	struct file *lower = READ_ONCE(takakrypt_i(inode)->lower_file);
	struct blk_plug *plug = current->plug;
	const struct cred *old;
	ssize_t ret, done;

	if (!lower)
		return -EIO;
	if (plug)
		blk_finish_plug(plug);
	old = override_creds(takakrypt_sb(inode->i_sb)->mounter_cred);
	ret = tk_lower_read_direct(lower, buf, len, pos);
	if (ret == -ENOTBLK)
		ret = 0;
	/*
	 * A read that stops short before the end of the lower file (a
	 * direct read as above; a buffered one interrupted by a fatal
	 * signal) goes on: the caller takes a short read for the end of
	 * the file and would fill the rest of its pages with zeros.
	 */
	done = ret;
	while (done >= 0 && done < len &&
	       pos + done < i_size_read(file_inode(lower))) {
		loff_t p = pos + done;

		ret = kernel_read(lower, buf + done, len - done, &p);
		if (ret <= 0) {
			if (ret < 0)
				done = ret;
			break;
		}
		done += ret;
	}
	revert_creds(old);
	if (plug)
		blk_start_plug(plug);
	return done;
}

ssize_t takakrypt_lower_write(struct inode *inode, const void *buf,
			      size_t len, loff_t pos)
{
	struct file *lower = READ_ONCE(takakrypt_i(inode)->lower_file);
	const struct cred *old;
	ssize_t ret;

	if (!lower || !(lower->f_mode & FMODE_WRITE))
		return -EIO;
	old = override_creds(takakrypt_sb(inode->i_sb)->mounter_cred);
	ret = kernel_write(lower, buf, len, &pos);
	revert_creds(old);
	return ret;
}

/*
 * Writes the first bytes of @len at @pos of the lower file straight to its
 * disk, past its page cache, when that can be done: the whole lower blocks
 * of a run of at least TK_DIRECT_MIN_BYTES, from a page-aligned buffer in
 * the kernel's direct map (a run buffer of that size comes from the page
 * allocator: physically contiguous, so one bio_vec covers it), to a file
 * that takes O_DIRECT. Writeback then copies each byte once less and
 * leaves the lower file no dirty pages to write back again at the next
 * sync. A new file's header is still a dirty page of the lower file: it
 * is written out first, so that no crash can leave the data's blocks and
 * size on the disk without the header that decrypts them; if that fails,
 * the run goes through the page cache as it would without direct writes
 * (the lower file keeps the error for its next fsync).
 *
 * Return: bytes written (a multiple of the lower block size; the caller
 * writes the rest), -ENOTBLK when the run must go through the page cache
 * instead, or the direct write's error.
 */
static ssize_t tk_lower_write_direct(struct file *lower, const void *buf,
				     size_t len, loff_t pos)
{
	unsigned int blocksize = i_blocksize(file_inode(lower));
	size_t direct = round_down(len, blocksize);
	struct bio_vec bv;
	struct iov_iter iter;
	struct kiocb kiocb;
	ssize_t ret;

	if (!READ_ONCE(takakrypt_direct_writes) ||
	    !(lower->f_mode & FMODE_CAN_ODIRECT) ||
	    direct < TK_DIRECT_MIN_BYTES || !IS_ALIGNED(pos, blocksize) ||
	    !PAGE_ALIGNED(buf) || !virt_addr_valid(buf))
		return -ENOTBLK;
	if (filemap_fdatawrite_range(lower->f_mapping, 0,
				     TAKAKRYPT_FILE_HEADER_SIZE - 1) ||
	    filemap_fdatawait_range_keep_errors(lower->f_mapping, 0,
						TAKAKRYPT_FILE_HEADER_SIZE - 1))
		return -ENOTBLK;
	tk_direct_init(lower, buf, direct, pos, WRITE, &bv, &iter, &kiocb);
	/*
	 * Linux 6.1's vfs_iocb_iter_write() leaves freeze protection to its
	 * caller; later kernels take it inside (revisit when porting).
	 */
	file_start_write(lower);
	ret = vfs_iocb_iter_write(lower, &kiocb, &iter);
	file_end_write(lower);
	/*
	 * Refused (or failed part-way, which the buffered write that follows
	 * then repeats with the same bytes): the page cache does it.
	 */
	if (ret == -EINVAL || ret == -EOPNOTSUPP)
		ret = -ENOTBLK;
	return ret;
}

/**
 * takakrypt_lower_write_run() - write a run of stored units to the lower
 * file: its whole blocks past its page cache when possible
 * (tk_lower_write_direct()), the rest through it.
 * @inode: upper inode
 * @buf: the stored units, in the run buffer the request returned them in
 * @len: bytes
 * @pos: lower offset
 *
 * Return: bytes written or a negative errno.
 */
ssize_t takakrypt_lower_write_run(struct inode *inode, const void *buf,
				  size_t len, loff_t pos)
{
	struct file *lower = READ_ONCE(takakrypt_i(inode)->lower_file);
	const struct cred *old;
	ssize_t ret, done;

	if (!lower || !(lower->f_mode & FMODE_WRITE))
		return -EIO;
	old = override_creds(takakrypt_sb(inode->i_sb)->mounter_cred);
	ret = tk_lower_write_direct(lower, buf, len, pos);
	revert_creds(old);
	if (ret == -ENOTBLK)
		return takakrypt_lower_write(inode, buf, len, pos);
	if (ret > 0)
		atomic64_inc(&takakrypt_stats.direct_runs);
	if (ret < 0 || ret == len)
		return ret;
	/* The tail of the run, or what a short direct write left. */
	done = ret;
	ret = takakrypt_lower_write(inode, buf + done, len - done, pos + done);
	return ret < 0 ? ret : done + ret;
}

/**
 * takakrypt_header_get() - the inode's header, referenced.
 * @inode: upper inode
 *
 * Return: the header (drop it with takakrypt_header_put()) or NULL.
 */
struct takakrypt_header *takakrypt_header_get(struct inode *inode)
{
	struct takakrypt_inode_info *ti = takakrypt_i(inode);
	struct takakrypt_header *h;

	spin_lock(&ti->header_lock);
	h = ti->header;
	if (h)
		refcount_inc(&h->ref);
	spin_unlock(&ti->header_lock);
	return h;
}

void takakrypt_header_put(struct takakrypt_header *h)
{
	if (h && refcount_dec_and_test(&h->ref))
		kfree(h);
}

static void tk_header_set(struct inode *inode, struct takakrypt_header *h)
{
	struct takakrypt_inode_info *ti = takakrypt_i(inode);
	struct takakrypt_header *old;

	spin_lock(&ti->header_lock);
	old = ti->header;
	ti->header = h;
	spin_unlock(&ti->header_lock);
	takakrypt_header_put(old);
}

/* At eviction: nobody else can hold the inode. */
void takakrypt_header_release(struct inode *inode)
{
	tk_header_set(inode, NULL);
}

/*
 * takakrypt_raw_changed() - the lower file was changed as stored bytes
 * (a backup process restoring it): forget the header and the cached
 * plaintext, and take the size from the lower file. Caller holds the
 * inode lock and has written back the dirty pages.
 */
void takakrypt_raw_changed(struct inode *inode)
{
	struct takakrypt_inode_info *ti = takakrypt_i(inode);

	/* Not while a loader may publish the bytes it read before. */
	mutex_lock(&ti->header_mutex);
	tk_header_set(inode, NULL);
	mutex_unlock(&ti->header_mutex);
	truncate_pagecache(inode, 0);
	i_size_write(inode,
		     takakrypt_plain_size(i_size_read(takakrypt_lower_inode(inode))));
}

static const char *const tk_reasons[] = {
	[TAKAKRYPT_CRYPT_R_NONE] = "none",
	[TAKAKRYPT_CRYPT_R_NOT_ENCRYPTED] = "not an encrypted file",
	[TAKAKRYPT_CRYPT_R_HEADER_INVALID] = "invalid file header",
	[TAKAKRYPT_CRYPT_R_HEADER_TAMPERED] = "file header failed verification",
	[TAKAKRYPT_CRYPT_R_KEY_MISSING] = "key not in the key store",
	[TAKAKRYPT_CRYPT_R_NO_KEY_RULE] = "no key rule for the file",
	[TAKAKRYPT_CRYPT_R_BAD_REQUEST] = "agent refused the request",
	[TAKAKRYPT_CRYPT_R_INTERNAL] = "agent internal error",
};

/*
 * Turns the outcome of a crypt request into 0 or an errno for the caller:
 * -ENOMEM stays (callers may retry smaller), everything else is -EIO.
 */
static int tk_crypt_result(struct inode *inode, u32 op, int ret,
			   const struct takakrypt_crypt_reply *r)
{
	if (!ret && !r->status)
		return 0;
	atomic64_inc(&takakrypt_stats.crypt_failures);
	if (ret)
		pr_warn_ratelimited("crypt op %u for inode %lu failed: %d\n",
				    op, inode->i_ino, ret);
	else
		pr_warn_ratelimited("crypt op %u for inode %lu refused by the agent: %s (%d)\n",
				    op, inode->i_ino,
				    r->reason < ARRAY_SIZE(tk_reasons) ?
				    tk_reasons[r->reason] : "?", r->status);
	return ret == -ENOMEM ? -ENOMEM : -EIO;
}

/* Fills the parts every crypt request has. @path may be NULL. */
static void tk_msg_init(struct takakrypt_crypt_msg *m, struct inode *inode,
			u32 op, const char *path)
{
	struct takakrypt_sb_info *sbi = takakrypt_sb(inode->i_sb);

	memset(m, 0, sizeof(*m));
	m->req.op = op;
	if (!(current->flags & PF_KTHREAD)) {
		m->req.pid = task_tgid_nr(current);
		m->req.uid = from_kuid(&init_user_ns, current_fsuid());
	}
	m->req.inode = takakrypt_lower_inode(inode)->i_ino;
	m->gp_path = sbi->gp_path;
	m->path = path ? path : "";
	m->policy = sbi->policy;
}

/*
 * Spare headers. A NEW_HEADER reply may bring spares for the guard point's
 * next new files (docs/PROTOCOL.md, "Spare headers"); kept here, they
 * save those files their round trip. Each is handed out once, oldest
 * first; one past its time or of an earlier epoch is freed instead.
 */
static void tk_spares_drop_locked(struct takakrypt_spare_pool *sp)
{
	while (sp->n)
		kfree(sp->hdr[--sp->n].bytes);
}

/* Takes a spare header into @out; false when none is fit to use. */
static bool tk_spare_take(struct takakrypt_sb_info *sbi, u8 *out)
{
	struct takakrypt_spare_pool *sp = &sbi->spares;
	u8 *got = NULL;
	unsigned int i = 0;

	spin_lock(&sp->lock);
	if (sp->epoch != takakrypt_header_epoch())
		tk_spares_drop_locked(sp);
	for (; i < sp->n && !got; i++) {
		if (time_before(jiffies, sp->hdr[i].expires))
			got = sp->hdr[i].bytes;
		else
			kfree(sp->hdr[i].bytes);
	}
	sp->n -= i;
	memmove(sp->hdr, sp->hdr + i, sp->n * sizeof(sp->hdr[0]));
	spin_unlock(&sp->lock);
	if (!got)
		return false;
	memcpy(out, got, TAKAKRYPT_FILE_HEADER_SIZE);
	kfree(got);
	atomic64_inc(&takakrypt_stats.spare_headers_used);
	return true;
}

/*
 * Keeps the spares of a reply to a request sent at @sent (jiffies) under
 * @epoch, if no reload or agent change came since; frees the ones not
 * kept. Their time counts from the sending: the agent took them from its
 * pool after that.
 */
static void tk_spares_keep(struct takakrypt_sb_info *sbi,
			   struct takakrypt_spare_headers *got, u64 epoch,
			   unsigned long sent)
{
	struct takakrypt_spare_pool *sp = &sbi->spares;
	unsigned long expires = sent +
		msecs_to_jiffies(TAKAKRYPT_SPARE_HEADER_TTL_MS);
	unsigned int i = 0;

	spin_lock(&sp->lock);
	if (epoch == takakrypt_header_epoch()) {
		if (sp->epoch != epoch) {
			tk_spares_drop_locked(sp);
			sp->epoch = epoch;
		}
		for (; i < got->n && sp->n < TAKAKRYPT_MAX_SPARE_HEADERS; i++) {
			sp->hdr[sp->n].bytes = got->bytes[i];
			sp->hdr[sp->n++].expires = expires;
		}
	}
	spin_unlock(&sp->lock);
	for (; i < got->n; i++)
		kfree(got->bytes[i]);
	got->n = 0;
}

/**
 * takakrypt_spares_count() - spare headers a guard point could hand out
 * now (expired ones are freed at the next take).
 * @sbi: the guard point
 */
unsigned int takakrypt_spares_count(struct takakrypt_sb_info *sbi)
{
	unsigned int i, n = 0;

	spin_lock(&sbi->spares.lock);
	if (sbi->spares.epoch == takakrypt_header_epoch())
		for (i = 0; i < sbi->spares.n; i++)
			n += time_before(jiffies, sbi->spares.hdr[i].expires);
	spin_unlock(&sbi->spares.lock);
	return n;
}

/**
 * takakrypt_spares_free() - free a guard point's spare headers at unmount.
 * @sbi: the guard point
 */
void takakrypt_spares_free(struct takakrypt_sb_info *sbi)
{
	spin_lock(&sbi->spares.lock);
	tk_spares_drop_locked(&sbi->spares);
	spin_unlock(&sbi->spares.lock);
}

/*
 * Asks the agent for a new header (NEW_HEADER, whose reply's spares go
 * to @spares if set) or to verify one.
 */
static int tk_header_request(struct inode *inode, struct dentry *dentry,
			     u32 op, u8 *bytes, size_t have,
			     struct takakrypt_spare_headers *spares)
{
	struct takakrypt_crypt_reply r = {};
	struct takakrypt_crypt_msg m;
	const char *path = NULL;
	char *buf = NULL;
	int ret;

	if (dentry) {
		buf = __getname();
		if (!buf)
			return -ENOMEM;
		path = dentry_path_raw(dentry, buf, PATH_MAX);
		if (IS_ERR(path))
			path = NULL;
	}
	tk_msg_init(&m, inode, op, path);
	if (op == TAKAKRYPT_CRYPT_OPEN_HEADER) {
		m.header = bytes;
		m.req.length = have;
	} else {
		m.out = bytes;
		m.spares = spares;
	}
	ret = takakrypt_genl_crypt(&m, &r);
	if (buf)
		__putname(buf);
	return tk_crypt_result(inode, op, ret, &r);
}

/* A header for a new file: a spare one, else one the agent makes now. */
static int tk_new_header(struct inode *inode, struct dentry *dentry, u8 *out)
{
	struct takakrypt_sb_info *sbi = takakrypt_sb(inode->i_sb);
	struct takakrypt_spare_headers spares;
	unsigned long sent;
	u64 epoch;
	int ret;

	if (tk_spare_take(sbi, out))
		return 0;
	spares.n = 0;
	epoch = takakrypt_header_epoch();
	sent = jiffies;
	ret = tk_header_request(inode, dentry, TAKAKRYPT_CRYPT_NEW_HEADER,
				out, 0, &spares);
	if (ret)
		epoch = U64_MAX;	/* keeps none */
	tk_spares_keep(sbi, &spares, epoch, sent);
	return ret;
}

/* Whether the lower file holds no data unit, just (at most) a header. */
static bool tk_header_only(struct takakrypt_inode_info *ti)
{
	return i_size_read(ti->lower_inode) <= TAKAKRYPT_FILE_HEADER_SIZE;
}

/* Has the agent verify the whole header @h kept unverified. */
static int tk_header_open(struct inode *inode, struct dentry *dentry,
			  struct takakrypt_header *h)
{
	int ret;

	ret = tk_header_request(inode, dentry, TAKAKRYPT_CRYPT_OPEN_HEADER,
				h->bytes, TAKAKRYPT_FILE_HEADER_SIZE, NULL);
	if (!ret)
		WRITE_ONCE(h->verified, true);
	return ret;
}

/**
 * takakrypt_header_load() - make sure the inode's header is known.
 * @inode: upper inode of a regular file whose lower file is open
 * @dentry: for the path in the request, or NULL
 * @create: the file is to be written: an empty lower file gets a new
 *	header (needs a writable lower file and @dentry, whose path selects
 *	the key), and a header the agent has not verified yet is verified
 *	now. Without it a whole header is kept unverified: the agent
 *	verifies it with the first data request.
 *
 * Return: 0 (the header is cached, or the lower file is empty and
 * @create is false), -EIO when the agent refuses the header, or another
 * negative errno.
 */
int takakrypt_header_load(struct inode *inode, struct dentry *dentry,
			  bool create)
{
	struct takakrypt_inode_info *ti = takakrypt_i(inode);
	struct takakrypt_header *h;
	bool done;
	loff_t size;
	ssize_t n;
	int ret = 0;

	/*
	 * Referenced: a raw restore may drop the inode's header any time.
	 * One kept unverified is verified now for writing, and at an open
	 * (@dentry) of a file that is the header alone, which no data
	 * request will carry (it may have been truncated since).
	 */
	h = takakrypt_header_get(inode);
	done = h && (READ_ONCE(h->verified) ||
		     !(create || (dentry && tk_header_only(ti))));
	takakrypt_header_put(h);
	if (done)
		return 0;
	mutex_lock(&ti->header_mutex);
	h = takakrypt_header_get(inode);
	if (h) {
		if (!READ_ONCE(h->verified) &&
		    (create || (dentry && tk_header_only(ti))))
			ret = tk_header_open(inode, dentry, h);
		takakrypt_header_put(h);
		goto out;
	}
	size = i_size_read(ti->lower_inode);
	if (!size && !create)
		goto out;
	ret = -ENOMEM;
	h = kzalloc(sizeof(*h), GFP_KERNEL);
	if (!h)
		goto out;
	refcount_set(&h->ref, 1);

	if (!size) {
		h->verified = true;
		ret = tk_new_header(inode, dentry, h->bytes);
		if (!ret) {
			n = takakrypt_lower_write(inode, h->bytes,
						  TAKAKRYPT_FILE_HEADER_SIZE, 0);
			if (n != TAKAKRYPT_FILE_HEADER_SIZE)
				ret = n < 0 ? n : -EIO;
		}
	} else {
		n = takakrypt_lower_read(inode, h->bytes,
					 TAKAKRYPT_FILE_HEADER_SIZE, 0);
		ret = n < 0 ? n : 0;
		/*
		 * A whole header read for reading only goes unverified with
		 * the first data request. A short one (plaintext) is the
		 * agent's to refuse now, and to say why; so is the header
		 * of an empty file, which no data request will carry.
		 */
		if (!ret && (create || n != TAKAKRYPT_FILE_HEADER_SIZE ||
			     (dentry && size <= TAKAKRYPT_FILE_HEADER_SIZE))) {
			h->verified = true;
			ret = tk_header_request(inode, dentry,
						TAKAKRYPT_CRYPT_OPEN_HEADER,
						h->bytes, n, NULL);
		}
	}
	if (ret)
		kfree(h);
	else
		tk_header_set(inode, h);
out:
	mutex_unlock(&ti->header_mutex);
	return ret;
}

/*
 * Verifies the header before zeros are read with it: zeros need no key,
 * but a damaged header must fail the read all the same. For readers only
 * (an open file keeps the inode, so dropping the alias cannot evict it).
 */
static int tk_header_verify(struct inode *inode)
{
	struct takakrypt_inode_info *ti = takakrypt_i(inode);
	struct takakrypt_header *h = takakrypt_header_get(inode);
	struct dentry *dentry;
	bool verified;
	int ret = 0;

	if (!h) {
		/* None kept (a raw restore dropped it): read it first. */
		ret = takakrypt_header_load(inode, NULL, false);
		if (ret)
			return ret;
		h = takakrypt_header_get(inode);
	}
	verified = !h || READ_ONCE(h->verified);	/* !h: empty file */
	takakrypt_header_put(h);
	if (verified)
		return 0;
	dentry = d_find_alias(inode);	/* for the path in the request */
	mutex_lock(&ti->header_mutex);
	h = takakrypt_header_get(inode);
	if (h && !READ_ONCE(h->verified))
		ret = tk_header_open(inode, dentry, h);
	takakrypt_header_put(h);
	mutex_unlock(&ti->header_mutex);
	dput(dentry);
	return ret;
}

/*
 * The file's path in the guard point (one of its names), for a DECRYPT
 * that carries a header not verified yet: should the agent refuse it, its
 * audit record names the file. NULL when there is none or no memory.
 * Readers only: an open file keeps the inode, so dropping the alias
 * cannot evict it (writeback must not do this).
 */
static const char *tk_inode_path(struct inode *inode, char **buf)
{
	struct dentry *dentry = d_find_alias(inode);
	const char *path = NULL;

	*buf = NULL;
	if (!dentry)
		return NULL;
	*buf = __getname();
	if (*buf) {
		path = dentry_path_raw(dentry, *buf, PATH_MAX);
		if (IS_ERR(path))
			path = NULL;
	}
	dput(dentry);
	return path;
}

/* Whether the first @len bytes of the run are all zero. */
static bool tk_run_is_zero(struct page **pages, const u8 *buf, size_t len)
{
	size_t done, n;
	bool zero = true;
	u8 *addr;

	if (!pages)
		return !memchr_inv(buf, 0, len);
	for (done = 0; zero && done < len; done += n, pages++) {
		n = min_t(size_t, len - done, PAGE_SIZE);
		addr = kmap_local_page(*pages);
		zero = !memchr_inv(addr, 0, n);
		kunmap_local(addr);
	}
	return zero;
}

/*
 * No agent answered: none was there, it went away, or it was too slow.
 * The data was not processed and may be sent again later.
 */
static bool tk_unanswered(int ret)
{
	switch (ret) {
	case -ENOTCONN:		/* no agent registered */
	case -ECONNREFUSED:	/* its socket was gone when sending */
	case -EAGAIN:		/* its socket stayed full until the timeout */
	case -ECONNRESET:	/* it went away with the request */
	case -ETIMEDOUT:
	case -EINTR:
		return true;
	default:
		return false;
	}
}

/* A job that could not be sent: count it, say why, drop the header. */
static void tk_crypt_fail(struct takakrypt_crypt_job *job)
{
	struct takakrypt_crypt_reply r = {};
	int sent = job->ret;

	job->ret = tk_crypt_result(job->inode, job->op, sent, &r);
	if (tk_unanswered(sent))
		job->ret = -ENOTCONN;
	if (job->header) {
		takakrypt_header_put(job->header);
		job->header = NULL;
	}
}

/**
 * takakrypt_crypt_begin() - start encrypting or decrypting a run of units.
 * @job: the run in flight; finish it with takakrypt_crypt_end()
 * @inode: upper inode
 * @encrypt: true: @pages (plaintext) -> @buf; false: @buf in place
 * @first: index of the run's first unit in the file
 * @pages: @nr page cache pages, the plaintext to encrypt
 * @nr: number of units
 * @buf: @len bytes: the stored units to decrypt, or where the encrypted
 *	units go; it must stay until takakrypt_crypt_end()
 * @len: bytes of the run: every unit 4096 but the last
 *
 * An all-zero run, or one that cannot be sent, is done at once: its
 * outcome waits in @job. Several jobs may be in flight at once.
 */
void takakrypt_crypt_begin(struct takakrypt_crypt_job *job, struct inode *inode,
			   bool encrypt, pgoff_t first, struct page **pages,
			   unsigned int nr, u8 *buf, size_t len)
{
	struct takakrypt_crypt_msg *m = &job->msg;
	char *name = NULL;
	int ret;

	BUILD_BUG_ON(TAKAKRYPT_DATA_UNIT_SIZE != PAGE_SIZE);
	job->inode = inode;
	job->op = encrypt ? TAKAKRYPT_CRYPT_ENCRYPT : TAKAKRYPT_CRYPT_DECRYPT;
	job->header = NULL;
	job->sent = false;
	job->ret = -EIO;
	if (WARN_ON_ONCE(!nr || nr > TAKAKRYPT_MAX_RUN_UNITS ||
			 len > nr * PAGE_SIZE || len <= (nr - 1) * PAGE_SIZE))
		return;
	if (tk_run_is_zero(encrypt ? pages : NULL, buf, len)) {
		ret = encrypt ? 0 : tk_header_verify(inode);
		if (ret) {
			job->ret = ret == -ENOMEM ? ret : -EIO;
			return;
		}
		if (encrypt)
			memset(buf, 0, len);
		atomic64_inc(&takakrypt_stats.zero_runs);
		job->ret = 0;
		return;
	}

	job->header = takakrypt_header_get(inode);
	if (!job->header) {
		ret = takakrypt_header_load(inode, NULL, false);
		if (ret) {
			job->ret = ret == -ENOMEM ? ret : -EIO;
			return;
		}
		job->header = takakrypt_header_get(inode);
		if (!job->header) {
			pr_warn_ratelimited("inode %lu has data but no header\n",
					    inode->i_ino);
			return;
		}
	}
	tk_msg_init(m, inode, job->op, NULL);
	/*
	 * The agent verifies every header new to it, also an ENCRYPT's (one
	 * kept unverified since a raw restore); only a reader's names the
	 * file.
	 */
	m->path = encrypt || READ_ONCE(job->header->verified) ? NULL :
		  tk_inode_path(inode, &name);
	m->policy = NULL;
	m->req.first_unit = first;
	m->req.length = len;
	m->header = job->header->bytes;
	if (encrypt)
		m->pages = pages;
	else
		m->data = buf;
	m->out = buf;
	atomic64_add(nr, &takakrypt_stats.crypt_units);
	ret = takakrypt_crypt_start(&job->call, m);
	/* The message is built and sent: the path is no longer needed. */
	m->path = NULL;
	if (name)
		__putname(name);
	if (ret) {
		job->ret = ret;
		tk_crypt_fail(job);
		return;
	}
	job->sent = true;
}

/**
 * takakrypt_crypt_end() - wait for a run started by takakrypt_crypt_begin().
 * @job: the run
 *
 * Return: 0, -ENOMEM (retry with fewer units), -ENOTCONN when no agent
 * answered (none there, it went away or timed out: the run may be sent
 * again), or -EIO (refused, or a reply that does not fit).
 */
int takakrypt_crypt_end(struct takakrypt_crypt_job *job)
{
	struct takakrypt_crypt_reply r = {};
	int ret;

	if (!job->sent)
		return job->ret;
	job->sent = false;
	ret = takakrypt_crypt_finish(&job->call, &r);
	job->ret = tk_crypt_result(job->inode, job->op, ret, &r);
	if (!job->ret && !READ_ONCE(job->header->verified))
		WRITE_ONCE(job->header->verified, true);	/* the agent took it */
	else if (tk_unanswered(ret))
		job->ret = -ENOTCONN;
	takakrypt_header_put(job->header);
	job->header = NULL;
	return job->ret;
}

/**
 * takakrypt_crypt_run() - encrypt or decrypt a run of data units and wait:
 * takakrypt_crypt_begin() then takakrypt_crypt_end().
 *
 * Return: as takakrypt_crypt_end().
 */
int takakrypt_crypt_run(struct inode *inode, bool encrypt, pgoff_t first,
			struct page **pages, unsigned int nr, u8 *buf,
			size_t len)
{
	struct takakrypt_crypt_job job;

	takakrypt_crypt_begin(&job, inode, encrypt, first, pages, nr, buf, len);
	return takakrypt_crypt_end(&job);
}

/*
 * Zeroes [@from, @to) of the cached page @index, reading it first, and
 * marks it dirty so that writeback stores it at the file's length then.
 */
static int tk_dirty_partial(struct inode *inode, pgoff_t index,
			    unsigned int from, unsigned int to)
{
	struct page *page;

	page = read_mapping_page(inode->i_mapping, index, NULL);
	if (IS_ERR(page))
		return PTR_ERR(page);
	lock_page(page);
	if (from < to)
		zero_user_segment(page, from, to);
	set_page_dirty(page);
	unlock_page(page);
	put_page(page);
	return 0;
}

/**
 * takakrypt_prepare_extend() - before the size grows to @new_size, what
 * the page holding the current end has past it must read as zeros.
 * @inode: upper inode, locked
 * @new_size: the size about to be set
 *
 * Return: 0 or a negative errno.
 */
int takakrypt_prepare_extend(struct inode *inode, loff_t new_size)
{
	loff_t size = i_size_read(inode);
	unsigned int tail = offset_in_page(size);

	if (new_size <= size || !tail)
		return 0;
	return tk_dirty_partial(inode, size >> PAGE_SHIFT, tail, PAGE_SIZE);
}

/**
 * takakrypt_end_extend() - after the size grew from @old_size: the unit
 * that held the old end, if short, is stored again at its new length.
 * Dirtying it after the size changed matters: writeback between the two
 * steps may have stored it at the old length.
 * @inode: upper inode, locked
 * @old_size: the size before
 *
 * Return: 0 or a negative errno.
 */
int takakrypt_end_extend(struct inode *inode, loff_t old_size)
{
	if (i_size_read(inode) <= old_size || !offset_in_page(old_size))
		return 0;
	return tk_dirty_partial(inode, old_size >> PAGE_SHIFT, 0, 0);
}

static int tk_lower_truncate(struct dentry *dentry, loff_t lower_size)
{
	struct iattr ia = { .ia_valid = ATTR_SIZE, .ia_size = lower_size };

	return takakrypt_lower_setattr(dentry, &ia);
}

/**
 * takakrypt_set_plain_size() - truncate or extend a file as plaintext.
 * @dentry: the file; its inode is locked
 * @new_size: the new plaintext size
 *
 * The lower file becomes header + @new_size bytes (or stays empty when it
 * has no header and @new_size is 0); the unit that holds the new end is
 * stored again at its new length.
 *
 * Return: 0 or a negative errno.
 */
int takakrypt_set_plain_size(struct dentry *dentry, loff_t new_size)
{
	struct inode *inode = d_inode(dentry);
	struct address_space *mapping = inode->i_mapping;
	loff_t size = i_size_read(inode);
	struct page *page = NULL;
	loff_t lower_size;
	int ret;

	ret = filemap_write_and_wait(mapping);
	if (ret)
		return ret;
	if (new_size) {
		ret = takakrypt_lower_file_get(inode, dentry, true);
		if (!ret)
			ret = takakrypt_header_load(inode, dentry, true);
		if (ret)
			return ret;
	}
	if (new_size > size) {
		ret = takakrypt_prepare_extend(inode, new_size);
	} else if (new_size < size && offset_in_page(new_size)) {
		/* Read the new last unit while it is stored at its old length. */
		page = read_mapping_page(mapping, new_size >> PAGE_SHIFT, NULL);
		if (IS_ERR(page))
			ret = PTR_ERR(page);
	}
	if (ret)
		return ret;

	lower_size = READ_ONCE(takakrypt_i(inode)->header) ?
		     takakrypt_lower_pos(new_size) : 0;
	truncate_setsize(inode, new_size);
	ret = tk_lower_truncate(dentry, lower_size);
	if (new_size > size) {
		if (!ret)
			ret = takakrypt_end_extend(inode, size);
	} else if (page) {
		/* Its tail is zeroed now; store it at the new length. */
		lock_page(page);
		set_page_dirty(page);
		unlock_page(page);
		put_page(page);
	}
	if (!ret)
		ret = filemap_write_and_wait(mapping);
	return ret;
}

/* Zeroes [@start, @end) of the plaintext through the page cache. */
static int tk_zero_edge(struct inode *inode, loff_t start, loff_t end)
{
	if (start >= end)
		return 0;
	return tk_dirty_partial(inode, start >> PAGE_SHIFT,
				offset_in_page(start),
				offset_in_page(end - 1) + 1);
}

/*
 * Punch or zero [@offset, @end) inside the file: partial units at the
 * edges are zeroed as plaintext; whole units (and a short last unit
 * covered to the end) are punched or zeroed in the lower file, where
 * zeros read back as zeros.
 */
static long tk_zero_inside(struct file *file, int mode, loff_t offset,
			   loff_t end)
{
	struct inode *inode = file_inode(file);
	struct file *lower = READ_ONCE(takakrypt_i(inode)->lower_file);
	loff_t size = i_size_read(inode);
	loff_t first = round_up(offset, PAGE_SIZE);
	loff_t last = end >= size ? size : round_down(end, PAGE_SIZE);
	long ret;

	end = min(end, size);
	if (offset >= end)
		return 0;
	if (first >= last) {
		/* Within one unit, or across a boundary without a whole one. */
		first = min(first, end);
		ret = tk_zero_edge(inode, offset, first);
		if (!ret)
			ret = tk_zero_edge(inode, first, end);
		return ret;
	}
	ret = tk_zero_edge(inode, offset, first);
	if (!ret)
		ret = tk_zero_edge(inode, last, end);
	if (ret)
		return ret;
	truncate_pagecache_range(inode, first, last - 1);
	return vfs_fallocate(lower, (mode & ~FALLOC_FL_KEEP_SIZE) |
			     FALLOC_FL_KEEP_SIZE, takakrypt_lower_pos(first),
			     last - first);
}

/**
 * takakrypt_plain_fallocate() - fallocate on the plaintext view.
 * @file: the upper file (applykey), its inode locked and written back
 * @mode: 0, FALLOC_FL_KEEP_SIZE, PUNCH_HOLE or ZERO_RANGE (with KEEP_SIZE)
 * @offset: plaintext offset
 * @len: bytes
 *
 * Return: 0 or a negative errno.
 */
long takakrypt_plain_fallocate(struct file *file, int mode, loff_t offset,
			       loff_t len)
{
	struct inode *inode = file_inode(file);
	struct file *lower = READ_ONCE(takakrypt_i(inode)->lower_file);
	loff_t end = offset + len;
	loff_t size = i_size_read(inode);
	bool grow = !(mode & FALLOC_FL_KEEP_SIZE) && end > size;
	long ret;

	ret = takakrypt_header_load(inode, file->f_path.dentry, true);
	if (ret)
		return ret;
	if (mode & (FALLOC_FL_PUNCH_HOLE | FALLOC_FL_ZERO_RANGE)) {
		ret = tk_zero_inside(file, mode, offset, end);
		if (ret || !grow)
			goto out;
		/* ZERO_RANGE past the end: the rest is a plain extension. */
		offset = i_size_read(inode);
		mode = 0;
	}
	if (grow)
		ret = takakrypt_prepare_extend(inode, end);
	if (!ret)
		ret = vfs_fallocate(lower, mode, takakrypt_lower_pos(offset),
				    end - offset);
	if (!ret && grow) {
		i_size_write(inode, end);
		ret = takakrypt_end_extend(inode, size);
	}
out:
	if (!ret)
		ret = filemap_write_and_wait(inode->i_mapping);
	return ret;
}
