// SPDX-License-Identifier: MIT
/*
 * In-process user memory: copies that turn a fault into -EFAULT.
 *
 * Two ways back from a fault. The plain copies on x86-64 run in small
 * assembly leaves whose faults the handler fixes up by moving the program
 * counter (see fixed_copy_from). Everything else arms a recovery point
 * (sigsetjmp without saving the signal mask, so no system call) and records
 * the range it is about to touch; the fault handler jumps back only when
 * the faulting thread is armed. Any other fault goes to the handler that was
 * installed before ours, or kills the process as it would have without us.
 *
 * The raw copy loops are compiled without sanitizer instrumentation and
 * without the loop-to-memcpy rewrite: a wild user address must reach the
 * hardware and fault here, not inside an instrumented memcpy.
 */
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <sys/mman.h>
#include <ucontext.h>
#include <unistd.h>

#include "base/usermem.h"

static uint64_t cpu_page_size_for_limit(void)
{
	return (uint64_t)getpagesize();
}

struct usermem {
	int kind;
};

enum { USERMEM_SELF = 1 };

static struct usermem self_mm = { .kind = USERMEM_SELF };

struct usermem *usermem_self(void)
{
	return &self_mm;
}

/* What one thread's armed copy needs the handler to know. */
struct uaccess_guard {
	sigjmp_buf *recover;
	uintptr_t lo, hi; /* the user range being touched, [lo, hi) */
};

static __thread struct uaccess_guard guard
	__attribute__((tls_model("initial-exec")));

static struct sigaction previous_segv, previous_bus;
static pthread_once_t handler_once = PTHREAD_ONCE_INIT;
static int handler_error;

static void chain_to_previous(int sig, siginfo_t *info, void *uctx)
{
	const struct sigaction *prev =
		sig == SIGBUS ? &previous_bus : &previous_segv;

	if (prev->sa_flags & SA_SIGINFO) {
		prev->sa_sigaction(sig, info, uctx);
		return;
	}
	if (prev->sa_handler != SIG_DFL && prev->sa_handler != SIG_IGN) {
		prev->sa_handler(sig);
		return;
	}
	if (info->si_code <= 0) {
		/*
		 * Sent, not raised by a fault (kill, raise, tgkill): nothing
		 * will run again. Ignored stays ignored; the default action
		 * (death) is delivered now.
		 */
		if (prev->sa_handler == SIG_DFL) {
			signal(sig, SIG_DFL);
			raise(sig);
		}
		return;
	}
	/*
	 * A real fault nobody else wants: restore the default action and
	 * return, so the faulting instruction runs again and the process dies
	 * of the signal exactly as it would have without us.
	 */
	signal(sig, SIG_DFL);
}

static bool fault_is_ours(const siginfo_t *info)
{
	uintptr_t addr = (uintptr_t)info->si_addr;

	if (!guard.recover)
		return false;
	/* A non-canonical address raises #GP, which reports no address. */
	if (info->si_code == SI_KERNEL)
		return true;
	return addr >= guard.lo && addr < guard.hi;
}

#if defined(__x86_64__)
/*
 * The copies on the ioctl path need no recovery point at all: they run in
 * fixed_copy_from() / fixed_copy_to(), leaves in assembly that never touch
 * the stack, so a fault in one is recovered by moving the program counter
 * to its fixup, which returns -EFAULT to the caller (the kernel's exception
 * tables do the same). No sigsetjmp, no per-thread state. Only a fault on
 * the user's side is taken: the address must be where the user pointer
 * (rsi when copying from, rdi when copying to) points; a fault on the
 * library's own buffer is left to kill the process, as a bug should.
 *
 * int fixed_copy_*(void *dst, const void *src, size_t len): 0 or -EFAULT.
 */
#define FIXED_COPY_ASM(name)                                                   \
	".pushsection .text\n"                                                 \
	".p2align 4\n"                                                         \
	".globl " name "\n"                                                    \
	".hidden " name "\n"                                                   \
	".type " name ", @function\n" name ":\n"                               \
	"	.cfi_startproc\n"                                              \
	"	cmp $8, %rdx\n"                                                \
	"	jb 2f\n"                                                       \
	"1:	mov (%rsi), %rax\n"                                            \
	"	mov %rax, (%rdi)\n"                                            \
	"	add $8, %rsi\n"                                                \
	"	add $8, %rdi\n"                                                \
	"	sub $8, %rdx\n"                                                \
	"	cmp $8, %rdx\n"                                                \
	"	jae 1b\n"                                                      \
	"2:	test %rdx, %rdx\n"                                             \
	"	jz 4f\n"                                                       \
	"3:	movzbl (%rsi), %eax\n"                                         \
	"	mov %al, (%rdi)\n"                                             \
	"	inc %rsi\n"                                                    \
	"	inc %rdi\n"                                                    \
	"	dec %rdx\n"                                                    \
	"	jnz 3b\n"                                                      \
	"4:	xor %eax, %eax\n"                                              \
	"	ret\n"                                                         \
	".globl " name "_fault\n"                                              \
	".hidden " name "_fault\n" name "_fault:\n"                            \
	"	mov $-14, %eax\n"                                              \
	"	ret\n"                                                         \
	"	.cfi_endproc\n"                                                \
	".size " name ", . - " name "\n"                                       \
	".popsection\n"

