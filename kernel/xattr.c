// SPDX-License-Identifier: GPL-2.0-only
/*
 * One catch-all handler (empty prefix) forwards every extended
 * attribute name, POSIX ACLs included, to the lower object, whose own
 * permission checks then apply to the calling task.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/fs.h>
#include <linux/xattr.h>
#include <linux/mount.h>
#include <linux/string.h>

#include <takakrypt.h>

#include "xattr.h"
#include "inode.h"
#include "super.h"
#include "decide.h"

static struct user_namespace *tk_lower_userns(struct dentry *dentry)
{
	return mnt_user_ns(takakrypt_lower_path(dentry)->mnt);
}

static u32 tk_sec_action(struct inode *inode, bool change)
{
	if (S_ISDIR(inode->i_mode))
		return change ? TAKAKRYPT_ACTION_D_CHG_SEC :
				TAKAKRYPT_ACTION_D_RD_SEC;
	return change ? TAKAKRYPT_ACTION_F_CHG_SEC : TAKAKRYPT_ACTION_F_RD_SEC;
}

static int tk_xattr_get(const struct xattr_handler *handler,
			struct dentry *dentry, struct inode *inode,
			const char *name, void *value, size_t size)
{
	int ret = 0;

	/* The kernel itself reads file capabilities on exec and before the
	 * first write to an inode (must privileges be dropped?); a denial
	 * there would fail the exec or the write, whatever their own
	 * decisions. So that one name needs none.
	 */
	if (strcmp(name, XATTR_NAME_CAPS))
		ret = takakrypt_decide(dentry, tk_sec_action(inode, false), 0,
				       NULL);
	if (ret)
		goto out;
	ret = vfs_getxattr(tk_lower_userns(dentry),
			   takakrypt_lower_dentry(dentry), name, value, size);
out:
	return ret;
}

static int tk_xattr_set(const struct xattr_handler *handler,
			struct user_namespace *userns, struct dentry *dentry,
			struct inode *inode, const char *name,
			const void *value, size_t size, int flags)
{
	struct path *lower = takakrypt_lower_path(dentry);
	int ret;

	ret = takakrypt_decide(dentry, tk_sec_action(inode, true), 0, NULL);
	if (ret)
		goto out;

	ret = mnt_want_write(lower->mnt);
	if (ret)
		goto out;
	/* A NULL value is how removexattr reaches a handler. */
	if (value)
		ret = vfs_setxattr(tk_lower_userns(dentry), lower->dentry, name,
				   value, size, flags);
	else
		ret = vfs_removexattr(tk_lower_userns(dentry), lower->dentry,
				      name);
	mnt_drop_write(lower->mnt);

	if (!ret)
		takakrypt_copy_attr(inode);
out:
	return ret;
}

/**
 * takakrypt_listxattr() - list the lower object's extended attributes.
 * @dentry: upper dentry
 * @list: buffer, or NULL to ask for the size
 * @size: size of @list
 *
 * Return: the length of the list or a negative errno.
 */
ssize_t takakrypt_listxattr(struct dentry *dentry, char *list, size_t size)
{
	ssize_t ret;

	ret = takakrypt_decide(dentry, tk_sec_action(d_inode(dentry), false), 0,
			       NULL);
	if (!ret)
		ret = vfs_listxattr(takakrypt_lower_dentry(dentry), list, size);
	return ret;
}

static const struct xattr_handler tk_xattr_handler = {
	.prefix = "",
	.get = tk_xattr_get,
	.set = tk_xattr_set,
};

const struct xattr_handler *takakrypt_xattr_handlers[] = {
	&tk_xattr_handler,
	NULL
};
