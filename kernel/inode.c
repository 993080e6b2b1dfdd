// SPDX-License-Identifier: GPL-2.0-only
/*
 * Inode and dentry operations of a guard point.
 *
 * Every operation has the same shape: decide (the fine-grained action of
 * the operation, docs/PROTOCOL.md), find the lower object, lock what the
 * lower filesystem expects locked, call the vfs_*() helper as the calling
 * task (so the lower filesystem checks its permissions and owns new files
 * to it), then copy the lower attributes up. Lookup itself needs no
 * decision: traversing a name reveals nothing that readdir (d_rd) and
 * getattr (f_rd_att, d_rd_att) do not guard.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/fs.h>
#include <linux/namei.h>
#include <linux/mount.h>
#include <linux/slab.h>
#include <linux/xattr.h>
#include <linux/pagemap.h>

#include <takakrypt.h>

#include "inode.h"
#include "super.h"
#include "file.h"
#include "aops.h"
#include "xattr.h"
#include "decide.h"
#include "cache.h"
#include "data.h"

/* Inode flags that mean the same above as below. */
#define TK_INHERITED_FLAGS \
	(S_SYNC | S_NOATIME | S_APPEND | S_IMMUTABLE | S_DIRSYNC)

static const struct inode_operations tk_dir_iops;
static const struct inode_operations tk_file_iops;
static const struct inode_operations tk_symlink_iops;

static struct user_namespace *tk_lower_userns(struct super_block *sb)
{
	return mnt_user_ns(takakrypt_sb(sb)->lower_path.mnt);
}

/**
 * takakrypt_copy_attr() - copy the lower inode's attributes up.
 * @inode: upper inode
 *
 * The size of a regular file is not copied: the upper page cache may hold
 * data the lower file does not have yet, so the upper size leads.
 */
void takakrypt_copy_attr(struct inode *inode)
{
	struct inode *lower = takakrypt_lower_inode(inode);

	inode->i_mode = lower->i_mode;
	inode->i_uid = lower->i_uid;
	inode->i_gid = lower->i_gid;
	inode->i_rdev = lower->i_rdev;
	inode->i_atime = lower->i_atime;
	inode->i_mtime = lower->i_mtime;
	inode->i_ctime = lower->i_ctime;
	inode->i_blkbits = lower->i_blkbits;
	inode->i_flags = (inode->i_flags & ~TK_INHERITED_FLAGS) |
			 (lower->i_flags & TK_INHERITED_FLAGS);
	set_nlink(inode, lower->i_nlink);
	if (!S_ISREG(inode->i_mode))
		i_size_write(inode, i_size_read(lower));
}

static int tk_inode_test(struct inode *inode, void *lower)
{
	return takakrypt_lower_inode(inode) == lower;
}

static int tk_inode_set(struct inode *inode, void *lower)
{
	takakrypt_i(inode)->lower_inode = lower;
	return 0;
}

static void tk_inode_init(struct inode *inode, struct inode *lower)
{
	inode->i_ino = lower->i_ino;
	takakrypt_copy_attr(inode);
	i_size_write(inode, S_ISREG(lower->i_mode) ?
		     takakrypt_plain_size(i_size_read(lower)) :
		     i_size_read(lower));

	switch (lower->i_mode & S_IFMT) {
	case S_IFDIR:
		inode->i_op = &tk_dir_iops;
		inode->i_fop = &takakrypt_dir_fops;
		break;
	case S_IFLNK:
		inode->i_op = &tk_symlink_iops;
		break;
	case S_IFREG:
		inode->i_op = &tk_file_iops;
		inode->i_fop = &takakrypt_file_fops;
		inode->i_mapping->a_ops = &takakrypt_aops;
		break;
	default:
		inode->i_op = &tk_file_iops;
		init_special_inode(inode, lower->i_mode, lower->i_rdev);
		break;
	}
}

/**
 * takakrypt_iget() - the upper inode stacked on @lower, one per lower inode
 * (so hard links share it).
 * @sb: guard point
 * @lower: lower inode
 *
 * Return: a referenced inode or an ERR_PTR.
 */
