// SPDX-License-Identifier: MIT
/*
 * struct rwsem: readers share, writers exclude everyone, a waiting writer
 * holds new readers back, and sleepers are woken (threads hammer it; the
 * TSan run checks the ordering it promises).
 */
#include <pthread.h>

#include "harness.h"
#include "base/rwsem.h"

struct shared {
	struct rwsem sem;
	uint64_t a, b; /* equal whenever the lock is free */
	int torn;      /* __atomic: readers that saw them differ */
};

static void *writer(void *arg)
{
	struct shared *s = arg;

	for (int i = 0; i < 20000; i++) {
		down_write(&s->sem);
		s->a++;
		if (i % 64 == 0)
			sched_yield(); /* let others pile up and sleep */
		s->b++;
		up_write(&s->sem);
	}
	return NULL;
}

static void *reader(void *arg)
{
	struct shared *s = arg;

	for (int i = 0; i < 20000; i++) {
		down_read(&s->sem);
		if (s->a != s->b)
			__atomic_fetch_add(&s->torn, 1, __ATOMIC_RELAXED);
		up_read(&s->sem);
	}
	return NULL;
}

TEST(writers_exclude_readers_share)
{
	struct shared s = { .sem = RWSEM_INIT };
	pthread_t t[6];

	for (int i = 0; i < 6; i++)
		ASSERT_EQ(0, pthread_create(&t[i], NULL,
					    i < 3 ? writer : reader, &s));
	for (int i = 0; i < 6; i++)
		ASSERT_EQ(0, pthread_join(t[i], NULL));
	EXPECT_EQ(0, s.torn);
	EXPECT_EQ(60000, s.a);
	EXPECT_EQ(60000, s.b);
	/* free again, with nobody left asleep */
	EXPECT_EQ(0, s.sem.state);
	EXPECT_EQ(0, s.sem.sleepers);
	EXPECT_EQ(0, s.sem.writers_waiting);
}

static void *one_write(void *arg)
{
	struct shared *s = arg;

	down_write(&s->sem);
	s->a = 1;
	up_write(&s->sem);
	return NULL;
}

TEST(waiting_writer_holds_readers_back)
{
	struct shared s = { .sem = RWSEM_INIT };
	pthread_t w;

	down_read(&s.sem);
	ASSERT_TRUE(rwsem_read_trylock(&s.sem)); /* readers share */
	up_read(&s.sem);
	ASSERT_FALSE(rwsem_write_trylock(&s.sem));
	ASSERT_EQ(0, pthread_create(&w, NULL, one_write, &s));
	while (!__atomic_load_n(&s.sem.writers_waiting, __ATOMIC_SEQ_CST))
		sched_yield();
	/* a writer waits: a new reader may not pass it */
	EXPECT_FALSE(rwsem_read_trylock(&s.sem));
	up_read(&s.sem);
	ASSERT_EQ(0, pthread_join(w, NULL));
	ASSERT_TRUE(rwsem_read_trylock(&s.sem));
	EXPECT_EQ(1, s.a);
	up_read(&s.sem);
	ASSERT_TRUE(rwsem_write_trylock(&s.sem));
	EXPECT_FALSE(rwsem_read_trylock(&s.sem));
	up_write(&s.sem);
}

/* A reader that really sleeps behind a waiting writer is woken once the
 * writer is done; sleeping leaves errno as it was. */
static void *blocked_reader(void *arg)
{
	struct shared *s = arg;

	errno = EDOM;
	down_read(&s->sem);
	if (errno != EDOM || s->a != 1)
		__atomic_fetch_add(&s->torn, 1, __ATOMIC_RELAXED);
	up_read(&s->sem);
	return NULL;
}

TEST(sleeping_reader_is_woken)
{
	struct shared s = { .sem = RWSEM_INIT };
	pthread_t w, r;

	down_read(&s.sem);
	ASSERT_EQ(0, pthread_create(&w, NULL, one_write, &s));
	while (!__atomic_load_n(&s.sem.writers_waiting, __ATOMIC_SEQ_CST))
		sched_yield();
	ASSERT_EQ(0, pthread_create(&r, NULL, blocked_reader, &s));
	/* both asleep: the writer on us, the reader on the writer */
	while (__atomic_load_n(&s.sem.sleepers, __ATOMIC_SEQ_CST) < 2)
		sched_yield();
	errno = ERANGE;
	up_read(&s.sem);
	EXPECT_EQ(ERANGE, errno);
	ASSERT_EQ(0, pthread_join(w, NULL));
	ASSERT_EQ(0, pthread_join(r, NULL));
	EXPECT_EQ(0, s.torn);
	EXPECT_EQ(0, s.sem.sleepers);
}

/*
 * Many more threads than CPUs, yielding inside the lock so that sleeping
 * is the common case: a lost wakeup hangs here (and the harness's timeout
 * fails the test).
 */
static void *mixed(void *arg)
{
	struct shared *s = arg;

	for (int i = 0; i < 20000; i++) {
		if (i % 4 == 0) {
			down_write(&s->sem);
			s->a++;
			sched_yield();
			s->b++;
			up_write(&s->sem);
		} else {
			down_read(&s->sem);
			if (s->a != s->b)
				__atomic_fetch_add(&s->torn, 1,
						   __ATOMIC_RELAXED);
			if (i % 16 == 1)
				sched_yield();
			up_read(&s->sem);
		}
	}
	return NULL;
}

TEST(many_threads_no_lost_wakeup)
{
	struct shared s = { .sem = RWSEM_INIT };
	pthread_t t[12];

	for (int i = 0; i < 12; i++)
		ASSERT_EQ(0, pthread_create(&t[i], NULL, mixed, &s));
	for (int i = 0; i < 12; i++)
		ASSERT_EQ(0, pthread_join(t[i], NULL));
	EXPECT_EQ(0, s.torn);
	EXPECT_EQ(12 * 5000, s.a);
	EXPECT_EQ(0, s.sem.state);
	EXPECT_EQ(0, s.sem.sleepers);
}

TEST_HARNESS_MAIN
