// SPDX-License-Identifier: GPL-2.0-only
/*
 * Mounting a guard point: `mount -t takakryptfs -o policy=NAME
 * /data /data` stacks takakryptfs over the directory itself. The source is
 * resolved when the mount is made, before the new mount hides it, and
 * becomes the lower directory.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/fs.h>
#include <linux/fs_context.h>
#include <linux/fs_parser.h>
#include <linux/namei.h>
#include <linux/mount.h>
#include <linux/slab.h>
#include <linux/statfs.h>
#include <linux/seq_file.h>
#include <linux/backing-dev.h>
#include <linux/timekeeping.h>
#include <linux/ctype.h>

#include <takakrypt.h>

#include "main.h"
#include "super.h"
#include "inode.h"
#include "xattr.h"
#include "cache.h"
#include "proc.h"
#include "data.h"

static struct kmem_cache *tk_inode_cache;

/* Mount options before the super_block exists. */
struct tk_fs_context {
	char *policy;
};

enum { TK_OPT_POLICY };

/* Readahead window of a guard point: 1 MiB. */
#define TK_READAHEAD_PAGES	(SZ_1M / PAGE_SIZE)

static const struct fs_parameter_spec tk_fs_parameters[] = {
	fsparam_string("policy", TK_OPT_POLICY),
	{}
};

static struct inode *tk_alloc_inode(struct super_block *sb)
{
	struct takakrypt_inode_info *ti;

	ti = alloc_inode_sb(sb, tk_inode_cache, GFP_KERNEL);
	if (!ti)
		return NULL;
	ti->lower_inode = NULL;
	ti->lower_file = NULL;
	ti->lower_file_ro = NULL;
	mutex_init(&ti->lower_file_mutex);
	spin_lock_init(&ti->header_lock);
	mutex_init(&ti->header_mutex);
	ti->header = NULL;
	return &ti->vfs_inode;
}

static void tk_free_inode(struct inode *inode)
{
	kmem_cache_free(tk_inode_cache, takakrypt_i(inode));
}

static void tk_evict_inode(struct inode *inode)
{
	struct takakrypt_inode_info *ti = takakrypt_i(inode);

	/*
	 * Only an unmount whose sync no agent answered gets here with dirty
	 * pages: they are lost; tk_kill_sb() says how many files.
	 */
	if (inode->i_nlink && mapping_tagged(&inode->i_data, PAGECACHE_TAG_DIRTY))
		atomic_inc(&takakrypt_sb(inode->i_sb)->dropped);
	truncate_inode_pages_final(&inode->i_data);
	clear_inode(inode);
	takakrypt_header_release(inode);
	if (ti->lower_file)
		fput(ti->lower_file);
	if (ti->lower_file_ro)
		fput(ti->lower_file_ro);
	ti->lower_file = NULL;
	ti->lower_file_ro = NULL;
	iput(ti->lower_inode);
	ti->lower_inode = NULL;
}

static int tk_statfs(struct dentry *dentry, struct kstatfs *buf)
{
	int ret;

	ret = vfs_statfs(takakrypt_lower_path(dentry), buf);
	if (!ret)
		buf->f_type = TAKAKRYPT_SUPER_MAGIC;
	return ret;
}

static int tk_show_options(struct seq_file *m, struct dentry *root)
{
	seq_printf(m, ",policy=%s", takakrypt_sb(root->d_sb)->policy);
	return 0;
}

/*
 * Writeback puts the ciphertext in the lower filesystem's page cache: a
 * syncfs(2) or unmount of the guard point (and sync(2), which may reach
 * the lower filesystem before the guard point has written into it) then
 * syncs the lower filesystem, so that what they wait for is on its disk.
 * Done once, in the waiting pass.
 */
static int tk_sync_fs(struct super_block *sb, int wait)
{
	struct super_block *lower_sb =
		takakrypt_sb(sb)->lower_path.dentry->d_sb;
	int ret;

	if (!wait || sb_rdonly(lower_sb))
		return 0;
	down_read(&lower_sb->s_umount);
	ret = sync_filesystem(lower_sb);
	up_read(&lower_sb->s_umount);
	return ret;
}

static const struct super_operations tk_sops = {
	.alloc_inode = tk_alloc_inode,
	.free_inode = tk_free_inode,
	.evict_inode = tk_evict_inode,
	.sync_fs = tk_sync_fs,
	.statfs = tk_statfs,
	.show_options = tk_show_options,
};

static void tk_free_sbi(struct takakrypt_sb_info *sbi)
{
	if (!sbi)
		return;
	takakrypt_spares_free(sbi);
	/* Ends what is still queued; kill_anon_super() waited for the pages. */
	if (sbi->wb_wq)
		destroy_workqueue(sbi->wb_wq);
	if (sbi->ra_wq)
		destroy_workqueue(sbi->ra_wq);
	path_put(&sbi->lower_path);
	if (sbi->mounter_cred)
		put_cred(sbi->mounter_cred);
	kfree(sbi->gp_path);
	kfree(sbi->policy);
	kfree(sbi);
}