struct inode *takakrypt_iget(struct super_block *sb, struct inode *lower)
{
	struct inode *inode = ERR_PTR(-ESTALE);

	if (!igrab(lower))
		goto out;
	inode = iget5_locked(sb, (unsigned long)lower, tk_inode_test,
			     tk_inode_set, lower);
	if (!inode || !(inode->i_state & I_NEW)) {
		/* Failed, or found: the cached inode holds its own ref. */
		iput(lower);
		if (!inode)
			inode = ERR_PTR(-ENOMEM);
		goto out;
	}
	tk_inode_init(inode, lower);
	unlock_new_inode(inode);
out:
	return inode;
}

static void tk_d_release(struct dentry *dentry)
{
	struct takakrypt_dentry_info *di = dentry->d_fsdata;

	if (di) {
		path_put(&di->lower_path);
		kfree(di);
	}
}

const struct dentry_operations takakrypt_dops = {
	.d_release = tk_d_release,
};

/**
 * takakrypt_dentry_attach() - link an upper dentry to its lower path.
 * @dentry: upper dentry without lower path yet
 * @lower: lower path; a reference is taken
 *
 * Return: 0 or -ENOMEM.
 */
int takakrypt_dentry_attach(struct dentry *dentry, const struct path *lower)
{
	struct takakrypt_dentry_info *di;

	di = kmalloc(sizeof(*di), GFP_KERNEL);
	if (!di)
		return -ENOMEM;
	di->lower_path = *lower;
	path_get(&di->lower_path);
	dentry->d_fsdata = di;
	return 0;
}

static struct dentry *tk_lookup(struct inode *dir, struct dentry *dentry,
				unsigned int flags)
{
	struct path *lower_parent = takakrypt_lower_path(dentry->d_parent);
	struct path lower;
	struct inode *inode = NULL;
	struct dentry *ret;
	int err;

	lower.mnt = lower_parent->mnt;
	lower.dentry = lookup_one_len_unlocked(dentry->d_name.name,
					       lower_parent->dentry,
					       dentry->d_name.len);
	if (IS_ERR(lower.dentry)) {
		ret = ERR_CAST(lower.dentry);
		goto out_nodput;
	}

	err = takakrypt_dentry_attach(dentry, &lower);
	if (err) {
		ret = ERR_PTR(err);
		goto out;
	}
	if (d_really_is_positive(lower.dentry)) {
		inode = takakrypt_iget(dir->i_sb, d_inode(lower.dentry));
		if (IS_ERR(inode)) {
			ret = ERR_CAST(inode);
			goto out;
		}
	}
	ret = d_splice_alias(inode, dentry);
out:
	dput(lower.dentry);
out_nodput:
	return ret;
}

/*
 * Takes write access to the lower mount and locks the lower parent of
 * @dentry. A lower dentry that moved since lookup makes the upper one
 * stale: drop it so that a retry looks the name up again.
 */
static int tk_lock_parent(struct dentry *dentry, struct dentry **parent)
{
	struct path *lower = takakrypt_lower_path(dentry);
	int ret;

	ret = mnt_want_write(lower->mnt);
	if (ret)
		goto out;
	*parent = dget_parent(lower->dentry);
	inode_lock_nested(d_inode(*parent), I_MUTEX_PARENT);
	if (lower->dentry->d_parent != *parent) {
		inode_unlock(d_inode(*parent));
		dput(*parent);
		mnt_drop_write(lower->mnt);
		d_drop(dentry);
		ret = -ESTALE;
	}
out:
	return ret;
}

static void tk_unlock_parent(struct dentry *dentry, struct dentry *parent)
{
	inode_unlock(d_inode(parent));
	dput(parent);
	mnt_drop_write(takakrypt_lower_path(dentry)->mnt);
}

