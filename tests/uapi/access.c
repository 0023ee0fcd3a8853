// SPDX-License-Identifier: MIT
/*
 * Accesses through the selftest interface: IOMMU_TEST_OP_CREATE_ACCESS,
 * ACCESS_PAGES, DESTROY_ACCESS_PAGES, ACCESS_RW and ACCESS_REPLACE_IOAS,
 * and what they do to the IOAS and to UNMAP. Each test runs on an IOAS
 * without a domain and on one with a mock domain attached.
 *
 * The rules follow the kernel's code: selftest.c (iommufd_test_access_*,
 * which checks the length, the flags, then the descriptor), device.c
 * (iommufd_access_*), io_pagetable.c (iopt_add_access(),
 * iopt_unmap_iova_range()) and pages.c (iopt_area_add_access(),
 * iopt_pages_rw_access()); the function each comes from is named next to
 * it. From many threads at once: access_threads.c.
 */
#include <sys/resource.h>

#include "capability.h"
#include "iommufd_utils.h"

/* The kernel's cap on one ACCESS_PAGES or ACCESS_RW. */
#define ACCESS_MAX_LENGTH (16ull * 1024 * 1024)

#define PIN MOCK_FLAGS_ACCESS_CREATE_NEEDS_PIN_PAGES

FIXTURE(access)
{
	int fd;
	__u32 ioas_id;
	__u32 hwpt_id;
	__u32 access;	/* a pinning access on ioas_id, closed by teardown */
	uint64_t base;	/* an IOVA every variant may map at */
	uint64_t align; /* the IOAS's alignment before the access */
};

FIXTURE_VARIANT(access)
{
	bool mock_domain;
};

FIXTURE_VARIANT_ADD(access, no_domain)
{
	.mock_domain = false,
};

FIXTURE_VARIANT_ADD(access, mock_domain)
{
	.mock_domain = true,
};

FIXTURE_SETUP(access)
{
	self->fd = iommufd_open();
	ASSERT_NE(-1, self->fd);
	test_ioctl_ioas_alloc(&self->ioas_id);
	self->align = 1;
	if (variant->mock_domain) {
		test_cmd_mock_domain(self->ioas_id, NULL, &self->hwpt_id, NULL);
		self->align = MPSZ;
	}
	self->base = APERTURE_START;
	test_cmd_create_access(self->ioas_id, &self->access, PIN);
}

FIXTURE_TEARDOWN(access)
{
	if (self->access)
		ASSERT_EQ(0, _test_cmd_destroy_access(self->access));
	if (self->fd != -1)
		ASSERT_EQ(0, close(self->fd));
	/* everything pinned went with the context */
	test_no_pins(buffer, BUFFER_SIZE);
}

/* The IOAS's alignment, as IOVA_RANGES reports it. */
static uint64_t ioas_alignment(struct __test_metadata *_metadata, int fd,
			       __u32 ioas_id)
{
	struct iommu_iova_range ranges[8];
	uint64_t align = 0;
	__u32 num = 8;

	ASSERT_EQ(0, _test_ioctl_ioas_iova_ranges(fd, ioas_id, ranges, &num,
						  &align));
	return align;
}

#define expect_alignment(ioas_id, _align)                                      \
	EXPECT_EQ((uint64_t)(_align),                                          \
		  ioas_alignment(_metadata, self->fd, ioas_id))

/* A read-write map of length bytes of buffer at off, fixed at iova. */
#define map_buf(off, length, iova)                                             \
	test_ioctl_ioas_map_fixed(BUF(off), length, iova)
/* The same into ioas2. */
#define map2(off, length, iova)                                                \
	test_ioctl_ioas_map_fixed_id(ioas2, BUF(off), length, iova)

