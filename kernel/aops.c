// SPDX-License-Identifier: GPL-2.0-only
/*
 * Address_space operations of a guard point's regular files.
 *
 * Applications read and write the upper page cache (plaintext); only
 * these functions move data between it and the lower file, always through
 * a bounce buffer and the agent (takakrypt_crypt_run()): one page is one
 * 4096-byte data unit, a run of pages is one request, and the lower file
 * has the header in front (tk_lower_pos()).
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/fs.h>
#include <linux/pagemap.h>
#include <linux/writeback.h>
#include <linux/highmem.h>
#include <linux/slab.h>
#include <linux/cred.h>
#include <linux/uio.h>
#include <linux/mutex.h>
#include <linux/string.h>
#include <linux/sched.h>
#include <linux/sched/mm.h>

#include <takakrypt.h>

#include "aops.h"
#include "inode.h"
#include "super.h"
#include "data.h"
#include "genl.h"

/* Where page @index of the upper file lives in the lower file. */
static loff_t tk_lower_pos(pgoff_t index)
{
	return takakrypt_lower_pos((loff_t)index << PAGE_SHIFT);
}

/*
 * Run buffers are kept for reuse: on kernels that initialise allocations
 * a fresh 120 KiB buffer costs its zeroing, and a freed one its wiping.
 * Only full-size buffers are kept; when none is free a buffer of just
 * the run's length is allocated, so a short run or a split one asks for
 * no more memory than it needs. A buffer that held plaintext is wiped
 * over its used length before it is kept (tk_buf_put()); kept buffers
 * are otherwise ciphertext or zeroes, and freed at module exit.
 */
#define TK_BUF_SIZE	(TAKAKRYPT_MAX_RUN_UNITS * PAGE_SIZE)
#define TK_BUF_KEEP	16

static void *tk_buf_kept[TK_BUF_KEEP];
static unsigned int tk_buf_nkept;
static DEFINE_SPINLOCK(tk_buf_lock);

/* A buffer of at least @len bytes (at most TK_BUF_SIZE), or NULL. */
static u8 *tk_buf_get(size_t len)
{
	void *buf = NULL;

	spin_lock(&tk_buf_lock);
	if (tk_buf_nkept)
		buf = tk_buf_kept[--tk_buf_nkept];
	spin_unlock(&tk_buf_lock);
	if (!buf && len > PAGE_SIZE)
		buf = kmalloc(TK_BUF_SIZE, GFP_NOFS | __GFP_NOWARN |
			      __GFP_NORETRY);
	if (!buf)
		buf = kmalloc(len, GFP_NOFS | __GFP_NOWARN);
	return buf;
}

/*
 * Gives a buffer back. @plain: how many bytes of plaintext it may hold
 * (a decrypted run), wiped first.
 */
static void tk_buf_put(u8 *buf, size_t plain)
{
	if (!buf)
		return;
	if (ksize(buf) < TK_BUF_SIZE) {
		kfree_sensitive(buf);
		return;
	}
	memzero_explicit(buf, plain);
	spin_lock(&tk_buf_lock);
	if (tk_buf_nkept < TK_BUF_KEEP) {
		tk_buf_kept[tk_buf_nkept++] = buf;
		buf = NULL;
	}
	spin_unlock(&tk_buf_lock);
	kfree_sensitive(buf);
}

/* At module exit: no guard point is mounted. */
void takakrypt_aops_exit(void)
{
	while (tk_buf_nkept)
		kfree_sensitive(tk_buf_kept[--tk_buf_nkept]);
}

/* For a run of one page when memory is short: I/O must progress. */
static u8 tk_reserve_buf[PAGE_SIZE];
static DEFINE_MUTEX(tk_reserve_mutex);

/* Copies @len bytes of @buf into @nr pages, zero-filling the rest. */
static void tk_fill_pages(struct page **pages, unsigned int nr, const u8 *buf,
			  size_t len)
{
	unsigned int i;
	size_t n;

	for (i = 0; i < nr; i++) {
		n = len > i * PAGE_SIZE ? min_t(size_t, len - i * PAGE_SIZE,
						PAGE_SIZE) : 0;
		if (n)
			memcpy_to_page(pages[i], 0, buf + i * PAGE_SIZE, n);
		if (n < PAGE_SIZE)
			zero_user_segment(pages[i], n, PAGE_SIZE);
	}
}