/* Gives a just-created lower object its upper inode. */
static int tk_instantiate(struct inode *dir, struct dentry *dentry)
{
	struct dentry *lower = takakrypt_lower_dentry(dentry);
	struct inode *inode;
	int ret = 0;

	if (d_really_is_negative(lower)) {
		/* Some filesystems leave the new dentry negative and unhashed;
		 * the object exists, a fresh lookup will find it.
		 */
		d_drop(dentry);
		ret = -ENOENT;
		goto out;
	}
	inode = takakrypt_iget(dir->i_sb, d_inode(lower));
	if (IS_ERR(inode)) {
		ret = PTR_ERR(inode);
		goto out;
	}
	d_instantiate(dentry, inode);
out:
	takakrypt_copy_attr(dir);
	return ret;
}

static int tk_create(struct user_namespace *userns, struct inode *dir,
		     struct dentry *dentry, umode_t mode, bool excl)
{
	struct dentry *parent;
	int ret;

	ret = takakrypt_decide(dentry, TAKAKRYPT_ACTION_F_CRE,
			       TAKAKRYPT_DECIDE_NOCACHE, NULL);
	if (ret)
		goto out;

	ret = tk_lock_parent(dentry, &parent);
	if (ret)
		goto out;
	ret = vfs_create(tk_lower_userns(dir->i_sb), d_inode(parent),
			 takakrypt_lower_dentry(dentry), mode, excl);
	tk_unlock_parent(dentry, parent);

	if (!ret)
		ret = tk_instantiate(dir, dentry);
out:
	return ret;
}

static int tk_mkdir(struct user_namespace *userns, struct inode *dir,
		    struct dentry *dentry, umode_t mode)
{
	struct dentry *parent;
	int ret;

	ret = takakrypt_decide(dentry, TAKAKRYPT_ACTION_D_MKDIR,
			       TAKAKRYPT_DECIDE_NOCACHE, NULL);
	if (ret)
		goto out;

	ret = tk_lock_parent(dentry, &parent);
	if (ret)
		goto out;
	ret = vfs_mkdir(tk_lower_userns(dir->i_sb), d_inode(parent),
			takakrypt_lower_dentry(dentry), mode);
	tk_unlock_parent(dentry, parent);

	if (!ret)
		ret = tk_instantiate(dir, dentry);
out:
	return ret;
}

static int tk_mknod(struct user_namespace *userns, struct inode *dir,
		    struct dentry *dentry, umode_t mode, dev_t dev)
{
	struct dentry *parent;
	int ret;

	ret = takakrypt_decide(dentry, TAKAKRYPT_ACTION_D_MKNOD,
			       TAKAKRYPT_DECIDE_NOCACHE, NULL);
	if (ret)
		goto out;

	ret = tk_lock_parent(dentry, &parent);
	if (ret)
		goto out;
	ret = vfs_mknod(tk_lower_userns(dir->i_sb), d_inode(parent),
			takakrypt_lower_dentry(dentry), mode, dev);
	tk_unlock_parent(dentry, parent);

	if (!ret)
		ret = tk_instantiate(dir, dentry);
out:
	return ret;
}

static int tk_symlink(struct user_namespace *userns, struct inode *dir,
		      struct dentry *dentry, const char *target)
{
	struct dentry *parent;
	int ret;

	ret = takakrypt_decide(dentry, TAKAKRYPT_ACTION_F_LINK,
			       TAKAKRYPT_DECIDE_NOCACHE, NULL);
	if (ret)
		goto out;

	ret = tk_lock_parent(dentry, &parent);
	if (ret)
		goto out;
	ret = vfs_symlink(tk_lower_userns(dir->i_sb), d_inode(parent),
			  takakrypt_lower_dentry(dentry), target);
	tk_unlock_parent(dentry, parent);

	if (!ret)
		ret = tk_instantiate(dir, dentry);
out:
	return ret;
}

