// SPDX-License-Identifier: MIT
/*
 * Fault injection's decisions (src/base/fault_inject.c), through the
 * allocation sites of base/alloc.h: a thread's fail-nth fails exactly its
 * N-th counted site and then reads 0; only the thread it was written for;
 * the debugfs attributes decide what counts, with the kernel's defaults;
 * a forked child starts at 0; the per-process options, read from the
 * environment by a fresh process (this program run again), fail the N-th
 * site or each site at a rate, the same sites for the same seed.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "base/alloc.h"
#include "base/fault_inject.h"
#include "base/zalloc.h"
#include "harness.h"

/* One slab site: whether it failed. */
static bool slab_site_fails(void)
{
	void *p = lib_malloc(16);

	free(p);
	return !p;
}

static bool page_site_fails(size_t bytes)
{
	void *p = lib_alloc_pages(4096, bytes);

	free(p);
	return !p;
}

static pid_t tid(void)
{
	return (pid_t)syscall(SYS_gettid);
}

/* What iommufd_fail_nth writes before it arms anything. */
static void let_fail_nth_count_every_site(void)
{
	atomic_store(&fault_attrs_of(FAULT_SLAB)->ignore_gfp_wait, false);
	atomic_store(&fault_attrs_of(FAULT_PAGE_ALLOC)->ignore_gfp_wait,
		     false);
	atomic_store(&fault_attrs_of(FAULT_SLAB)->verbose, 0);
	atomic_store(&fault_attrs_of(FAULT_PAGE_ALLOC)->verbose, 0);
}

TEST(nothing_armed_nothing_fails)
{
	for (int i = 0; i < 1000; i++)
		ASSERT_FALSE(slab_site_fails());
	EXPECT_EQ(0, fault_task_nth(tid()));
}

TEST(the_nth_site_fails_once_and_reads_0)
{
	let_fail_nth_count_every_site();
	ASSERT_EQ(0, fault_set_task_nth(tid(), 3));
	EXPECT_EQ(3, fault_task_nth(tid()));
	EXPECT_FALSE(slab_site_fails());
	EXPECT_EQ(2, fault_task_nth(tid()));
	EXPECT_FALSE(slab_site_fails());
	EXPECT_EQ(1, fault_task_nth(tid()));
	EXPECT_TRUE(slab_site_fails());
	EXPECT_EQ(0, fault_task_nth(tid()));
	for (int i = 0; i < 100; i++)
		ASSERT_FALSE(slab_site_fails());
	/* the first site */
	ASSERT_EQ(0, fault_set_task_nth(tid(), 1));
	EXPECT_TRUE(slab_site_fails());
	EXPECT_FALSE(slab_site_fails());
}

TEST(writing_0_disarms)
{
	let_fail_nth_count_every_site();
	ASSERT_EQ(0, fault_set_task_nth(tid(), 2));
	EXPECT_FALSE(slab_site_fails());
	ASSERT_EQ(0, fault_set_task_nth(tid(), 0));
	for (int i = 0; i < 10; i++)
		ASSERT_FALSE(slab_site_fails());
	EXPECT_EQ(0, fault_task_nth(tid()));
}

TEST(every_kind_of_site_counts)
{
	void *p;

	let_fail_nth_count_every_site();
	atomic_store(&fault_attrs_of(FAULT_PAGE_ALLOC)->min_order, 0);
	ASSERT_EQ(0, fault_set_task_nth(tid(), 1));
	EXPECT_NULL(lib_calloc(1, 8));
	ASSERT_EQ(0, fault_set_task_nth(tid(), 1));
	EXPECT_NULL(zalloc(8));
	ASSERT_EQ(0, fault_set_task_nth(tid(), 1));
	EXPECT_TRUE(page_site_fails(4096));

	/* a failed realloc leaves the block as it was */
	p = lib_malloc(4);
	ASSERT_NONNULL(p);
	memcpy(p, "abc", 4);
	ASSERT_EQ(0, fault_set_task_nth(tid(), 1));
	EXPECT_NULL(lib_realloc(p, 1 << 20));
	ASSERT_STREQ("abc", p);
	free(p);
}

/* With the kernel's defaults, fail-nth counts nothing of ours: every
 * allocation may sleep, and ignore-gfp-wait is Y. */