/*
 * Fills @nr locked pages from the lower file, decrypted; beyond its end,
 * zeroes. Each unit is decrypted at the length the lower file has for it.
 */
static int tk_read_pages(struct inode *inode, struct page **pages,
			 unsigned int nr)
{
	struct file *lower = READ_ONCE(takakrypt_i(inode)->lower_file);
	size_t len = nr * PAGE_SIZE;
	bool reserve = false;
	ssize_t n;
	u8 *buf;
	int ret = -EIO;

	if (!lower)
		goto out;
	ret = -ENOMEM;
	buf = tk_buf_get(len);
	if (!buf && nr > 1)
		goto out;
	if (!buf) {
		mutex_lock(&tk_reserve_mutex);
		buf = tk_reserve_buf;
		reserve = true;
	}

	n = takakrypt_lower_read(inode, buf, len, tk_lower_pos(pages[0]->index));
	ret = n < 0 ? n : 0;
	if (n > 0)
		ret = takakrypt_crypt_run(inode, false, pages[0]->index, pages,
					  DIV_ROUND_UP(n, PAGE_SIZE), buf, n);
	if (!ret)
		tk_fill_pages(pages, nr, buf, n);
	else if (ret == -ENOTCONN)
		ret = -EIO;	/* no agent answered: nothing to read */
	if (reserve) {
		memzero_explicit(buf, PAGE_SIZE);
		mutex_unlock(&tk_reserve_mutex);
	} else {
		tk_buf_put(buf, len);
	}
out:
	return ret;
}

static int tk_read_folio(struct file *file, struct folio *folio)
{
	struct page *page = &folio->page;
	int ret;

	ret = tk_read_pages(folio->mapping->host, &page, 1);
	if (ret)
		folio_set_error(folio);
	else
		folio_mark_uptodate(folio);
	folio_unlock(folio);
	return ret;
}

/* Pages moved to or from the lower file by one request and one call. */
#define TK_RUN_MAX_PAGES	TAKAKRYPT_MAX_RUN_UNITS

/*
 * Writes @nr consecutive pages that are under writeback and referenced;
 * the last one holds @last_len bytes of the file. SB_I_STABLE_WRITES keeps
 * their contents still until end_page_writeback(), so they need no lock.
 */
static int tk_write_run(struct inode *inode, struct page **pages,
			unsigned int nr, size_t last_len)
{
	struct file *lower = READ_ONCE(takakrypt_i(inode)->lower_file);
	size_t len = (nr - 1) * PAGE_SIZE + last_len;
	bool reserve = false;
	ssize_t n;
	u8 *buf;
	int ret = -EIO;

	if (!lower || !(lower->f_mode & FMODE_WRITE))
		goto out;
	buf = tk_buf_get(nr * PAGE_SIZE);
	if (!buf && nr > 1)
		goto split;
	if (!buf) {
		mutex_lock(&tk_reserve_mutex);
		buf = tk_reserve_buf;
		reserve = true;
	}

	/* Only what the agent returned reaches the lower file. */
	ret = takakrypt_crypt_run(inode, true, pages[0]->index, pages, nr, buf,
				  len);
	if (!ret) {
		n = takakrypt_lower_write(inode, buf, len,
					  tk_lower_pos(pages[0]->index));
		if (n != len)
			ret = n < 0 ? n : -EIO;
	}

	if (reserve) {
		memzero_explicit(buf, PAGE_SIZE);
		mutex_unlock(&tk_reserve_mutex);
	} else {
		tk_buf_put(buf, 0);	/* ciphertext only */
	}
	if (ret == -ENOMEM && nr > 1)
		goto split;
	if (ret == -ENOMEM)
		ret = -EIO;
out:
	return ret;
split:
	ret = tk_write_run(inode, pages, nr / 2, PAGE_SIZE);
	if (!ret)
		ret = tk_write_run(inode, pages + nr / 2, nr - nr / 2, last_len);
	return ret;
}

