// SPDX-License-Identifier: MIT
/*
 * The extensible-struct ABI every iommufd command shares, checked for every
 * command in the dispatch table, and the dispatch's handling of numbers and
 * pointers. The rules and their order are the kernel's (main.c):
 *   number outside the command range       -> the VFIO layer: ENOTTY
 *   size word unreadable                   -> EFAULT (before the number check)
 *   number in range but not a command      -> ENOTTY
 *   size below the command's minimum       -> EINVAL
 *   bytes past the known struct not zero   -> E2BIG
 *   struct unreadable                      -> EFAULT
 */
#include <sys/mman.h>

#include "capability.h"
#include "iommufd_utils.h"

/* zero_errno of a command whose answer depends on CAP_SYS_RESOURCE */
#define NEEDS_PRIVILEGE -1

struct command {
	const char *name;
	unsigned int ioctl_num;
	unsigned int size;	/* the struct as we know it */
	unsigned int min_size;	/* as first released */
	int zero_errno;		/* what an all-zero struct of min_size gets */
};

#define COMMAND(_ioctl, _struct, _last, _errno)                                \
	{ #_ioctl, _ioctl, sizeof(_struct), offsetofend(_struct, _last),       \
	  _errno }

/*
 * An all-zero struct names object ID 0, which never exists, or carries an
 * operation the command does not know. The errno each command gives it is
 * what the kernel gives; commands whose issue has not landed answer
 * EOPNOTSUPP (README, "What works").
 */
static const struct command commands[] = {
	COMMAND(IOMMU_DESTROY, struct iommu_destroy, id, ENOENT),
	COMMAND(IOMMU_IOAS_ALLOC, struct iommu_ioas_alloc, out_ioas_id, 0),
	COMMAND(IOMMU_IOAS_ALLOW_IOVAS, struct iommu_ioas_allow_iovas,
		allowed_iovas, ENOENT),
	/* no READABLE or WRITEABLE flag */
	COMMAND(IOMMU_IOAS_COPY, struct iommu_ioas_copy, src_iova, EINVAL),
	COMMAND(IOMMU_IOAS_IOVA_RANGES, struct iommu_ioas_iova_ranges,
		out_iova_alignment, ENOENT),
	COMMAND(IOMMU_IOAS_MAP, struct iommu_ioas_map, iova, EINVAL),
	COMMAND(IOMMU_IOAS_UNMAP, struct iommu_ioas_unmap, length, ENOENT),
	/* RLIMIT_MODE SET to 0 in an empty context: needs CAP_SYS_RESOURCE */
	COMMAND(IOMMU_OPTION, struct iommu_option, val64, NEEDS_PRIVILEGE),
	/* GET, with no compat IOAS */
	COMMAND(IOMMU_VFIO_IOAS, struct iommu_vfio_ioas, __reserved, ENODEV),
	/* device 0 */
	COMMAND(IOMMU_HWPT_ALLOC, struct iommu_hwpt_alloc, __reserved, ENOENT),
	COMMAND(IOMMU_GET_HW_INFO, struct iommu_hw_info, __reserved, ENOENT),
	COMMAND(IOMMU_HWPT_SET_DIRTY_TRACKING,
		struct iommu_hwpt_set_dirty_tracking, __reserved, ENOENT),
	COMMAND(IOMMU_HWPT_GET_DIRTY_BITMAP, struct iommu_hwpt_get_dirty_bitmap,
		data, ENOENT),
	/* HWPT 0 */
	COMMAND(IOMMU_HWPT_INVALIDATE, struct iommu_hwpt_invalidate,
		__reserved, ENOENT),
	COMMAND(IOMMU_FAULT_QUEUE_ALLOC, struct iommu_fault_alloc, out_fault_fd,
		0),
	/* no READABLE or WRITEABLE flag */
	COMMAND(IOMMU_IOAS_MAP_FILE, struct iommu_ioas_map_file, iova, EINVAL),
	COMMAND(IOMMU_VIOMMU_ALLOC, struct iommu_viommu_alloc, out_viommu_id,
		EOPNOTSUPP),
	COMMAND(IOMMU_VDEVICE_ALLOC, struct iommu_vdevice_alloc, virt_id,
		ENOENT),
	/* nothing mapped: nothing to move */
	COMMAND(IOMMU_IOAS_CHANGE_PROCESS, struct iommu_ioas_change_process,
		__reserved, 0),
	COMMAND(IOMMU_VEVENTQ_ALLOC, struct iommu_veventq_alloc, out_veventq_fd,
		EOPNOTSUPP),
	COMMAND(IOMMU_HW_QUEUE_ALLOC, struct iommu_hw_queue_alloc, length,
		EOPNOTSUPP),
	COMMAND(IOMMU_TEST_CMD, struct iommu_test_cmd, last, EOPNOTSUPP),
};

