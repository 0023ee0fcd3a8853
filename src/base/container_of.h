/* SPDX-License-Identifier: MIT */
/*
 * container_of(): from a pointer to an embedded member back to the struct
 * around it. Every "this header is really that struct" conversion goes
 * through it (an object's header, a domain, a tree node), so a member that
 * moves stays correct, and a pointer of the wrong type fails the build
 * instead of being cast into shape.
 */
#ifndef IOMMUSIM_CONTAINER_OF_H
#define IOMMUSIM_CONTAINER_OF_H

#include <stddef.h>

#define container_of(ptr, type, member)                                        \
	({                                                                     \
		const typeof(((type *)0)->member) *__member_ptr = (ptr);       \
		(type *)((const char *)__member_ptr - offsetof(type, member));  \
	})

#endif /* IOMMUSIM_CONTAINER_OF_H */
