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
	buf = kmalloc(len, GFP_NOFS | __GFP_NOWARN);
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
	if (reserve) {
		memzero_explicit(buf, PAGE_SIZE);
		mutex_unlock(&tk_reserve_mutex);
	} else {
		kfree_sensitive(buf);
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
	buf = kmalloc(nr * PAGE_SIZE, GFP_NOFS | __GFP_NOWARN);
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
		kfree_sensitive(buf);
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

/* Ends writeback of a run and drops the references taken for it. */
static void tk_end_run(struct inode *inode, struct page **pages,
		       unsigned int nr, int err)
{
	unsigned int i;

	if (err) {
		pr_warn_ratelimited("writeback of inode %lu failed: %d\n",
				    inode->i_ino, err);
		mapping_set_error(inode->i_mapping, err);
	}
	for (i = 0; i < nr; i++) {
		if (err)
			SetPageError(pages[i]);
		end_page_writeback(pages[i]);
		put_page(pages[i]);
	}
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
	tk_end_run(inode, &page, 1, ret);
out:
	return ret;
}

/* struct tk_wb_run - consecutive dirty pages gathered by writepages. */
struct tk_wb_run {
	struct inode *inode;
	struct page *pages[TK_RUN_MAX_PAGES];
	unsigned int nr;
	size_t last_len;	/* bytes of the file in the last page */
	int err;		/* first error, returned by writepages */
};

static void tk_run_flush(struct tk_wb_run *run)
{
	int ret;

	if (!run->nr)
		return;
	ret = tk_write_run(run->inode, run->pages, run->nr, run->last_len);
	tk_end_run(run->inode, run->pages, run->nr, ret);
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

static int tk_writepages(struct address_space *mapping,
			 struct writeback_control *wbc)
{
	struct tk_wb_run run = { .inode = mapping->host };
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

static void tk_readahead(struct readahead_control *rac)
{
	struct page *pages[TK_RUN_MAX_PAGES];
	unsigned int nr, i;
	int ret;

	while ((nr = __readahead_batch(rac, pages, TK_RUN_MAX_PAGES))) {
		ret = tk_read_pages(rac->mapping->host, pages, nr);
		/* Pages left not uptodate are read again by read_folio. */
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