int fixed_copy_from(void *dst, const void *src, size_t len)
	__attribute__((visibility("hidden")));
int fixed_copy_to(void *dst, const void *src, size_t len)
	__attribute__((visibility("hidden")));
extern const char fixed_copy_from_fault[] __attribute__((visibility("hidden")));
extern const char fixed_copy_to_fault[] __attribute__((visibility("hidden")));

__asm__(FIXED_COPY_ASM("fixed_copy_from"));
__asm__(FIXED_COPY_ASM("fixed_copy_to"));

/*
 * A device's DMA moves bytes between two user addresses: one leaf, a
 * string move (as fast as memcpy for a page), whose fault at either end is
 * the user's. At a fault rsi, rdi and rcx say what was left, so the fault
 * address lies in one of the two remaining ranges.
 */
int fixed_copy_user(void *dst, const void *src, size_t len)
	__attribute__((visibility("hidden")));
extern const char fixed_copy_user_fault[] __attribute__((visibility("hidden")));

__asm__(".pushsection .text\n"
	".p2align 4\n"
	".globl fixed_copy_user\n"
	".hidden fixed_copy_user\n"
	".type fixed_copy_user, @function\n"
	"fixed_copy_user:\n"
	"	.cfi_startproc\n"
	"	mov %rdx, %rcx\n"
	"	rep movsb\n"
	"	xor %eax, %eax\n"
	"	ret\n"
	".globl fixed_copy_user_fault\n"
	".hidden fixed_copy_user_fault\n"
	"fixed_copy_user_fault:\n"
	"	mov $-14, %eax\n"
	"	ret\n"
	"	.cfi_endproc\n"
	".size fixed_copy_user, . - fixed_copy_user\n"
	".popsection\n");

static bool in_remaining(uintptr_t addr, uintptr_t start, uintptr_t left)
{
	return addr >= start && addr - start < left;
}

/* pc inside [start, fixup) and the fault at the user pointer: resume at
 * fixup. An 8-byte access reports the first byte it could not reach. */
static bool fixup_if_user_fault(greg_t *pc, uintptr_t start, uintptr_t fixup,
				uintptr_t user, uintptr_t addr)
{
	if ((uintptr_t)*pc < start || (uintptr_t)*pc >= fixup ||
	    addr < user || addr - user >= sizeof(uint64_t))
		return false;
	*pc = (greg_t)fixup;
	return true;
}

static bool fixed_copy_recover(const siginfo_t *info, void *uctx)
{
	greg_t *regs = ((ucontext_t *)uctx)->uc_mcontext.gregs;
	uintptr_t addr = (uintptr_t)info->si_addr;

	/* raised by the copy itself, not sent by someone */
	if (info->si_code <= 0)
		return false;
	if ((uintptr_t)regs[REG_RIP] >= (uintptr_t)fixed_copy_user &&
	    (uintptr_t)regs[REG_RIP] < (uintptr_t)fixed_copy_user_fault &&
	    (in_remaining(addr, regs[REG_RSI], regs[REG_RCX]) ||
	     in_remaining(addr, regs[REG_RDI], regs[REG_RCX]))) {
		regs[REG_RIP] = (greg_t)(uintptr_t)fixed_copy_user_fault;
		return true;
	}
	return fixup_if_user_fault(&regs[REG_RIP], (uintptr_t)fixed_copy_from,
				   (uintptr_t)fixed_copy_from_fault,
				   (uintptr_t)regs[REG_RSI], addr) ||
	       fixup_if_user_fault(&regs[REG_RIP], (uintptr_t)fixed_copy_to,
				   (uintptr_t)fixed_copy_to_fault,
				   (uintptr_t)regs[REG_RDI], addr);
}
#define HAVE_FIXED_COPY 1
#else
static bool fixed_copy_recover(const siginfo_t *info, void *uctx)
{
	(void)info;
	(void)uctx;
	return false;
}
#define HAVE_FIXED_COPY 0
#endif

static void uaccess_fault_handler(int sig, siginfo_t *info, void *uctx)
{
	if (fixed_copy_recover(info, uctx))
		return;
	if (fault_is_ours(info)) {
		sigjmp_buf *recover = guard.recover;

		guard.recover = NULL;
		siglongjmp(*recover, 1);
	}
	chain_to_previous(sig, info, uctx);
}

