/* SPDX-License-Identifier: MIT */
/*
 * A small test harness in the shape of the kernel's kselftest_harness.h, so
 * that our uAPI tests read like the kernel's iommufd selftests:
 *
 *   TEST(name) { ... }                    a plain test
 *   FIXTURE(f) { fields };                state shared by setup/test/teardown
 *   FIXTURE_VARIANT(f) { fields };        optional: per-variant constants
 *   FIXTURE_VARIANT_ADD(f, v) { .x = 1 }; one instance per variant
 *   FIXTURE_SETUP(f) / FIXTURE_TEARDOWN(f) { uses self, variant }
 *   TEST_F(f, name) { uses self, variant }
 *   TEST_HARNESS_MAIN                     the program's main()
 *
 * Every test runs in its own forked child, so a crash fails one test, not the
 * run. ASSERT_* stops the test (teardown still runs when setup completed);
 * EXPECT_* records the failure and goes on. Both print the two values.
 * SKIP(statement, fmt, ...) marks the test skipped and runs statement
 * (usually "return").
 *
 * Output is TAP; the last line is "# N passed, N failed, N skipped", which
 * tests/run-tests.sh adds up. The exit status is 1 when any test failed.
 * Options: -t SUBSTR runs only tests whose name contains SUBSTR; -l lists.
 */
#ifndef IOMMUSIM_TESTS_HARNESS_H
#define IOMMUSIM_TESTS_HARNESS_H

#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#define HARNESS_TIMEOUT_SECONDS 120
#define HARNESS_EXIT_SKIP 4

struct __fixture_variant_metadata {
	const char *name;
	const void *data;
	struct __fixture_variant_metadata *next;
};

struct __fixture_metadata {
	const char *name;
	struct __fixture_variant_metadata *variants;
	struct __fixture_variant_metadata **variants_tail;
};

/* Shared with the parent through a MAP_SHARED page: what the child saw. */
struct __test_result {
	int failed;
	int skipped;
	char reason[256];
};

struct __test_metadata {
	const char *name;
	struct __fixture_metadata *fixture;
	void (*fn)(struct __test_metadata *_metadata,
		   const struct __fixture_variant_metadata *_variant);
	struct __test_result *result;
	bool setup_completed;
	jmp_buf bail;
	struct __test_metadata *next;
};

static struct __test_metadata *__harness_tests;
static struct __test_metadata **__harness_tests_tail = &__harness_tests;

static inline void __register_test(struct __test_metadata *t)
{
	*__harness_tests_tail = t;
	__harness_tests_tail = &t->next;
}

static inline void __register_variant(struct __fixture_metadata *f,
				      struct __fixture_variant_metadata *v)
{
	if (!f->variants_tail)
		f->variants_tail = &f->variants;
	*f->variants_tail = v;
	f->variants_tail = &v->next;
}

/* ---- declaring tests ---------------------------------------------------- */

/* Bodies stay out of the function that calls setjmp(), so their locals can
 * never be clobbered by the longjmp() of a failed ASSERT. */
#define __HARNESS_BODY __attribute__((noinline))

#define TEST(test_name)                                                        \
	static void __HARNESS_BODY test_name(struct __test_metadata *_metadata); \
	static void __wrapper_##test_name(                                     \
		struct __test_metadata *_metadata,                             \
		const struct __fixture_variant_metadata *_variant)            \
	{                                                                      \
		(void)_variant;                                                \
		_metadata->setup_completed = true;                             \
		if (setjmp(_metadata->bail) == 0)                              \
			test_name(_metadata);                                  \
	}                                                                      \
	static struct __test_metadata __meta_##test_name = {                   \
		.name = #test_name,                                            \
		.fn = __wrapper_##test_name,                                   \
	};                                                                     \
	__attribute__((constructor)) static void __register_##test_name(void)  \
	{                                                                      \
		__register_test(&__meta_##test_name);                          \
	}                                                                      \
	static void test_name(struct __test_metadata __attribute__((unused))  \
			      *_metadata)

#define FIXTURE_DATA(fixture_name) struct _fixture_data_##fixture_name

#define FIXTURE(fixture_name)                                                  \
	FIXTURE_VARIANT(fixture_name);                                         \
	static struct __fixture_metadata __fixture_##fixture_name = {          \
		.name = #fixture_name,                                         \
	};                                                                     \
	FIXTURE_DATA(fixture_name)