#define NR_COMMANDS (sizeof(commands) / sizeof(commands[0]))
#define BUF_SIZE 4096

FIXTURE(abi)
{
	int fd;
	unsigned char *buf;
};

FIXTURE_SETUP(abi)
{
	self->fd = iommufd_open();
	ASSERT_NE(-1, self->fd);
	self->buf = mmap(NULL, BUF_SIZE, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, self->buf);
}

FIXTURE_TEARDOWN(abi)
{
	munmap(self->buf, BUF_SIZE);
	close(self->fd);
}

static int expected_zero_errno(const struct command *c)
{
	if (c->zero_errno == NEEDS_PRIVILEGE)
		return has_capability(CAP_SYS_RESOURCE) ? 0 : EPERM;
	return c->zero_errno;
}

/* Calls cmd with an all-zero struct claiming 'size' bytes; 0 or errno. */
static int call_zeroed(int fd, unsigned char *buf, const struct command *c,
		       unsigned int size)
{
	memset(buf, 0, BUF_SIZE);
	*(__u32 *)buf = size;
	if (ioctl(fd, c->ioctl_num, buf))
		return errno;
	return 0;
}

/* What an all-zero struct of this size gets, undoing any object made. */
static int result_of(struct __test_metadata *_metadata, int fd,
		     unsigned char *buf, const struct command *c,
		     unsigned int size)
{
	int err = call_zeroed(fd, buf, c, size);

	if (!err && c->ioctl_num == IOMMU_IOAS_ALLOC) {
		struct iommu_ioas_alloc *alloc = (void *)buf;

		EXPECT_EQ(0, _test_ioctl_destroy(fd, alloc->out_ioas_id));
	}
	if (!err && c->ioctl_num == IOMMU_FAULT_QUEUE_ALLOC) {
		struct iommu_fault_alloc *alloc = (void *)buf;

		EXPECT_EQ(0, close((int)alloc->out_fault_fd));
		EXPECT_EQ(0, _test_ioctl_destroy(fd, alloc->out_fault_id));
	}
	return err;
}

TEST_F(abi, size_below_minimum_is_einval)
{
	for (size_t i = 0; i < NR_COMMANDS; i++) {
		const struct command *c = &commands[i];

		printf("# %s: min %u\n", c->name, c->min_size);
		EXPECT_EQ(EINVAL, call_zeroed(self->fd, self->buf, c,
					      c->min_size - 1));
		EXPECT_EQ(EINVAL, call_zeroed(self->fd, self->buf, c, 0));
		EXPECT_EQ(EINVAL, call_zeroed(self->fd, self->buf, c, 4));
	}
}

TEST_F(abi, zeroed_struct_gets_the_kernels_answer)
{
	for (size_t i = 0; i < NR_COMMANDS; i++) {
		const struct command *c = &commands[i];

		printf("# %s\n", c->name);
		EXPECT_EQ(expected_zero_errno(c), result_of(_metadata, self->fd,
						   self->buf, c, c->min_size));
		EXPECT_EQ(expected_zero_errno(c), result_of(_metadata, self->fd,
						   self->buf, c, c->size));
	}
}

TEST_F(abi, zero_tail_past_the_struct_is_accepted)
{
	for (size_t i = 0; i < NR_COMMANDS; i++) {
		const struct command *c = &commands[i];

		printf("# %s\n", c->name);
		EXPECT_EQ(expected_zero_errno(c), result_of(_metadata, self->fd,
						   self->buf, c, c->size + 8));
		EXPECT_EQ(expected_zero_errno(c),
			  result_of(_metadata, self->fd, self->buf, c,
				    BUF_SIZE));
	}
}

