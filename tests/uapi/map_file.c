// SPDX-License-Identifier: MIT
/*
 * IOMMU_IOAS_MAP_FILE, the selftest's dma-buf and IOMMU_IOAS_CHANGE_PROCESS
 * on an IOAS with zero, one or two mock domains: the rules and errno of
 * the newest kernel (drivers/iommu/iommufd/ioas.c, io_pagetable.c,
 * pages.c, selftest.c), in the shape of its selftests; the rule each test
 * follows is named next to it. Without a domain a file map pins nothing,
 * so what the kernel finds only when it pins (a file it cannot pin, a
 * range past the file's end) shows only with a domain.
 *
 * The teardown checks from a fresh context, after close(), that nothing
 * of the memfd stayed pinned.
 */
#include <sys/stat.h>
#include <sys/vfs.h>
#include <linux/magic.h>

#include "map_file_utils.h"

#define NPAGES 16

FIXTURE(map_file)
{
	int fd;
	__u32 ioas_id;
	__u32 stdev_id;
	__u32 hwpt_id;
	__u32 device_id;
	uint8_t *mfd_buf;
	int mfd;
	size_t size;
};

FIXTURE_VARIANT(map_file)
{
	unsigned int mock_domains;
};

FIXTURE_SETUP(map_file)
{
	self->fd = iommufd_open();
	ASSERT_NE(-1, self->fd);
	test_ioctl_ioas_alloc(&self->ioas_id);
	for (unsigned int i = 0; i != variant->mock_domains; i++)
		test_cmd_mock_domain(self->ioas_id, &self->stdev_id,
				     &self->hwpt_id, &self->device_id);
	self->size = NPAGES * PSZ;
	self->mfd_buf = memfd_mmap(self->size, MFD_CLOEXEC, &self->mfd);
	ASSERT_NE(MAP_FAILED, self->mfd_buf);
	for (size_t i = 0; i < self->size; i++)
		self->mfd_buf[i] = (uint8_t)(i * 7 + 1);
}

FIXTURE_TEARDOWN(map_file)
{
	EXPECT_EQ(0, close(self->fd));
	test_no_pins(self->mfd_buf, self->size);
	munmap(self->mfd_buf, self->size);
	close(self->mfd);
}

FIXTURE_VARIANT_ADD(map_file, no_domain)
{
};

FIXTURE_VARIANT_ADD(map_file, mock_domain)
{
	.mock_domains = 1,
};

FIXTURE_VARIANT_ADD(map_file, two_mock_domain)
{
	.mock_domains = 2,
};

/* Pins a mapping holds: one while the IOAS has a domain. */
#define domain_refs() (variant->mock_domains ? 1u : 0u)

/* ioas.c, then iopt_map_file_pages(): flags (EOPNOTSUPP), the 64-bit
 * range (EOVERFLOW), a flag to map with (EINVAL), the IOAS (ENOENT), a
 * zero length (EINVAL), a wrapping range (EOVERFLOW), the descriptor
 * (EBADF); the first that is wrong wins. */
TEST_F(map_file, errno_order)
{
	__u64 iova = 0;
	int path_fd;

	test_err_ioctl_ioas_map_file_flags(EOPNOTSUPP, -1, 0, 0, &iova,
					   MAP_RW | (1u << 3));
	test_err_ioctl_ioas_map_file(EOVERFLOW, -1, 0, U64_MAX, &iova);
	iova = U64_MAX;
	test_err_ioctl_ioas_map_file(EOVERFLOW, self->mfd, 0, PSZ, &iova);
	iova = 0;
	test_err_ioctl_ioas_map_file_flags(EINVAL, -1, 0, PSZ, &iova, 0);
	EXPECT_ERRNO(ENOENT, _test_ioctl_ioas_map_file(self->fd, NO_SUCH_ID,
						       -1, 0, PSZ, &iova,
						       MAP_RW));
	test_err_ioctl_ioas_map_file(EINVAL, -1, 0, 0, &iova);
	test_err_ioctl_ioas_map_file(EOVERFLOW, -1, U64_MAX - PSZ, 2 * PSZ,
				     &iova);
	test_err_ioctl_ioas_map_file(EBADF, -1, 0, PSZ, &iova);
	test_err_ioctl_ioas_map_file(EBADF, 1000000, 0, PSZ, &iova);
	/* an O_PATH descriptor names no open file */
	path_fd = open("/", O_PATH | O_CLOEXEC);
	ASSERT_LE(0, path_fd);
	test_err_ioctl_ioas_map_file(EBADF, path_fd, 0, PSZ, &iova);
	close(path_fd);

	/* nothing was mapped by any of them */
	test_err_ioctl_ioas_unmap(ENOENT, 0, U64_MAX - 1);
	test_cmd_md_check_refs(self->mfd_buf, self->size, 0);
}

