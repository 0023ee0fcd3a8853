// SPDX-License-Identifier: MIT
/*
 * The shim's logic: which opens are of /dev/iommu, what stands behind an
 * emulated fd, and how close/dup/fcntl/ioctl treat one. See shim.h for the
 * calling convention (results or -errno, errno untouched).
 *
 * Which opens are of /dev/iommu
 * -----------------------------
 * An open names the emulated /dev/iommu when the kernel's own path walk
 * would end at the entry "iommu" of the directory /dev, whether or not that
 * entry exists on this machine (usually it does not: no IOMMU, or no
 * iommufd). So all of these do:
 *   - "/dev/iommu";
 *   - every other spelling the kernel accepts for it: "//dev//iommu",
 *     "/dev/./iommu", "/dev/../dev/iommu", "iommu" or "../dev/iommu"
 *     relative to the cwd or to openat()'s dirfd, a path through a symlink
 *     to /dev ("/tmp/d/iommu" where /tmp/d -> /dev);
 *   - a symlink, or a chain of them, whose last target is one of these, even
 *     when that target is missing (we read the links ourselves, at most 40
 *     hops as the kernel allows).
 * "The directory /dev" is the inode stat("/dev") names, so /dev bind-mounted
 * elsewhere counts too. Not matched: a path ending in a slash (the kernel
 * wants a directory there), an O_PATH open (it passes through; no ioctl is
 * possible on such an fd), a symlink in the last place under O_NOFOLLOW (the
 * kernel says ELOOP). The real /dev/iommu, where there is one, is never used:
 * emulating is the point.
 *
 * What it costs other opens: nothing, nearly. The literal "/dev/iommu" is a
 * string compare. Any other path goes to libc first, as the program asked.
 * On success the fd is /dev/iommu only if this machine has a /dev/iommu
 * (looked up once) and the fd is that file, or a node of the same device
 * (one fstat(), only on such machines).
 * On a failure that a missing or forbidden /dev/iommu would give (ENOENT,
 * EACCES, EPERM, ENXIO, ENODEV) we walk the path (readlinkat() per symlink,
 * one fstatat()). An O_CREAT open is walked before libc sees it, since it
 * would create a regular file through a dangling symlink to /dev/iommu.
 *
 * What stands behind an emulated fd
 * ---------------------------------
 * A real placeholder fd, so that fd numbers come from the kernel and are
 * unique, and the kernel itself applies O_CLOEXEC, FD_CLOEXEC and exec. It
 * is /dev/null, opened with the caller's access mode, O_CLOEXEC and
 * O_NONBLOCK: F_GETFL and F_GETFD answer as on the device, fstat() sees a
 * character device, and poll() reports the default mask, as the kernel does
 * for iommufd (neither has a poll method). Where /dev/null cannot be opened
 * (a bare chroot), a sealed memfd stands in. The table entry maps the
 * placeholder's number to the context.
 *
 * Limitations
 * -----------
 * - exec(): an fd opened with O_CLOEXEC (or marked FD_CLOEXEC / FIOCLEX)
 *   vanishes with the placeholder. Without it the placeholder survives into
 *   the new image but the context does not (it lived in this process's
 *   memory): the new image sees a /dev/null fd, ioctls on it fail with
 *   ENOTTY. The kernel keeps one iommufd across exec; the shared-context
 *   mode will.
 * - fork(): the child works on its own copy of every context (in-process
 *   mode); the kernel would share them.
 * - Only calls that go through the exported libc symbols are seen: an fd
 *   closed behind our back (syscall(), a libc-internal close such as
 *   fclose() of an fdopen()ed stream) leaves a stale entry, which is dropped
 *   when the kernel hands that number out again through open(), dup() and
 *   friends; fopen("/dev/iommu") and stat("/dev/iommu") are not emulated.
 * - A close() racing with an ioctl() on the same fd in another thread may
 *   see the ioctl reach the placeholder (ENOTTY) instead of the context or
 *   EBADF; a program doing that has a race of its own.
 */
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdint.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/fdtable.h"
#include "base/file.h"
#include "iommufd/iommufd.h"
#include "real.h"
#include "shim.h"