/*
 * Ends writeback of a run and drops the references taken for it; returns
 * the error for the writeback's caller.
 *
 * A run no agent answered (-ENOTCONN: none there, it went away or timed
 * out) was not stored but is not lost either: its pages are dirtied
 * again, before their writeback ends so that no truncate can drop them in
 * between, and the next writeback with an agent stores them. EIO is
 * still recorded where fsync and syncfs look, also for background
 * writeback: an fsync that waited for these pages stored nothing and must
 * not succeed (it may instead report EIO for data a later writeback
 * stores). Only a sync's own runs also flag the mapping (AS_EIO), which
 * fails the caller's filemap_write_and_wait (a backup read, a truncate):
 * a background run's flag would fail one later such call that had
 * nothing to do with it. Any other error (refused, a reply that does not
 * fit, the lower file's) ends the pages with the error, as for a failed
 * disk.
 */
static int tk_end_run(struct inode *inode, struct page **pages,
		      unsigned int nr, int err, bool sync_all)
{
	bool keep = err == -ENOTCONN;
	unsigned int i;

	if (keep) {
		pr_warn_ratelimited("writeback of inode %lu found no agent: its pages stay dirty\n",
				    inode->i_ino);
		if (sync_all) {
			mapping_set_error(inode->i_mapping, -EIO);
		} else {
			filemap_set_wb_err(inode->i_mapping, -EIO);
			errseq_set(&inode->i_sb->s_wb_err, -EIO);
		}
		err = sync_all ? -EIO : 0;
	} else if (err) {
		pr_warn_ratelimited("writeback of inode %lu failed: %d\n",
				    inode->i_ino, err);
		mapping_set_error(inode->i_mapping, err);
	}
	for (i = 0; i < nr; i++) {
		if (keep)
			set_page_dirty(pages[i]);
		else if (err)
			SetPageError(pages[i]);
		end_page_writeback(pages[i]);
		put_page(pages[i]);
	}
	return err;
}

/* Bytes of the file in @page: 0 when a truncate is dropping it. */
static size_t tk_page_len(struct inode *inode, struct page *page)
{
	loff_t isize = i_size_read(inode);
	pgoff_t end_index = isize >> PAGE_SHIFT;

	if (page->index < end_index)
		return PAGE_SIZE;
	if (page->index > end_index)
		return 0;
	return offset_in_page(isize);
}

static int tk_writepage(struct page *page, struct writeback_control *wbc)
{
	struct inode *inode = page->mapping->host;
	size_t len = tk_page_len(inode, page);
	int ret = 0;

	if (!len) {
		unlock_page(page);
		goto out;
	}
	/* Without an agent nothing can be encrypted: keep it dirty. */
	if (!takakrypt_agent_present()) {
		redirty_page_for_writepage(wbc, page);
		unlock_page(page);
		goto out;
	}
	get_page(page);
	set_page_writeback(page);
	unlock_page(page);
	ret = tk_write_run(inode, &page, 1, len);
	ret = tk_end_run(inode, &page, 1, ret,
			 wbc->sync_mode == WB_SYNC_ALL);
out:
	return ret;
}

/*
 * Writeback runs of one guard point in flight at once (30 pages each):
 * enough for the agent to take many small files in one wake-up.
 */
#define TK_WB_INFLIGHT	16

/*
 * struct tk_wb_job - a run of pages under writeback whose encryption has
 * been sent to the agent. The guard point's ordered workqueue waits for
 * the reply, writes the lower file and ends the run, in send order; the
 * pages being under writeback keep the inode.
 */
struct tk_wb_job {
	struct work_struct work;
	struct inode *inode;
	struct page *pages[TK_RUN_MAX_PAGES];
	unsigned int nr;
	size_t last_len;	/* bytes of the file in the last page */
	bool sync_all;		/* for a WB_SYNC_ALL writeback */
	u8 *buf;
	struct takakrypt_crypt_job job;
};

/* struct tk_wb_run - consecutive dirty pages gathered by writepages. */
struct tk_wb_run {
	struct inode *inode;
	struct page *pages[TK_RUN_MAX_PAGES];
	unsigned int nr;
	size_t last_len;	/* bytes of the file in the last page */
	bool sync_all;		/* a WB_SYNC_ALL writeback */
	int err;		/* first error of a run written at once */
};