TEST(the_kernel_defaults_ignore_sleeping_allocations)
{
	ASSERT_EQ(0, fault_set_task_nth(tid(), 1));
	for (int i = 0; i < 10; i++)
		ASSERT_FALSE(slab_site_fails());
	EXPECT_EQ(1, fault_task_nth(tid()));
}

TEST(each_kind_follows_its_own_attributes)
{
	struct fault_attrs *slab = fault_attrs_of(FAULT_SLAB);
	struct fault_attrs *page = fault_attrs_of(FAULT_PAGE_ALLOC);

	let_fail_nth_count_every_site();
	/* failslab: a cache filter passes no cache of ours */
	atomic_store(&slab->cache_filter, true);
	ASSERT_EQ(0, fault_set_task_nth(tid(), 1));
	EXPECT_FALSE(slab_site_fails());
	EXPECT_EQ(1, fault_task_nth(tid()));
	atomic_store(&slab->cache_filter, false);
	EXPECT_TRUE(slab_site_fails());

	/* fail_page_alloc: one page is order 0, below the default min-order
	 * of 1; two pages are order 1 */
	ASSERT_EQ(1, atomic_load(&page->min_order));
	atomic_store(&slab->ignore_gfp_wait, true);
	ASSERT_EQ(0, fault_set_task_nth(tid(), 1));
	EXPECT_FALSE(page_site_fails(4096));
	EXPECT_FALSE(slab_site_fails());
	EXPECT_EQ(1, fault_task_nth(tid()));
	EXPECT_TRUE(page_site_fails(8192));
	ASSERT_EQ(0, fault_set_task_nth(tid(), 1));
	atomic_store(&page->min_order, 0);
	EXPECT_TRUE(page_site_fails(4096));
	/* ignore-gfp-wait of fail_page_alloc is its own */
	atomic_store(&page->ignore_gfp_wait, true);
	ASSERT_EQ(0, fault_set_task_nth(tid(), 1));
	EXPECT_FALSE(page_site_fails(4096));
	EXPECT_EQ(1, fault_task_nth(tid()));
}

TEST(page_orders)
{
	EXPECT_EQ(0, alloc_pages_order(1));
	EXPECT_EQ(0, alloc_pages_order(4096));
	EXPECT_EQ(1, alloc_pages_order(4097));
	EXPECT_EQ(1, alloc_pages_order(8192));
	EXPECT_EQ(9, alloc_pages_order(2 << 20));
}

struct worker {
	pthread_t thread;
	pid_t tid;
	pthread_barrier_t *step;
	bool failed[3];
};

/* Passes one site, waits, passes two more. */
static void *worker_run(void *arg)
{
	struct worker *w = arg;

	w->tid = tid();
	pthread_barrier_wait(w->step);
	pthread_barrier_wait(w->step);
	w->failed[0] = slab_site_fails();
	pthread_barrier_wait(w->step);
	pthread_barrier_wait(w->step);
	w->failed[1] = slab_site_fails();
	w->failed[2] = slab_site_fails();
	return NULL;
}

/* /proc/self/task/TID/fail-nth names any thread: a value written for one
 * that has passed no site yet waits for it, and one that has is armed at
 * once; the writer's own sites do not count. */
TEST(another_thread_is_armed_and_no_other)
{
	pthread_barrier_t step;
	struct worker w = { .step = &step };

	let_fail_nth_count_every_site();
	pthread_barrier_init(&step, NULL, 2);
	ASSERT_EQ(0, pthread_create(&w.thread, NULL, worker_run, &w));
	pthread_barrier_wait(&step);
	ASSERT_EQ(0, fault_set_task_nth(w.tid, 1));
	EXPECT_EQ(1, fault_task_nth(w.tid));
	EXPECT_EQ(0, fault_task_nth(tid()));
	EXPECT_FALSE(slab_site_fails());
	pthread_barrier_wait(&step);
	pthread_barrier_wait(&step);
	EXPECT_TRUE(w.failed[0]);
	EXPECT_EQ(0, fault_task_nth(w.tid));
	ASSERT_EQ(0, fault_set_task_nth(w.tid, 2));
	EXPECT_FALSE(slab_site_fails());
	EXPECT_FALSE(slab_site_fails());
	pthread_barrier_wait(&step);
	pthread_join(w.thread, NULL);
	EXPECT_FALSE(w.failed[1]);
	EXPECT_TRUE(w.failed[2]);
	/* gone with its thread */
	EXPECT_EQ(0, fault_task_nth(w.tid));
	pthread_barrier_destroy(&step);
}

