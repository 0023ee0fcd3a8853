// SPDX-License-Identifier: MIT
/*
 * Fault injection: the per-thread fail-nth countdowns, the per-process
 * options, and the decision at each site. See fault_inject.h.
 *
 * Threads. A thread's countdown lives in its gate word (thread-local), and
 * another thread may write it (/proc/self/task/TID/fail-nth names any
 * thread), so each thread that has passed a site is listed by TID in the
 * task list with the address of its gate. A write for a thread not listed
 * yet (it has passed no site) leaves an entry with the value, which the
 * thread takes at its first site: every gate starts as FAULT_GATE_NEW, so
 * that first site takes the slow path. A listed thread leaves the list when
 * it exits (a pthread key's destructor).
 *
 * The list lock is a leaf, held across fork(); under it, a thread changes
 * another's gate only by atomic updates.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "base/fault_inject.h"
#include "base/trace.h"

__thread _Atomic uint64_t fault_gate
	__attribute__((tls_model("initial-exec"))) = FAULT_GATE_NEW;

/* ---- the debugfs attributes ---------------------------------------------- */

/* The kernel's defaults (mm/failslab.c, mm/fail_page_alloc.c, and the
 * verbosity of FAULT_ATTR_INITIALIZER). */
static struct fault_attrs failslab = {
	.ignore_gfp_wait = true,
	.verbose = 2,
};
static struct fault_attrs fail_page_alloc = {
	.ignore_gfp_wait = true,
	.ignore_gfp_highmem = true,
	.min_order = 1,
	.verbose = 2,
};

struct fault_attrs *fault_attrs_of(enum fault_kind kind)
{
	return kind == FAULT_SLAB ? &failslab : &fail_page_alloc;
}

/*
 * Whether fail-nth may count a site of this kind. Every allocation of ours
 * may sleep (the kernel's GFP_KERNEL: __GFP_DIRECT_RECLAIM, no
 * __GFP_HIGHMEM), and no object of ours comes from a cache marked
 * SLAB_FAILSLAB.
 */
static bool fault_attrs_allow(enum fault_kind kind, unsigned int order)
{
	const struct fault_attrs *attrs = fault_attrs_of(kind);

	if (atomic_load(&attrs->ignore_gfp_wait))
		return false;
	if (kind == FAULT_SLAB)
		return !atomic_load(&attrs->cache_filter);
	return order >= atomic_load(&attrs->min_order);
}

/* ---- the task list ------------------------------------------------------- */

struct fault_task {
	pid_t tid;
	/* The thread's gate once it has passed a site; NULL before. */
	_Atomic uint64_t *gate;
	/* The countdown written before that. */
	unsigned int pending_nth;
	struct fault_task *next;
};

static pthread_mutex_t tasks_lock = PTHREAD_MUTEX_INITIALIZER;
static struct fault_task *tasks;
static pthread_key_t task_exit_key;

static pid_t current_tid(void)
{
	return (pid_t)syscall(SYS_gettid);
}

static struct fault_task **task_find_locked(pid_t tid)
{
	struct fault_task **link;

	for (link = &tasks; *link; link = &(*link)->next)
		if ((*link)->tid == tid)
			return link;
	return link;
}

/*
 * The entry for tid, made when missing; NULL when it cannot be made. The
 * machinery's own memory is not an injection site (it is not the call's,
 * and a write to fail-nth must not fail for lack of it any more than the
 * kernel's does).
 */
static struct fault_task *task_get_locked(pid_t tid)
{
	struct fault_task **link = task_find_locked(tid);

	if (!*link) {
		*link = calloc(1, sizeof(**link));
		if (*link)
			(*link)->tid = tid;
	}
	return *link;
}

static void task_exit(void *arg)
{
	struct fault_task *task = arg;
	struct fault_task **link;

	pthread_mutex_lock(&tasks_lock);
	link = task_find_locked(task->tid);
	if (*link == task) {
		*link = task->next;
		free(task);
	}
	pthread_mutex_unlock(&tasks_lock);
}