/*
 * Waits for the agent's reply to a run, writes what it returned to the
 * lower file and ends the run's writeback; errors reach fsync through the
 * mapping. A run the agent could not take for lack of memory is written
 * again one piece at a time; one no agent answered stays dirty.
 */
static void tk_wb_work(struct work_struct *work)
{
	struct tk_wb_job *j = container_of(work, struct tk_wb_job, work);
	struct takakrypt_sb_info *sbi = takakrypt_sb(j->inode->i_sb);
	size_t len = (j->nr - 1) * PAGE_SIZE + j->last_len;
	unsigned int throttle = current->flags & PF_LOCAL_THROTTLE;
	unsigned int nofs = memalloc_nofs_save();
	ssize_t n;
	int ret;

	/*
	 * Like the loop driver: this thread cleans upper pages by dirtying
	 * lower ones, so it is throttled by the lower device's dirty pages
	 * only, and its allocations do not recurse into filesystems.
	 */
	current->flags |= PF_LOCAL_THROTTLE;
	ret = takakrypt_crypt_end(&j->job);
	if (!ret) {
		n = takakrypt_lower_write_run(j->inode, j->buf, len,
					      tk_lower_pos(j->pages[0]->index));
		if (n != len)
			ret = n < 0 ? n : -EIO;
	}
	tk_buf_put(j->buf, 0);	/* ciphertext only */
	if (ret == -ENOMEM)
		ret = tk_write_run(j->inode, j->pages, j->nr, j->last_len);
	/* The last use of the super_block: an unmount waits for the pages. */
	atomic_dec(&sbi->wb_inflight);
	wake_up(&sbi->wb_wait);
	tk_end_run(j->inode, j->pages, j->nr, ret, j->sync_all);
	kfree(j);
	current->flags = (current->flags & ~PF_LOCAL_THROTTLE) | throttle;
	memalloc_nofs_restore(nofs);
}

/*
 * Sends the gathered run to the agent and queues its end, waiting while
 * TK_WB_INFLIGHT runs of the guard point are in flight; without memory
 * for the job the run is written at once.
 */
static void tk_run_flush(struct tk_wb_run *run)
{
	struct takakrypt_sb_info *sbi = takakrypt_sb(run->inode->i_sb);
	struct file *lower;
	struct tk_wb_job *j;
	int ret;

	if (!run->nr)
		return;
	lower = READ_ONCE(takakrypt_i(run->inode)->lower_file);
	if (!lower || !(lower->f_mode & FMODE_WRITE))
		goto at_once;
	j = kmalloc(sizeof(*j), GFP_NOFS | __GFP_NOWARN);
	if (!j)
		goto at_once;
	j->buf = tk_buf_get(run->nr * PAGE_SIZE);
	if (!j->buf) {
		kfree(j);
		goto at_once;
	}
	wait_event(sbi->wb_wait, atomic_add_unless(&sbi->wb_inflight, 1,
						   TK_WB_INFLIGHT));
	INIT_WORK(&j->work, tk_wb_work);
	j->inode = run->inode;
	memcpy(j->pages, run->pages, run->nr * sizeof(run->pages[0]));
	j->nr = run->nr;
	j->last_len = run->last_len;
	j->sync_all = run->sync_all;
	/* Only what the agent returned reaches the lower file. */
	takakrypt_crypt_begin(&j->job, j->inode, true, j->pages[0]->index,
			      j->pages, j->nr, j->buf,
			      (j->nr - 1) * PAGE_SIZE + j->last_len);
	queue_work(sbi->wb_wq, &j->work);
	run->nr = 0;
	return;

at_once:
	ret = tk_write_run(run->inode, run->pages, run->nr, run->last_len);
	ret = tk_end_run(run->inode, run->pages, run->nr, ret, run->sync_all);
	if (ret && !run->err)
		run->err = ret;
	run->nr = 0;
}

