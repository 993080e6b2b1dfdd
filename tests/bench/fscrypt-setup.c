/*
 * Make an empty directory an fscrypt-encrypted one, as the fscrypt peer
 * of `make bench`: add a fresh random 512-bit master key to the
 * filesystem (FS_IOC_ADD_ENCRYPTION_KEY) and set a v2 policy with
 * AES-256-XTS contents and AES-256-CTS names on the directory
 * (FS_IOC_SET_ENCRYPTION_POLICY). Debian 12 has no fscryptctl, and the
 * fscrypt tool wants a writable /etc, so the benchmark compiles this.
 * The key lives only in the kernel's keyring for the filesystem; it is
 * never printed.
 *
 * usage: fscrypt-setup DIR
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/fscrypt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/random.h>
#include <unistd.h>

#define KEY_BYTES 64

static int fill_random(unsigned char *buf, size_t len)
{
	size_t done = 0;

	while (done < len) {
		ssize_t n = getrandom(buf + done, len - done, 0);

		if (n < 0 && errno != EINTR)
			return -1;
		if (n > 0)
			done += (size_t)n;
	}
	return 0;
}

/* Adds a fresh key; copies its identifier to id. */
static int add_key(int fd, __u8 id[FSCRYPT_KEY_IDENTIFIER_SIZE])
{
	struct fscrypt_add_key_arg *arg;
	int rc = -1;

	arg = calloc(1, sizeof(*arg) + KEY_BYTES);
	if (!arg)
		return -1;
	arg->key_spec.type = FSCRYPT_KEY_SPEC_TYPE_IDENTIFIER;
	arg->raw_size = KEY_BYTES;
	if (fill_random(arg->raw, KEY_BYTES) == 0 &&
	    ioctl(fd, FS_IOC_ADD_ENCRYPTION_KEY, arg) == 0) {
		memcpy(id, arg->key_spec.u.identifier, FSCRYPT_KEY_IDENTIFIER_SIZE);
		rc = 0;
	}
	explicit_bzero(arg->raw, KEY_BYTES);
	free(arg);
	return rc;
}

int main(int argc, char **argv)
{
	struct fscrypt_policy_v2 policy = {
		.version = FSCRYPT_POLICY_V2,
		.contents_encryption_mode = FSCRYPT_MODE_AES_256_XTS,
		.filenames_encryption_mode = FSCRYPT_MODE_AES_256_CTS,
		.flags = FSCRYPT_POLICY_FLAGS_PAD_32,
	};
	int fd;

	if (argc != 2) {
		fprintf(stderr, "usage: fscrypt-setup DIR\n");
		return 2;
	}
	fd = open(argv[1], O_RDONLY | O_DIRECTORY);
	if (fd < 0) {
		fprintf(stderr, "fscrypt-setup: cannot open %s: %s\n", argv[1], strerror(errno));
		return 1;
	}
	if (add_key(fd, policy.master_key_identifier) != 0) {
		fprintf(stderr, "fscrypt-setup: FS_IOC_ADD_ENCRYPTION_KEY on %s: expected success, got %s\n",
			argv[1], strerror(errno));
		return 1;
	}
	if (ioctl(fd, FS_IOC_SET_ENCRYPTION_POLICY, &policy) != 0) {
		fprintf(stderr, "fscrypt-setup: FS_IOC_SET_ENCRYPTION_POLICY on %s: expected success, got %s\n",
			argv[1], strerror(errno));
		return 1;
	}
	close(fd);
	return 0;
}