/* Replaces the countdown in a gate, keeping its flags. */
static void gate_set_nth(_Atomic uint64_t *gate, unsigned int n)
{
	uint64_t old = atomic_load(gate), next;

	do {
		next = (old & ~FAULT_GATE_NTH_MASK) | n;
	} while (!atomic_compare_exchange_weak(gate, &old, next));
}

/* ---- the per-process options --------------------------------------------- */

enum process_mode {
	PROCESS_OFF,
	PROCESS_NTH,
	PROCESS_RATE,
};

static enum process_mode process_mode;
static uint32_t process_nth;
static uint64_t process_threshold, process_seed;
/* Sites passed by the process while an option was on; reset by fork. */
static _Atomic uint64_t process_sites;
static pthread_once_t options_once = PTHREAD_ONCE_INIT;

int fault_parse_nth(const char *s, uint32_t *n)
{
	uint64_t value = 0;

	if (!*s)
		return -EINVAL;
	for (; *s; s++) {
		if (*s < '0' || *s > '9')
			return -EINVAL;
		value = value * 10 + (uint64_t)(*s - '0');
		if (value > UINT32_MAX)
			return -EINVAL;
	}
	if (!value)
		return -EINVAL;
	*n = (uint32_t)value;
	return 0;
}

/* "0.05", "1", "1.0", ".5" as a threshold out of 2^64 (all ones for 1). */
static int parse_probability(const char *s, size_t len, uint64_t *threshold)
{
	unsigned __int128 frac = 0, scale = 1;
	const char *end = s + len;
	bool one = false, digits = false;

	if (s < end && (*s == '0' || *s == '1')) {
		one = *s == '1';
		digits = true;
		s++;
	}
	if (s < end && *s == '.') {
		for (s++; s < end && *s >= '0' && *s <= '9'; s++) {
			digits = true;
			/* past 19 digits the threshold no longer changes */
			if (scale < 10000000000000000000ull) {
				frac = frac * 10 + (unsigned)(*s - '0');
				scale *= 10;
			} else if (one && *s != '0') {
				return -EINVAL;
			}
		}
	}
	if (s != end || !digits || (one && frac))
		return -EINVAL;
	if (one) {
		*threshold = UINT64_MAX;
		return 0;
	}
	frac = (frac << 64) / scale;
	*threshold = frac > UINT64_MAX ? UINT64_MAX : (uint64_t)frac;
	return 0;
}

static int parse_seed(const char *s, size_t len, uint64_t *seed)
{
	uint64_t value = 0;

	if (!len)
		return -EINVAL;
	for (size_t i = 0; i < len; i++) {
		unsigned int d = (unsigned int)(s[i] - '0');

		if (d > 9 || value > (UINT64_MAX - d) / 10)
			return -EINVAL;
		value = value * 10 + d;
	}
	*seed = value;
	return 0;
}

int fault_parse_rate(const char *s, uint64_t *threshold, uint64_t *seed)
{
	size_t len = strcspn(s, ",");
	uint64_t t, sd = 0;

	if (parse_probability(s, len, &t))
		return -EINVAL;
	if (s[len]) {
		const char *opt = s + len + 1;

		if (strncmp(opt, "seed=", 5) ||
		    parse_seed(opt + 5, strlen(opt + 5), &sd))
			return -EINVAL;
	}
	*threshold = t;
	*seed = sd;
	return 0;
}

/* splitmix64's finaliser: a well-mixed 64-bit hash of x. */
static uint64_t mix64(uint64_t x)
{
	x += 0x9e3779b97f4a7c15ull;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
	return x ^ (x >> 31);
}

bool fault_rate_fails(uint64_t threshold, uint64_t seed, uint64_t index)
{
	if (threshold == UINT64_MAX)
		return true;
	return mix64(mix64(seed) ^ index) < threshold;
}