TEST_F(abi, nonzero_tail_past_the_struct_is_e2big)
{
	for (size_t i = 0; i < NR_COMMANDS; i++) {
		const struct command *c = &commands[i];

		printf("# %s\n", c->name);
		memset(self->buf, 0, BUF_SIZE);
		*(__u32 *)self->buf = c->size + 8;
		self->buf[c->size + 7] = 1;
		EXPECT_ERRNO(E2BIG, ioctl(self->fd, c->ioctl_num, self->buf));
		/* the very first byte past the struct counts too */
		memset(self->buf, 0, BUF_SIZE);
		*(__u32 *)self->buf = c->size + 1;
		self->buf[c->size] = 0x80;
		EXPECT_ERRNO(E2BIG, ioctl(self->fd, c->ioctl_num, self->buf));
	}
}

TEST_F(abi, size_check_comes_before_the_tail_check)
{
	/* A size below the minimum wins over anything in the struct. */
	for (size_t i = 0; i < NR_COMMANDS; i++) {
		const struct command *c = &commands[i];

		memset(self->buf, 0xff, BUF_SIZE);
		*(__u32 *)self->buf = c->min_size - 1;
		EXPECT_ERRNO(EINVAL, ioctl(self->fd, c->ioctl_num, self->buf));
	}
}

TEST_F(abi, null_argument_is_efault)
{
	for (size_t i = 0; i < NR_COMMANDS; i++)
		EXPECT_ERRNO(EFAULT, ioctl(self->fd, commands[i].ioctl_num,
					   NULL));
}

TEST_F(abi, unreadable_struct_is_efault)
{
	unsigned char *pages;

	/* Two pages, the second inaccessible: the struct runs into it. */
	pages = mmap(NULL, 2 * 4096, PROT_READ | PROT_WRITE,
		     MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, pages);
	ASSERT_EQ(0, mprotect(pages + 4096, 4096, PROT_NONE));
	for (size_t i = 0; i < NR_COMMANDS; i++) {
		const struct command *c = &commands[i];
		unsigned char *at = pages + 4096 - 4;

		printf("# %s\n", c->name);
		/* only the size word is readable */
		*(__u32 *)at = c->size;
		EXPECT_ERRNO(EFAULT, ioctl(self->fd, c->ioctl_num, at));
		/* the struct fits, but the claimed zero tail does not */
		at = pages + 4096 - c->size;
		memset(at, 0, c->size);
		*(__u32 *)at = c->size + 16;
		EXPECT_ERRNO(EFAULT, ioctl(self->fd, c->ioctl_num, at));
		/* an inaccessible page as the whole argument */
		EXPECT_ERRNO(EFAULT, ioctl(self->fd, c->ioctl_num,
					   pages + 4096));
	}
	munmap(pages, 2 * 4096);
}

TEST_F(abi, wild_pointers_are_efault)
{
	static const unsigned long wild[] = {
		1, 4095, 0x7ffffffff000ul, 0x800000000000ul,
		0x8000000000000000ul, 0xffff800000000000ul,
		0xfffffffffffff000ul, 0xfffffffffffffffful,
		/* the vsyscall page: readable, but not user memory */
		0xffffffffff600000ul,
	};

	for (size_t i = 0; i < sizeof(wild) / sizeof(wild[0]); i++) {
		printf("# %#lx\n", wild[i]);
		EXPECT_ERRNO(EFAULT, ioctl(self->fd, IOMMU_IOAS_ALLOC,
					   (void *)wild[i]));
	}
}

TEST_F(abi, unknown_numbers_are_enotty)
{
	__u32 size = 64;

	memset(self->buf, 0, BUF_SIZE);
	*(__u32 *)self->buf = size;
	/* holes in the command range */
	for (unsigned int nr = IOMMUFD_CMD_HW_QUEUE_ALLOC + 1;
	     nr < IOMMUFD_CMD_BASE + 32; nr++)
		EXPECT_ERRNO(ENOTTY, ioctl(self->fd, _IO(IOMMUFD_TYPE, nr),
					   self->buf));
	/* past the test command, and below the range */
	EXPECT_ERRNO(ENOTTY, ioctl(self->fd, _IO(IOMMUFD_TYPE, 0xa1),
				   self->buf));
	EXPECT_ERRNO(ENOTTY, ioctl(self->fd, _IO(IOMMUFD_TYPE, 0xff),
				   self->buf));
	EXPECT_ERRNO(ENOTTY, ioctl(self->fd, _IO(IOMMUFD_TYPE, 0x7f),
				   self->buf));
	EXPECT_ERRNO(ENOTTY, ioctl(self->fd, _IO(IOMMUFD_TYPE, 0), self->buf));
	/* a command's number with another type or direction bits */
	EXPECT_ERRNO(ENOTTY, ioctl(self->fd, _IO('x', _IOC_NR(IOMMU_IOAS_ALLOC)),
				   self->buf));
	EXPECT_ERRNO(ENOTTY, ioctl(self->fd,
				   _IOWR(IOMMUFD_TYPE, _IOC_NR(IOMMU_IOAS_ALLOC),
					 struct iommu_ioas_alloc),
				   self->buf));
	/* a terminal ioctl on /dev/iommu */
	EXPECT_ERRNO(ENOTTY, ioctl(self->fd, TCGETS, self->buf));
}