static void probe_user_address_limit(void);

static void install_handler(void)
{
	struct sigaction sa;

	probe_user_address_limit();
	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = uaccess_fault_handler;
	/*
	 * SA_NODEFER: we leave the handler by siglongjmp without restoring the
	 * mask, so the signal must not be blocked while the handler runs.
	 */
	sa.sa_flags = SA_SIGINFO | SA_NODEFER | SA_ONSTACK;
	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGSEGV, &sa, &previous_segv) ||
	    sigaction(SIGBUS, &sa, &previous_bus))
		handler_error = -errno;
}

int usermem_init(void)
{
	pthread_once(&handler_once, install_handler);
	return handler_error;
}

/* clang has no optimize attribute; the volatile accesses alone keep it
 * from turning the loops into memcpy. */
#ifdef __clang__
#define NO_LOOP_TO_MEMCPY
#else
#define NO_LOOP_TO_MEMCPY , optimize("no-tree-loop-distribute-patterns")
#endif
#define NO_INSTRUMENT                                                          \
	__attribute__((noinline,                                               \
		       no_sanitize("address", "thread",                        \
				   "undefined") NO_LOOP_TO_MEMCPY))

NO_INSTRUMENT static void raw_copy(volatile unsigned char *dst,
				   const volatile unsigned char *src,
				   size_t len)
{
	while (len >= sizeof(uint64_t)) {
		uint64_t word;

		__builtin_memcpy(&word, (const void *)src, sizeof(word));
		__builtin_memcpy((void *)dst, &word, sizeof(word));
		dst += sizeof(word);
		src += sizeof(word);
		len -= sizeof(word);
	}
	while (len--)
		*dst++ = *src++;
}

NO_INSTRUMENT static bool raw_is_zeroed(const volatile unsigned char *src,
					size_t len)
{
	while (len--)
		if (*src++)
			return false;
	return true;
}

/*
 * After a recovered fault. Our handler asks for SA_NODEFER so the signal is
 * not blocked while it runs, but a runtime that wraps handlers (ThreadSanitizer
 * does) may install its own without it; then the signal would stay blocked
 * after the jump and the next fault would kill the process. A fault signal
 * is never meant to be blocked, so unblocking both is always right, and it
 * costs a system call only on the fault path.
 */
static void unblock_fault_signals(void)
{
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, SIGSEGV);
	sigaddset(&set, SIGBUS);
	pthread_sigmask(SIG_UNBLOCK, &set, NULL);
}

/*
 * One access per page: a read, or an atomic add of zero, which needs the
 * page writable (and so breaks copy-on-write) but cannot lose a store the
 * program makes to the same byte at the same time.
 */
NO_INSTRUMENT static void raw_fault_in(volatile unsigned char *p, size_t len,
				       size_t page, bool write)
{
	volatile unsigned char *end = p + len;

	for (; p < end; p += page - ((uintptr_t)p & (page - 1))) {
		if (write)
			__atomic_fetch_add((unsigned char *)p, 0,
					   __ATOMIC_RELAXED);
		else
			(void)*p;
	}
}

/* The operands of UACCESS_CMPXCHG64: old comes back as what the word
 * held. */
struct uaccess_cmpxchg {
	uint64_t old;
	uint64_t want;
	bool swapped;
};

NO_INSTRUMENT static void raw_cmpxchg64(uint64_t *word,
					struct uaccess_cmpxchg *op)
{
	op->swapped = __atomic_compare_exchange_n(word, &op->old, op->want,
						  false, __ATOMIC_SEQ_CST,
						  __ATOMIC_SEQ_CST);
}

NO_INSTRUMENT static void raw_clear(volatile unsigned char *dst, size_t len)
{
	while (len--)
		*dst++ = 0;
}

enum uaccess_op {
	UACCESS_CLEAR,
	UACCESS_READ,
	UACCESS_WRITE,
	UACCESS_CHECK_ZERO,
	UACCESS_FAULT_IN_READ,
	UACCESS_FAULT_IN_WRITE,
	UACCESS_CMPXCHG64,
};


/*
 * The kernel's access_ok(): user addresses end at TASK_SIZE_MAX, and a range
 * reaching past it is refused before anything is touched (so the vsyscall
 * page, readable but above it, is EFAULT too). On x86-64 that is 47 bits,
 * or 56 with five-level paging, which is on when the kernel maps a hint
 * above 47 bits; elsewhere 48 bits.
 */
static uint64_t user_address_limit = 1ull << 47;

