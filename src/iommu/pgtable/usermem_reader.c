// SPDX-License-Identifier: MIT
/*
 * The reader for tables a user owns: every entry is copied in through the
 * user-memory interface, which catches the fault of a bad address, so a
 * guest's table pointing anywhere at all costs the walk an -EFAULT and
 * nothing more. An aligned entry is one 8-byte load there, as a hardware
 * walker's read is. A/D updates are a checked compare-and-exchange of the
 * entry, so a table the user mapped read-only faults (-EFAULT).
 */
#include "iommu/pgtable/pgtable.h"
#include "base/usermem.h"

static int usermem_load(struct pt_reader *rd, uint64_t table,
			unsigned int index, uint64_t *entry)
{
	struct pt_usermem_reader *r = (struct pt_usermem_reader *)rd;
	uint64_t at;

	if (__builtin_add_overflow(table, (uint64_t)index * sizeof(*entry),
				   &at))
		return -EFAULT;
	return usermem_copy_from(r->mm, entry, at, sizeof(*entry));
}

static int usermem_exchange(struct pt_reader *rd, uint64_t table,
			    unsigned int index, uint64_t old, uint64_t want)
{
	struct pt_usermem_reader *r = (struct pt_usermem_reader *)rd;
	uint64_t at;

	if (__builtin_add_overflow(table, (uint64_t)index * sizeof(old), &at))
		return -EFAULT;
	/* A misaligned table is memory the walk cannot use, as for load. */
	if (at % sizeof(old))
		return -EFAULT;
	return usermem_cmpxchg64(r->mm, at, &old, want);
}

void pt_usermem_reader_init(struct pt_usermem_reader *r,
			    const struct usermem *mm)
{
	r->rd = (struct pt_reader){ .load = usermem_load,
				    .exchange = usermem_exchange };
	r->mm = mm;
}