TEST_F(abi, number_check_comes_after_reading_the_size)
{
	/* In the command range, the size word is read first: EFAULT. */
	EXPECT_ERRNO(EFAULT, ioctl(self->fd, _IO(IOMMUFD_TYPE, 0x9f), NULL));
	EXPECT_ERRNO(EFAULT, ioctl(self->fd,
				   _IOR(IOMMUFD_TYPE, _IOC_NR(IOMMU_DESTROY),
					__u32),
				   NULL));
	/* Outside it, nothing is read: ENOTTY. */
	EXPECT_ERRNO(ENOTTY, ioctl(self->fd, _IO(IOMMUFD_TYPE, 0xa1), NULL));
}

TEST_F(abi, request_is_taken_as_32_bits)
{
	__u32 id;
	struct iommu_ioas_alloc cmd = { .size = sizeof(cmd) };
	unsigned long request = IOMMU_IOAS_ALLOC | (1ul << 32);

	ASSERT_EQ(0, ioctl(self->fd, request, &cmd));
	id = cmd.out_ioas_id;
	test_ioctl_destroy(id);
}

TEST_F(abi, output_stops_at_the_callers_size)
{
	unsigned char *pages;
	struct iommu_ioas_alloc *cmd;

	/* The struct ends exactly where an inaccessible page begins: any
	 * write past the caller's size would fault. */
	pages = mmap(NULL, 2 * 4096, PROT_READ | PROT_WRITE,
		     MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, pages);
	ASSERT_EQ(0, mprotect(pages + 4096, 4096, PROT_NONE));
	cmd = (void *)(pages + 4096 - sizeof(*cmd));
	memset(cmd, 0, sizeof(*cmd));
	cmd->size = sizeof(*cmd);
	ASSERT_EQ(0, ioctl(self->fd, IOMMU_IOAS_ALLOC, cmd));
	EXPECT_EQ(1, cmd->out_ioas_id);
	test_ioctl_destroy(cmd->out_ioas_id);

	/* A larger caller struct: bytes past ours are left as they were. */
	memset(self->buf, 0, BUF_SIZE);
	*(__u32 *)self->buf = 64;
	ASSERT_EQ(0, ioctl(self->fd, IOMMU_IOAS_ALLOC, self->buf));
	for (unsigned int i = sizeof(*cmd); i < 64; i++)
		EXPECT_EQ(0, self->buf[i]);
	test_ioctl_destroy(((struct iommu_ioas_alloc *)self->buf)->out_ioas_id);
	munmap(pages, 2 * 4096);
}

TEST_F(abi, unwritable_reply_is_efault_and_creates_nothing)
{
	struct iommu_ioas_alloc *cmd = (void *)self->buf;
	__u32 id;

	memset(cmd, 0, sizeof(*cmd));
	cmd->size = sizeof(*cmd);
	ASSERT_EQ(0, mprotect(self->buf, BUF_SIZE, PROT_READ));
	EXPECT_ERRNO(EFAULT, ioctl(self->fd, IOMMU_IOAS_ALLOC, cmd));
	ASSERT_EQ(0, mprotect(self->buf, BUF_SIZE, PROT_READ | PROT_WRITE));
	/* The aborted object's ID is free again and nothing else exists. */
	test_ioctl_ioas_alloc(&id);
	EXPECT_EQ(1, id);
	test_err_destroy(ENOENT, 2);
	test_ioctl_destroy(id);
}

TEST_F(abi, vfio_api_version_is_answered)
{
	/* VFIO_GET_API_VERSION = _IO(';', 100) answers on any iommufd. */
	EXPECT_EQ(0, ioctl(self->fd, _IO(';', 100)));
}

TEST_HARNESS_MAIN