static void probe_user_address_limit(void)
{
#if defined(__x86_64__)
	/* not an injection site: a probe, made once, not the call's memory;
	 * a raw system call, which the shim's mmap() wrapper does not see */
	long high = syscall(SYS_mmap, 1ull << 52, 4096, PROT_NONE,
			    MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);

	if (high != -1) {
		if ((uint64_t)high >= (1ull << 47))
			user_address_limit = 1ull << 56;
		syscall(SYS_munmap, high, 4096);
	}
#else
	user_address_limit = 1ull << 48;
#endif
	user_address_limit -= cpu_page_size_for_limit();
}

/* access_ok(): the range neither wraps nor reaches past user memory. */
static bool user_range_ok(uint64_t uaddr, size_t len)
{
	return uaddr + len >= uaddr && uaddr + len <= user_address_limit;
}

/* Runs one raw operation on [uaddr, uaddr + len) with faults caught. */
static int guarded(enum uaccess_op op, void *kbuf, uint64_t uaddr, size_t len,
		   bool *is_zero)
{
	struct uaccess_guard saved = guard;
	sigjmp_buf recover;

	if (len == 0)
		return 0;
	if (!user_range_ok(uaddr, len))
		return -EFAULT;
	if (sigsetjmp(recover, 0)) {
		guard = saved;
		unblock_fault_signals();
		return -EFAULT;
	}
	guard.lo = (uintptr_t)uaddr;
	guard.hi = (uintptr_t)(uaddr + len);
	__atomic_signal_fence(__ATOMIC_SEQ_CST);
	guard.recover = &recover;
	__atomic_signal_fence(__ATOMIC_SEQ_CST);

	switch (op) {
	case UACCESS_CLEAR:
		raw_clear((void *)(uintptr_t)uaddr, len);
		break;
	case UACCESS_READ:
		raw_copy(kbuf, (const void *)(uintptr_t)uaddr, len);
		break;
	case UACCESS_WRITE:
		raw_copy((void *)(uintptr_t)uaddr, kbuf, len);
		break;
	case UACCESS_CHECK_ZERO:
		*is_zero = raw_is_zeroed((const void *)(uintptr_t)uaddr, len);
		break;
	case UACCESS_CMPXCHG64:
		raw_cmpxchg64((uint64_t *)(uintptr_t)uaddr, kbuf);
		break;
	case UACCESS_FAULT_IN_READ:
	case UACCESS_FAULT_IN_WRITE:
		raw_fault_in((void *)(uintptr_t)uaddr, len, getpagesize(),
			     op == UACCESS_FAULT_IN_WRITE);
		break;
	}

	__atomic_signal_fence(__ATOMIC_SEQ_CST);
	guard = saved;
	return 0;
}

bool usermem_access_ok(const struct usermem *mm, uint64_t uaddr, size_t len)
{
	(void)mm;
	return user_range_ok(uaddr, len);
}

int usermem_cmpxchg64(const struct usermem *mm, uint64_t uaddr, uint64_t *old,
		      uint64_t want)
{
	struct uaccess_cmpxchg op = { .old = *old, .want = want };
	int rc;

	(void)mm;
	if (uaddr % sizeof(uint64_t))
		return -EINVAL;
	rc = guarded(UACCESS_CMPXCHG64, &op, uaddr, sizeof(uint64_t), NULL);
	if (rc)
		return rc;
	*old = op.old;
	return op.swapped ? 0 : -EAGAIN;
}

int usermem_copy_from(const struct usermem *mm, void *dst, uint64_t uaddr,
		      size_t len)
{
	(void)mm;
#if HAVE_FIXED_COPY
	/* nothing to copy is never a fault, whatever the address */
	if (!len)
		return 0;
	if (!user_range_ok(uaddr, len))
		return -EFAULT;
	return fixed_copy_from(dst, (const void *)(uintptr_t)uaddr, len);
#else
	return guarded(UACCESS_READ, dst, uaddr, len, NULL);
#endif
}

int usermem_copy_to(const struct usermem *mm, uint64_t uaddr, const void *src,
		    size_t len)
{
	(void)mm;
#if HAVE_FIXED_COPY
	if (!len)
		return 0;
	if (!user_range_ok(uaddr, len))
		return -EFAULT;
	return fixed_copy_to((void *)(uintptr_t)uaddr, src, len);
#else
	return guarded(UACCESS_WRITE, (void *)src, uaddr, len, NULL);
#endif
}

int usermem_copy_user(const struct usermem *mm, uint64_t dst, uint64_t src,
		      size_t len)
{
	if (!len)
		return 0;
	if (!user_range_ok(dst, len) || !user_range_ok(src, len))
		return -EFAULT;
#if HAVE_FIXED_COPY
	(void)mm;
	return fixed_copy_user((void *)(uintptr_t)dst,
			       (const void *)(uintptr_t)src, len);
#else
	/* through a bounce buffer, each side's faults caught on its own */
	while (len) {
		unsigned char bounce[512];
		size_t n = len < sizeof(bounce) ? len : sizeof(bounce);
		int rc = usermem_copy_from(mm, bounce, src, n);

		if (!rc)
			rc = usermem_copy_to(mm, dst, bounce, n);
		if (rc)
			return rc;
		dst += n;
		src += n;
		len -= n;
	}
	return 0;
#endif
}