static int tk_link(struct dentry *old, struct inode *dir, struct dentry *new)
{
	struct dentry *lower_old = takakrypt_lower_dentry(old);
	struct dentry *parent;
	int ret;

	ret = takakrypt_decide(old, TAKAKRYPT_ACTION_F_LINK, 0, NULL);
	if (!ret)
		ret = takakrypt_decide(new, TAKAKRYPT_ACTION_F_LINK,
				       TAKAKRYPT_DECIDE_NOCACHE, NULL);
	if (ret)
		goto out;

	ret = tk_lock_parent(new, &parent);
	if (ret)
		goto out;
	ret = vfs_link(lower_old, tk_lower_userns(dir->i_sb), d_inode(parent),
		       takakrypt_lower_dentry(new), NULL);
	tk_unlock_parent(new, parent);

	if (!ret) {
		ret = tk_instantiate(dir, new);
		takakrypt_copy_attr(d_inode(old));
		/* Cached decisions were made for the inode's old names. */
		takakrypt_cache_flush();
	}
out:
	return ret;
}

static int tk_unlink(struct inode *dir, struct dentry *dentry)
{
	struct dentry *lower = takakrypt_lower_dentry(dentry);
	struct inode *inode = d_inode(dentry);
	struct dentry *parent;
	int ret;

	ret = takakrypt_decide(dentry, TAKAKRYPT_ACTION_F_RM, 0, NULL);
	if (ret)
		goto out;

	ret = tk_lock_parent(dentry, &parent);
	if (ret)
		goto out;
	dget(lower);
	ret = vfs_unlink(tk_lower_userns(dir->i_sb), d_inode(parent), lower,
			 NULL);
	dput(lower);
	tk_unlock_parent(dentry, parent);

	if (!ret) {
		takakrypt_copy_attr(inode);
		takakrypt_copy_attr(dir);
		/* The lower dentry is dead; a new name needs a new lookup. */
		d_drop(dentry);
	}
out:
	return ret;
}

static int tk_rmdir(struct inode *dir, struct dentry *dentry)
{
	struct dentry *lower = takakrypt_lower_dentry(dentry);
	struct dentry *parent;
	int ret;

	ret = takakrypt_decide(dentry, TAKAKRYPT_ACTION_D_RMDIR, 0, NULL);
	if (ret)
		goto out;

	ret = tk_lock_parent(dentry, &parent);
	if (ret)
		goto out;
	dget(lower);
	ret = vfs_rmdir(tk_lower_userns(dir->i_sb), d_inode(parent), lower);
	dput(lower);
	tk_unlock_parent(dentry, parent);

	if (!ret) {
		clear_nlink(d_inode(dentry));
		takakrypt_copy_attr(dir);
		d_drop(dentry);
	}
out:
	return ret;
}

/* Decisions for a rename: the object under both names, and a victim. */
static int tk_rename_decide(struct dentry *old, struct dentry *new)
{
	u32 action = d_is_dir(old) ? TAKAKRYPT_ACTION_D_REN :
				     TAKAKRYPT_ACTION_F_REN;
	int ret;

	ret = takakrypt_decide(old, action, 0, NULL);
	if (!ret)
		ret = takakrypt_decide(new, action, TAKAKRYPT_DECIDE_NOCACHE,
				       NULL);
	if (!ret && d_really_is_positive(new))
		ret = takakrypt_decide(new, d_is_dir(new) ?
				       TAKAKRYPT_ACTION_D_RMDIR :
				       TAKAKRYPT_ACTION_F_RM, 0, NULL);
	return ret;
}

static int tk_do_rename(struct inode *old_dir, struct dentry *old,
			struct inode *new_dir, struct dentry *new,
			unsigned int flags)
{
	struct path *lower_path = takakrypt_lower_path(old);
	struct dentry *lower_old = lower_path->dentry;
	struct dentry *lower_new = takakrypt_lower_dentry(new);
	struct dentry *old_parent, *new_parent, *trap;
	struct renamedata rd = { };
	int ret;

	ret = mnt_want_write(lower_path->mnt);
	if (ret)
		goto out;
	old_parent = dget_parent(lower_old);
	new_parent = dget_parent(lower_new);
	trap = lock_rename(new_parent, old_parent);
	ret = -ESTALE;
	if (lower_old->d_parent != old_parent ||
	    lower_new->d_parent != new_parent)
		goto out_unlock;
	ret = -EINVAL;
	if (trap == lower_old)
		goto out_unlock;
	ret = -ENOTEMPTY;
	if (trap == lower_new)
		goto out_unlock;

	rd.old_mnt_userns = tk_lower_userns(old_dir->i_sb);
	rd.old_dir = d_inode(old_parent);
	rd.old_dentry = lower_old;
	rd.new_mnt_userns = rd.old_mnt_userns;
	rd.new_dir = d_inode(new_parent);
	rd.new_dentry = lower_new;
	rd.flags = flags;
	ret = vfs_rename(&rd);
out_unlock:
	unlock_rename(new_parent, old_parent);
	dput(new_parent);
	dput(old_parent);
	mnt_drop_write(lower_path->mnt);
out:
	return ret;
}