static int tk_wb_page(struct page *page, struct writeback_control *wbc,
		      void *data)
{
	struct tk_wb_run *run = data;
	size_t len = tk_page_len(run->inode, page);

	if (!len) {
		unlock_page(page);
		goto out;
	}
	if (run->nr && (run->nr == TK_RUN_MAX_PAGES ||
			run->last_len != PAGE_SIZE ||
			run->pages[run->nr - 1]->index + 1 != page->index))
		tk_run_flush(run);
	get_page(page);
	set_page_writeback(page);
	unlock_page(page);
	run->pages[run->nr++] = page;
	run->last_len = len;
out:
	return 0;
}

/*
 * Runs are sent as they are gathered and ended by the guard point's
 * workqueue, so writeback moves on to the next file while the agent
 * encrypts: a sync of many small files costs a few wake-ups, not a round
 * trip per file. Callers that need the data stored wait for the pages
 * (fsync, sync(2) and unmount do), and see errors through the mapping.
 */
static int tk_writepages(struct address_space *mapping,
			 struct writeback_control *wbc)
{
	struct tk_wb_run run = {
		.inode = mapping->host,
		.sync_all = wbc->sync_mode == WB_SYNC_ALL,
	};
	int ret;

	/*
	 * Without an agent nothing can be encrypted: the pages stay dirty
	 * (background writeback tries again later); a sync waits for an
	 * agent as long as a request would, then fails.
	 */
	if (!takakrypt_agent_present() &&
	    (wbc->sync_mode != WB_SYNC_ALL || !takakrypt_agent_wait()))
		return wbc->sync_mode == WB_SYNC_ALL ? -EIO : 0;
	ret = write_cache_pages(mapping, wbc, tk_wb_page, &run);
	tk_run_flush(&run);
	return ret ? ret : run.err;
}

/* Runs of one readahead in flight at once: 9 x 30 pages cover 1 MiB. */
#define TK_RA_RUNS	9

/* One run of a readahead: its pages, the bytes read and the agent job. */
struct tk_ra_run {
	struct page *pages[TK_RUN_MAX_PAGES];
	unsigned int nr;
	u8 *buf;
	ssize_t n;		/* bytes read from the lower file, or -errno */
	struct takakrypt_crypt_job job;
};

/*
 * Reads a run from the lower file and sends it to the agent without
 * waiting. A run that cannot get a buffer is left for read_folio.
 */
static void tk_ra_start(struct inode *inode, struct tk_ra_run *run)
{
	size_t len = run->nr * PAGE_SIZE;

	run->n = -ENOMEM;
	run->buf = tk_buf_get(len);
	if (!run->buf)
		return;
	run->n = takakrypt_lower_read(inode, run->buf, len,
				      tk_lower_pos(run->pages[0]->index));
	if (run->n > 0)
		takakrypt_crypt_begin(&run->job, inode, false,
				      run->pages[0]->index, run->pages,
				      DIV_ROUND_UP(run->n, PAGE_SIZE), run->buf,
				      run->n);
}

/* Waits for a run, fills and unlocks its pages. */
static void tk_ra_end(struct tk_ra_run *run)
{
	int ret = run->n < 0 ? run->n : 0;
	unsigned int i;

	if (run->n > 0)
		ret = takakrypt_crypt_end(&run->job);
	if (!ret)
		tk_fill_pages(run->pages, run->nr, run->buf, run->n);
	tk_buf_put(run->buf, run->nr * PAGE_SIZE);
	/* Pages left not uptodate are read again by read_folio. */
	for (i = 0; i < run->nr; i++) {
		if (!ret)
			SetPageUptodate(run->pages[i]);
		unlock_page(run->pages[i]);
		put_page(run->pages[i]);
	}
}

/* A readahead's runs in flight, ended by the guard point's workqueue. */
struct tk_ra_batch {
	struct work_struct work;
	unsigned int n;
	struct tk_ra_run runs[TK_RA_RUNS];
};

/* Ends a batch's runs in order; their locked pages keep the inode. */
static void tk_ra_work(struct work_struct *work)
{
	struct tk_ra_batch *b = container_of(work, struct tk_ra_batch, work);
	unsigned int i;

	for (i = 0; i < b->n; i++)
		tk_ra_end(&b->runs[i]);
	kfree(b);
}

/*
 * Readahead sends up to TK_RA_RUNS requests at once: each run is read
 * from the lower file and sent before the agent has answered the one
 * before, so reading, the round trips and the agent's work overlap. A
 * window of several runs is ended by the workqueue: the reader copies
 * out what is ready while the agent decrypts the rest. A window of one
 * run, all a small or random read asks for, is waited for here, which
 * spares a hand-off.
 */