int usermem_check_zeroed(const struct usermem *mm, uint64_t uaddr, size_t len)
{
	bool is_zero = true;
	int rc;

	(void)mm;
	rc = guarded(UACCESS_CHECK_ZERO, NULL, uaddr, len, &is_zero);
	if (rc)
		return rc;
	return is_zero;
}

int usermem_copy_struct_from(const struct usermem *mm, void *dst, size_t ksize,
			     uint64_t uaddr, size_t usize)
{
	size_t common = usize < ksize ? usize : ksize;
	int rc;

	if (usize < ksize)
		memset((char *)dst + usize, 0, ksize - usize);
	if (usize > ksize) {
		rc = usermem_check_zeroed(mm, uaddr + ksize, usize - ksize);
		if (rc < 0)
			return rc;
		if (!rc)
			return -E2BIG;
	}
	return usermem_copy_from(mm, dst, uaddr, common);
}

/* ---- the address space's generation ---------------------------------------- */

static bool maps_watched;	      /* __atomic: the shim sees mapping calls */
static unsigned long maps_generation; /* __atomic: bumped after each */

void usermem_watch_maps(void)
{
	/* generation 0 is never current: entries start stale */
	__atomic_store_n(&maps_generation, 1, __ATOMIC_RELAXED);
	/* after a fork both sides' private pages are copy-on-write: a
	 * write pin must break that again */
	pthread_atfork(NULL, usermem_maps_changed, usermem_maps_changed);
	__atomic_store_n(&maps_watched, true, __ATOMIC_RELEASE);
}

void usermem_maps_changed(void)
{
	__atomic_fetch_add(&maps_generation, 1, __ATOMIC_RELEASE);
}

/* 0 (never current) when nothing is watched: then nothing is remembered. */
static unsigned long current_generation(void)
{
	if (!__atomic_load_n(&maps_watched, __ATOMIC_ACQUIRE))
		return 0;
	return __atomic_load_n(&maps_generation, __ATOMIC_ACQUIRE);
}

/* ---- faulting in -------------------------------------------------------------- */

/*
 * From this many pages on, one madvise(MADV_POPULATE_*) call, which faults
 * the pages in inside the kernel as pin_user_pages() does, beats touching
 * them from here. Below it the touch wins when the pages are present (a
 * MAP of memory the program uses, the steady state: no system call), and
 * fresh memory pays a fault per page either way.
 */
#define POPULATE_MIN_PAGES 64

/* 0, -EFAULT, or 1 when the kernel cannot do it (older than 5.14). */
static int populate(uint64_t uaddr, uint64_t len, bool write)
{
	uint64_t page = (uint64_t)getpagesize();
	uint64_t start = uaddr & ~(page - 1);
	uint64_t end = (uaddr + len + page - 1) & ~(page - 1);

	/* a system call: the preload shim wraps madvise() */
	if (!syscall(SYS_madvise, start, end - start,
		     write ? MADV_POPULATE_WRITE : MADV_POPULATE_READ))
		return 0;
	/* ENOMEM: not mapped; EFAULT: an access would fault */
	if (errno == ENOMEM || errno == EFAULT)
		return -EFAULT;
	return 1;
}

/*
 * A range this thread faulted in, true while its generation is. Its pages
 * stay mapped with the protection they had until the program changes the
 * address space: mmap(), munmap(), mremap(), mprotect(), shmat(), shmdt(),
 * madvise() or fork(), each of which the shim reports. A page the kernel
 * swaps out in between comes back at the next access, as it would to a
 * pin. So MAPs of memory the program keeps using touch it only once.
 */
struct known_touch {
	uint64_t start, end;
	unsigned long generation;
	bool write;
};

#define KNOWN_TOUCHES 4

static __thread struct known_touch touched[KNOWN_TOUCHES]
	__attribute__((tls_model("initial-exec")));
static __thread unsigned int touched_next
	__attribute__((tls_model("initial-exec")));

/* __atomic: ranges touched page by page or populated, for the tests */
static unsigned long fault_in_touches;

unsigned long usermem_fault_in_touches(void)
{
	return __atomic_load_n(&fault_in_touches, __ATOMIC_RELAXED);
}

static bool touched_before(uint64_t start, uint64_t end, bool write,
			   unsigned long generation)
{
	for (unsigned int i = 0; i < KNOWN_TOUCHES; i++) {
		const struct known_touch *t = &touched[i];

		if (t->generation == generation && start >= t->start &&
		    end <= t->end && (t->write || !write))
			return true;
	}
	return false;
}