/* A bad value arms nothing: a typo must not leave the program running
 * with failures other than those asked for. */
static void read_options(void)
{
	const char *nth = getenv(FAULT_NTH_ENV);
	const char *rate = getenv(FAULT_RATE_ENV);

	if (nth && *nth) {
		if (fault_parse_nth(nth, &process_nth))
			fprintf(stderr, "iommusim: %s: bad value '%s'; no "
					"failure injected\n",
				FAULT_NTH_ENV, nth);
		else
			process_mode = PROCESS_NTH;
	}
	if (rate && *rate && process_mode == PROCESS_OFF) {
		if (fault_parse_rate(rate, &process_threshold, &process_seed))
			fprintf(stderr, "iommusim: %s: bad value '%s'; no "
					"failure injected\n",
				FAULT_RATE_ENV, rate);
		else
			process_mode = PROCESS_RATE;
	}
}

/* Whether the process's next site fails; false once a --fail-nth fired. */
static bool process_site_fails(uint64_t *index)
{
	*index = atomic_fetch_add(&process_sites, 1) + 1;
	if (process_mode == PROCESS_NTH)
		return *index == process_nth;
	return fault_rate_fails(process_threshold, process_seed, *index);
}

static bool process_option_spent(void)
{
	return process_mode == PROCESS_NTH &&
	       atomic_load(&process_sites) >= process_nth;
}

/* ---- a thread's first site ----------------------------------------------- */

static void fault_atfork_prepare(void)
{
	pthread_mutex_lock(&tasks_lock);
}

static void fault_atfork_parent(void)
{
	pthread_mutex_unlock(&tasks_lock);
}

/* The child is a new process with one thread: no entry is true of it any
 * more, its countdown is 0, and its sites are counted from the first. */
static void fault_atfork_child(void)
{
	struct fault_task *task, *next;

	for (task = tasks; task; task = next) {
		next = task->next;
		free(task);
	}
	tasks = NULL;
	/* the thread that took it in prepare is the child's one thread */
	pthread_mutex_unlock(&tasks_lock);
	pthread_setspecific(task_exit_key, NULL);
	atomic_store(&process_sites, 0);
	atomic_store(&fault_gate, FAULT_GATE_NEW);
}

/*
 * At load, before the fork gate registers its handlers (at the first
 * context): prepare handlers run last-registered first, so ours runs once
 * the gate is closed and no thread is inside the core, where a thread's
 * first site takes the list lock. Taken earlier, the lock would keep such
 * a thread from leaving, and the gate from closing.
 */
__attribute__((constructor)) static void fault_inject_init(void)
{
	pthread_key_create(&task_exit_key, task_exit);
	pthread_atfork(fault_atfork_prepare, fault_atfork_parent,
		       fault_atfork_child);
}

/*
 * Lists the calling thread with its gate, takes a countdown written for it
 * before, and sets the process flag. Until it is listed, the thread keeps
 * FAULT_GATE_NEW and tries again at its next site.
 */
static void thread_setup(void)
{
	pid_t tid = current_tid();
	struct fault_task *task;
	uint64_t flags = 0;

	pthread_once(&options_once, read_options);
	if (process_mode != PROCESS_OFF && !process_option_spent())
		flags |= FAULT_GATE_PROCESS;

	pthread_mutex_lock(&tasks_lock);
	task = task_get_locked(tid);
	if (task) {
		task->gate = &fault_gate;
		atomic_store(&fault_gate, flags | task->pending_nth);
		task->pending_nth = 0;
	} else {
		atomic_store(&fault_gate, flags | FAULT_GATE_NEW);
	}
	pthread_mutex_unlock(&tasks_lock);
	if (task)
		pthread_setspecific(task_exit_key, task);
}

/* ---- the decision -------------------------------------------------------- */

