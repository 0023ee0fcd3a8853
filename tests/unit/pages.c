// SPDX-License-Identifier: MIT
/*
 * Pinning and RLIMIT_MEMLOCK accounting of struct iopt_pages: holders over
 * page ranges, pages counted once however many holders share them, bad or
 * read-only memory refused, the limit enforced per mode, the process-wide
 * pin count that IOMMU_TEST_OP_MD_CHECK_REFS reads.
 */
#include <sys/mman.h>
#include <sys/resource.h>

#include "capability.h"
#include "harness.h"
#include "iommufd/pages.h"
#include "base/usermem.h"

#define NPAGES 16

static uint64_t page;

static unsigned char *map_pages(int prot)
{
	void *p = mmap(NULL, NPAGES * page, prot, MAP_PRIVATE | MAP_ANONYMOUS,
		       -1, 0);

	return p == MAP_FAILED ? NULL : p;
}

static struct iopt_pages *pages_over(unsigned char *buf, bool writable)
{
	int err = 0;

	return iopt_alloc_user_pages(usermem_self(), (uintptr_t)buf,
				     NPAGES * page, writable, &err);
}

static void holder(struct itree_node *node, uint64_t first, uint64_t last)
{
	memset(node, 0, sizeof(*node));
	node->start = first;
	node->last = last;
}

static void setup(void)
{
	page = cpu_page_size();
	usermem_init();
}

TEST(overlapping_holders_pin_each_page_once)
{
	struct itree_node a, b, c;
	struct iopt_pages *pages;
	unsigned char *buf;

	setup();
	buf = map_pages(PROT_READ | PROT_WRITE);
	ASSERT_NONNULL(buf);
	pages = pages_over(buf, true);
	ASSERT_NONNULL(pages);
	EXPECT_EQ(NPAGES, pages->npages);
	holder(&a, 0, 7);
	holder(&b, 4, 11);
	holder(&c, 15, 15);
	ASSERT_EQ(0, iopt_pages_pin(pages, &a));
	EXPECT_EQ(8, pages->npinned);
	ASSERT_EQ(0, iopt_pages_pin(pages, &b));
	EXPECT_EQ(12, pages->npinned);
	ASSERT_EQ(0, iopt_pages_pin(pages, &c));
	EXPECT_EQ(13, pages->npinned);
	iopt_pages_unpin(pages, &a);
	/* 4..7 are still held by b */
	EXPECT_EQ(9, pages->npinned);
	iopt_pages_unpin(pages, &b);
	iopt_pages_unpin(pages, &c);
	EXPECT_EQ(0, pages->npinned);
	iopt_pages_put(pages);
}

TEST(holder_outside_the_pages_is_einval)
{
	struct itree_node a;
	struct iopt_pages *pages;
	unsigned char *buf;

	setup();
	buf = map_pages(PROT_READ | PROT_WRITE);
	pages = pages_over(buf, true);
	ASSERT_NONNULL(pages);
	holder(&a, 0, NPAGES);
	EXPECT_EQ(-EINVAL, iopt_pages_pin(pages, &a));
	holder(&a, 3, 2);
	EXPECT_EQ(-EINVAL, iopt_pages_pin(pages, &a));
	EXPECT_EQ(0, pages->npinned);
	iopt_pages_put(pages);
}

TEST(missing_memory_is_efault_and_pins_nothing)
{
	struct itree_node a;
	struct iopt_pages *pages;
	unsigned char *buf;

	setup();
	buf = map_pages(PROT_READ | PROT_WRITE);
	ASSERT_NONNULL(buf);
	ASSERT_EQ(0, munmap(buf + 8 * page, page));
	pages = pages_over(buf, false);
	holder(&a, 0, NPAGES - 1);
	EXPECT_EQ(-EFAULT, iopt_pages_pin(pages, &a));
	EXPECT_EQ(0, pages->npinned);
	EXPECT_EQ(0, iopt_pin_count((uintptr_t)buf));
	/* the part before the hole is fine */
	holder(&a, 0, 7);
	EXPECT_EQ(0, iopt_pages_pin(pages, &a));
	iopt_pages_unpin(pages, &a);
	iopt_pages_put(pages);
}

TEST(read_only_memory_pins_only_read_only)
{
	struct itree_node a;
	struct iopt_pages *ro, *rw;
	unsigned char *buf;

	setup();
	buf = map_pages(PROT_READ);
	ASSERT_NONNULL(buf);
	rw = pages_over(buf, true);
	ro = pages_over(buf, false);
	holder(&a, 0, NPAGES - 1);
	EXPECT_EQ(-EFAULT, iopt_pages_pin(rw, &a));
	EXPECT_EQ(0, iopt_pages_pin(ro, &a));
	EXPECT_EQ(1, iopt_pin_count((uintptr_t)buf));
	iopt_pages_unpin(ro, &a);
	iopt_pages_put(ro);
	iopt_pages_put(rw);
}