static int fault_in_now(uint64_t uaddr, uint64_t len, bool write)
{
	int rc;

	__atomic_fetch_add(&fault_in_touches, 1, __ATOMIC_RELAXED);
	if (len / (uint64_t)getpagesize() >= POPULATE_MIN_PAGES) {
		int saved_errno = errno;

		rc = populate(uaddr, len, write);
		errno = saved_errno;
		if (rc <= 0)
			return rc;
	}
	return guarded(write ? UACCESS_FAULT_IN_WRITE : UACCESS_FAULT_IN_READ,
		       NULL, uaddr, len, NULL);
}

int usermem_fault_in(const struct usermem *mm, uint64_t uaddr, uint64_t len,
		     bool write)
{
	/* read before the touch: a change racing with it makes the
	 * remembered range stale at once */
	unsigned long generation = current_generation();
	int rc;

	(void)mm;
	if (uaddr + len < uaddr || uaddr + len > user_address_limit)
		return -EFAULT;
	if (generation && touched_before(uaddr, uaddr + len, write, generation))
		return 0;
	rc = fault_in_now(uaddr, len, write);
	if (!rc && generation)
		touched[touched_next++ % KNOWN_TOUCHES] = (struct known_touch){
			uaddr, uaddr + len, generation, write
		};
	return rc;
}

int usermem_clear(const struct usermem *mm, uint64_t uaddr, size_t len)
{
	(void)mm;
	return guarded(UACCESS_CLEAR, NULL, uaddr, len, NULL);
}

/* Opened for each copy: a rare path (pinned memory the program throws
 * away), and a descriptor kept open would name the parent's memory in a
 * forked child. Raw system calls, as the preload shim wraps open and
 * pread. */
int usermem_copy_from_forced(const struct usermem *mm, void *dst,
			     uint64_t uaddr, size_t len)
{
	size_t done = 0;
	int fd, rc = 0;

	(void)mm;
	if (!user_range_ok(uaddr, len))
		return -EFAULT;
	fd = (int)syscall(SYS_openat, AT_FDCWD, "/proc/self/mem",
			  O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -EFAULT;
	while (done < len) {
		long n = syscall(SYS_pread64, fd, (char *)dst + done,
				 len - done, (off_t)(uaddr + done));

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			rc = -EFAULT;
			break;
		}
		done += (size_t)n;
	}
	syscall(SYS_close, fd);
	return rc;
}

/* ---- how the memory is backed ------------------------------------------- */

/*
 * PROCMAP_QUERY (Linux 6.11): one ioctl on /proc/self/maps answers for the
 * mapping at an address, page size included, without walking page tables.
 * Declared here because the C library's headers may predate it.
 */
struct procmap_query_arg {
	uint64_t size;
	uint64_t query_flags;
	uint64_t query_addr;
	uint64_t vma_start;
	uint64_t vma_end;
	uint64_t vma_flags;
	uint64_t vma_page_size;
	uint64_t vma_offset;
	uint64_t inode;
	uint32_t dev_major;
	uint32_t dev_minor;
	uint32_t vma_name_size;
	uint32_t build_id_size;
	uint64_t vma_name_addr;
	uint64_t build_id_addr;
};
#define PROCMAP_QUERY_IOCTL _IOWR('f', 17, struct procmap_query_arg)

/* The process's own /proc/self/maps, opened once; -1 until then, -2 when
 * it cannot be had or cannot answer. A child reopens its own (the
 * parent's names the parent's memory). Raw system calls throughout: the
 * preload shim wraps open, ioctl and close, and the library must not
 * re-enter it. */
static int maps_fd = -1;
static pthread_mutex_t maps_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_once_t maps_once = PTHREAD_ONCE_INIT;

static void maps_forget_in_child(void)
{
	if (maps_fd >= 0)
		syscall(SYS_close, maps_fd);
	maps_fd = -1;
}

static void maps_register_atfork(void)
{
	pthread_atfork(NULL, NULL, maps_forget_in_child);
}

static int maps_open(void)
{
	int fd;

	pthread_once(&maps_once, maps_register_atfork);
	pthread_mutex_lock(&maps_lock);
	if (maps_fd == -1) {
		maps_fd = (int)syscall(SYS_openat, AT_FDCWD, "/proc/self/maps",
				       O_RDONLY | O_CLOEXEC);
		if (maps_fd < 0)
			maps_fd = -2;
	}
	fd = maps_fd;
	pthread_mutex_unlock(&maps_lock);
	return fd;
}

/* After a failed query: a kernel without PROCMAP_QUERY is not asked
 * again; a descriptor the program closed under us is opened anew. */
