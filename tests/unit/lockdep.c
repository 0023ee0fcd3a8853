// SPDX-License-Identifier: MIT
/*
 * lockdep-lite (base/lockdep.h): a lock taken out of rank order, a lock
 * released that is not held, and an assertion that does not hold each kill
 * the process with SIGABRT after naming the locks; the right order runs.
 * Each bad case runs in a forked child whose stderr is kept for the names.
 * The last tests check the library's own ranks and assertions.
 */

#include "harness.h"
#include "base/mutex.h"
#include "base/rwsem.h"
#include "base/spinlock.h"
#include "iommufd/io_pagetable.h"
#include "iommufd/iommufd_private.h"

#define SKIP_WITHOUT_LOCKDEP()                                                 \
	do {                                                                   \
		if (!lockdep_built)                                            \
			SKIP(return, "built without IOMMUSIM_LOCKDEP");        \
	} while (0)

#ifdef IOMMUSIM_LOCKDEP
static const bool lockdep_built = true;
#else
static const bool lockdep_built = false;
#endif

static struct mutex outer = MUTEX_INIT(1);
static struct mutex inner = MUTEX_INIT(2);
static struct mutex inner_twin = MUTEX_INIT(2);

/* Runs fn in a child; returns its wait status, its stderr in 'err'. */
static int run_child(void (*fn)(void), char *err, size_t len)
{
	int pipefd[2], status = -1;
	ssize_t n, got = 0;
	pid_t pid;

	if (pipe(pipefd))
		return -1;
	pid = fork();
	if (pid == 0) {
		dup2(pipefd[1], STDERR_FILENO);
		close(pipefd[0]);
		fn();
		_exit(0);
	}
	close(pipefd[1]);
	while (got < (ssize_t)len - 1 &&
	       (n = read(pipefd[0], err + got, len - 1 - got)) > 0)
		got += n;
	err[got] = 0;
	close(pipefd[0]);
	if (pid < 0 || waitpid(pid, &status, 0) != pid)
		return -1;
	return status;
}

static bool died_of_abort(int status)
{
	return status != -1 && WIFSIGNALED(status) &&
	       WTERMSIG(status) == SIGABRT;
}

static bool exited_cleanly(int status)
{
	return status != -1 && WIFEXITED(status) && !WEXITSTATUS(status);
}

/* fn dies of SIGABRT, having said 'said' (and 'also', unless NULL). */
static bool aborts_saying(void (*fn)(void), const char *said,
			  const char *also)
{
	char err[4096];

	if (!died_of_abort(run_child(fn, err, sizeof(err))))
		return false;
	return strstr(err, said) && (!also || strstr(err, also));
}

/* fn returns, quietly. */
static bool runs_quietly(void (*fn)(void))
{
	char err[4096];

	return exited_cleanly(run_child(fn, err, sizeof(err))) && !err[0];
}

static void in_order(void)
{
	mutex_lock(&outer);
	mutex_lock(&inner);
	lockdep_assert_held(&outer);
	lockdep_assert_held(&inner);
	mutex_unlock(&outer); /* out of order is fine for a release */
	lockdep_assert_not_held(&outer);
	mutex_unlock(&inner);
	lockdep_assert_not_held(&inner);
}

TEST(rank_order_runs)
{
	SKIP_WITHOUT_LOCKDEP();
	EXPECT_TRUE(runs_quietly(in_order));
}

static void inverted(void)
{
	mutex_lock(&inner);
	mutex_lock(&outer);
}

TEST(inversion_aborts_naming_both_locks)
{
	SKIP_WITHOUT_LOCKDEP();
	EXPECT_TRUE(aborts_saying(inverted, "taking &outer (rank 1)",
				  "while holding &inner (rank 2)"));
}

static void same_rank_nested(void)
{
	mutex_lock(&inner);
	mutex_lock(&inner_twin);
}

TEST(same_rank_cannot_nest)
{
	SKIP_WITHOUT_LOCKDEP();
	EXPECT_TRUE(aborts_saying(same_rank_nested, "taking &inner_twin",
				  "holding &inner "));
}

static void assert_held_unheld(void)
{
	lockdep_assert_held(&outer);
}

static void assert_not_held_held(void)
{
	mutex_lock(&outer);
	lockdep_assert_not_held(&outer);
}

TEST(assert_held_fires_when_not_held)
{
	SKIP_WITHOUT_LOCKDEP();
	EXPECT_TRUE(aborts_saying(assert_held_unheld, "expects &outer", NULL));
	EXPECT_TRUE(aborts_saying(assert_not_held_held, "expects &outer",
				  "not held"));
}

static struct rwsem sem;

static void read_held_asserted_write(void)
{
	init_rwsem(&sem, 1);
	down_read(&sem);
	lockdep_assert_held(&sem);
	lockdep_assert_held_write(&sem);
}

TEST(read_hold_is_not_a_write_hold)
{
	SKIP_WITHOUT_LOCKDEP();
	EXPECT_TRUE(aborts_saying(read_held_asserted_write,
				  "expects &sem", "held for writing"));
}

static void release_unheld(void)
{
	struct spinlock s;

	spin_lock_init(&s, 1);
	spin_unlock(&s);
}

TEST(release_of_unheld_lock_aborts)
{
	SKIP_WITHOUT_LOCKDEP();
	EXPECT_TRUE(aborts_saying(release_unheld, "releasing &s",
				  "does not hold"));
}

static void untracked_any_order(void)
{
	struct rwsem a = RWSEM_INIT, b = RWSEM_INIT;

	down_write(&b);
	down_write(&a);
	up_write(&b);
	up_write(&a);
}

TEST(rank_none_is_not_tracked)
{
	SKIP_WITHOUT_LOCKDEP();
	EXPECT_TRUE(runs_quietly(untracked_any_order));
}

/* ---- the library's own order and assertions ------------------------------- */

static struct io_pagetable iopt;

static void iova_then_domains(void)
{
	iopt_init_table(&iopt);
	down_write(&iopt.iova_rwsem);
	down_write(&iopt.domains_rwsem);
}

TEST(iopt_domains_rwsem_comes_before_iova_rwsem)
{
	SKIP_WITHOUT_LOCKDEP();
	EXPECT_TRUE(aborts_saying(iova_then_domains,
				  "taking &iopt.domains_rwsem",
				  "holding &iopt.iova_rwsem"));
}

static void reserve_unlocked(void)
{
	iopt_init_table(&iopt);
	iopt_reserve_iova(&iopt, 0, 4095, NULL);
}

static void reserve_locked(void)
{
	iopt_init_table(&iopt);
	down_write(&iopt.iova_rwsem);
	if (iopt_reserve_iova(&iopt, 0, 4095, NULL))
		_exit(1);
	iopt_remove_reserved_iova_locked(&iopt, NULL);
	up_write(&iopt.iova_rwsem);
}

TEST(iopt_reserve_iova_wants_iova_rwsem)
{
	SKIP_WITHOUT_LOCKDEP();
	EXPECT_TRUE(aborts_saying(reserve_unlocked, "expects &iopt->iova_rwsem",
				  "held for writing"));
	EXPECT_TRUE(runs_quietly(reserve_locked));
}

TEST_HARNESS_MAIN
