// SPDX-License-Identifier: MIT
/*
 * A signal handler that calls an ioctl on the context whose ioctl it
 * interrupted. The interrupted call may hold any of the context's locks, so
 * the handler's call cannot wait for them: it fails at once with EDEADLK
 * (README, Limitations), or succeeds when the signal landed between two
 * calls. Never a hang: an alarm ends the test if one happens.
 *
 * A second thread sends the signal with pthread_kill while the first maps
 * and unmaps a large buffer with a mock domain attached, so most signals
 * land inside a MAP or an UNMAP. The same again with no second thread (a
 * CPU-time timer sends the signal), where the calls take what a process
 * with one thread may (base/single_threaded.h: no reference on the file or
 * the IOAS, plain stores for the IOAS's lock); and there a handler closes
 * the only descriptor of the context the interrupted call is using, which
 * must outlive the call; and a handler drops pinned memory with
 * madvise(), which goes straight through rather than wait for the pins'
 * locks the interrupted call may hold.
 */
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <sys/mman.h>
#include <sys/time.h>
#include <time.h>

#include "iommufd_utils.h"

/* Under the default RLIMIT_MEMLOCK (8 MiB), which pins are charged to. */
#define BIG_MAP (4ull << 20)
#define BIG_IOVA (1ull << 28)
#define HANDLER_IOVA (1ull << 30)
#define WATCHDOG_SECONDS 30
/* Enough refusals seen to know the handler ran inside a call. */
#define REFUSALS_WANTED 5
/* A bound, not a count: the loops stop at REFUSALS_WANTED. A MAP of
 * memory touched before is quick (nothing is faulted in again), so it
 * takes many rounds for the CPU timer to land inside enough of them. */
#define ROUNDS_MAX 50000

#if defined(__SANITIZE_THREAD__)
/*
 * A handler's calls that go through (the signal landed between two calls)
 * allocate, which TSan reports as signal-unsafe. Here they are safe: the
 * interrupted thread makes nothing but these ioctls, so it is never inside
 * malloc outside the library, and inside the library the handler's call
 * is refused before it allocates.
 */
const char *__tsan_default_options(void);
const char *__tsan_default_options(void)
{
	return "report_signal_unsafe=0";
}
#endif

static int handler_fd;
static char handler_page[4096] __attribute__((aligned(4096)));
static __u32 handler_ioas;
static atomic_uint refused, completed, wrong;

/* Another IOAS, destroyed again when it was made: a command that takes the
 * context's object table, as the interrupted MAP does. */
static void reentering_handler(int sig)
{
	int saved_errno = errno;
	__u32 id;

	(void)sig;
	if (!_test_ioctl_ioas_alloc(handler_fd, &id)) {
		_test_ioctl_destroy(handler_fd, id);
		atomic_fetch_add(&completed, 1);
	} else if (errno == EDEADLK) {
		atomic_fetch_add(&refused, 1);
	} else {
		atomic_fetch_add(&wrong, 1);
	}
	/* a MAP on the very IOAS the interrupted call is mapping */
	if (_test_ioctl_ioas_map_fixed(handler_fd, handler_ioas, handler_page,
				       4096, HANDLER_IOVA, MAP_RW)) {
		if (errno != EDEADLK)
			atomic_fetch_add(&wrong, 1);
	} else {
		_test_ioctl_ioas_unmap(handler_fd, handler_ioas, HANDLER_IOVA,
				       4096, NULL);
	}
	errno = saved_errno;
}

struct signaller {
	pthread_t target;
	atomic_bool stop;
};

static void *signal_thread(void *arg)
{
	struct signaller *s = arg;
	struct timespec pause = { .tv_nsec = 200 * 1000 };

	while (!atomic_load(&s->stop)) {
		pthread_kill(s->target, SIGUSR1);
		nanosleep(&pause, NULL);
	}
	return NULL;
}

FIXTURE(signal_reentry)
{
	int fd;
	__u32 ioas_id;
	void *big;
};