/* Guard points do not nest, and the lower side must be a directory. */
static int tk_check_lower(struct fs_context *fc, const struct path *lower)
{
	struct super_block *lower_sb = lower->dentry->d_sb;
	int ret = 0;

	if (!d_is_dir(lower->dentry))
		ret = invalfc(fc, "%s is not a directory", fc->source);
	else if (lower_sb->s_type == fc->fs_type)
		ret = invalfc(fc, "guard points do not nest: %s is inside one",
			      fc->source);
	else if (lower_sb->s_stack_depth >= FILESYSTEM_MAX_STACK_DEPTH)
		ret = invalfc(fc, "%s is stacked too deeply", fc->source);
	return ret;
}

static int tk_sbi_setup(struct takakrypt_sb_info *sbi, struct fs_context *fc)
{
	struct tk_fs_context *ctx = fc->fs_private;
	char *buf, *p;
	int ret;

	ret = kern_path(fc->source, LOOKUP_FOLLOW | LOOKUP_DIRECTORY,
			&sbi->lower_path);
	if (ret) {
		errorfc(fc, "cannot resolve guard point %s", fc->source);
		goto out;
	}
	ret = tk_check_lower(fc, &sbi->lower_path);
	if (ret)
		goto out;

	ret = -ENOMEM;
	buf = __getname();
	if (!buf)
		goto out;
	p = d_path(&sbi->lower_path, buf, PATH_MAX);
	if (IS_ERR(p))
		ret = PTR_ERR(p);
	else
		sbi->gp_path = kstrdup(p, GFP_KERNEL);
	__putname(buf);
	if (!sbi->gp_path)
		goto out;

	sbi->policy = ctx->policy;
	ctx->policy = NULL;
	sbi->mounter_cred = prepare_creds();
	if (!sbi->mounter_cred)
		goto out;
	sbi->mounted_at = ktime_get_real_seconds();
	ret = 0;
out:
	return ret;
}

static int tk_make_root(struct super_block *sb)
{
	struct takakrypt_sb_info *sbi = takakrypt_sb(sb);
	struct inode *inode;
	int ret;

	inode = takakrypt_iget(sb, d_inode(sbi->lower_path.dentry));
	if (IS_ERR(inode)) {
		ret = PTR_ERR(inode);
		goto out;
	}
	sb->s_root = d_make_root(inode);
	if (!sb->s_root) {
		ret = -ENOMEM;
		goto out;
	}
	ret = takakrypt_dentry_attach(sb->s_root, &sbi->lower_path);
out:
	return ret;
}

static int tk_fill_super(struct super_block *sb, struct fs_context *fc)
{
	struct super_block *lower_sb;
	struct takakrypt_sb_info *sbi;
	int ret = -ENOMEM;

	sbi = kzalloc(sizeof(*sbi), GFP_KERNEL);
	if (!sbi)
		goto out;
	INIT_LIST_HEAD(&sbi->gp_node);
	init_waitqueue_head(&sbi->wb_wait);
	spin_lock_init(&sbi->spares.lock);
	sb->s_fs_info = sbi;
	ret = tk_sbi_setup(sbi, fc);
	if (ret)
		goto out;
	/*
	 * Writeback and readahead end their runs here, in the order they
	 * were sent; writeback may be what memory reclaim waits for, and a
	 * reader what a writer waits for, hence rescuers.
	 */
	ret = -ENOMEM;
	sbi->wb_wq = alloc_ordered_workqueue("takakrypt-wb", WQ_MEM_RECLAIM);
	sbi->ra_wq = alloc_ordered_workqueue("takakrypt-ra", WQ_MEM_RECLAIM);
	if (!sbi->wb_wq || !sbi->ra_wq)
		goto out;

	/* Our own bdi: the upper page cache is written back by its flusher. */
	ret = super_setup_bdi(sb);
	if (ret)
		goto out;
	/*
	 * Every readahead window costs round trips to the agent: larger
	 * windows fill whole 30-unit requests (docs/PROTOCOL.md).
	 */
	sb->s_bdi->ra_pages = TK_READAHEAD_PAGES;
	sb->s_bdi->io_pages = TK_READAHEAD_PAGES;

	lower_sb = sbi->lower_path.dentry->d_sb;
	sb->s_stack_depth = lower_sb->s_stack_depth + 1;
	/* Room for the header in front of every file's data. */
	sb->s_maxbytes = lower_sb->s_maxbytes - TAKAKRYPT_FILE_HEADER_SIZE;
	sb->s_blocksize = lower_sb->s_blocksize;
	sb->s_blocksize_bits = lower_sb->s_blocksize_bits;
	sb->s_time_gran = lower_sb->s_time_gran;
	sb->s_magic = TAKAKRYPT_SUPER_MAGIC;
	sb->s_op = &tk_sops;
	sb->s_xattr = takakrypt_xattr_handlers;
	sb->s_d_op = &takakrypt_dops;
	sb->s_flags |= SB_NOSEC;
	/* Writeback transforms pages it no longer holds locked. */
	sb->s_iflags |= SB_I_STABLE_WRITES;
	if (__mnt_is_readonly(sbi->lower_path.mnt))
		sb->s_flags |= SB_RDONLY;

	ret = tk_make_root(sb);
	if (ret)
		goto out;
	takakrypt_proc_add_gp(sbi);
out:
	return ret;
}