TEST(write_pin_keeps_the_contents)
{
	struct itree_node a;
	struct iopt_pages *pages;
	unsigned char *buf;

	setup();
	buf = map_pages(PROT_READ | PROT_WRITE);
	ASSERT_NONNULL(buf);
	for (unsigned int i = 0; i < NPAGES * page; i++)
		buf[i] = (unsigned char)i;
	pages = pages_over(buf, true);
	holder(&a, 0, NPAGES - 1);
	ASSERT_EQ(0, iopt_pages_pin(pages, &a));
	for (unsigned int i = 0; i < NPAGES * page; i++)
		ASSERT_EQ((unsigned char)i, buf[i]);
	iopt_pages_unpin(pages, &a);
	iopt_pages_put(pages);
}

TEST(pin_count_is_per_pages_object)
{
	struct itree_node a, b;
	struct iopt_pages *one, *two;
	unsigned char *buf;

	setup();
	buf = map_pages(PROT_READ | PROT_WRITE);
	one = pages_over(buf, true);
	two = pages_over(buf + page, true); /* same memory, one page on */
	ASSERT_NONNULL(two);
	holder(&a, 0, 3);
	holder(&b, 0, 0);
	ASSERT_EQ(0, iopt_pages_pin(one, &a));
	ASSERT_EQ(0, iopt_pages_pin(two, &b));
	EXPECT_EQ(1, iopt_pin_count((uintptr_t)buf));
	EXPECT_EQ(2, iopt_pin_count((uintptr_t)buf + page));
	EXPECT_EQ(2, iopt_pin_count((uintptr_t)buf + page + 17));
	EXPECT_EQ(1, iopt_pin_count((uintptr_t)buf + 2 * page));
	EXPECT_EQ(0, iopt_pin_count((uintptr_t)buf + 4 * page));
	iopt_pages_unpin(one, &a);
	EXPECT_EQ(1, iopt_pin_count((uintptr_t)buf + page));
	iopt_pages_unpin(two, &b);
	EXPECT_EQ(0, iopt_pin_count((uintptr_t)buf + page));
	iopt_pages_put(one);
	iopt_pages_put(two);
}

TEST(memlock_limit_per_user)
{
	struct rlimit limit = { 4 * 4096, 4 * 4096 };
	struct itree_node a, b;
	struct iopt_pages *pages, *other;
	unsigned char *buf;

	setup();
	if (page != 4096)
		SKIP(return, "assumes 4 KiB pages");
	ASSERT_EQ(0, drop_capability(CAP_IPC_LOCK));
	ASSERT_EQ(0, setrlimit(RLIMIT_MEMLOCK, &limit));
	buf = map_pages(PROT_READ | PROT_WRITE);
	pages = pages_over(buf, true);
	other = pages_over(buf, true);
	holder(&a, 0, 2);
	ASSERT_EQ(0, iopt_pages_pin(pages, &a));
	EXPECT_EQ(3, iopt_locked_pages(IOPT_PAGES_ACCOUNT_USER));
	/* shared pages cost nothing more; new ones do */
	holder(&b, 1, 3);
	ASSERT_EQ(0, iopt_pages_pin(pages, &b));
	EXPECT_EQ(4, iopt_locked_pages(IOPT_PAGES_ACCOUNT_USER));
	/* the same memory through another pages object is charged again */
	struct itree_node c;

	holder(&c, 0, 0);
	EXPECT_EQ(-ENOMEM, iopt_pages_pin(other, &c));
	EXPECT_EQ(0, other->npinned);
	iopt_pages_unpin(pages, &a);
	EXPECT_EQ(3, iopt_locked_pages(IOPT_PAGES_ACCOUNT_USER));
	EXPECT_EQ(0, iopt_pages_pin(other, &c));
	iopt_pages_unpin(pages, &b);
	iopt_pages_unpin(other, &c);
	EXPECT_EQ(0, iopt_locked_pages(IOPT_PAGES_ACCOUNT_USER));
	iopt_pages_put(pages);
	iopt_pages_put(other);
}

TEST(cap_ipc_lock_is_not_charged)
{
	struct rlimit limit = { 0, 0 };
	struct itree_node a;
	struct iopt_pages *pages;
	unsigned char *buf;

	setup();
	if (!has_capability(CAP_IPC_LOCK))
		SKIP(return, "needs CAP_IPC_LOCK");
	ASSERT_EQ(0, setrlimit(RLIMIT_MEMLOCK, &limit));
	buf = map_pages(PROT_READ | PROT_WRITE);
	pages = pages_over(buf, true);
	holder(&a, 0, NPAGES - 1);
	ASSERT_EQ(0, iopt_pages_pin(pages, &a));
	EXPECT_EQ(IOPT_PAGES_ACCOUNT_NONE, pages->account_mode);
	EXPECT_EQ(0, iopt_locked_pages(IOPT_PAGES_ACCOUNT_USER));
	iopt_pages_unpin(pages, &a);
	iopt_pages_put(pages);
}

TEST_HARNESS_MAIN
