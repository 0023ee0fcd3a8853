// SPDX-License-Identifier: MIT
/*
 * The iommufd as a file (src/iommufd/main.c): the context behind a
 * descriptor a command receives (the kernel's iommufd_ctx_from_fd()), and
 * reopening a file's device node.
 */
#include <errno.h>
#include <fcntl.h>
#include <unistd.h>

#include "base/fdtable.h"
#include "base/file.h"
#include "iommufd/iommufd.h"
#include "iommufd/iommufd_private.h"
#include "iommufd/pages.h"
#include "harness.h"

static const struct file_operations other_fops = { .name = "other" };

static void close_file_fd(int fd)
{
	struct file *file = fdtable_remove(fd);

	close(fd);
	if (file)
		fput(file);
}

TEST(ctx_from_file)
{
	int fd = iommufd_fops_open(IOMMUFD_NODE_IOMMU, O_RDWR);
	int other = file_install_new(&other_fops, NULL, O_RDWR,
				     FILE_PLACEHOLDER_NODE);
	struct file *file, *ofile;
	struct iommufd_ctx *ictx;

	ASSERT_LE(0, fd);
	ASSERT_LE(0, other);
	file = fget(fd);
	ofile = fget(other);
	ASSERT_NONNULL(file);
	ictx = iommufd_ctx_from_file(file);
	ASSERT_NONNULL(ictx);
	ASSERT_EQ(IOPT_PAGES_ACCOUNT_USER, ictx->account_mode);
	ASSERT_NULL(iommufd_ctx_from_file(ofile));
	ASSERT_EQ(-ENXIO, vfs_reopen(ofile, O_RDWR));
	fput(file);
	fput(ofile);
	close_file_fd(fd);
	close_file_fd(other);
	ASSERT_NULL(fget(fd));
}

/* A reopen is the same node, with a context of its own. */
TEST(reopen_keeps_the_node)
{
	int fd = iommufd_fops_open(IOMMUFD_NODE_VFIO_CONTAINER, O_RDWR);
	struct file *file, *file2;
	int fd2;

	ASSERT_LE(0, fd);
	file = fget(fd);
	fd2 = vfs_reopen(file, O_RDONLY | O_CLOEXEC);
	ASSERT_LE(0, fd2);
	file2 = fget(fd2);
	ASSERT_NONNULL(iommufd_ctx_from_file(file2));
	ASSERT_TRUE(iommufd_ctx_from_file(file2) !=
		    iommufd_ctx_from_file(file));
	ASSERT_EQ(IOPT_PAGES_ACCOUNT_MM,
		  iommufd_ctx_from_file(file2)->account_mode);
	ASSERT_EQ(FD_CLOEXEC, fcntl(fd2, F_GETFD) & FD_CLOEXEC);
	ASSERT_EQ(O_RDONLY, fcntl(fd2, F_GETFL) & O_ACCMODE);
	fput(file);
	fput(file2);
	close_file_fd(fd);
	close_file_fd(fd2);
}

TEST_HARNESS_MAIN