TEST(a_forked_child_starts_at_0)
{
	pid_t pid;
	int status;

	let_fail_nth_count_every_site();
	ASSERT_EQ(0, fault_set_task_nth(tid(), 2));
	EXPECT_FALSE(slab_site_fails());
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		bool ok = fault_task_nth(tid()) == 0;

		for (int i = 0; i < 5; i++)
			ok = ok && !slab_site_fails();
		_exit(ok ? 0 : 1);
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_EQ(0, status);
	/* the parent's countdown goes on */
	EXPECT_EQ(1, fault_task_nth(tid()));
	EXPECT_TRUE(slab_site_fails());
}

TEST(nth_values)
{
	uint32_t n = 7;

	EXPECT_EQ(0, fault_parse_nth("1", &n));
	EXPECT_EQ(1, n);
	EXPECT_EQ(0, fault_parse_nth("4294967295", &n));
	EXPECT_EQ(4294967295u, n);
	EXPECT_EQ(-EINVAL, fault_parse_nth("4294967296", &n));
	EXPECT_EQ(-EINVAL, fault_parse_nth("0", &n));
	EXPECT_EQ(-EINVAL, fault_parse_nth("", &n));
	EXPECT_EQ(-EINVAL, fault_parse_nth("-1", &n));
	EXPECT_EQ(-EINVAL, fault_parse_nth("12a", &n));
	EXPECT_EQ(-EINVAL, fault_parse_nth(" 1", &n));
	EXPECT_EQ(4294967295u, n);
}

TEST(rate_values)
{
	uint64_t t = 1, seed = 1;

	EXPECT_EQ(0, fault_parse_rate("0", &t, &seed));
	EXPECT_EQ(0, t);
	EXPECT_EQ(0, seed);
	EXPECT_EQ(0, fault_parse_rate("1", &t, &seed));
	EXPECT_EQ(UINT64_MAX, t);
	EXPECT_EQ(0, fault_parse_rate("1.000", &t, &seed));
	EXPECT_EQ(UINT64_MAX, t);
	EXPECT_EQ(0, fault_parse_rate("0.5,seed=42", &t, &seed));
	EXPECT_EQ(1ull << 63, t);
	EXPECT_EQ(42, seed);
	EXPECT_EQ(0, fault_parse_rate(".25", &t, &seed));
	EXPECT_EQ(1ull << 62, t);
	EXPECT_EQ(0, seed);
	EXPECT_EQ(0, fault_parse_rate("0.5,seed=18446744073709551615", &t,
				      &seed));
	EXPECT_EQ(UINT64_MAX, seed);

	EXPECT_EQ(-EINVAL, fault_parse_rate("", &t, &seed));
	EXPECT_EQ(-EINVAL, fault_parse_rate(".", &t, &seed));
	EXPECT_EQ(-EINVAL, fault_parse_rate("1.5", &t, &seed));
	EXPECT_EQ(-EINVAL, fault_parse_rate("2", &t, &seed));
	EXPECT_EQ(-EINVAL, fault_parse_rate("-0.1", &t, &seed));
	EXPECT_EQ(-EINVAL, fault_parse_rate("0.1x", &t, &seed));
	EXPECT_EQ(-EINVAL, fault_parse_rate("1e-3", &t, &seed));
	EXPECT_EQ(-EINVAL, fault_parse_rate("0.5,", &t, &seed));
	EXPECT_EQ(-EINVAL, fault_parse_rate("0.5,seed=", &t, &seed));
	EXPECT_EQ(-EINVAL, fault_parse_rate("0.5,seed=-1", &t, &seed));
	EXPECT_EQ(-EINVAL, fault_parse_rate("0.5,seed=18446744073709551616",
					    &t, &seed));
	EXPECT_EQ(-EINVAL, fault_parse_rate("0.5,Seed=1", &t, &seed));
	EXPECT_EQ(-EINVAL, fault_parse_rate("0.5,seed=1,seed=2", &t, &seed));
}