/* An address where nothing is mapped in this process. */
static void *unmapped_address(void)
{
	void *p = mmap(NULL, 4 * page_size, PROT_NONE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		return NULL;
	munmap(p, 4 * page_size);
	return p;
}

/* ========================================================================
 * IOMMU_TEST_OP_CREATE_ACCESS (iommufd_test_create_access)
 * ======================================================================== */

TEST_F(access, create_unknown_flags_are_eopnotsupp)
{
	for (unsigned int bit = 1; bit < 32; bit++)
		test_err_create_access(EOPNOTSUPP, self->ioas_id, 1u << bit);
	/* before the IOAS is looked up */
	test_err_create_access(EOPNOTSUPP, NO_SUCH_ID, 1u << 1);
}

TEST_F(access, create_needs_an_ioas)
{
	__u32 ioas2, again;

	test_err_create_access(ENOENT, 0, 0);
	test_err_create_access(ENOENT, NO_SUCH_ID, PIN);
	test_err_create_access(ENOENT, 0xffffffffu, PIN);
	if (variant->mock_domain)
		test_err_create_access(ENOENT, self->hwpt_id, PIN);
	/* a failed create leaves no object: the next ID is still free */
	test_ioctl_ioas_alloc(&ioas2);
	test_ioctl_destroy(ioas2);
	test_err_create_access(ENOENT, ioas2, 0);
	test_ioctl_ioas_alloc(&again);
	EXPECT_EQ(ioas2, again);
}

TEST_F(access, the_descriptor_is_close_on_exec_and_has_no_node)
{
	char path[64];
	__u32 other;

	test_cmd_create_access(self->ioas_id, &other, 0);
	EXPECT_NE(0, fcntl((int)other, F_GETFD) & FD_CLOEXEC);
	EXPECT_NE(other, self->access);
	/* an anonymous file: it cannot be opened again */
	snprintf(path, sizeof(path), "/proc/self/fd/%u", other);
	EXPECT_ERRNO(ENXIO, open(path, O_RDWR));
	test_cmd_destroy_access(other);
}

/* The access is an object of the context: its ID is taken, DESTROY of it
 * is EBUSY while its descriptor is open, and it is no IOAS. */
TEST_F(access, is_an_object_destroy_cannot_remove)
{
	__u32 id, other, again;

	test_ioctl_ioas_alloc(&id);
	test_ioctl_destroy(id);
	test_cmd_create_access(self->ioas_id, &other, 0);
	test_err_destroy(EBUSY, id);
	test_err_ioctl_ioas_map_fixed_id(ENOENT, id, buffer, PSZ, self->base);
	test_err_create_access(ENOENT, id, 0);
	test_cmd_destroy_access(other);
	/* closed: the object and its ID are gone */
	test_err_destroy(ENOENT, id);
	test_ioctl_ioas_alloc(&again);
	EXPECT_EQ(id, again);
}

TEST_F(access, holds_its_ioas)
{
	__u32 ioas2, access2;

	test_ioctl_ioas_alloc(&ioas2);
	test_cmd_create_access(ioas2, &access2, 0);
	test_err_destroy(EBUSY, ioas2);
	test_cmd_destroy_access(access2);
	test_ioctl_destroy(ioas2);
	/* the fixture's too */
	test_err_destroy(EBUSY, self->ioas_id);
}

/* iopt_add_access(): a pinning access raises the IOAS's alignment to a
 * CPU page while it is attached; one that only copies does not. */
TEST_F(access, pinning_access_aligns_the_ioas_to_pages)
{
	__u32 ioas2, copier;

	expect_alignment(self->ioas_id, PSZ);
	test_err_ioctl_ioas_map_fixed(EINVAL, buffer, PSZ, self->base + MPSZ);
	test_err_ioctl_ioas_map_fixed(EINVAL, buffer, PSZ / 2, self->base);

	test_ioctl_ioas_alloc(&ioas2);
	test_cmd_create_access(ioas2, &copier, 0);
	expect_alignment(ioas2, 1);
	test_cmd_destroy_access(copier);

	test_cmd_destroy_access(self->access);
	self->access = 0;
	expect_alignment(self->ioas_id, self->align);
}

/* ... and cannot attach where an area is not on page boundaries. */
TEST_F(access, pinning_access_refused_by_unaligned_areas)
{
	__u32 ioas2, copier, pinner;

	test_ioctl_ioas_alloc(&ioas2);
	ASSERT_EQ(0, _test_ioctl_ioas_map_fixed(self->fd, ioas2, buffer,
						PSZ / 2, self->base, MAP_RW));
	test_err_create_access(EADDRINUSE, ioas2, PIN);
	expect_alignment(ioas2, 1);
	test_cmd_create_access(ioas2, &copier, 0);
	test_cmd_destroy_access(copier);
	test_ioctl_ioas_unmap_id(ioas2, self->base, PSZ / 2);
	test_cmd_create_access(ioas2, &pinner, PIN);
	test_cmd_destroy_access(pinner);
	test_ioctl_destroy(ioas2);
}

/* The kernel's access holds the iommufd file: the context outlives the
 * close of its descriptor until the access is closed too, and an access
 * can be driven through any context's IOMMU_TEST_CMD. */
TEST_F(access, context_lives_until_the_access_is_closed)
{
	uint8_t tmp[64];
	int fd2 = iommufd_open();

	ASSERT_NE(-1, fd2);
	map_buf(0, 4 * PSZ, self->base);
	test_cmd_access_pages(self->access, self->base, 2 * PSZ, buffer, 0,
			      NULL);
	ASSERT_EQ(0, close(self->fd));
	self->fd = -1;

	memset(BUF(100), 0x3c, sizeof(tmp));
	ASSERT_EQ(0, _test_cmd_access_rw(fd2, self->access, self->base + 100,
					 tmp, sizeof(tmp), 0));
	EXPECT_EQ(0, memcmp(tmp, BUF(100), sizeof(tmp)));
	EXPECT_EQ(0, _test_cmd_md_check_refs(fd2, buffer, 2 * PSZ, 1));

	ASSERT_EQ(0, _test_cmd_destroy_access(self->access));
	self->access = 0;
	EXPECT_EQ(0, _test_cmd_md_check_refs(fd2, buffer, 4 * PSZ, 0));
	ASSERT_EQ(0, close(fd2));
}

/* ========================================================================
 * IOMMU_TEST_OP_ACCESS_PAGES (iommufd_test_access_pages,
 * iommufd_access_pin_pages)
 * ======================================================================== */

TEST_F(access, pages_check_order_length_flags_descriptor)
{
	/* too long comes first, even with a bad descriptor and flags */
	test_err_access_pages(ENOMEM, (__u32)-1, self->base,
			      ACCESS_MAX_LENGTH + 1, NULL, 1u << 5);
	/* then unknown flags */
	test_err_access_pages(EOPNOTSUPP, (__u32)-1, self->base, PSZ, NULL,
			      1u << 1);
	test_err_access_pages(EOPNOTSUPP, self->access, self->base, PSZ, NULL,
			      1u << 31);
	/* then the descriptor */
	test_err_access_pages(EBADFD, (__u32)-1, self->base, PSZ, NULL, 0);
	/* the length limit is inclusive: the rest is the pin's affair */
	test_err_access_pages(ENOENT, self->access, self->base,
			      ACCESS_MAX_LENGTH, NULL, 0);
}

TEST_F(access, descriptor_must_be_an_access)
{
	int pipefd[2];
	__u32 closed;

	ASSERT_EQ(0, pipe(pipefd));
	map_buf(0, PSZ, self->base);
	/* not ours, ours but an iommufd, closed, never opened */
	test_err_access_pages(EBADFD, (__u32)pipefd[0], self->base, PSZ,
			      NULL, 0);
	test_err_access_pages(EBADFD, (__u32)self->fd, self->base, PSZ, NULL,
			      0);
	test_cmd_create_access(self->ioas_id, &closed, PIN);
	test_cmd_destroy_access(closed);
	test_err_access_pages(EBADFD, closed, self->base, PSZ, NULL, 0);
	test_err_access_pages(EBADFD, 100000, self->base, PSZ, NULL, 0);
	/* every op looks the descriptor up the same way */
	test_err_destroy_access_pages(EBADFD, (__u32)self->fd, 0);
	test_err_access_rw(EBADFD, (__u32)pipefd[1], self->base, buffer, 8,
			   0);
	test_err_access_replace_ioas(EBADFD, closed, self->ioas_id);
	close(pipefd[0]);
	close(pipefd[1]);
}

TEST_F(access, pages_need_a_pinning_access)
{
	__u32 copier;

	test_cmd_create_access(self->ioas_id, &copier, 0);
	map_buf(0, PSZ, self->base);
	test_err_access_pages(EOPNOTSUPP, copier, self->base, PSZ, buffer,
			      0);
	/* it copies */
	test_cmd_access_rw(copier, self->base, BUF(PSZ), 16, 0);
	test_cmd_destroy_access(copier);
}

TEST_F(access, pages_range_checks)
{
	map_buf(0, 4 * PSZ, self->base);
	test_err_access_pages(EINVAL, self->access, self->base, 0, NULL, 0);
	test_err_access_pages(EOVERFLOW, self->access, U64_MAX - PSZ + 1,
			      2 * PSZ, NULL, 0);
	/* nothing mapped there; a hole after the area */
	test_err_access_pages(ENOENT, self->access, self->base + 8 * PSZ, PSZ,
			      NULL, 0);
	test_err_access_pages(ENOENT, self->access, self->base, 5 * PSZ,
			      buffer, 0);
	test_err_access_pages(ENOENT, self->access, self->base - PSZ,
			      2 * PSZ, NULL, 0);
	/* not on a page: the slice must start on one */
	test_err_access_pages(EINVAL, self->access, self->base + 1, PSZ,
			      NULL, 0);
	test_err_access_pages(EINVAL, self->access, self->base + PSZ / 2,
			      PSZ, NULL, 0);
	/* a failed pin leaves nothing pinned */
	test_cmd_md_check_refs(buffer, 4 * PSZ, variant->mock_domain ? 1 : 0);
	/* the end may be anywhere in the last page */
	test_cmd_access_pages(self->access, self->base, PSZ + 1, buffer, 0,
			      NULL);
	test_cmd_access_pages(self->access, self->base + 3 * PSZ, 1,
			      BUF(3 * PSZ), 0, NULL);
}

/* check_area_prot() and iopt_area_add_access(): the pin's purpose must
 * be one the area was mapped for. */
TEST_F(access, pages_write_needs_a_writeable_area)
{
	__u32 id;

	ASSERT_EQ(0, _test_ioctl_ioas_map_fixed(self->fd, self->ioas_id,
						buffer, 2 * PSZ, self->base,
						IOMMU_IOAS_MAP_READABLE));
	test_err_access_pages(EPERM, self->access, self->base, PSZ, buffer,
			      MOCK_FLAGS_ACCESS_WRITE);
	test_cmd_access_pages(self->access, self->base, PSZ, buffer, 0, &id);
	test_cmd_destroy_access_pages(self->access, id);

	ASSERT_EQ(0, _test_ioctl_ioas_map_fixed(self->fd, self->ioas_id,
						BUF(2 * PSZ), 2 * PSZ,
						self->base + 2 * PSZ,
						IOMMU_IOAS_MAP_WRITEABLE));
	test_err_access_pages(EPERM, self->access, self->base + 2 * PSZ, PSZ,
			      BUF(2 * PSZ), 0);
	test_cmd_access_pages(self->access, self->base + 2 * PSZ, PSZ,
			      BUF(2 * PSZ), MOCK_FLAGS_ACCESS_WRITE, &id);
	test_cmd_destroy_access_pages(self->access, id);
	/* across both: the read-only half refuses the write */
	test_err_access_pages(EPERM, self->access, self->base, 4 * PSZ,
			      buffer, MOCK_FLAGS_ACCESS_WRITE);
	test_cmd_md_check_refs(buffer, 4 * PSZ, variant->mock_domain ? 1 : 0);
}

/* iommufd_test_check_pages(): the pages pinned are uptr's, else EBADE;
 * an unmapped uptr faults. */
TEST_F(access, pages_are_the_memory_mapped)
{
	void *bad = unmapped_address();
	__u32 id;

	ASSERT_NE(NULL, bad);
	map_buf(0, 4 * PSZ, self->base);
	test_cmd_access_pages(self->access, self->base + PSZ, 2 * PSZ,
			      BUF(PSZ), 0, &id);
	test_cmd_destroy_access_pages(self->access, id);
	test_err_access_pages(EBADE, self->access, self->base + PSZ, 2 * PSZ,
			      buffer, 0);
	test_err_access_pages(EBADE, self->access, self->base, PSZ,
			      BUF(8 * PSZ), 0);
	test_err_access_pages(EFAULT, self->access, self->base, PSZ, bad, 0);
	/* no uptr: no check */
	test_cmd_access_pages(self->access, self->base, PSZ, NULL, 0, &id);
	test_cmd_destroy_access_pages(self->access, id);
}

/* Pinning is pin_user_pages(): memory that is not there is EFAULT, and
 * a writeable area needs memory it can write. Where a domain pins at MAP
 * time, the MAP faults instead. */
TEST_F(access, pages_fault_bad_memory)
{
	void *bad = unmapped_address();
	void *ro = mmap(NULL, PSZ, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1,
			0);

	ASSERT_NE(NULL, bad);
	ASSERT_NE(MAP_FAILED, ro);
	if (variant->mock_domain) {
		EXPECT_ERRNO(EFAULT, _test_ioctl_ioas_map_fixed(
					     self->fd, self->ioas_id, bad, PSZ,
					     self->base, IOMMU_IOAS_MAP_READABLE));
		EXPECT_ERRNO(EFAULT,
			     _test_ioctl_ioas_map_fixed(self->fd, self->ioas_id,
							ro, PSZ, self->base,
							MAP_RW));
		munmap(ro, PSZ);
		return;
	}
	map_buf(0, PSZ, self->base);
	ASSERT_EQ(0, _test_ioctl_ioas_map_fixed(self->fd, self->ioas_id, bad,
						PSZ, self->base + PSZ,
						IOMMU_IOAS_MAP_READABLE));
	ASSERT_EQ(0, _test_ioctl_ioas_map_fixed(self->fd, self->ioas_id, ro,
						PSZ, self->base + 2 * PSZ,
						MAP_RW));
	test_err_access_pages(EFAULT, self->access, self->base + PSZ, PSZ,
			      NULL, 0);
	test_err_access_pages(EFAULT, self->access, self->base + 2 * PSZ, PSZ,
			      NULL, 0);
	/* the first area's pin is undone with the failure */
	test_err_access_pages(EFAULT, self->access, self->base, 2 * PSZ, NULL,
			      0);
	test_cmd_md_check_refs(buffer, PSZ, 0);
	munmap(ro, PSZ);
}

TEST_F(access, pages_ids_and_destroy)
{
	__u32 id0, id1, id2;

	map_buf(0, 4 * PSZ, self->base);
	test_cmd_access_pages(self->access, self->base, PSZ, NULL, 0, &id0);
	test_cmd_access_pages(self->access, self->base, PSZ, NULL, 0, &id1);
	test_cmd_access_pages(self->access, self->base + PSZ, PSZ, NULL, 0,
			      &id2);
	EXPECT_EQ(0, id0);
	EXPECT_EQ(1, id1);
	EXPECT_EQ(2, id2);
	test_err_destroy_access_pages(ENOENT, self->access, 3);
	test_cmd_destroy_access_pages(self->access, id1);
	test_err_destroy_access_pages(ENOENT, self->access, id1);
	test_cmd_destroy_access_pages(self->access, id0);
	test_cmd_destroy_access_pages(self->access, id2);
	/* IDs are not reused */
	test_cmd_access_pages(self->access, self->base, PSZ, NULL, 0, &id0);
	EXPECT_EQ(3, id0);
}

/* MD_CHECK_REFS: a page is pinned once per pages object, whoever holds
 * it: accesses and domains of one IOAS share the pin. */
TEST_F(access, pins_are_counted_once_per_page)
{
	unsigned int mapped = variant->mock_domain ? 1 : 0;
	__u32 id0, id1, id2, stdev;

	map_buf(0, 8 * PSZ, self->base);
	test_cmd_md_check_refs(buffer, 8 * PSZ, mapped);
	test_cmd_access_pages(self->access, self->base + PSZ, 2 * PSZ,
			      BUF(PSZ), 0, &id0);
	test_cmd_md_check_refs(buffer, PSZ, mapped);
	test_cmd_md_check_refs(BUF(PSZ), 2 * PSZ, 1);
	test_cmd_md_check_refs(BUF(3 * PSZ), 5 * PSZ, mapped);
	/* the same range again, and one overlapping it */
	test_cmd_access_pages(self->access, self->base + PSZ, 2 * PSZ, NULL,
			      0, &id1);
	test_cmd_access_pages(self->access, self->base + 2 * PSZ, 2 * PSZ,
			      NULL, MOCK_FLAGS_ACCESS_WRITE, &id2);
	test_cmd_md_check_refs(BUF(PSZ), 3 * PSZ, 1);
	/* a domain comes and goes under the pins */
	test_cmd_mock_domain(self->ioas_id, &stdev, NULL, NULL);
	test_cmd_md_check_refs(buffer, 8 * PSZ, 1);
	test_ioctl_destroy(stdev);
	test_cmd_md_check_refs(BUF(PSZ), 3 * PSZ, 1);
	test_cmd_md_check_refs(buffer, PSZ, mapped);

	test_cmd_destroy_access_pages(self->access, id0);
	test_cmd_md_check_refs(BUF(PSZ), 3 * PSZ, 1);
	test_cmd_destroy_access_pages(self->access, id2);
	test_cmd_md_check_refs(BUF(PSZ), 2 * PSZ, 1);
	test_cmd_md_check_refs(BUF(3 * PSZ), PSZ, mapped);
	test_cmd_destroy_access_pages(self->access, id1);
	test_cmd_md_check_refs(buffer, 8 * PSZ, mapped);
}

/* Two accesses on one IOAS, and a COPY of the area into a second IOAS
 * with its own access: still one pin per page (one pages object). */
TEST_F(access, pins_shared_between_accesses_and_copies)
{
	__u32 other, ioas2, access2, id0, id1, id2;
	__u64 dst = self->base;

	map_buf(0, 4 * PSZ, self->base);
	test_cmd_create_access(self->ioas_id, &other, PIN);
	test_ioctl_ioas_alloc(&ioas2);
	test_ioctl_ioas_copy(MAP_RW | MAP_FIXED_IOVA, ioas2, &dst,
			     self->ioas_id, self->base, 4 * PSZ);
	test_cmd_create_access(ioas2, &access2, PIN);
	test_cmd_access_pages(self->access, self->base, 2 * PSZ, buffer, 0,
			      &id0);
	test_cmd_access_pages(other, self->base, 4 * PSZ, buffer, 0, &id1);
	test_cmd_access_pages(access2, dst, 4 * PSZ, buffer, 0, &id2);
	test_cmd_md_check_refs(buffer, 4 * PSZ, 1);
	test_cmd_destroy_access_pages(other, id1);
	test_cmd_destroy_access_pages(access2, id2);
	test_cmd_md_check_refs(buffer, 2 * PSZ, 1);
	test_cmd_destroy_access_pages(self->access, id0);
	test_cmd_destroy_access(other);
	test_cmd_destroy_access(access2);
	test_ioctl_destroy(ioas2);
}

/* Pins through several areas, mapped one after another. */
TEST_F(access, pages_across_areas)
{
	__u32 id;

	map_buf(0, 2 * PSZ, self->base);
	map_buf(8 * PSZ, 2 * PSZ, self->base + 2 * PSZ);
	map_buf(2 * PSZ, PSZ, self->base + 4 * PSZ);
	/* the areas' memory is not contiguous: uptr cannot match */
	test_err_access_pages(EBADE, self->access, self->base, 5 * PSZ,
			      buffer, 0);
	test_cmd_access_pages(self->access, self->base + PSZ, 4 * PSZ, NULL,
			      0, &id);
	test_cmd_md_check_refs(BUF(PSZ), 2 * PSZ, 1);
	test_cmd_md_check_refs(BUF(8 * PSZ), 2 * PSZ, 1);
	test_cmd_md_check_refs(BUF(10 * PSZ), PSZ, 0);
	test_cmd_destroy_access_pages(self->access, id);
	test_cmd_md_check_refs(BUF(8 * PSZ), 2 * PSZ,
			       variant->mock_domain ? 1 : 0);
}

/* RLIMIT_MEMLOCK charges an access's pins as a domain's: once per page,
 * whoever pins it. */
TEST_F(access, pins_are_charged_against_rlimit_memlock)
{
	struct rlimit limit = { 8 * PSZ, 8 * PSZ };
	__u32 id;

	ASSERT_EQ(0, drop_capability(CAP_IPC_LOCK));
	ASSERT_EQ(0, setrlimit(RLIMIT_MEMLOCK, &limit));
	if (variant->mock_domain) {
		/* the domain pins and charges at MAP; the access's pin of
		 * the same pages costs nothing more */
		map_buf(0, 6 * PSZ, self->base);
		test_cmd_access_pages(self->access, self->base, 6 * PSZ, NULL,
				      0, NULL);
		map_buf(6 * PSZ, 2 * PSZ, self->base + 6 * PSZ);
		test_err_ioctl_ioas_map_fixed(ENOMEM, BUF(8 * PSZ), PSZ,
					      self->base + 8 * PSZ);
		return;
	}
	map_buf(0, 16 * PSZ, self->base);
	test_err_access_pages(ENOMEM, self->access, self->base, 9 * PSZ, NULL,
			      0);
	test_cmd_access_pages(self->access, self->base, 6 * PSZ, NULL, 0,
			      &id);
	/* overlapping pins cost only their new pages */
	test_cmd_access_pages(self->access, self->base + 4 * PSZ, 4 * PSZ,
			      NULL, 0, NULL);
	test_err_access_pages(ENOMEM, self->access, self->base + 8 * PSZ, PSZ,
			      NULL, 0);
	test_cmd_destroy_access_pages(self->access, id);
	test_cmd_access_pages(self->access, self->base + 8 * PSZ, 4 * PSZ,
			      NULL, 0, NULL);
}

/* ========================================================================
 * UNMAP of what an access pinned (iopt_unmap_iova_range,
 * iommufd_access_notify_unmap)
 * ======================================================================== */

TEST_F(access, unmap_drops_the_pins_it_meets)
{
	uint64_t unmapped = 0;
	__u32 id0, id1, id2;

	map_buf(0, 4 * PSZ, self->base);
	map_buf(4 * PSZ, 4 * PSZ, self->base + 4 * PSZ);
	test_cmd_access_pages(self->access, self->base, PSZ, buffer, 0, &id0);
	/* across both areas */
	test_cmd_access_pages(self->access, self->base + 3 * PSZ, 2 * PSZ,
			      BUF(3 * PSZ), 0, &id1);
	test_cmd_access_pages(self->access, self->base + 6 * PSZ, PSZ,
			      BUF(6 * PSZ), 0, &id2);

	ASSERT_EQ(0, _test_ioctl_ioas_unmap(self->fd, self->ioas_id,
					    self->base, 4 * PSZ, &unmapped));
	EXPECT_EQ(4 * PSZ, unmapped);
	/* the callback took every pin meeting the area, and no other */
	test_err_destroy_access_pages(ENOENT, self->access, id0);
	test_err_destroy_access_pages(ENOENT, self->access, id1);
	test_cmd_md_check_refs(buffer, 4 * PSZ, 0);
	test_cmd_md_check_refs(BUF(4 * PSZ), 2 * PSZ,
			       variant->mock_domain ? 1 : 0);
	test_cmd_md_check_refs(BUF(6 * PSZ), PSZ, 1);
	test_cmd_destroy_access_pages(self->access, id2);
	test_cmd_md_check_refs(BUF(4 * PSZ), 4 * PSZ,
			       variant->mock_domain ? 1 : 0);
}

TEST_F(access, unmap_all_drops_every_pin)
{
	__u32 other, id;

	test_cmd_create_access(self->ioas_id, &other, PIN);
	map_buf(0, 4 * PSZ, self->base);
	map_buf(8 * PSZ, 4 * PSZ, self->base + 8 * PSZ);
	test_cmd_access_pages(self->access, self->base, 4 * PSZ, NULL, 0, &id);
	test_cmd_access_pages(other, self->base + 8 * PSZ, 4 * PSZ, NULL, 0,
			      NULL);
	test_cmd_access_pages(other, self->base + 8 * PSZ, 4 * PSZ, NULL, 0,
			      NULL);
	test_ioctl_ioas_unmap_all();
	test_cmd_md_check_refs(buffer, 16 * PSZ, 0);
	test_err_destroy_access_pages(ENOENT, self->access, id);
	test_cmd_destroy_access(other);
}

/* The range checks come first: an UNMAP that would split the pinned area
 * fails as always and leaves the pin. */
TEST_F(access, unmap_that_fails_keeps_the_pins)
{
	__u32 id;

	map_buf(0, 4 * PSZ, self->base);
	test_cmd_access_pages(self->access, self->base, 4 * PSZ, NULL, 0, &id);
	test_err_ioctl_ioas_unmap(ENOENT, self->base, 2 * PSZ);
	test_err_ioctl_ioas_unmap(ENOENT, self->base + PSZ, 4 * PSZ);
	test_cmd_md_check_refs(buffer, 4 * PSZ, 1);
	test_cmd_destroy_access_pages(self->access, id);
	test_ioctl_ioas_unmap(self->base, 4 * PSZ);
}

/* An access that only copies has nothing to drop: the UNMAP goes through
 * at once, and later copies find nothing. */
TEST_F(access, unmap_under_a_copying_access)
{
	uint8_t tmp[16];
	__u32 copier;

	test_cmd_create_access(self->ioas_id, &copier, 0);
	map_buf(0, PSZ, self->base);
	test_cmd_access_rw(copier, self->base, tmp, sizeof(tmp), 0);
	test_ioctl_ioas_unmap(self->base, PSZ);
	test_err_access_rw(ENOENT, copier, self->base, tmp, sizeof(tmp), 0);
	test_cmd_destroy_access(copier);
}

/* ========================================================================
 * IOMMU_TEST_OP_ACCESS_RW (iommufd_test_access_rw, iommufd_access_rw,
 * iopt_pages_rw_access)
 * ======================================================================== */

TEST_F(access, rw_check_order)
{
	void *bad = unmapped_address();
	uint8_t tmp[16];

	ASSERT_NE(NULL, bad);
	test_err_access_rw(ENOMEM, (__u32)-1, self->base, bad,
			   ACCESS_MAX_LENGTH + 1, 1u << 3);
	test_err_access_rw(EOPNOTSUPP, (__u32)-1, self->base, bad, 8,
			   1u << 1);
	test_err_access_rw(EOPNOTSUPP, self->access, self->base, tmp, 8,
			   1u << 3);
	test_err_access_rw(EBADFD, (__u32)-1, self->base, tmp, 8, 0);
	/* a write reads the caller's buffer before it looks at the IOVA */
	test_err_access_rw(EFAULT, self->access, self->base, bad, 8,
			   MOCK_ACCESS_RW_WRITE);
	/* a read writes it after */
	test_err_access_rw(ENOENT, self->access, self->base, bad, 8, 0);
	map_buf(0, PSZ, self->base);
	test_err_access_rw(EFAULT, self->access, self->base, bad, 8, 0);
	test_err_access_rw(EINVAL, self->access, self->base, tmp, 0, 0);
	test_err_access_rw(EOVERFLOW, self->access, U64_MAX - 4, tmp, 8, 0);
	test_err_access_rw(ENOENT, self->access, self->base + PSZ - 4, tmp, 8,
			   0);
	test_cmd_access_rw(self->access, self->base + PSZ - 8, tmp, 8, 0);
}

TEST_F(access, rw_needs_the_areas_permission)
{
	uint8_t tmp[16] = { 0 };

	ASSERT_EQ(0, _test_ioctl_ioas_map_fixed(self->fd, self->ioas_id,
						buffer, PSZ, self->base,
						IOMMU_IOAS_MAP_READABLE));
	ASSERT_EQ(0, _test_ioctl_ioas_map_fixed(self->fd, self->ioas_id,
						BUF(PSZ), PSZ,
						self->base + PSZ,
						IOMMU_IOAS_MAP_WRITEABLE));
	test_cmd_access_rw(self->access, self->base, tmp, 8, 0);
	test_err_access_rw(EPERM, self->access, self->base, tmp, 8,
			   MOCK_ACCESS_RW_WRITE);
	test_err_access_rw(EPERM, self->access, self->base, tmp, 8,
			   MOCK_ACCESS_RW_WRITE | MOCK_ACCESS_RW_SLOW_PATH);
	test_cmd_access_rw(self->access, self->base + PSZ, tmp, 8,
			   MOCK_ACCESS_RW_WRITE);
	test_err_access_rw(EPERM, self->access, self->base + PSZ, tmp, 8, 0);
	/* across both, neither direction is allowed everywhere */
	test_err_access_rw(EPERM, self->access, self->base + PSZ - 4, tmp, 8,
			   0);
	test_err_access_rw(EPERM, self->access, self->base + PSZ - 4, tmp, 8,
			   MOCK_ACCESS_RW_WRITE);
}

/* Every offset and length around a page boundary, both paths, both
 * directions: the bytes are the buffer's. */
static void check_rw(struct __test_metadata *_metadata, int fd, __u32 access,
		     uint64_t iova, uint8_t *mem, __u32 flags)
{
	uint8_t tmp[40];

	for (uint64_t off = PSZ - 24; off < PSZ + 24; off++) {
		for (uint64_t len = 1; len <= sizeof(tmp); len += 3) {
			for (size_t i = 0; i < sizeof(tmp); i++)
				mem[off + i] = (uint8_t)(off * 7 + i);
			ASSERT_EQ(0, _test_cmd_access_rw(fd, access, iova + off,
							 tmp, len, flags));
			ASSERT_EQ(0, memcmp(mem + off, tmp, len));
			for (size_t i = 0; i < sizeof(tmp); i++)
				tmp[i] = (uint8_t)(len * 13 + i);
			ASSERT_EQ(0, _test_cmd_access_rw(
					     fd, access, iova + off, tmp, len,
					     flags | MOCK_ACCESS_RW_WRITE));
			ASSERT_EQ(0, memcmp(mem + off, tmp, len));
		}
	}
}

TEST_F(access, rw_copies_the_bytes)
{
	__u32 copier;

	test_cmd_create_access(self->ioas_id, &copier, 0);
	map_buf(0, 2 * PSZ, self->base);
	check_rw(_metadata, self->fd, copier, self->base, buffer, 0);
	check_rw(_metadata, self->fd, copier, self->base, buffer,
		 MOCK_ACCESS_RW_SLOW_PATH);
	check_rw(_metadata, self->fd, self->access, self->base, buffer, 0);
	test_cmd_destroy_access(copier);
}

/* Areas one after another, their memory apart and not page aligned: one
 * copy goes through each in turn. On an IOAS of its own, with the
 * variant's domain: no pinning access there to align it. */
TEST_F(access, rw_across_areas)
{
	uint64_t len = 3 * PSZ;
	uint8_t *tmp = malloc(len);
	__u32 ioas2, copier;

	ASSERT_NE(NULL, tmp);
	test_ioctl_ioas_alloc(&ioas2);
	if (variant->mock_domain)
		test_cmd_mock_domain(ioas2, NULL, NULL, NULL);
	test_cmd_create_access(ioas2, &copier, 0);
	if (variant->mock_domain) {
		map2(8 * PSZ + MPSZ, PSZ, self->base);
		map2(MPSZ, PSZ, self->base + PSZ);
		map2(16 * PSZ, PSZ, self->base + 2 * PSZ);
	} else {
		map2(8 * PSZ + 5, PSZ - 3, self->base);
		map2(3, PSZ + 3, self->base + PSZ - 3);
		map2(16 * PSZ, PSZ, self->base + 2 * PSZ);
	}
	for (uint64_t i = 0; i < 32 * PSZ; i++)
		((uint8_t *)buffer)[i] = (uint8_t)(i * 31 + 1);
	for (__u32 flags = 0; flags <= MOCK_ACCESS_RW_SLOW_PATH;
	     flags += MOCK_ACCESS_RW_SLOW_PATH) {
		uint64_t first = variant->mock_domain ? PSZ : PSZ - 3;

		memset(tmp, 0, len);
		test_cmd_access_rw(copier, self->base, tmp, len, flags);
		if (variant->mock_domain) {
			EXPECT_EQ(0, memcmp(tmp, BUF(8 * PSZ + MPSZ), first));
			EXPECT_EQ(0, memcmp(tmp + first, BUF(MPSZ), PSZ));
		} else {
			EXPECT_EQ(0, memcmp(tmp, BUF(8 * PSZ + 5), first));
			EXPECT_EQ(0, memcmp(tmp + first, BUF(3), PSZ + 3));
		}
		EXPECT_EQ(0, memcmp(tmp + 2 * PSZ, BUF(16 * PSZ), PSZ));

		memset(tmp, 0x77 + flags, len);
		test_cmd_access_rw(copier, self->base, tmp, len,
				   flags | MOCK_ACCESS_RW_WRITE);
		EXPECT_EQ(0x77 + flags,
			  ((uint8_t *)buffer)[variant->mock_domain ?
						      MPSZ :
						      3]);
		EXPECT_EQ(0x77 + flags, ((uint8_t *)buffer)[17 * PSZ - 1]);
	}
	/* a hole in the middle */
	if (variant->mock_domain)
		test_ioctl_ioas_unmap_id(ioas2, self->base + PSZ, PSZ);
	else
		test_ioctl_ioas_unmap_id(ioas2, self->base + PSZ - 3, PSZ + 3);
	test_err_access_rw(ENOENT, copier, self->base, tmp, len, 0);
	test_cmd_destroy_access(copier);
	free(tmp);
}

/* The memory behind the IOVA is read when the copy happens: memory that
 * is not there is EFAULT, on either path (with a domain, already the MAP
 * that pins it). */
TEST_F(access, rw_faults_on_bad_memory)
{
	void *bad = unmapped_address();
	uint8_t tmp[16];

	ASSERT_NE(NULL, bad);
	if (variant->mock_domain) {
		test_err_ioctl_ioas_map_fixed(EFAULT, bad, 2 * PSZ, self->base);
		return;
	}
	ASSERT_EQ(0, _test_ioctl_ioas_map_fixed(self->fd, self->ioas_id, bad,
						2 * PSZ, self->base, MAP_RW));
	test_err_access_rw(EFAULT, self->access, self->base, tmp, 8, 0);
	test_err_access_rw(EFAULT, self->access, self->base, tmp, 8,
			   MOCK_ACCESS_RW_SLOW_PATH);
	test_err_access_rw(EFAULT, self->access, self->base + PSZ - 4, tmp, 8,
			   MOCK_ACCESS_RW_WRITE | MOCK_ACCESS_RW_SLOW_PATH);
}

/* MOCK_FLAGS_ACCESS_SYZ: the IOVA is (offset << 32 | nth area). */
TEST_F(access, syz_iova_names_an_area)
{
	uint8_t tmp[8];
	__u32 id;

	map_buf(0, PSZ, self->base);
	map_buf(4 * PSZ, 2 * PSZ, self->base + 8 * PSZ);
	memset(BUF(5 * PSZ + 16), 0x5e, sizeof(tmp));
	test_cmd_access_rw(self->access, ((PSZ + 16) << 32) | 1, tmp,
			   sizeof(tmp), MOCK_FLAGS_ACCESS_SYZ);
	EXPECT_EQ(0, memcmp(tmp, BUF(5 * PSZ + 16), sizeof(tmp)));
	/* no third area: IOVA 0, where nothing is mapped */
	test_err_access_rw(ENOENT, self->access, 2, tmp, sizeof(tmp),
			   MOCK_FLAGS_ACCESS_SYZ);
	test_cmd_access_pages(self->access, (PSZ << 32) | 1, PSZ,
			      BUF(5 * PSZ), MOCK_FLAGS_ACCESS_SYZ, &id);
	test_cmd_md_check_refs(BUF(5 * PSZ), PSZ, 1);
	test_cmd_destroy_access_pages(self->access, id);
}

/* ========================================================================
 * IOMMU_TEST_OP_ACCESS_REPLACE_IOAS (iommufd_access_replace)
 * ======================================================================== */

TEST_F(access, replace_checks)
{
	__u32 ioas2;

	test_err_access_replace_ioas(EBADFD, (__u32)self->fd, self->ioas_id);
	test_err_access_replace_ioas(ENOENT, self->access, NO_SUCH_ID);
	test_err_access_replace_ioas(ENOENT, self->access, 0);
	if (variant->mock_domain)
		test_err_access_replace_ioas(ENOENT, self->access,
					     self->hwpt_id);
	/* the same IOAS: nothing changes */
	test_cmd_access_replace_ioas(self->access, self->ioas_id);
	test_err_destroy(EBUSY, self->ioas_id);
	/* a failed replace left it where it was */
	test_ioctl_ioas_alloc(&ioas2);
	test_ioctl_destroy(ioas2);
	test_err_access_replace_ioas(ENOENT, self->access, ioas2);
	test_err_destroy(EBUSY, self->ioas_id);
}

TEST_F(access, replace_moves_to_another_ioas)
{
	uint8_t tmp[16];
	__u32 ioas2, id;

	test_ioctl_ioas_alloc(&ioas2);
	map_buf(0, 4 * PSZ, self->base);
	test_ioctl_ioas_map_fixed_id(ioas2, BUF(8 * PSZ), 4 * PSZ, self->base);
	test_cmd_access_pages(self->access, self->base, 2 * PSZ, buffer, 0,
			      &id);
	expect_alignment(ioas2, 1);

	test_cmd_access_replace_ioas(self->access, ioas2);
	/* the pins in the old IOAS went with it */
	test_err_destroy_access_pages(ENOENT, self->access, id);
	test_cmd_md_check_refs(buffer, 4 * PSZ, variant->mock_domain ? 1 : 0);
	expect_alignment(self->ioas_id, self->align);
	expect_alignment(ioas2, PSZ);
	test_err_destroy(EBUSY, ioas2);

	/* it works in the new one only */
	test_cmd_access_pages(self->access, self->base, 2 * PSZ, BUF(8 * PSZ),
			      0, &id);
	test_cmd_md_check_refs(BUF(8 * PSZ), 2 * PSZ, 1);
	memset(BUF(8 * PSZ + 32), 0x42, sizeof(tmp));
	test_cmd_access_rw(self->access, self->base + 32, tmp, sizeof(tmp),
			   0);
	EXPECT_EQ(0, memcmp(tmp, BUF(8 * PSZ + 32), sizeof(tmp)));
	test_ioctl_ioas_unmap(self->base, 4 * PSZ);
	test_cmd_destroy_access_pages(self->access, id);

	/* and back; the old IOAS was free to go meanwhile */
	test_cmd_access_replace_ioas(self->access, self->ioas_id);
	test_ioctl_destroy(ioas2);
}

/* A pinning access cannot move to an IOAS whose areas are not on page
 * boundaries; it stays, pins and all. */
TEST_F(access, replace_refused_keeps_the_pins)
{
	__u32 ioas2, id;

	test_ioctl_ioas_alloc(&ioas2);
	ASSERT_EQ(0, _test_ioctl_ioas_map_fixed(self->fd, ioas2, buffer,
						PSZ / 2, self->base, MAP_RW));
	map_buf(0, PSZ, self->base);
	test_cmd_access_pages(self->access, self->base, PSZ, buffer, 0, &id);
	test_err_access_replace_ioas(EADDRINUSE, self->access, ioas2);
	test_cmd_md_check_refs(buffer, PSZ, 1);
	test_cmd_destroy_access_pages(self->access, id);
	test_ioctl_destroy(ioas2);
}

/* ========================================================================
 * Closing the access
 * ======================================================================== */

TEST_F(access, close_with_pins_outstanding)
{
	map_buf(0, 4 * PSZ, self->base);
	test_cmd_access_pages(self->access, self->base, 4 * PSZ, buffer,
			      MOCK_FLAGS_ACCESS_WRITE, NULL);
	test_cmd_access_pages(self->access, self->base + PSZ, PSZ, NULL, 0,
			      NULL);
	test_cmd_md_check_refs(buffer, 4 * PSZ, 1);
	test_cmd_destroy_access(self->access);
	self->access = 0;
	test_cmd_md_check_refs(buffer, 4 * PSZ, variant->mock_domain ? 1 : 0);
	test_ioctl_ioas_unmap(self->base, 4 * PSZ);
	/* the IOAS is free unless a domain holds it */
	if (!variant->mock_domain)
		test_ioctl_destroy(self->ioas_id);
}

/* A dup of the descriptor keeps the access: the last close destroys it. */
TEST_F(access, last_close_destroys)
{
	int dup_fd = dup((int)self->access);

	ASSERT_LE(0, dup_fd);
	map_buf(0, PSZ, self->base);
	test_cmd_access_pages(self->access, self->base, PSZ, NULL, 0, NULL);
	test_cmd_destroy_access(self->access);
	self->access = 0;
	test_cmd_md_check_refs(buffer, PSZ, 1);
	test_cmd_access_pages((__u32)dup_fd, self->base, PSZ, NULL, 0, NULL);
	ASSERT_EQ(0, close(dup_fd));
	test_cmd_md_check_refs(buffer, PSZ, variant->mock_domain ? 1 : 0);
	if (!variant->mock_domain)
		test_ioctl_destroy(self->ioas_id);
}

/* The kernel's iommufd_fail_nth sequences, without fault injection: a
 * copying access on a pinning-sized temp memory limit, then pins with and
 * without a domain, the iommufd closed before the access. */
TEST_F(access, fail_nth_sequences)
{
	uint64_t *big = calloc(4096, sizeof(*big));
	__u32 copier, id;
	uint16_t tmp[32];
	__u64 iova;

	ASSERT_NE(NULL, big);
	test_cmd_set_temp_memory_limit(32);
	test_ioctl_ioas_map(buffer, 262144, &iova);
	test_cmd_create_access(self->ioas_id, &copier, 0);
	test_cmd_access_rw(copier, iova, tmp, sizeof(tmp), 0);
	test_cmd_access_rw(copier, iova, tmp, sizeof(tmp),
			   MOCK_ACCESS_RW_WRITE);
	test_cmd_access_rw(copier, iova, tmp, sizeof(tmp),
			   MOCK_ACCESS_RW_SLOW_PATH);
	test_cmd_access_rw(copier, iova, tmp, sizeof(tmp),
			   MOCK_ACCESS_RW_SLOW_PATH | MOCK_ACCESS_RW_WRITE);
	test_cmd_access_rw(copier, iova, big, 4096 * sizeof(*big),
			   MOCK_ACCESS_RW_SLOW_PATH);
	test_cmd_access_pages(self->access, iova, 262144, buffer, 0, &id);
	test_cmd_destroy_access_pages(self->access, id);
	test_cmd_access_pages(self->access, iova, 262144, buffer, 0, NULL);
	test_cmd_set_default_memory_limit();
	ASSERT_EQ(0, close(self->fd));
	self->fd = -1;
	test_cmd_destroy_access(copier);
	free(big);
}

TEST_HARNESS_MAIN