#define SHIM_DEV_IOMMU "/dev/iommu"
/* As the kernel's MAXSYMLINKS. */
#define SHIM_MAX_SYMLINKS 40

/* A libc-style result as ours: the value, or -errno. */
static int shim_ret(int r)
{
	return r < 0 ? -errno : r;
}

/* ---- which opens are of /dev/iommu --------------------------------------- */

/*
 * Whether dirfd + path ends at the entry "iommu" of /dev, following
 * symlinks (the last one only when follow_last). Sets errno at will.
 */
static bool shim_path_is_dev_iommu(int dirfd, const char *path,
				   bool follow_last)
{
	char cur[PATH_MAX], target[PATH_MAX];
	struct stat dir_st, dev_st;
	size_t len = strnlen(path, sizeof(cur));
	int hops = 0;

	if (len == 0 || len >= sizeof(cur))
		return false;
	memcpy(cur, path, len + 1);
	for (;;) {
		char *slash = strrchr(cur, '/');
		const char *last = slash ? slash + 1 : cur;
		const char *parent;
		ssize_t n;

		if (!*last || !strcmp(last, ".") || !strcmp(last, ".."))
			return false;
		n = readlinkat(dirfd, cur, target, sizeof(target));
		if (n >= 0) {
			size_t keep;

			if (!follow_last || ++hops > SHIM_MAX_SYMLINKS ||
			    (size_t)n >= sizeof(target))
				return false;
			target[n] = '\0';
			/* A relative target is relative to the link's own
			 * directory: keep "dir/" (nothing when the link sits
			 * at dirfd itself) and put the target after it. */
			keep = target[0] == '/' || !slash ?
				       0 :
				       (size_t)(slash - cur) + 1;
			if (keep + (size_t)n >= sizeof(cur))
				return false;
			memcpy(cur + keep, target, (size_t)n + 1);
			continue;
		}
		/* EINVAL: not a symlink; ENOENT: missing (our case). */
		if (errno != EINVAL && errno != ENOENT)
			return false;
		if (strcmp(last, "iommu"))
			return false;
		if (!slash) {
			parent = ".";
		} else if (slash == cur) {
			parent = "/";
		} else {
			*slash = '\0';
			parent = cur;
		}
		if (fstatat(dirfd, parent, &dir_st, 0) || stat("/dev", &dev_st))
			return false;
		return S_ISDIR(dir_st.st_mode) &&
		       dir_st.st_dev == dev_st.st_dev &&
		       dir_st.st_ino == dev_st.st_ino;
	}
}

/*
 * This machine's own /dev/iommu, whatever it is (the real device; a stray
 * file), looked up by the first open that needs it.
 */
static pthread_once_t host_iommu_once = PTHREAD_ONCE_INIT;
static bool host_iommu_exists;
static struct stat host_iommu_st;

static void shim_host_iommu_lookup(void)
{
	host_iommu_exists = !stat(SHIM_DEV_IOMMU, &host_iommu_st);
}

/* Whether a successful real open gave us this machine's /dev/iommu: that
 * file, or another node of the same device. */
static bool shim_fd_is_host_iommu(int fd)
{
	struct stat st;

	pthread_once(&host_iommu_once, shim_host_iommu_lookup);
	if (!host_iommu_exists || fstat(fd, &st))
		return false;
	if (st.st_dev == host_iommu_st.st_dev &&
	    st.st_ino == host_iommu_st.st_ino)
		return true;
	return S_ISCHR(host_iommu_st.st_mode) && S_ISCHR(st.st_mode) &&
	       st.st_rdev == host_iommu_st.st_rdev;
}

/* The errors a real open gives for a /dev/iommu that is missing or not ours. */
static bool shim_errno_may_be_dev_iommu(int err)
{
	return err == ENOENT || err == EACCES || err == EPERM || err == ENXIO ||
	       err == ENODEV;
}

