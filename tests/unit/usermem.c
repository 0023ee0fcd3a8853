// SPDX-License-Identifier: MIT
/*
 * The user-memory interface: copies that return -EFAULT instead of crashing,
 * the extensible-struct copy, and that faults which are not ours still reach
 * the program (or kill it) as they would without us.
 */
#include <sys/mman.h>
#include <sys/wait.h>

#include "harness.h"
#include "base/usermem.h"

#define PAGE 4096

/* Two pages: the first read-write, the second inaccessible. */
static unsigned char *guard_pages(void)
{
	unsigned char *p = mmap(NULL, 2 * PAGE, PROT_READ | PROT_WRITE,
				MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		return NULL;
	if (mprotect(p + PAGE, PAGE, PROT_NONE))
		return NULL;
	return p;
}

static uint64_t uaddr(const void *p)
{
	return (uint64_t)(uintptr_t)p;
}

TEST(copy_from_good_and_bad)
{
	struct usermem *mm = usermem_self();
	unsigned char *p = guard_pages();
	unsigned char dst[64];

	ASSERT_EQ(0, usermem_init());
	ASSERT_NONNULL(p);
	memset(p, 0xab, PAGE);
	ASSERT_EQ(0, usermem_copy_from(mm, dst, uaddr(p + PAGE - 64), 64));
	EXPECT_EQ(0xab, dst[63]);
	/* one byte into the inaccessible page */
	EXPECT_EQ(-EFAULT, usermem_copy_from(mm, dst, uaddr(p + PAGE - 63), 64));
	EXPECT_EQ(-EFAULT, usermem_copy_from(mm, dst, 0, 8));
	EXPECT_EQ(-EFAULT, usermem_copy_from(mm, dst, 0x8000000000000000ull, 8));
	EXPECT_EQ(-EFAULT, usermem_copy_from(mm, dst, UINT64_MAX - 3, 8));
	/* nothing to copy touches nothing */
	EXPECT_EQ(0, usermem_copy_from(mm, dst, 0, 0));
	/* it keeps working after faults */
	ASSERT_EQ(0, usermem_copy_from(mm, dst, uaddr(p), 64));
}

TEST(copy_to_readonly_is_efault)
{
	struct usermem *mm = usermem_self();
	unsigned char *p = guard_pages();
	unsigned char src[16] = { 1, 2, 3 };

	ASSERT_EQ(0, usermem_init());
	ASSERT_NONNULL(p);
	ASSERT_EQ(0, usermem_copy_to(mm, uaddr(p), src, sizeof(src)));
	EXPECT_EQ(3, p[2]);
	ASSERT_EQ(0, mprotect(p, PAGE, PROT_READ));
	EXPECT_EQ(-EFAULT, usermem_copy_to(mm, uaddr(p), src, sizeof(src)));
	EXPECT_EQ(-EFAULT, usermem_copy_to(mm, uaddr(p + PAGE), src, 1));
}

/* The A/D update's primitive: swapped, lost the race, or a fault. */
TEST(cmpxchg64)
{
	struct usermem *mm = usermem_self();
	unsigned char *p = guard_pages();
	uint64_t *word, old;

	ASSERT_EQ(0, usermem_init());
	ASSERT_NONNULL(p);
	word = (uint64_t *)(p + PAGE - 8);
	*word = 5;
	old = 5;
	ASSERT_EQ(0, usermem_cmpxchg64(mm, uaddr(word), &old, 7));
	ASSERT_EQ(7, *word);
	old = 5;
	ASSERT_EQ(-EAGAIN, usermem_cmpxchg64(mm, uaddr(word), &old, 9));
	ASSERT_EQ(7, old);
	ASSERT_EQ(7, *word);
	ASSERT_EQ(-EINVAL, usermem_cmpxchg64(mm, uaddr(p + 4), &old, 9));
	ASSERT_EQ(-EFAULT, usermem_cmpxchg64(mm, uaddr(p + PAGE), &old, 9));
	ASSERT_EQ(-EFAULT, usermem_cmpxchg64(mm, 0, &old, 9));
	ASSERT_EQ(-EFAULT, usermem_cmpxchg64(mm, UINT64_MAX - 7, &old, 9));
	/* a page the caller can read but not write */
	ASSERT_EQ(0, mprotect(p, PAGE, PROT_READ));
	old = 7;
	ASSERT_EQ(-EFAULT, usermem_cmpxchg64(mm, uaddr(word), &old, 9));
	ASSERT_EQ(7, *word);
}

/* Every length and alignment up to a faulting page: the copy either
 * fits and matches, or fails with -EFAULT (never a crash). */
TEST(copies_at_every_edge)
{
	struct usermem *mm = usermem_self();
	unsigned char *p = guard_pages();
	unsigned char buf[80];

	ASSERT_EQ(0, usermem_init());
	ASSERT_NONNULL(p);
	for (unsigned int i = 0; i < PAGE; i++)
		p[i] = (unsigned char)i;
	for (size_t len = 0; len <= 72; len++) {
		for (size_t off = 0; off <= 80; off++) {
			uint64_t at = uaddr(p + PAGE - off);
			int want = len > off ? -EFAULT : 0;

			memset(buf, 0, sizeof(buf));
			ASSERT_EQ(want, usermem_copy_from(mm, buf, at, len));
			if (!want && len)
				ASSERT_EQ(0, memcmp(buf, p + PAGE - off, len));
			ASSERT_EQ(want, usermem_copy_to(mm, at, buf, len));
		}
	}
}

/* Nothing to copy is never a fault, whatever the address (as the
 * kernel's copy_*_user with a zero length). */
TEST(zero_length_touches_nothing)
{
	struct usermem *mm = usermem_self();
	unsigned char buf[8];

	ASSERT_EQ(0, usermem_init());
	EXPECT_EQ(0, usermem_copy_from(mm, buf, UINT64_MAX - 3, 0));
	EXPECT_EQ(0, usermem_copy_to(mm, 0xffff800000000000ull, buf, 0));
	EXPECT_EQ(0, usermem_copy_to(mm, 0, buf, 0));
}

/* A fault on the library's side of a copy is a bug: it kills, it is not
 * turned into -EFAULT. */
TEST(own_buffer_fault_still_kills)
{
	unsigned char good[8] = { 0 };
	int status;
	pid_t pid = fork();

	ASSERT_NE(-1, pid);
	if (pid == 0) {
		usermem_init();
		usermem_copy_from(usermem_self(), (void *)16, uaddr(good), 8);
		_exit(0);
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_FALSE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	if (WIFSIGNALED(status))
		EXPECT_EQ(SIGSEGV, WTERMSIG(status));
}

TEST(check_zeroed)
{
	struct usermem *mm = usermem_self();
	unsigned char *p = guard_pages();

	ASSERT_EQ(0, usermem_init());
	ASSERT_NONNULL(p);
	memset(p, 0, PAGE);
	EXPECT_EQ(1, usermem_check_zeroed(mm, uaddr(p), PAGE));
	p[PAGE - 1] = 1;
	EXPECT_EQ(0, usermem_check_zeroed(mm, uaddr(p), PAGE));
	EXPECT_EQ(1, usermem_check_zeroed(mm, uaddr(p), PAGE - 1));
	p[PAGE - 1] = 0;
	EXPECT_EQ(-EFAULT, usermem_check_zeroed(mm, uaddr(p + PAGE - 2), 3));
}

TEST(copy_struct_from_rules)
{
	struct usermem *mm = usermem_self();
	unsigned char *p = guard_pages();
	unsigned char dst[16];

	ASSERT_EQ(0, usermem_init());
	ASSERT_NONNULL(p);
	memset(p, 0, PAGE);
	memset(p, 0x11, 8);
	/* shorter than ours: the rest reads as zero */
	memset(dst, 0xff, sizeof(dst));
	ASSERT_EQ(0, usermem_copy_struct_from(mm, dst, 16, uaddr(p), 8));
	EXPECT_EQ(0x11, dst[7]);
	EXPECT_EQ(0, dst[8]);
	EXPECT_EQ(0, dst[15]);
	/* longer with a zero tail: fine */
	ASSERT_EQ(0, usermem_copy_struct_from(mm, dst, 16, uaddr(p), 100));
	/* longer with a non-zero tail: E2BIG */
	p[99] = 1;
	EXPECT_EQ(-E2BIG, usermem_copy_struct_from(mm, dst, 16, uaddr(p), 100));
	/* a tail that runs off the mapping: EFAULT */
	EXPECT_EQ(-EFAULT, usermem_copy_struct_from(mm, dst, 16,
						    uaddr(p + PAGE - 16), 17));
}

static int status_dummy;

/* Opaque to the compiler, so it cannot prove the store out of bounds. */
static volatile uintptr_t bad_address = 16;

static sigjmp_buf program_recover;
static volatile int program_handler_ran;

static void program_handler(int sig)
{
	(void)sig;
	program_handler_ran = 1;
	siglongjmp(program_recover, 1);
}

TEST(program_handler_still_gets_its_faults)
{
	struct usermem *mm = usermem_self();
	unsigned char dst[8];

	/* The program's handler is there first; ours chains to it. */
	ASSERT_NE(SIG_ERR, signal(SIGSEGV, program_handler));
	ASSERT_EQ(0, usermem_init());
	EXPECT_EQ(-EFAULT, usermem_copy_from(mm, dst, 16, 8));
	EXPECT_EQ(0, program_handler_ran);
	if (!sigsetjmp(program_recover, 1))
		*(volatile int *)bad_address = 1;
	EXPECT_EQ(1, program_handler_ran);
}

TEST(other_faults_still_kill)
{
	int status;
	pid_t pid = fork();

	ASSERT_NE(-1, pid);
	if (pid == 0) {
		usermem_init();
		*(volatile int *)bad_address = 1;
		_exit(0);
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	/* Killed by the signal; or, under a sanitizer, reported and exited
	 * with an error. Never swallowed. */
	ASSERT_FALSE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	if (WIFSIGNALED(status))
		EXPECT_EQ(SIGSEGV, WTERMSIG(status));
}

TEST(a_sent_fault_signal_still_kills)
{
	int status;
	pid_t pid = fork();

	ASSERT_NE(-1, pid);
	if (pid == 0) {
		/* raise() is not a fault: nothing runs again to re-raise it */
		usermem_init();
		raise(SIGSEGV);
		_exit(0);
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_FALSE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	if (WIFSIGNALED(status))
		EXPECT_EQ(SIGSEGV, WTERMSIG(status));
}

TEST(an_ignored_sent_fault_signal_stays_ignored)
{
	ASSERT_NE(SIG_ERR, signal(SIGBUS, SIG_IGN));
	ASSERT_EQ(0, usermem_init());
	ASSERT_EQ(0, raise(SIGBUS));
	/* and ours is still there: a bad copy is still EFAULT */
	EXPECT_EQ(-EFAULT, usermem_copy_from(usermem_self(), &status_dummy, 16,
					     sizeof(status_dummy)));
}

/* Ordinary memory is backed by CPU pages, hugetlb memory by its own; a
 * range over both takes the smaller; what no mapping backs, a CPU page. */
TEST(backing_page_size)
{
	const uint64_t page = (uint64_t)getpagesize(), huge = 2 << 20;
	struct usermem *mm = usermem_self();
	unsigned char *plain, *h;
	void *area;

	plain = mmap(NULL, 4 * page, PROT_READ | PROT_WRITE,
		     MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, plain);
	EXPECT_EQ(page, usermem_backing_page_size(mm, (uintptr_t)plain,
						  4 * page));
	EXPECT_EQ(page, usermem_backing_page_size(mm, 4096, 4096));
	EXPECT_EQ(page, usermem_page_size_from_smaps((uintptr_t)plain,
						     (uintptr_t)plain + page));
	/* nothing lives at 4096: no mapping meets it */
	EXPECT_EQ(UINT64_MAX, usermem_page_size_from_smaps(4096, 8192));

	/* room of our own: a hugetlb page with an ordinary page below it */
	area = mmap(NULL, 3 * huge, PROT_NONE,
		    MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	ASSERT_NE(MAP_FAILED, area);
	h = (unsigned char *)(((uintptr_t)area + huge) & ~(uintptr_t)(huge - 1));
	if (mmap(h, huge, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS | MAP_HUGETLB | MAP_FIXED, -1,
		 0) == MAP_FAILED) {
		munmap(area, 3 * huge);
		SKIP(return, "no hugetlb pages (vm.nr_hugepages)");
	}
	EXPECT_EQ(huge, usermem_backing_page_size(mm, (uintptr_t)h, huge));
	EXPECT_EQ(huge, usermem_backing_page_size(mm, (uintptr_t)h + page,
						  1));
	EXPECT_EQ(huge, usermem_page_size_from_smaps((uintptr_t)h,
						     (uintptr_t)h + huge));
	ASSERT_EQ(h - page, mmap(h - page, page, PROT_READ,
				 MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1,
				 0));
	EXPECT_EQ(page, usermem_backing_page_size(
				mm, (uintptr_t)h - page, huge + page));
	EXPECT_EQ(page, usermem_page_size_from_smaps((uintptr_t)h - page,
						     (uintptr_t)h + huge));
	munmap(area, 3 * huge);
	munmap(plain, 4 * page);
}

/*
 * With the mapping calls watched (as the shim watches them), an answer is
 * remembered until the next change: the same question asks the kernel
 * nothing, and memory mapped again in between (hugetlb where ordinary
 * pages were) gets the new answer. Here the test itself reports the
 * change, as the shim's wrappers do.
 */
TEST(backing_page_size_remembered_until_a_mapping_changes)
{
	const uint64_t page = (uint64_t)getpagesize(), huge = 2 << 20;
	struct usermem *mm = usermem_self();
	unsigned long queries;
	unsigned char *h;
	void *area;

	area = mmap(NULL, 3 * huge, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	ASSERT_NE(MAP_FAILED, area);
	h = (unsigned char *)(((uintptr_t)area + huge) & ~(uintptr_t)(huge - 1));
	usermem_watch_maps();
	EXPECT_EQ(page, usermem_backing_page_size(mm, (uintptr_t)h, huge));
	queries = usermem_maps_queries();
	EXPECT_EQ(page, usermem_backing_page_size(mm, (uintptr_t)h, huge));
	EXPECT_EQ(page, usermem_backing_page_size(mm, (uintptr_t)h + page, 1));
	EXPECT_EQ(queries, usermem_maps_queries());

	if (mmap(h, huge, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS | MAP_HUGETLB | MAP_FIXED, -1,
		 0) == MAP_FAILED) {
		munmap(area, 3 * huge);
		SKIP(return, "no hugetlb pages (vm.nr_hugepages)");
	}
	usermem_maps_changed();
	EXPECT_EQ(huge, usermem_backing_page_size(mm, (uintptr_t)h, huge));
	EXPECT_LT(queries, usermem_maps_queries());
	queries = usermem_maps_queries();
	EXPECT_EQ(huge, usermem_backing_page_size(mm, (uintptr_t)h, huge));
	EXPECT_EQ(queries, usermem_maps_queries());
	munmap(area, 3 * huge);
}

/*
 * A range faulted in is not touched again until the address space changes
 * (reported here by the test, as the shim's wrappers report it), and only
 * for what it was faulted in for: a read does not stand for a write.
 * Without watching, every call touches.
 */
TEST(fault_in_remembered_until_the_address_space_changes)
{
	const uint64_t page = (uint64_t)getpagesize();
	struct usermem *mm = usermem_self();
	unsigned long touches;
	uintptr_t at;
	void *mem;

	ASSERT_EQ(0, usermem_init());
	mem = mmap(NULL, 8 * page, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, mem);
	at = (uintptr_t)mem;

	touches = usermem_fault_in_touches();
	EXPECT_EQ(0, usermem_fault_in(mm, at, 4 * page, true));
	EXPECT_EQ(0, usermem_fault_in(mm, at, 4 * page, true));
	EXPECT_EQ(touches + 2, usermem_fault_in_touches());

	usermem_watch_maps();
	touches = usermem_fault_in_touches();
	EXPECT_EQ(0, usermem_fault_in(mm, at, 4 * page, true));
	EXPECT_EQ(touches + 1, usermem_fault_in_touches());
	EXPECT_EQ(0, usermem_fault_in(mm, at, 4 * page, true));
	EXPECT_EQ(0, usermem_fault_in(mm, at + page, 2 * page, false));
	EXPECT_EQ(touches + 1, usermem_fault_in_touches());
	/* past what was touched */
	EXPECT_EQ(0, usermem_fault_in(mm, at + 2 * page, 4 * page, false));
	EXPECT_EQ(touches + 2, usermem_fault_in_touches());
	/* read, then write: the write touches */
	EXPECT_EQ(0, usermem_fault_in(mm, at + 6 * page, page, true));
	EXPECT_EQ(touches + 3, usermem_fault_in_touches());

	/* read-only now: the remembered write is forgotten, and refused */
	ASSERT_EQ(0, mprotect(mem, 8 * page, PROT_READ));
	usermem_maps_changed();
	EXPECT_EQ(0, usermem_fault_in(mm, at, 4 * page, false));
	EXPECT_EQ(-EFAULT, usermem_fault_in(mm, at, 4 * page, true));
	EXPECT_EQ(-EFAULT, usermem_fault_in(mm, at, 4 * page, true));
	EXPECT_EQ(touches + 6, usermem_fault_in_touches());
	EXPECT_EQ(0, usermem_fault_in(mm, at, 4 * page, false));
	EXPECT_EQ(touches + 6, usermem_fault_in_touches());
	munmap(mem, 8 * page);
}

/* After a fork both sides' private pages are copy-on-write: each touches
 * again what it would pin for writing. */
TEST(fault_in_touches_again_after_fork)
{
	const uint64_t page = (uint64_t)getpagesize();
	struct usermem *mm = usermem_self();
	unsigned long touches;
	int status = -1;
	uintptr_t at;
	void *mem;
	pid_t pid;

	ASSERT_EQ(0, usermem_init());
	mem = mmap(NULL, 2 * page, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, mem);
	at = (uintptr_t)mem;
	usermem_watch_maps();
	EXPECT_EQ(0, usermem_fault_in(mm, at, 2 * page, true));
	touches = usermem_fault_in_touches();
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid)
		_exit(usermem_fault_in(mm, at, 2 * page, true) == 0 &&
			      usermem_fault_in_touches() == touches + 1 ?
		      0 :
		      1);
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_EQ(0, status);
	EXPECT_EQ(0, usermem_fault_in(mm, at, 2 * page, true));
	EXPECT_EQ(touches + 1, usermem_fault_in_touches());
	munmap(mem, 2 * page);
}

TEST_HARNESS_MAIN