#define FIXTURE_VARIANT(fixture_name)                                          \
	struct _fixture_variant_##fixture_name

#define FIXTURE_VARIANT_ADD(fixture_name, variant_name)                        \
	static const struct _fixture_variant_##fixture_name                    \
		__variant_##fixture_name##_##variant_name;                     \
	static struct __fixture_variant_metadata                               \
		__variant_meta_##fixture_name##_##variant_name = {             \
			.name = #variant_name,                                 \
			.data = &__variant_##fixture_name##_##variant_name,    \
		};                                                             \
	__attribute__((constructor)) static void                               \
		__register_variant_##fixture_name##_##variant_name(void)       \
	{                                                                      \
		__register_variant(                                            \
			&__fixture_##fixture_name,                             \
			&__variant_meta_##fixture_name##_##variant_name);      \
	}                                                                      \
	static const struct _fixture_variant_##fixture_name                    \
		__variant_##fixture_name##_##variant_name =

#define FIXTURE_SETUP(fixture_name)                                            \
	static void __HARNESS_BODY fixture_name##_setup(                       \
		struct __test_metadata __attribute__((unused)) * _metadata,   \
		FIXTURE_DATA(fixture_name) __attribute__((unused)) * self,     \
		const FIXTURE_VARIANT(fixture_name)                            \
			__attribute__((unused)) * variant)

#define FIXTURE_TEARDOWN(fixture_name)                                         \
	static void __HARNESS_BODY fixture_name##_teardown(                    \
		struct __test_metadata __attribute__((unused)) * _metadata,   \
		FIXTURE_DATA(fixture_name) __attribute__((unused)) * self,     \
		const FIXTURE_VARIANT(fixture_name)                            \
			__attribute__((unused)) * variant)

#define TEST_F(fixture_name, test_name)                                        \
	static void __HARNESS_BODY fixture_name##_##test_name(                 \
		struct __test_metadata *_metadata,                             \
		FIXTURE_DATA(fixture_name) * self,                             \
		const FIXTURE_VARIANT(fixture_name) * variant);                \
	/* variant is never written after setjmp(); gcc cannot tell */      \
	_Pragma("GCC diagnostic push")                                         \
	_Pragma("GCC diagnostic ignored \"-Wclobbered\"")                      \
	static void __wrapper_##fixture_name##_##test_name(                    \
		struct __test_metadata *_metadata,                             \
		const struct __fixture_variant_metadata *_variant)            \
	{                                                                      \
		FIXTURE_DATA(fixture_name) self;                               \
		const FIXTURE_VARIANT(fixture_name) *variant =                 \
			_variant ? _variant->data : NULL;                      \
		memset(&self, 0, sizeof(self));                                \
		if (setjmp(_metadata->bail) == 0) {                            \
			fixture_name##_setup(_metadata, &self, variant);       \
			_metadata->setup_completed = true;                     \
			fixture_name##_##test_name(_metadata, &self, variant); \
		}                                                              \
		if (_metadata->setup_completed) {                              \
			_metadata->setup_completed = false;                    \
			if (setjmp(_metadata->bail) == 0)                      \
				fixture_name##_teardown(_metadata, &self,      \
							variant);              \
		}                                                              \
	}                                                                      \
	_Pragma("GCC diagnostic pop")                                          \
	static struct __test_metadata __meta_##fixture_name##_##test_name = {  \
		.name = #fixture_name "." #test_name,                          \
		.fixture = &__fixture_##fixture_name,                          \
		.fn = __wrapper_##fixture_name##_##test_name,                  \
	};                                                                     \
	__attribute__((constructor)) static void                               \
		__register_##fixture_name##_##test_name(void)                  \
	{                                                                      \
		__register_test(&__meta_##fixture_name##_##test_name);         \
	}                                                                      \
	static void fixture_name##_##test_name(                                \
		struct __test_metadata __attribute__((unused)) * _metadata,   \
		FIXTURE_DATA(fixture_name) __attribute__((unused)) * self,     \
		const FIXTURE_VARIANT(fixture_name)                            \
			__attribute__((unused)) * variant)

/* ---- assertions --------------------------------------------------------- */