/* One tick of the thread's countdown: true when it reaches 0 here. */
static bool task_nth_tick(void)
{
	uint64_t old = atomic_load(&fault_gate), next;

	do {
		if (!(old & FAULT_GATE_NTH_MASK))
			return false;
		next = old - 1;
	} while (!atomic_compare_exchange_weak(&fault_gate, &old, next));
	return !(next & FAULT_GATE_NTH_MASK);
}

static const char *kind_name(enum fault_kind kind)
{
	return kind == FAULT_SLAB ? "failslab" : "fail_page_alloc";
}

/* Straight to the descriptor: stdio may allocate, and the shim overrides
 * write(). */
static void report(const char *line, int len)
{
	if (len > 0)
		syscall(SYS_write, 2, line, (size_t)len);
}

static void report_task(enum fault_kind kind, const char *site)
{
	char line[256];

	trace_event(TRACE_EVENT_FAIL, TA_STR("site", site),
		    TA_STR("kind", kind_name(kind)), TA_STR("by", "fail-nth"));
	if (!atomic_load(&fault_attrs_of(kind)->verbose))
		return;
	report(line, snprintf(line, sizeof(line),
			      "iommusim: FAULT_INJECTION: forcing a failure. "
			      "name %s, in %s, thread %d\n",
			      kind_name(kind), site, (int)current_tid()));
}

static void report_process(enum fault_kind kind, uint64_t index,
			   const char *site)
{
	char line[256];
	const char *option = process_mode == PROCESS_NTH ? "--fail-nth" :
							   "--fail-rate";

	trace_event(TRACE_EVENT_FAIL, TA_STR("site", site),
		    TA_STR("kind", kind_name(kind)), TA_STR("by", option),
		    TA_DEC("nth", index));
	report(line, snprintf(line, sizeof(line),
			      "iommusim: %s: allocation %llu failed, in %s "
			      "(injected)\n",
			      option, (unsigned long long)index, site));
}

bool fault_should_fail_slow(enum fault_kind kind, unsigned int order,
			    const char *site)
{
	uint64_t gate = atomic_load(&fault_gate), index;

	if (gate & FAULT_GATE_NEW) {
		thread_setup();
		gate = atomic_load(&fault_gate);
		if (gate & FAULT_GATE_NEW)
			return false;
	}
	/* The thread's own fail-nth comes first, as in the kernel, where a
	 * set fail-nth decides alone. */
	if ((gate & FAULT_GATE_NTH_MASK) && fault_attrs_allow(kind, order)) {
		if (task_nth_tick()) {
			report_task(kind, site);
			return true;
		}
		return false;
	}
	if (!(gate & FAULT_GATE_PROCESS))
		return false;
	if (process_option_spent()) {
		atomic_fetch_and(&fault_gate, ~FAULT_GATE_PROCESS);
		return false;
	}
	if (!process_site_fails(&index))
		return false;
	report_process(kind, index, site);
	return true;
}

/* ---- the kernel's interface ---------------------------------------------- */

int fault_set_task_nth(pid_t tid, unsigned int n)
{
	struct fault_task **link, *task;
	int rc = 0;

	pthread_mutex_lock(&tasks_lock);
	link = task_find_locked(tid);
	task = *link;
	if (task && task->gate) {
		gate_set_nth(task->gate, n);
	} else if (!n) {
		/* nothing to keep for a thread that passed no site yet */
		if (task) {
			*link = task->next;
			free(task);
		}
	} else {
		task = task_get_locked(tid);
		if (task)
			task->pending_nth = n;
		else
			rc = -ENOMEM;
	}
	pthread_mutex_unlock(&tasks_lock);
	return rc;
}

unsigned int fault_task_nth(pid_t tid)
{
	struct fault_task **link;
	unsigned int n = 0;

	pthread_mutex_lock(&tasks_lock);
	link = task_find_locked(tid);
	if (*link && (*link)->gate)
		n = (unsigned int)(atomic_load((*link)->gate) &
				   FAULT_GATE_NTH_MASK);
	else if (*link)
		n = (*link)->pending_nth;
	pthread_mutex_unlock(&tasks_lock);
	return n;
}