FIXTURE_SETUP(signal_reentry)
{
	struct sigaction sa = { .sa_handler = reentering_handler };

	self->fd = iommufd_open();
	ASSERT_NE(-1, self->fd);
	test_ioctl_ioas_alloc(&self->ioas_id);
	test_cmd_mock_domain(self->ioas_id, NULL, NULL, NULL);
	self->big = mmap(NULL, BIG_MAP, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
	ASSERT_NE(MAP_FAILED, self->big);
	handler_fd = self->fd;
	handler_ioas = self->ioas_id;
	sigemptyset(&sa.sa_mask);
	ASSERT_EQ(0, sigaction(SIGUSR1, &sa, NULL));
}

FIXTURE_TEARDOWN(signal_reentry)
{
	signal(SIGUSR1, SIG_IGN);
	munmap(self->big, BIG_MAP);
	close(self->fd);
}

/* Maps and unmaps the big buffer until the handler has been refused
 * often enough; whether a MAP or an UNMAP failed. */
static bool map_unmap_until_refused(int fd, __u32 ioas_id, void *big)
{
	for (unsigned int round = 0;
	     round < ROUNDS_MAX && atomic_load(&refused) < REFUSALS_WANTED;
	     round++) {
		if (_test_ioctl_ioas_map_fixed(fd, ioas_id, big, BIG_MAP,
					       BIG_IOVA, MAP_RW) ||
		    _test_ioctl_ioas_unmap(fd, ioas_id, BIG_IOVA, BIG_MAP,
					   NULL))
			return true;
	}
	return false;
}

/* SIGPROF every 'us' microseconds of the process's CPU time; 0 stops. */
static int cpu_timer(long us)
{
	struct itimerval every = {
		.it_interval = { .tv_usec = us },
		.it_value = { .tv_usec = us },
	};

	return setitimer(ITIMER_PROF, &every, NULL);
}

TEST_F(signal_reentry, handler_ioctl_on_interrupted_context)
{
	struct signaller s = { .target = pthread_self() };
	pthread_t thread;
	bool call_failed;

	/* a hang is SIGALRM's default action: the child dies, the test fails */
	alarm(WATCHDOG_SECONDS);
	ASSERT_EQ(0, pthread_create(&thread, NULL, signal_thread, &s));
	call_failed = map_unmap_until_refused(self->fd, self->ioas_id,
					      self->big);
	atomic_store(&s.stop, true);
	ASSERT_EQ(0, pthread_join(thread, NULL));
	alarm(0);

	/* every interrupted call itself went through */
	EXPECT_FALSE(call_failed);
	EXPECT_EQ(0u, atomic_load(&wrong));
	EXPECT_LE(REFUSALS_WANTED, atomic_load(&refused));
	/* the context is whole: the handler's IOASes are gone, MAP works */
	test_ioctl_ioas_map_fixed(self->big, 4096, BIG_IOVA);
}

TEST_F(signal_reentry, handler_ioctl_on_interrupted_context_alone)
{
	struct sigaction sa = { .sa_handler = reentering_handler };
	bool call_failed;

	sigemptyset(&sa.sa_mask);
	ASSERT_EQ(0, sigaction(SIGPROF, &sa, NULL));
	alarm(WATCHDOG_SECONDS);
	ASSERT_EQ(0, cpu_timer(200));
	call_failed = map_unmap_until_refused(self->fd, self->ioas_id,
					      self->big);
	ASSERT_EQ(0, cpu_timer(0));
	signal(SIGPROF, SIG_IGN);
	alarm(0);

	EXPECT_FALSE(call_failed);
	EXPECT_EQ(0u, atomic_load(&wrong));
	EXPECT_LE(REFUSALS_WANTED, atomic_load(&refused));
	test_ioctl_ioas_map_fixed(self->big, 4096, BIG_IOVA);
}

/* A handler that drops pinned memory (MADV_DONTNEED of a page the mock
 * domain maps) while the interrupted call may hold the pins' locks. */
static volatile sig_atomic_t advised_inside, advise_failed;
static volatile sig_atomic_t in_map_unmap;

static void advising_handler(int sig)
{
	int saved_errno = errno;

	(void)sig;
	if (madvise(handler_page, sizeof(handler_page), MADV_DONTNEED))
		advise_failed++;
	else if (in_map_unmap)
		advised_inside++;
	errno = saved_errno;
}

TEST_F(signal_reentry, handler_madvise_of_pinned_memory)
{
	struct sigaction sa = { .sa_handler = advising_handler };
	unsigned int round;
	bool call_failed = false;

	test_ioctl_ioas_map_fixed(handler_page, sizeof(handler_page),
				  HANDLER_IOVA);
	sigemptyset(&sa.sa_mask);
	ASSERT_EQ(0, sigaction(SIGPROF, &sa, NULL));
	alarm(WATCHDOG_SECONDS);
	ASSERT_EQ(0, cpu_timer(200));
	for (round = 0; round < ROUNDS_MAX && !call_failed &&
			advised_inside < REFUSALS_WANTED;
	     round++) {
		in_map_unmap = 1;
		call_failed = _test_ioctl_ioas_map_fixed(self->fd,
							 self->ioas_id,
							 self->big, BIG_MAP,
							 BIG_IOVA, MAP_RW) ||
			      _test_ioctl_ioas_unmap(self->fd, self->ioas_id,
						     BIG_IOVA, BIG_MAP, NULL);
		in_map_unmap = 0;
	}
	ASSERT_EQ(0, cpu_timer(0));
	signal(SIGPROF, SIG_IGN);
	alarm(0);

	EXPECT_FALSE(call_failed);
	EXPECT_EQ(0, advise_failed);
	EXPECT_LE(REFUSALS_WANTED, advised_inside);
	test_ioctl_ioas_map_fixed(self->big, 4096, BIG_IOVA);
}

/* The descriptor the main loop calls on; the handler closes it, once. */
static volatile sig_atomic_t victim_fd = -1;
static volatile sig_atomic_t in_call, closed_inside, close_failed;

static void closing_handler(int sig)
{
	int saved_errno = errno;

	(void)sig;
	if (victim_fd >= 0) {
		if (in_call)
			closed_inside++;
		if (close(victim_fd))
			close_failed++;
		victim_fd = -1;
	}
	errno = saved_errno;
}

/* One call on victim_fd as the handler sees it; 0, or -1 with EBADF once
 * the handler closed it before the call began. Anything else: false. */
static bool call_ok(int rc)
{
	in_call = 0;
	return !rc || errno == EBADF;
}

/*
 * Each round opens a context with its own IOAS and maps and unmaps one
 * page through it until the handler closes its only descriptor; a close
 * that lands inside a call releases the context only when the call is
 * done (a sanitizer build sees any use after that release).
 */
TEST(handler_closes_the_interrupted_descriptor)
{
	struct sigaction sa = { .sa_handler = closing_handler };
	unsigned int round;
	bool all_ok = true;
	__u32 ioas_id;
	int fd;

	sigemptyset(&sa.sa_mask);
	ASSERT_EQ(0, sigaction(SIGPROF, &sa, NULL));
	alarm(WATCHDOG_SECONDS);
	ASSERT_EQ(0, cpu_timer(50));
	for (round = 0; round < ROUNDS_MAX && all_ok &&
			closed_inside < REFUSALS_WANTED;
	     round++) {
		fd = iommufd_open();
		ASSERT_NE(-1, fd);
		ASSERT_EQ(0, _test_ioctl_ioas_alloc(fd, &ioas_id));
		victim_fd = fd;
		while (victim_fd >= 0 && all_ok) {
			in_call = 1;
			all_ok = call_ok(_test_ioctl_ioas_map_fixed(
				fd, ioas_id, handler_page, 4096, BIG_IOVA,
				MAP_RW));
			in_call = 1;
			all_ok = all_ok && call_ok(_test_ioctl_ioas_unmap(
						   fd, ioas_id, BIG_IOVA, 4096,
						   NULL));
		}
	}
	ASSERT_EQ(0, cpu_timer(0));
	signal(SIGPROF, SIG_IGN);
	alarm(0);

	EXPECT_TRUE(all_ok);
	EXPECT_EQ(0, close_failed);
	EXPECT_LE(REFUSALS_WANTED, closed_inside);
	/* a context opened afterwards works */
	fd = iommufd_open();
	ASSERT_NE(-1, fd);
	ASSERT_EQ(0, _test_ioctl_ioas_alloc(fd, &ioas_id));
	EXPECT_EQ(0, _test_ioctl_ioas_map_fixed(fd, ioas_id, handler_page,
						4096, BIG_IOVA, MAP_RW));
	EXPECT_EQ(0, close(fd));
}

TEST_HARNESS_MAIN