static int tk_get_tree(struct fs_context *fc)
{
	struct tk_fs_context *ctx = fc->fs_private;
	int ret = -EINVAL;

	if (!fc->source) {
		errorfc(fc, "no guard point directory given");
		goto out;
	}
	if (!ctx->policy) {
		errorfc(fc, "the policy= option is required");
		goto out;
	}
	ret = get_tree_nodev(fc, tk_fill_super);
out:
	return ret;
}

static bool tk_policy_name_ok(const char *s)
{
	size_t len = strlen(s);
	size_t i;

	if (!len || len >= TAKAKRYPT_POLICY_NAME_MAX)
		return false;
	for (i = 0; i < len; i++)
		if (!isalnum(s[i]) && s[i] != '_' && s[i] != '-' && s[i] != '.')
			return false;
	return true;
}

static int tk_parse_param(struct fs_context *fc, struct fs_parameter *param)
{
	struct tk_fs_context *ctx = fc->fs_private;
	struct fs_parse_result result;
	int opt;

	opt = fs_parse(fc, tk_fs_parameters, param, &result);
	if (opt < 0)
		goto out;

	if (opt == TK_OPT_POLICY) {
		if (!tk_policy_name_ok(param->string)) {
			opt = invalfc(fc, "policy name must be 1-%d of [A-Za-z0-9_.-], got '%s'",
				      TAKAKRYPT_POLICY_NAME_MAX - 1,
				      param->string);
			goto out;
		}
		kfree(ctx->policy);
		ctx->policy = param->string;
		param->string = NULL;
	}
	opt = 0;
out:
	return opt;
}

static void tk_free_fc(struct fs_context *fc)
{
	struct tk_fs_context *ctx = fc->fs_private;

	if (ctx) {
		kfree(ctx->policy);
		kfree(ctx);
	}
}

static const struct fs_context_operations tk_context_ops = {
	.parse_param = tk_parse_param,
	.get_tree = tk_get_tree,
	.free = tk_free_fc,
};

static int tk_init_fs_context(struct fs_context *fc)
{
	struct tk_fs_context *ctx;

	ctx = kzalloc(sizeof(*ctx), GFP_KERNEL);
	if (ctx) {
		fc->fs_private = ctx;
		fc->ops = &tk_context_ops;
	}
	return ctx ? 0 : -ENOMEM;
}

static void tk_kill_sb(struct super_block *sb)
{
	struct takakrypt_sb_info *sbi = takakrypt_sb(sb);

	kill_anon_super(sb);
	if (sbi && atomic_read(&sbi->dropped))
		pr_warn("guard point %s unmounted with no agent to store the data of %d file(s): dropped\n",
			sbi->gp_path ? sbi->gp_path : "?",
			atomic_read(&sbi->dropped));
	if (sbi) {
		if (!list_empty(&sbi->gp_node))
			takakrypt_proc_del_gp(sbi);
		tk_free_sbi(sbi);
	}
	/* Cache keys hold the super_block address, which may be reused. */
	takakrypt_cache_flush();
}

static struct file_system_type tk_fs_type = {
	.owner = THIS_MODULE,
	.name = TAKAKRYPT_FS_NAME,
	.init_fs_context = tk_init_fs_context,
	.parameters = tk_fs_parameters,
	.kill_sb = tk_kill_sb,
};

static void tk_inode_init_once(void *obj)
{
	struct takakrypt_inode_info *ti = obj;

	inode_init_once(&ti->vfs_inode);
}

/**
 * takakrypt_fs_register() - create the inode cache and register takakryptfs.
 *
 * Return: 0 or a negative errno.
 */
int takakrypt_fs_register(void)
{
	int ret = -ENOMEM;

	tk_inode_cache = kmem_cache_create("takakrypt_inode",
					   sizeof(struct takakrypt_inode_info),
					   0,
					   SLAB_RECLAIM_ACCOUNT | SLAB_ACCOUNT,
					   tk_inode_init_once);
	if (!tk_inode_cache)
		goto out;
	ret = register_filesystem(&tk_fs_type);
	if (ret)
		kmem_cache_destroy(tk_inode_cache);
out:
	return ret;
}

/**
 * takakrypt_fs_unregister() - unregister takakryptfs; the module is pinned
 * while any guard point is mounted, so no super_block remains.
 */
void takakrypt_fs_unregister(void)
{
	unregister_filesystem(&tk_fs_type);
	/* Inodes are freed after an RCU grace period. */
	rcu_barrier();
	kmem_cache_destroy(tk_inode_cache);
}