/* The whole memfd, pinned once per mapping while a domain exists, mapped
 * to its pages, and let go by UNMAP. */
TEST_F(map_file, map_unmap)
{
	__u64 iova = 0, iova2 = 0;

	test_ioctl_ioas_map_file(self->mfd, 0, self->size, &iova);
	test_cmd_md_check_refs(self->mfd_buf, self->size, domain_refs());
	if (variant->mock_domains)
		test_cmd_md_check_map(self->hwpt_id, self->mfd_buf, iova,
				      self->size);
	/* a second map of the same pages pins them a second time */
	test_ioctl_ioas_map_file(self->mfd, PSZ, PSZ, &iova2);
	test_cmd_md_check_refs(self->mfd_buf + PSZ, PSZ, 2 * domain_refs());
	test_ioctl_ioas_unmap(iova2, PSZ);
	test_ioctl_ioas_unmap(iova, self->size);
	test_cmd_md_check_refs(self->mfd_buf, self->size, 0);
}

/* Offsets inside a page: any byte without a domain; with the mock's
 * 2 KiB pages, only a multiple of them (iopt_insert_area(): EINVAL). An
 * automatic IOVA keeps the offset's low bits (iopt_alloc_iova() aligns to
 * the file offset). */
TEST_F(map_file, offsets)
{
	__u64 iova = 0;

	if (variant->mock_domains) {
		test_err_ioctl_ioas_map_file(EINVAL, self->mfd, 100, MPSZ,
					     &iova);
	} else {
		test_ioctl_ioas_map_file(self->mfd, 100, 300, &iova);
		EXPECT_EQ(100u, iova % PSZ);
		test_ioctl_ioas_unmap(iova, 300);
	}
	test_ioctl_ioas_map_file(self->mfd, 3 * PSZ + MPSZ, PSZ, &iova);
	EXPECT_EQ(MPSZ, iova % PSZ);
	if (variant->mock_domains)
		test_cmd_md_check_map(self->hwpt_id,
				      self->mfd_buf + 3 * PSZ + MPSZ, iova,
				      PSZ);
	test_cmd_md_check_refs(self->mfd_buf + 3 * PSZ, 2 * PSZ,
			       domain_refs());
	test_ioctl_ioas_unmap(iova, PSZ);
}

/* Past the file's end: nothing to pin without a domain (mapped); with one
 * the pin fails as memfd_pin_folios() does (EINVAL), and so does attaching
 * a domain later, which leaves the area where it was. */
TEST_F(map_file, past_end)
{
	__u32 stdev_id;
	__u64 iova = 0;

	if (variant->mock_domains) {
		test_err_ioctl_ioas_map_file(EINVAL, self->mfd, self->size,
					     PSZ, &iova);
		test_err_ioctl_ioas_map_file(EINVAL, self->mfd, 0,
					     self->size + PSZ, &iova);
		test_cmd_md_check_refs(self->mfd_buf, self->size, 0);
		return;
	}
	/* inside the mock's aperture, so that only the pin can fail */
	iova = APERTURE_START;
	test_ioctl_ioas_map_fixed_file(self->mfd, self->size - PSZ, 2 * PSZ,
				       iova);
	test_err_mock_domain(EINVAL, self->ioas_id, &stdev_id, NULL, NULL);
	test_cmd_md_check_refs(self->mfd_buf, self->size, 0);
	test_ioctl_ioas_unmap(iova, 2 * PSZ);
	test_cmd_mock_domain(self->ioas_id, &stdev_id, NULL, NULL);
}

/* A memfd truncated under a map: UNMAP still undoes it; a new pin (a
 * domain attached later) finds nothing to pin (EINVAL). */
TEST_F(map_file, truncated_after_map)
{
	__u32 stdev_id;
	__u64 iova = 0;

	iova = APERTURE_START;
	test_ioctl_ioas_map_fixed_file(self->mfd, 0, 4 * PSZ, iova);
	ASSERT_EQ(0, ftruncate(self->mfd, 0));
	if (!variant->mock_domains)
		test_err_mock_domain(EINVAL, self->ioas_id, &stdev_id, NULL,
				     NULL);
	test_ioctl_ioas_unmap(iova, 4 * PSZ);
	ASSERT_EQ(0, ftruncate(self->mfd, (off_t)self->size));
	test_cmd_md_check_refs(self->mfd_buf, self->size, 0);
}