static int tk_rename(struct user_namespace *userns, struct inode *old_dir,
		     struct dentry *old, struct inode *new_dir,
		     struct dentry *new, unsigned int flags)
{
	int ret = -EINVAL;

	/* Exchange and whiteout would need both names decided as both
	 * objects; they have no user yet.
	 */
	if (flags & ~RENAME_NOREPLACE)
		goto out;
	ret = tk_rename_decide(old, new);
	if (ret)
		goto out;

	ret = tk_do_rename(old_dir, old, new_dir, new, flags);
	if (ret)
		goto out;
	takakrypt_copy_attr(old_dir);
	if (new_dir != old_dir)
		takakrypt_copy_attr(new_dir);
	if (d_really_is_positive(new))
		takakrypt_copy_attr(d_inode(new));
	/* Every decision made for a name below the old one is stale. */
	takakrypt_cache_flush();
out:
	return ret;
}

static int tk_permission(struct user_namespace *userns, struct inode *inode,
			 int mask)
{
	return inode_permission(tk_lower_userns(inode->i_sb),
				takakrypt_lower_inode(inode), mask);
}

static int tk_getattr(struct user_namespace *userns, const struct path *path,
		      struct kstat *stat, u32 request_mask,
		      unsigned int query_flags)
{
	struct dentry *dentry = path->dentry;
	struct inode *inode = d_inode(dentry);
	struct kstat lower_stat;
	bool applykey = false;
	bool raw;
	int ret;

	ret = takakrypt_decide(dentry, S_ISDIR(inode->i_mode) ?
			       TAKAKRYPT_ACTION_D_RD_ATT :
			       TAKAKRYPT_ACTION_F_RD_ATT, 0, &applykey);
	if (ret)
		goto out;
	/* Without applykey a file is seen as stored: its lower size, with
	 * what the page cache holds written first.
	 */
	raw = S_ISREG(inode->i_mode) && !applykey;
	if (raw && (mapping_tagged(inode->i_mapping, PAGECACHE_TAG_DIRTY) ||
		    mapping_tagged(inode->i_mapping, PAGECACHE_TAG_WRITEBACK))) {
		ret = filemap_write_and_wait(inode->i_mapping);
		if (ret)
			goto out;
	}

	ret = vfs_getattr(takakrypt_lower_path(dentry), &lower_stat,
			  request_mask, query_flags);
	if (ret)
		goto out;
	takakrypt_copy_attr(inode);
	generic_fillattr(userns, inode, stat);
	if (raw)
		stat->size = lower_stat.size;
	stat->blocks = lower_stat.blocks;
out:
	return ret;
}

static u32 tk_setattr_action(struct inode *inode, const struct iattr *ia)
{
	if (S_ISDIR(inode->i_mode))
		return TAKAKRYPT_ACTION_D_CHG_ATT;
	if (ia->ia_valid & ATTR_SIZE)
		return TAKAKRYPT_ACTION_F_WR;
	return TAKAKRYPT_ACTION_F_CHG_ATT;
}

/**
 * takakrypt_lower_setattr() - change the lower object's attributes, in the
 * calling task's name.
 * @dentry: upper dentry
 * @ia: the change
 *
 * Return: 0 or a negative errno.
 */
