/* SPDX-License-Identifier: MIT */
/*
 * Driver-specific user data (HWPT_ALLOC's data_type/len/uptr, invalidation
 * entries): the kernel's struct iommu_user_data and
 * iommu_copy_struct_from_user(). Unlike the ioctl structs, a driver struct
 * does not grow by size: a length below the struct's first release or
 * above what the driver knows is EINVAL, even with a zero tail.
 */
#ifndef IOMMUSIM_USER_DATA_H
#define IOMMUSIM_USER_DATA_H

#include <errno.h>
#include <stddef.h>
#include <stdint.h>

#include "base/usermem.h"

struct iommu_user_data {
	const struct usermem *mm;
	uint32_t type;
	uint64_t uptr;
	size_t len;
};

static inline int iommu_copy_struct_from_user(void *dst,
					      const struct iommu_user_data *src,
					      uint32_t type, size_t len,
					      size_t min_len)
{
	if (src->type != type)
		return -EINVAL;
	if (src->len < min_len || len < src->len)
		return -EINVAL;
	return usermem_copy_struct_from(src->mm, dst, len, src->uptr,
					src->len);
}

/* Writes src back to the user's struct, with the rules above: as many
 * bytes as the user's length, which must lie in [min_len, len]. */
static inline int iommu_copy_struct_to_user(const struct iommu_user_data *dst,
					    const void *src, uint32_t type,
					    size_t len, size_t min_len)
{
	if (dst->type != type)
		return -EINVAL;
	if (dst->len < min_len || len < dst->len)
		return -EINVAL;
	return usermem_copy_to(dst->mm, dst->uptr, src, dst->len);
}

/* An array of driver entries (IOMMU_HWPT_INVALIDATE): entry_num in is how
 * many there are, out how many the driver handled. */
struct iommu_user_data_array {
	const struct usermem *mm;
	uint32_t type;
	uint64_t uptr;
	uint32_t entry_len;
	uint32_t entry_num;
};

/* Entry 'index' of the array, with the single-struct rules above. */
static inline int
iommu_copy_struct_from_user_array(void *dst,
				  const struct iommu_user_data_array *array,
				  uint32_t type, uint32_t index, size_t len,
				  size_t min_len)
{
	struct iommu_user_data entry = {
		.mm = array->mm,
		.type = array->type,
		.uptr = array->uptr + (uint64_t)array->entry_len * index,
		.len = array->entry_len,
	};

	if (index >= array->entry_num)
		return -EINVAL;
	return iommu_copy_struct_from_user(dst, &entry, type, len, min_len);
}

/*
 * Every entry of the array at once into dst (entry_num entries of len
 * bytes): a user entry_len other than len is taken entry by entry, a
 * shorter one zero-extended, a longer one only with a zero tail (E2BIG),
 * as the kernel's iommu_copy_struct_from_full_user_array().
 */
static inline int
iommu_copy_struct_from_full_user_array(void *dst, size_t len,
				       const struct iommu_user_data_array *array,
				       uint32_t type)
{
	if (array->type != type)
		return -EINVAL;
	if (array->entry_len == len)
		return usermem_copy_from(array->mm, dst, array->uptr,
					 (uint64_t)len * array->entry_num);
	for (uint32_t i = 0; i < array->entry_num; i++) {
		int rc = usermem_copy_struct_from(
			array->mm, (char *)dst + (size_t)i * len, len,
			array->uptr + (uint64_t)array->entry_len * i,
			array->entry_len);

		if (rc)
			return rc;
	}
	return 0;
}

#endif /* IOMMUSIM_USER_DATA_H */