/* Seals (pages.c, iopt_alloc_file_pages()): a writable map needs the
 * file open for writing and mapping_map_writable(), which F_SEAL_WRITE
 * refuses (EPERM); a read-only one is fine. A writable map holds the
 * mapping writable, so F_SEAL_WRITE waits for its UNMAP (EBUSY); a
 * read-only map does not stand in its way. */
TEST_F(map_file, sealed_memfd)
{
	int sfd = memfd_create("sealed", MFD_CLOEXEC | MFD_ALLOW_SEALING);
	uint8_t data[64];
	__u64 iova = 0, iova_ro = 0;

	ASSERT_LE(0, sfd);
	ASSERT_EQ(0, ftruncate(sfd, (off_t)(4 * PSZ)));
	memset(data, 0xa5, sizeof(data));
	ASSERT_EQ((ssize_t)sizeof(data), pwrite(sfd, data, sizeof(data), 0));

	test_ioctl_ioas_map_file(sfd, 0, 4 * PSZ, &iova);
	EXPECT_ERRNO(EBUSY, fcntl(sfd, F_ADD_SEALS, F_SEAL_WRITE));
	test_ioctl_ioas_unmap(iova, 4 * PSZ);

	test_ioctl_ioas_map_file_flags(sfd, 0, 4 * PSZ, &iova_ro,
				       IOMMU_IOAS_MAP_READABLE);
	ASSERT_EQ(0, fcntl(sfd, F_ADD_SEALS, F_SEAL_WRITE));
	test_err_ioctl_ioas_map_file(EPERM, sfd, 0, 4 * PSZ, &iova);
	test_ioctl_ioas_map_file_flags(sfd, 0, 4 * PSZ, &iova,
				       IOMMU_IOAS_MAP_READABLE);
	test_ioctl_ioas_unmap(iova, 4 * PSZ);
	test_ioctl_ioas_unmap(iova_ro, 4 * PSZ);
	close(sfd);
}

/* A descriptor open read-only: readable maps only (EPERM). */
TEST_F(map_file, read_only_descriptor)
{
	char path[64];
	__u64 iova = 0;
	int ro;

	snprintf(path, sizeof(path), "/proc/self/fd/%d", self->mfd);
	ro = open(path, O_RDONLY | O_CLOEXEC);
	ASSERT_LE(0, ro);
	test_err_ioctl_ioas_map_file(EPERM, ro, 0, PSZ, &iova);
	test_ioctl_ioas_map_file_flags(ro, 0, self->size, &iova,
				       IOMMU_IOAS_MAP_READABLE);
	if (variant->mock_domains)
		test_cmd_md_check_map(self->hwpt_id, self->mfd_buf, iova,
				      self->size);
	test_cmd_md_check_refs(self->mfd_buf, self->size, domain_refs());
	test_ioctl_ioas_unmap(iova, self->size);
	close(ro);
}

/* Files memfd_pin_folios() refuses (not shmem or hugetlbfs): the iommufd
 * itself, /dev/zero, a file on a disk. Mapped while nothing pins, EINVAL
 * when a domain must. */
TEST_F(map_file, unpinnable_files)
{
	char name[] = "/var/tmp/iommusim-map-file-XXXXXX";
	int fds[3], i;
	struct statfs sfs;
	__u64 iova = 0;

	fds[0] = self->fd;
	fds[1] = open("/dev/zero", O_RDWR | O_CLOEXEC);
	fds[2] = mkstemp(name);
	ASSERT_LE(0, fds[1]);
	ASSERT_LE(0, fds[2]);
	unlink(name);
	ASSERT_EQ(0, ftruncate(fds[2], (off_t)self->size));
	ASSERT_EQ(0, fstatfs(fds[2], &sfs));
	for (i = 0; i < 3; i++) {
		/* /var/tmp may be a tmpfs: then it is a file to pin */
		if (i == 2 && sfs.f_type == TMPFS_MAGIC)
			break;
		if (variant->mock_domains) {
			test_err_ioctl_ioas_map_file(EINVAL, fds[i], 0, PSZ,
						     &iova);
			continue;
		}
		test_ioctl_ioas_map_file(fds[i], 0, PSZ, &iova);
		test_ioctl_ioas_unmap(iova, PSZ);
	}
	close(fds[1]);
	close(fds[2]);
}