/* ---- emulated opens ------------------------------------------------------ */

/* A new emulated open of /dev/iommu: a new context behind a new file. */
static int shim_open_emulated(int flags)
{
	/* What the kernel answers for a character device here. */
	if (flags & O_DIRECTORY) /* O_TMPFILE includes it */
		return -ENOTDIR;
	if ((flags & (O_CREAT | O_EXCL)) == (O_CREAT | O_EXCL))
		return -EEXIST;
	return iommufd_fops_open(IOMMUFD_NODE_IOMMU, flags);
}

static int shim_open_real(enum shim_open_variant variant, int dirfd,
			  const char *path, int flags, mode_t mode)
{
	switch (variant) {
	case SHIM_OPEN:
		return real_open(path, flags, mode);
	case SHIM_OPEN64:
		return real_open64(path, flags, mode);
	case SHIM_OPENAT:
		return real_openat(dirfd, path, flags, mode);
	case SHIM_OPENAT64:
		return real_openat64(dirfd, path, flags, mode);
	case SHIM_OPEN_2:
		return real___open_2(path, flags);
	case SHIM_OPEN64_2:
		return real___open64_2(path, flags);
	case SHIM_OPENAT_2:
		return real___openat_2(dirfd, path, flags);
	case SHIM_OPENAT64_2:
		return real___openat64_2(dirfd, path, flags);
	}
	errno = EINVAL;
	return -1;
}

static bool shim_open_is_fortified(enum shim_open_variant variant)
{
	return variant >= SHIM_OPEN_2;
}

int shim_openat(enum shim_open_variant variant, int dirfd, const char *path,
		int flags, mode_t mode)
{
	bool follow_last = !(flags & O_NOFOLLOW);
	int saved_errno = errno;
	int rc, err;

	/* O_PATH: no ioctl on it, nothing to emulate. A fortified open with
	 * O_CREAT: libc aborts it, and so it shall. */
	if (!path || (flags & O_PATH) ||
	    (shim_open_is_fortified(variant) && shim_open_needs_mode(flags)))
		goto out_real;
	if (!strcmp(path, SHIM_DEV_IOMMU)) {
		rc = shim_open_emulated(flags);
		goto out;
	}
	if (flags & O_CREAT) {
		if (shim_path_is_dev_iommu(dirfd, path, follow_last)) {
			rc = shim_open_emulated(flags);
			goto out;
		}
		goto out_real;
	}

	rc = shim_open_real(variant, dirfd, path, flags, mode);
	if (rc >= 0) {
		if (!shim_fd_is_host_iommu(rc))
			goto out_new_fd;
		real_close(rc);
		rc = shim_open_emulated(flags);
		goto out;
	}
	err = errno;
	if (shim_errno_may_be_dev_iommu(err) &&
	    shim_path_is_dev_iommu(dirfd, path, follow_last))
		rc = shim_open_emulated(flags);
	else
		rc = -err;
	goto out;

out_real:
	rc = shim_ret(shim_open_real(variant, dirfd, path, flags, mode));
	if (rc < 0)
		goto out;
out_new_fd:
	/* A number the kernel just handed out names no emulated file, even
	 * if an fd closed behind our back left an entry for it. */
	fdtable_install(rc, NULL);
out:
	errno = saved_errno;
	return rc;
}

/* ---- calls on fds -------------------------------------------------------- */

int shim_close(int fd)
{
	struct file *file = fdtable_remove(fd);
	int saved_errno, rc;

	if (!file)
		return shim_ret(real_close(fd));
	/* Entry first, then the placeholder: once the number is free another
	 * thread's open may get it and install its own entry. */
	saved_errno = errno;
	rc = shim_ret(real_close(fd));
	errno = saved_errno;
	fput(file);
	return rc;
}

/* The ioctls the kernel's VFS answers itself, for every file, before the
 * driver sees the call; they act on the placeholder, which is the file. */