int takakrypt_lower_setattr(struct dentry *dentry, struct iattr *ia)
{
	struct path *lower = takakrypt_lower_path(dentry);
	struct inode *lower_inode = d_inode(lower->dentry);
	int ret;

	ret = mnt_want_write(lower->mnt);
	if (ret)
		goto out;
	inode_lock(lower_inode);
	ret = notify_change(tk_lower_userns(dentry->d_sb), lower->dentry, ia,
			    NULL);
	inode_unlock(lower_inode);
	mnt_drop_write(lower->mnt);
out:
	return ret;
}

/* A size change seen as stored bytes (no applykey): the lower size. */
static int tk_set_raw_size(struct dentry *dentry, loff_t size)
{
	struct inode *inode = d_inode(dentry);
	struct iattr ia = { .ia_valid = ATTR_SIZE, .ia_size = size };
	int ret;

	ret = filemap_write_and_wait(inode->i_mapping);
	if (!ret)
		ret = takakrypt_lower_setattr(dentry, &ia);
	takakrypt_raw_changed(inode);
	return ret;
}

static int tk_setattr(struct user_namespace *userns, struct dentry *dentry,
		      struct iattr *ia)
{
	struct inode *inode = d_inode(dentry);
	struct iattr lower_ia = *ia;
	bool applykey = false;
	int ret;

	ret = takakrypt_decide(dentry, tk_setattr_action(inode, ia), 0,
			       &applykey);
	if (ret)
		goto out;
	ret = setattr_prepare(userns, dentry, ia);
	if (ret)
		goto out;

	/* The upper file is not the lower one; the lower mode is derived
	 * again from the kill bits, and both together are a bug.
	 */
	lower_ia.ia_valid &= ~ATTR_FILE;
	if (lower_ia.ia_valid & (ATTR_KILL_SUID | ATTR_KILL_SGID))
		lower_ia.ia_valid &= ~ATTR_MODE;

	/* A size is plaintext or stored bytes as the open file sees it
	 * (ftruncate, O_TRUNC), else as the caller's decision says.
	 */
	if ((ia->ia_valid & ATTR_SIZE) && S_ISREG(inode->i_mode)) {
		if ((ia->ia_valid & ATTR_FILE) && ia->ia_file->private_data) {
			struct takakrypt_file_info *fi =
				ia->ia_file->private_data;

			applykey = fi->applykey;
		}
		ret = applykey ? takakrypt_set_plain_size(dentry, ia->ia_size) :
		      tk_set_raw_size(dentry, ia->ia_size);
		if (ret)
			goto out_attr;
		lower_ia.ia_valid &= ~ATTR_SIZE;
	}
	if (lower_ia.ia_valid & ~(ATTR_OPEN | ATTR_FORCE))
		ret = takakrypt_lower_setattr(dentry, &lower_ia);
out_attr:
	takakrypt_copy_attr(inode);
out:
	return ret;
}

static const char *tk_get_link(struct dentry *dentry, struct inode *inode,
			       struct delayed_call *done)
{
	if (!dentry)
		return ERR_PTR(-ECHILD);
	return vfs_get_link(takakrypt_lower_dentry(dentry), done);
}

static const struct inode_operations tk_dir_iops = {
	.lookup = tk_lookup,
	.create = tk_create,
	.link = tk_link,
	.unlink = tk_unlink,
	.symlink = tk_symlink,
	.mkdir = tk_mkdir,
	.rmdir = tk_rmdir,
	.mknod = tk_mknod,
	.rename = tk_rename,
	.permission = tk_permission,
	.getattr = tk_getattr,
	.setattr = tk_setattr,
	.listxattr = takakrypt_listxattr,
};

static const struct inode_operations tk_file_iops = {
	.permission = tk_permission,
	.getattr = tk_getattr,
	.setattr = tk_setattr,
	.listxattr = takakrypt_listxattr,
};

static const struct inode_operations tk_symlink_iops = {
	.get_link = tk_get_link,
	.permission = tk_permission,
	.getattr = tk_getattr,
	.setattr = tk_setattr,
	.listxattr = takakrypt_listxattr,
};