TEST(rates)
{
	unsigned int failed = 0;

	for (uint64_t i = 1; i <= 10000; i++) {
		ASSERT_FALSE(fault_rate_fails(0, 1, i));
		ASSERT_TRUE(fault_rate_fails(UINT64_MAX, 1, i));
		failed += fault_rate_fails(1ull << 62, 1, i);
	}
	/* a quarter, give or take (the hash is fixed: so is the count) */
	EXPECT_LT(2300, failed);
	EXPECT_GT(2700, failed);
	/* another seed, other sites */
	failed = 0;
	for (uint64_t i = 1; i <= 64; i++)
		failed += fault_rate_fails(1ull << 62, 1, i) !=
			  fault_rate_fails(1ull << 62, 2, i);
	EXPECT_LT(0, failed);
}

/* ---- the per-process options, in a fresh process ------------------------ */

#define SITES_ARG "--pass-sites"
#define SITES 40

/* This program again, with one variable set: passes SITES slab sites and
 * prints one character per site, 'x' for a failure. */
static void run_self(struct __test_metadata *_metadata, const char *var,
		     const char *value, char *out, size_t size)
{
	int pipefd[2];
	ssize_t n, got = 0;
	pid_t pid;
	int status;

	ASSERT_EQ(0, pipe(pipefd));
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		char *argv[] = { "fault_inject", SITES_ARG, NULL };

		dup2(pipefd[1], 1);
		/* the report of each failure, asserted by iommusim-run.sh */
		freopen("/dev/null", "w", stderr);
		close(pipefd[0]);
		close(pipefd[1]);
		unsetenv(FAULT_NTH_ENV);
		unsetenv(FAULT_RATE_ENV);
		setenv(var, value, 1);
		execv("/proc/self/exe", argv);
		_exit(127);
	}
	close(pipefd[1]);
	while ((n = read(pipefd[0], out + got, size - 1 - (size_t)got)) > 0)
		got += n;
	close(pipefd[0]);
	out[got] = '\0';
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_EQ(0, status);
}

static int pass_sites(void)
{
	for (int i = 0; i < SITES; i++)
		putchar(slab_site_fails() ? 'x' : '.');
	return fflush(stdout) ? 1 : 0;
}

TEST(process_nth)
{
	char out[SITES + 1];

	run_self(_metadata, FAULT_NTH_ENV, "3", out, sizeof(out));
	ASSERT_STREQ("..x.....................................", out);
	run_self(_metadata, FAULT_NTH_ENV, "40", out, sizeof(out));
	ASSERT_STREQ(".......................................x", out);
	run_self(_metadata, FAULT_NTH_ENV, "41", out, sizeof(out));
	ASSERT_STREQ("........................................", out);
	/* a bad value injects nothing */
	run_self(_metadata, FAULT_NTH_ENV, "0", out, sizeof(out));
	ASSERT_STREQ("........................................", out);
}

TEST(process_rate)
{
	char out[SITES + 1], again[SITES + 1], expect[SITES + 1];
	uint64_t threshold, seed;

	run_self(_metadata, FAULT_RATE_ENV, "0.3,seed=5", out, sizeof(out));
	run_self(_metadata, FAULT_RATE_ENV, "0.3,seed=5", again,
		 sizeof(again));
	ASSERT_STREQ(out, again);
	ASSERT_EQ(0, fault_parse_rate("0.3,seed=5", &threshold, &seed));
	for (int i = 0; i < SITES; i++)
		expect[i] = fault_rate_fails(threshold, seed, (uint64_t)i + 1) ?
				    'x' :
				    '.';
	expect[SITES] = '\0';
	ASSERT_STREQ(expect, out);
	EXPECT_NE(NULL, strchr(out, 'x'));
	EXPECT_NE(NULL, strchr(out, '.'));
	run_self(_metadata, FAULT_RATE_ENV, "1", out, sizeof(out));
	ASSERT_STREQ("xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", out);
	run_self(_metadata, FAULT_RATE_ENV, "0", out, sizeof(out));
	ASSERT_STREQ("........................................", out);
	run_self(_metadata, FAULT_RATE_ENV, "0.3,seed=x", out, sizeof(out));
	ASSERT_STREQ("........................................", out);
}

int main(int argc, char **argv)
{
	if (argc == 2 && !strcmp(argv[1], SITES_ARG))
		return pass_sites();
	return __harness_main(argc, argv);
}