static bool shim_ioctl_is_generic(unsigned int request)
{
	return request == FIOCLEX || request == FIONCLEX ||
	       request == FIONBIO || request == FIOASYNC;
}

int shim_ioctl(int fd, unsigned long request, void *arg)
{
	struct file *file = fget(fd);
	int rc;

	if (!file)
		return shim_ret(real_ioctl(fd, request, arg));
	if (shim_ioctl_is_generic((unsigned int)request)) {
		int saved_errno = errno;

		rc = shim_ret(real_ioctl(fd, request, arg));
		errno = saved_errno;
	} else {
		rc = (int)vfs_ioctl(file, (unsigned int)request,
				    (uint64_t)(uintptr_t)arg);
	}
	fput(file);
	return rc;
}

/*
 * After a call that made newfd (or failed, newfd < 0) as a copy of the fd
 * whose file is file (NULL: not emulated): newfd now names file.
 * Consumes the reference on file. Returns newfd or -errno.
 */
static int shim_dup_done(int newfd, struct file *file)
{
	int rc;

	if (newfd < 0) {
		rc = -errno;
		if (file)
			fput(file);
		return rc;
	}
	if (file) {
		rc = fdtable_reserve(newfd);
		if (rc) {
			int saved_errno = errno;

			real_close(newfd);
			errno = saved_errno;
			fput(file);
			return rc;
		}
	}
	fdtable_install(newfd, file);
	return newfd;
}

int shim_dup(int fd)
{
	struct file *file = fget(fd);

	return shim_dup_done(real_dup(fd), file);
}

/* dup2 and dup3: the target's number is known, so room for its entry is
 * made before the call, which then cannot fail on our side. */
int shim_dup2(int oldfd, int newfd)
{
	struct file *file;
	int rc;

	if (oldfd == newfd)
		return shim_ret(real_dup2(oldfd, newfd));
	file = fget(oldfd);
	if (file) {
		rc = fdtable_reserve(newfd);
		if (rc) {
			fput(file);
			return rc;
		}
	}
	return shim_dup_done(real_dup2(oldfd, newfd), file);
}

int shim_dup3(int oldfd, int newfd, int flags)
{
	struct file *file;
	int rc;

	if (oldfd == newfd) /* EINVAL, from libc */
		return shim_ret(real_dup3(oldfd, newfd, flags));
	file = fget(oldfd);
	if (file) {
		rc = fdtable_reserve(newfd);
		if (rc) {
			fput(file);
			return rc;
		}
	}
	return shim_dup_done(real_dup3(oldfd, newfd, flags), file);
}

int shim_fcntl(int fd, int cmd, void *arg, bool is_fcntl64)
{
	struct file *file;
	int newfd;

	/* Every other command acts on the placeholder, which is right: it
	 * carries the fd flags and the file status flags. */
	if (cmd != F_DUPFD && cmd != F_DUPFD_CLOEXEC)
		return shim_ret(is_fcntl64 ? real_fcntl64(fd, cmd, arg) :
					     real_fcntl(fd, cmd, arg));
	file = fget(fd);
	newfd = is_fcntl64 ? real_fcntl64(fd, cmd, arg) :
			     real_fcntl(fd, cmd, arg);
	return shim_dup_done(newfd, file);
}

int shim_close_range(unsigned int first, unsigned int last, int flags)
{
	/* Entries go only when the kernel will close: not for CLOEXEC (which
	 * only marks) nor for arguments it refuses. */
	if (first <= last &&
	    !(flags & ~(int)(CLOSE_RANGE_UNSHARE | CLOSE_RANGE_CLOEXEC)) &&
	    !(flags & CLOSE_RANGE_CLOEXEC))
		fdtable_remove_range(first, last);
	return shim_ret(real_close_range(first, last, flags));
}

void shim_closefrom(int lowfd)
{
	int saved_errno = errno;

	fdtable_remove_range(lowfd < 0 ? 0 : (unsigned int)lowfd, ~0u);
	real_closefrom(lowfd);
	errno = saved_errno;
}