/* COPY shares the file's pages: no second pin. */
TEST_F(map_file, copy)
{
	__u64 iova = 0, dst_iova = 0;
	__u32 dst_ioas;

	test_ioctl_ioas_alloc(&dst_ioas);
	test_ioctl_ioas_map_file(self->mfd, 0, self->size, &iova);
	test_ioctl_ioas_copy(MAP_RW, dst_ioas, &dst_iova, self->ioas_id, iova,
			     self->size);
	test_cmd_md_check_refs(self->mfd_buf, self->size, domain_refs());
	test_ioctl_ioas_unmap(iova, self->size);
	test_cmd_md_check_refs(self->mfd_buf, self->size, 0);
	test_ioctl_destroy(dst_ioas);
}

/* An access reads and writes the file's pages: what the memfd's own
 * mapping shows, both ways. */
TEST_F(map_file, access_rw)
{
	uint8_t got[256], put[256];
	__u64 iova = 0;
	__u32 pages_id;
	__u32 access_fd;

	test_ioctl_ioas_map_file(self->mfd, 0, self->size, &iova);
	test_cmd_create_access(self->ioas_id, &access_fd,
			       MOCK_FLAGS_ACCESS_CREATE_NEEDS_PIN_PAGES);
	test_cmd_access_rw(access_fd, iova + PSZ + 5, got, sizeof(got), 0);
	EXPECT_EQ(0, memcmp(got, self->mfd_buf + PSZ + 5, sizeof(got)));
	memset(put, 0x3c, sizeof(put));
	test_cmd_access_rw(access_fd, iova + 2 * PSZ, put, sizeof(put),
			   MOCK_ACCESS_RW_WRITE);
	EXPECT_EQ(0, memcmp(put, self->mfd_buf + 2 * PSZ, sizeof(put)));
	test_cmd_access_pages(access_fd, iova, PSZ, self->mfd_buf,
			      MOCK_FLAGS_ACCESS_WRITE, &pages_id);
	test_cmd_md_check_refs(self->mfd_buf, PSZ, 1);
	test_cmd_destroy_access_pages(access_fd, pages_id);
	close(access_fd);
	test_ioctl_ioas_unmap(iova, self->size);
}

/* hugetlbfs: a memfd of huge pages maps like any other (skipped on a
 * machine with no free huge page). */
TEST_F(map_file, hugetlb)
{
	size_t hsize = 2 * 1024 * 1024;
	__u64 iova = 0;
	uint8_t *hbuf;
	int hfd;

	hbuf = memfd_mmap(hsize, MFD_CLOEXEC | MFD_HUGETLB, &hfd);
	if (hbuf == MAP_FAILED)
		SKIP(return, "no hugetlb memfd here");
	if (madvise(hbuf, hsize, MADV_POPULATE_WRITE)) {
		munmap(hbuf, hsize);
		close(hfd);
		SKIP(return, "no free huge page");
	}
	hbuf[12345] = 0x42;
	test_ioctl_ioas_map_file(hfd, 0, hsize, &iova);
	EXPECT_EQ(0u, iova % HSZ);
	if (variant->mock_domains)
		test_cmd_md_check_map(self->hwpt_id, hbuf, iova, hsize);
	test_cmd_md_check_refs(hbuf, hsize, domain_refs());
	test_ioctl_ioas_unmap(iova, hsize);
	test_cmd_md_check_refs(hbuf, hsize, 0);
	munmap(hbuf, hsize);
	close(hfd);
}

/* ---- the selftest's dma-buf -------------------------------------------- */

/* selftest.c: a length rounded up to pages, neither 0 nor more than 512
 * pages (EINVAL); REVOKE takes a dma-buf (EBADF for no file, EINVAL for
 * another file). */
TEST_F(map_file, dmabuf_get_revoke_errors)
{
	int dfd;

	test_err_get_dmabuf(EINVAL, 0);
	test_err_get_dmabuf(EINVAL, 512 * PSZ + 1);
	test_cmd_get_dmabuf(512 * PSZ, &dfd);
	close(dfd);
	test_err_revoke_dmabuf(EBADF, -1, true);
	test_err_revoke_dmabuf(EINVAL, self->mfd, true);
	test_err_revoke_dmabuf(EINVAL, self->fd, true);
}

/* The kernel's dmabuf_simple: the range must lie inside the dma-buf. */
TEST_F(map_file, dmabuf_simple)
{
	size_t buf_size = 4 * PSZ;
	__u64 iova = 0;
	int dfd;

	test_cmd_get_dmabuf(buf_size, &dfd);
	test_err_ioctl_ioas_map_file(EINVAL, dfd, 0, 0, &iova);
	test_err_ioctl_ioas_map_file(EINVAL, dfd, buf_size, buf_size, &iova);
	test_err_ioctl_ioas_map_file(EINVAL, dfd, 0, buf_size + 1, &iova);
	test_ioctl_ioas_map_file(dfd, 0, buf_size, &iova);
	close(dfd);
}