/* Both sides widened to __int128, which holds every int64 and uint64 exactly,
 * so a comparison of mixed signedness means what it says. */
static inline void __harness_print_value(FILE *f, __int128 v)
{
	if (v < 0)
		fprintf(f, "%lld", (long long)v);
	else
		fprintf(f, "%llu (0x%llx)", (unsigned long long)v,
			(unsigned long long)v);
}

static inline void __harness_fail(struct __test_metadata *m, bool fatal)
{
	m->result->failed = 1;
	if (fatal)
		longjmp(m->bail, 1);
}

/* Pointers (MAP_FAILED, SIG_ERR) compare by address. */
#define __HARNESS_WIDEN(x)                                                     \
	__builtin_choose_expr(__builtin_classify_type(x) == 5,                 \
			      (__int128)(uintptr_t)(x), (__int128)(x))

#define __CMP(expected, seen, op, fatal)                                       \
	do {                                                                   \
		_Pragma("GCC diagnostic push");                                \
		_Pragma("GCC diagnostic ignored \"-Wpointer-to-int-cast\"");   \
		__int128 __exp = __HARNESS_WIDEN(expected);                    \
		__int128 __seen = __HARNESS_WIDEN(seen);                       \
		_Pragma("GCC diagnostic pop");                                 \
		if (!(__exp op __seen)) {                                      \
			fprintf(stdout, "# %s:%d: %s %s %s\n", __FILE__,       \
				__LINE__, #expected, #op, #seen);              \
			fprintf(stdout, "#   expected ");                      \
			__harness_print_value(stdout, __exp);                  \
			fprintf(stdout, " " #op " seen ");                     \
			__harness_print_value(stdout, __seen);                 \
			fprintf(stdout, "\n");                                 \
			fflush(stdout);                                        \
			__harness_fail(_metadata, fatal);                      \
		}                                                              \
	} while (0)

#define __BOOL(cond, want, fatal)                                              \
	do {                                                                   \
		if ((bool)(cond) != (want)) {                                    \
			fprintf(stdout, "# %s:%d: expected %s to be %s\n",     \
				__FILE__, __LINE__, #cond,                     \
				(want) ? "true" : "false");                    \
			fflush(stdout);                                        \
			__harness_fail(_metadata, fatal);                      \
		}                                                              \
	} while (0)

#define ASSERT_EQ(expected, seen) __CMP(expected, seen, ==, true)
#define ASSERT_NE(expected, seen) __CMP(expected, seen, !=, true)
#define ASSERT_LT(expected, seen) __CMP(expected, seen, <, true)
#define ASSERT_LE(expected, seen) __CMP(expected, seen, <=, true)
#define ASSERT_GT(expected, seen) __CMP(expected, seen, >, true)
#define ASSERT_GE(expected, seen) __CMP(expected, seen, >=, true)
#define ASSERT_TRUE(cond) __BOOL(cond, true, true)
#define ASSERT_FALSE(cond) __BOOL(cond, false, true)
#define ASSERT_NULL(ptr) __BOOL((ptr) == NULL, true, true)
#define ASSERT_NONNULL(ptr) __BOOL((ptr) != NULL, true, true)
#define EXPECT_EQ(expected, seen) __CMP(expected, seen, ==, false)
#define EXPECT_NE(expected, seen) __CMP(expected, seen, !=, false)
#define EXPECT_LT(expected, seen) __CMP(expected, seen, <, false)
#define EXPECT_LE(expected, seen) __CMP(expected, seen, <=, false)
#define EXPECT_GT(expected, seen) __CMP(expected, seen, >, false)
#define EXPECT_GE(expected, seen) __CMP(expected, seen, >=, false)
#define EXPECT_TRUE(cond) __BOOL(cond, true, false)
#define EXPECT_NULL(ptr) __BOOL((ptr) == NULL, true, false)
#define EXPECT_NONNULL(ptr) __BOOL((ptr) != NULL, true, false)
#define EXPECT_FALSE(cond) __BOOL(cond, false, false)

#define ASSERT_STREQ(expected, seen)                                           \
	do {                                                                   \
		const char *__e = (expected), *__s = (seen);                   \
		if (!__e || !__s || strcmp(__e, __s)) {                        \
			fprintf(stdout, "# %s:%d: \"%s\" == \"%s\"\n",         \
				__FILE__, __LINE__, __e ? __e : "(null)",      \
				__s ? __s : "(null)");                         \
			fflush(stdout);                                        \
			__harness_fail(_metadata, true);                       \
		}                                                              \
	} while (0)

#define SKIP(statement, fmt, ...)                                              \
	do {                                                                   \
		_metadata->result->skipped = 1;                                \
		snprintf(_metadata->result->reason,                            \
			 sizeof(_metadata->result->reason), fmt,               \
			 ##__VA_ARGS__);                                       \
		statement;                                                     \
	} while (0)

/* ---- running ------------------------------------------------------------ */

struct __harness_totals {
	unsigned int passed, failed, skipped, number;
};

static inline void __harness_run_one(struct __test_metadata *t,
				     const struct __fixture_variant_metadata *v,
				     struct __test_result *result,
				     struct __harness_totals *totals)
{
	char name[256];
	pid_t pid;
	int status = 0;

	if (v)
		snprintf(name, sizeof(name), "%s.%s", t->name, v->name);
	else
		snprintf(name, sizeof(name), "%s", t->name);

	memset(result, 0, sizeof(*result));
	t->result = result;
	t->setup_completed = false;
	totals->number++;
	fflush(stdout);
	fflush(stderr);
	pid = fork();
	if (pid < 0) {
		printf("not ok %u %s # fork: %s\n", totals->number, name,
		       strerror(errno));
		totals->failed++;
		return;
	}
	if (pid == 0) {
		alarm(HARNESS_TIMEOUT_SECONDS);
		t->fn(t, v);
		fflush(stdout);
		exit(result->skipped && !result->failed ? HARNESS_EXIT_SKIP :
							  result->failed);
	}
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	if (WIFSIGNALED(status)) {
		printf("# %s: killed by signal %d (%s)\n", name,
		       WTERMSIG(status), strsignal(WTERMSIG(status)));
		printf("not ok %u %s\n", totals->number, name);
		totals->failed++;
	} else if (WEXITSTATUS(status) == HARNESS_EXIT_SKIP) {
		printf("ok %u %s # SKIP %s\n", totals->number, name,
		       result->reason);
		totals->skipped++;
	} else if (WEXITSTATUS(status) == 0 && !result->failed) {
		printf("ok %u %s\n", totals->number, name);
		totals->passed++;
	} else {
		printf("not ok %u %s\n", totals->number, name);
		totals->failed++;
	}
	fflush(stdout);
}

static inline bool __harness_selected(const char *name, const char *filter)
{
	return !filter || strstr(name, filter);
}

static inline int __harness_main(int argc, char **argv)
{
	struct __harness_totals totals = { 0 };
	struct __test_result *result;
	const char *filter = NULL;
	bool list = false;
	struct __test_metadata *t;
	int opt;

	while ((opt = getopt(argc, argv, "t:l")) != -1) {
		if (opt == 't')
			filter = optarg;
		else if (opt == 'l')
			list = true;
		else
			return 2;
	}
	result = mmap(NULL, sizeof(*result), PROT_READ | PROT_WRITE,
		      MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (result == MAP_FAILED) {
		perror("mmap");
		return 1;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	printf("TAP version 13\n");
	for (t = __harness_tests; t; t = t->next) {
		const struct __fixture_variant_metadata *v =
			t->fixture ? t->fixture->variants : NULL;

		do {
			char full[256];

			snprintf(full, sizeof(full), "%s%s%s", t->name,
				 v ? "." : "", v ? v->name : "");
			if (!__harness_selected(full, filter))
				continue;
			if (list)
				printf("%s\n", full);
			else
				__harness_run_one(t, v, result, &totals);
		} while (v && (v = v->next));
	}
	if (!list) {
		printf("1..%u\n", totals.number);
		printf("# %u passed, %u failed, %u skipped\n", totals.passed,
		       totals.failed, totals.skipped);
	}
	munmap(result, sizeof(*result));
	return totals.failed ? 1 : 0;
}

#define TEST_HARNESS_MAIN                                                      \
	int main(int argc, char **argv)                                        \
	{                                                                      \
		return __harness_main(argc, argv);                             \
	}

#endif /* IOMMUSIM_TESTS_HARNESS_H */