static void maps_query_failed(int fd, int err)
{
	pthread_mutex_lock(&maps_lock);
	if (maps_fd == fd)
		maps_fd = err == EBADF ? -1 : -2;
	pthread_mutex_unlock(&maps_lock);
}

/* ---- remembered mappings ---------------------------------------------------- */

#define KNOWN_MAPPINGS 4

/* What this thread last learnt of a mapping, true while 'generation' is. */
struct known_mapping {
	uint64_t start, end, page_size;
	unsigned long generation;
};

static __thread struct known_mapping known[KNOWN_MAPPINGS]
	__attribute__((tls_model("initial-exec")));
static __thread unsigned int known_next
	__attribute__((tls_model("initial-exec")));

/* __atomic: PROCMAP_QUERY calls made, for the tests */
static unsigned long maps_queries;

unsigned long usermem_maps_queries(void)
{
	return __atomic_load_n(&maps_queries, __ATOMIC_RELAXED);
}

static const struct known_mapping *known_at(uint64_t addr,
					    unsigned long generation)
{
	for (unsigned int i = 0; i < KNOWN_MAPPINGS; i++)
		if (known[i].generation == generation &&
		    addr >= known[i].start && addr < known[i].end)
			return &known[i];
	return NULL;
}

/* Remembered under the generation read before the query: a change that
 * raced with it makes the answer stale at once. */
static void remember(const struct procmap_query_arg *q,
		     unsigned long generation)
{
	struct known_mapping *k = &known[known_next++ % KNOWN_MAPPINGS];

	*k = (struct known_mapping){ q->vma_start, q->vma_end,
				     q->vma_page_size, generation };
}

static int query_kernel(int fd, struct procmap_query_arg *q)
{
	__atomic_fetch_add(&maps_queries, 1, __ATOMIC_RELAXED);
	return (int)syscall(SYS_ioctl, fd, PROCMAP_QUERY_IOCTL, q);
}

/* The smallest page size over [start, end), by PROCMAP_QUERY or what this
 * thread remembers of it; 0 when the kernel cannot tell (older than 6.11),
 * UINT64_MAX over a hole. The descriptor is looked up only for a query:
 * with everything remembered, no lock is taken. */
static uint64_t page_size_by_query(uint64_t start, uint64_t end)
{
	uint64_t smallest = UINT64_MAX;
	unsigned long generation = current_generation();
	int fd = -1;

	while (start < end) {
		const struct known_mapping *k =
			generation ? known_at(start, generation) : NULL;
		uint64_t vma_end, vma_page_size;

		if (k) {
			/* the steady state: no query to fill in */
			vma_end = k->end;
			vma_page_size = k->page_size;
		} else {
			struct procmap_query_arg q = {
				.size = sizeof(q),
				.query_addr = start,
			};

			if (fd < 0 && (fd = maps_open()) < 0)
				return 0;
			if (query_kernel(fd, &q)) {
				if (errno == ENOENT)
					return UINT64_MAX;
				maps_query_failed(fd, errno);
				return 0;
			}
			if (generation)
				remember(&q, generation);
			vma_end = q.vma_end;
			vma_page_size = q.vma_page_size;
		}
		if (vma_page_size < smallest)
			smallest = vma_page_size;
		start = vma_end;
	}
	return smallest;
}

/* A mapping's header line in smaps ("start-end perms ..."), or false. */
static bool smaps_header(const char *line, unsigned long *start,
			 unsigned long *end)
{
	const char *dash = strchr(line, '-'), *space = strchr(line, ' ');

	return dash && space && dash < space &&
	       sscanf(line, "%lx-%lx ", start, end) == 2;
}

/*
 * The same from /proc/self/smaps, for kernels without PROCMAP_QUERY: each
 * header is followed by its fields, KernelPageSize among them. Mappings
 * come in address order, so the read stops past the range.
 */