static void tk_readahead(struct readahead_control *rac)
{
	struct inode *inode = rac->mapping->host;
	struct workqueue_struct *wq = takakrypt_sb(inode->i_sb)->ra_wq;
	struct page *pages[TK_RUN_MAX_PAGES];
	struct tk_ra_batch *b;
	bool first = true;
	unsigned int nr, n, i;
	int ret;

	do {
		b = kmalloc(sizeof(*b), GFP_NOFS | __GFP_NOWARN);
		if (!b)
			goto one_by_one;
		for (n = 0; n < TK_RA_RUNS; n++) {
			b->runs[n].nr = __readahead_batch(rac, b->runs[n].pages,
							  TK_RUN_MAX_PAGES);
			if (!b->runs[n].nr)
				break;
			tk_ra_start(inode, &b->runs[n]);
		}
		b->n = n;
		if (!n) {
			kfree(b);
			break;
		}
		if (n > 1 || !first) {
			INIT_WORK(&b->work, tk_ra_work);
			queue_work(wq, &b->work);
		} else {
			for (i = 0; i < n; i++)
				tk_ra_end(&b->runs[i]);
			kfree(b);
		}
		first = false;
	} while (n == TK_RA_RUNS);
	return;

one_by_one:
	while ((nr = __readahead_batch(rac, pages, TK_RUN_MAX_PAGES))) {
		ret = tk_read_pages(inode, pages, nr);
		for (i = 0; i < nr; i++) {
			if (!ret)
				SetPageUptodate(pages[i]);
			unlock_page(pages[i]);
			put_page(pages[i]);
		}
	}
}

static int tk_write_begin(struct file *file, struct address_space *mapping,
			  loff_t pos, unsigned int len, struct page **pagep,
			  void **fsdata)
{
	struct inode *inode = mapping->host;
	struct page *page;
	int ret = 0;

	page = grab_cache_page_write_begin(mapping, pos >> PAGE_SHIFT);
	if (!page) {
		ret = -ENOMEM;
		goto out;
	}

	if (!PageUptodate(page)) {
		if (len == PAGE_SIZE) {
			/* Overwritten whole: write_end makes it uptodate. */
		} else if (page_offset(page) >= i_size_read(inode)) {
			zero_user(page, 0, PAGE_SIZE);
			SetPageUptodate(page);
		} else {
			ret = tk_read_pages(inode, &page, 1);
			if (!ret)
				SetPageUptodate(page);
		}
	}
	if (ret) {
		unlock_page(page);
		put_page(page);
	} else {
		*pagep = page;
	}
out:
	return ret;
}

static int tk_write_end(struct file *file, struct address_space *mapping,
			loff_t pos, unsigned int len, unsigned int copied,
			struct page *page, void *fsdata)
{
	struct inode *inode = mapping->host;
	loff_t last = pos + copied;

	if (!PageUptodate(page)) {
		/* A short copy into a page nobody read: redo it. */
		if (copied < len) {
			copied = 0;
			goto out;
		}
		SetPageUptodate(page);
	}
	if (last > i_size_read(inode))
		i_size_write(inode, last);
	set_page_dirty(page);
out:
	unlock_page(page);
	put_page(page);
	return copied;
}

/*
 * O_DIRECT is accepted and served by the page cache: transferring nothing
 * here makes the generic code fall back to buffered I/O, and for writes
 * flush the range to the lower file before returning. Databases that open
 * with O_DIRECT therefore work, at buffered speed.
 */
static ssize_t tk_direct_io(struct kiocb *iocb, struct iov_iter *iter)
{
	return 0;
}

const struct address_space_operations takakrypt_aops = {
	.read_folio = tk_read_folio,
	.readahead = tk_readahead,
	.writepage = tk_writepage,
	.writepages = tk_writepages,
	.write_begin = tk_write_begin,
	.write_end = tk_write_end,
	.dirty_folio = filemap_dirty_folio,
	.direct_IO = tk_direct_io,
	.migrate_folio = filemap_migrate_folio,
};