/* The kernel's dmabuf_revoke: a revoked dma-buf cannot be mapped (ENODEV),
 * its mappings stay as empty areas, a domain attached meanwhile is fine,
 * and once let go of again it maps anew. */
TEST_F(map_file, dmabuf_revoke)
{
	size_t buf_size = 4 * PSZ;
	__u64 iova = 0, iova2 = 0;
	__u32 hwpt_id, stdev_id;
	int dfd;

	test_cmd_get_dmabuf(buf_size, &dfd);
	test_ioctl_ioas_map_file(dfd, 0, buf_size, &iova);
	test_cmd_revoke_dmabuf(dfd, true);
	/* new domains are not filled with it */
	if (variant->mock_domains) {
		test_cmd_hwpt_alloc(self->device_id, self->ioas_id, 0,
				    &hwpt_id);
		test_cmd_mock_domain(self->ioas_id, &stdev_id, NULL, NULL);
	}
	test_err_ioctl_ioas_map_file(ENODEV, dfd, 0, buf_size, &iova2);
	test_cmd_revoke_dmabuf(dfd, false);
	test_ioctl_ioas_map_file(dfd, 0, buf_size, &iova2);
	/* the old IOVA can be had again */
	test_ioctl_ioas_unmap(iova, buf_size);
	test_ioctl_ioas_map_fixed_file(dfd, 0, buf_size, iova);
	close(dfd);
}

/* No CPU access to a dma-buf's memory: an access may neither copy nor pin
 * it (EINVAL), and an area of it is not cut (VFIO type1 unmap of a part). */
TEST_F(map_file, dmabuf_no_access)
{
	size_t buf_size = 4 * PSZ;
	uint8_t got[16];
	__u64 iova = 0;
	__u32 access_fd;
	int dfd;

	test_cmd_get_dmabuf(buf_size, &dfd);
	test_ioctl_ioas_map_file(dfd, 0, buf_size, &iova);
	test_cmd_create_access(self->ioas_id, &access_fd,
			       MOCK_FLAGS_ACCESS_CREATE_NEEDS_PIN_PAGES);
	test_err_access_rw(EINVAL, access_fd, iova, got, sizeof(got), 0);
	test_err_access_pages(EINVAL, access_fd, iova, PSZ, got, 0);
	close(access_fd);
	close(dfd);
}

/* ---- IOMMU_IOAS_CHANGE_PROCESS ----------------------------------------- */

/* ioas.c: __reserved (EOPNOTSUPP); file mappings only, of every IOAS
 * (EINVAL, nothing changed); the caller already holds the charges of its
 * own mappings, which stay as they were. */
TEST_F(map_file, change_process)
{
	__u64 iova = 0, iova_anon = 0, iova2 = 0;
	__u32 ioas2;
	int dfd;

	test_err_ioctl_ioas_change_process(EOPNOTSUPP, 1);
	test_ioctl_ioas_change_process();

	test_ioctl_ioas_map_file(self->mfd, 0, self->size, &iova);
	test_ioctl_ioas_change_process();
	test_cmd_md_check_refs(self->mfd_buf, self->size, domain_refs());

	/* an anonymous mapping in another IOAS refuses the whole move */
	test_ioctl_ioas_alloc(&ioas2);
	test_ioctl_ioas_map_id(ioas2, buffer, PSZ, &iova_anon);
	test_err_ioctl_ioas_change_process(EINVAL, 0);
	if (variant->mock_domains)
		test_cmd_md_check_map(self->hwpt_id, self->mfd_buf, iova,
				      self->size);
	test_cmd_md_check_refs(self->mfd_buf, self->size, domain_refs());
	test_ioctl_ioas_unmap_id(ioas2, iova_anon, PSZ);
	test_ioctl_ioas_change_process();

	/* so does a dma-buf's */
	test_cmd_get_dmabuf(4 * PSZ, &dfd);
	test_ioctl_ioas_map_file(dfd, 0, 4 * PSZ, &iova2);
	test_err_ioctl_ioas_change_process(EINVAL, 0);
	test_ioctl_ioas_unmap(iova2, 4 * PSZ);
	close(dfd);
	test_ioctl_ioas_change_process();
	test_ioctl_destroy(ioas2);
	test_ioctl_ioas_unmap(iova, self->size);
}

TEST_HARNESS_MAIN