uint64_t usermem_page_size_from_smaps(uint64_t uaddr, uint64_t end)
{
	uint64_t smallest = UINT64_MAX;
	unsigned long start, vma_end, kib;
	bool overlaps = false;
	char *line = NULL;
	size_t cap = 0;
	FILE *smaps;
	int fd;

	/* Opened by system call, not fopen(): the preload shim wraps that. */
	fd = (int)syscall(SYS_openat, AT_FDCWD, "/proc/self/smaps",
			  O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	smaps = fdopen(fd, "re");
	if (!smaps) {
		syscall(SYS_close, fd);
		return 0;
	}
	while (getline(&line, &cap, smaps) > 0) {
		if (smaps_header(line, &start, &vma_end)) {
			if (start >= end)
				break;
			overlaps = uaddr < vma_end;
			continue;
		}
		if (overlaps &&
		    sscanf(line, "KernelPageSize: %lu kB", &kib) == 1 &&
		    (uint64_t)kib * 1024 < smallest)
			smallest = (uint64_t)kib * 1024;
	}
	free(line);
	fclose(smaps);
	return smallest;
}

/*
 * Transparent huge pages do not show as a mapping's page size and count as
 * CPU pages, as if the kernel had found the memory scattered (it may).
 */
uint64_t usermem_backing_page_size(const struct usermem *mm, uint64_t uaddr,
				   uint64_t len)
{
	uint64_t page = (uint64_t)getpagesize(), end, size = 0;

	(void)mm;
	if (!len || __builtin_add_overflow(uaddr, len, &end))
		return page;
	size = page_size_by_query(uaddr, end);
	if (!size)
		size = usermem_page_size_from_smaps(uaddr, end);
	return size == UINT64_MAX || size < page ? page : size;
}

/* PROCMAP_QUERY's vma_flags bit for a shared mapping. */
#define PROCMAP_QUERY_VMA_SHARED 0x08
/* The name a SysV shared memory segment's mappings have ("/SYSV%08x"). */
#define SYSV_SHM_NAME "/SYSV"

/* The same from a /proc/self/maps line ("start-end perms offset
 * major:minor inode path"), for kernels without PROCMAP_QUERY. */
static int mapping_from_maps(uint64_t uaddr, struct usermem_mapping *m)
{
	unsigned long start, end, offset, ino;
	unsigned int major, minor;
	char perms[8], *line = NULL;
	size_t cap = 0;
	int rc = -EFAULT, name_at = 0;
	FILE *maps;
	int fd;

	fd = (int)syscall(SYS_openat, AT_FDCWD, "/proc/self/maps",
			  O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -EFAULT;
	maps = fdopen(fd, "re");
	if (!maps) {
		syscall(SYS_close, fd);
		return -EFAULT;
	}
	while (getline(&line, &cap, maps) > 0) {
		if (sscanf(line, "%lx-%lx %7s %lx %x:%x %lu %n", &start, &end,
			   perms, &offset, &major, &minor, &ino,
			   &name_at) < 7)
			continue;
		if (uaddr < start || uaddr >= end)
			continue;
		*m = (struct usermem_mapping){
			.start = start, .end = end, .offset = offset,
			.dev = ((uint64_t)major << 32) | minor, .ino = ino,
			.shared = perms[3] == 's',
			.sysv_shm = name_at && !strncmp(line + name_at,
							SYSV_SHM_NAME,
							strlen(SYSV_SHM_NAME)),
		};
		rc = 0;
		break;
	}
	free(line);
	fclose(maps);
	if (!rc)
		m->page_size = usermem_page_size_from_smaps(m->start, m->end);
	return rc;
}

int usermem_mapping_at(const struct usermem *mm, uint64_t uaddr,
		       struct usermem_mapping *m)
{
	char name[64];
	struct procmap_query_arg q = {
		.size = sizeof(q),
		.query_addr = uaddr,
		.vma_name_addr = (uint64_t)(uintptr_t)name,
		.vma_name_size = sizeof(name),
	};
	int fd;

	(void)mm;
	fd = maps_open();
	if (fd < 0)
		return mapping_from_maps(uaddr, m);
	/* not query_kernel(): these are not the remembered page sizes */
	if (syscall(SYS_ioctl, fd, PROCMAP_QUERY_IOCTL, &q)) {
		if (errno == ENOENT)
			return -EFAULT;
		/* a name longer than the buffer: not a SysV segment's */
		if (errno == ENAMETOOLONG) {
			q.vma_name_size = 0;
			if (!syscall(SYS_ioctl, fd, PROCMAP_QUERY_IOCTL, &q))
				goto found;
		}
		maps_query_failed(fd, errno);
		return mapping_from_maps(uaddr, m);
	}
found:
	*m = (struct usermem_mapping){
		.start = q.vma_start, .end = q.vma_end,
		.page_size = q.vma_page_size, .offset = q.vma_offset,
		.dev = ((uint64_t)q.dev_major << 32) | q.dev_minor,
		.ino = q.inode,
		.shared = q.vma_flags & PROCMAP_QUERY_VMA_SHARED,
		.sysv_shm = q.vma_name_size &&
			    !strncmp(name, SYSV_SHM_NAME,
				     strlen(SYSV_SHM_NAME)),
	};
	return 0;
}

int usermem_page_identity(const struct usermem *mm, uint64_t uaddr,
			  struct usermem_page_id *id)
{
	struct usermem_mapping m;
	int rc = usermem_mapping_at(mm, uaddr, &m);

	if (rc)
		return rc;
	if (!m.shared || !m.ino) {
		*id = (struct usermem_page_id){ .offset = uaddr };
		return 0;
	}
	*id = (struct usermem_page_id){
		.dev = m.dev, .ino = m.ino,
		.offset = m.offset + (uaddr - m.start),
	};
	return 0;
}
