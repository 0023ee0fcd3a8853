// SPDX-License-Identifier: MIT
/*
 * The trace's decode tables (src/iommufd/trace_decode.c) against the
 * structs they describe: each table's fields tile its struct (every byte
 * covered, but for the padding the C layout puts before an aligned member
 * or at the end; union members may share bytes), each member named in the
 * uAPI header has its entry and no entry names a member the header does
 * not have; every command of the iommufd, every test op and every VFIO
 * container call has its entry.
 */
#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include <iommusim/uapi/iommusim.h>
#include <iommusim/uapi/vfio_device.h>

#include <iommusim/uapi/iommufd.h>
#include <iommusim/uapi/iommufd_test.h>

#include "harness.h"
#include "iommufd/trace_decode.h"
#include "vfio/device_trace.h"

/* Why the table does not tile its struct, or NULL. */
static const char *tiling_error(const struct trace_struct *st)
{
	size_t cursor = 0, align = 1;

	if (!st->nfields)
		return "no fields";
	for (size_t i = 0; i < st->nfields; i++) {
		const struct trace_field *f = &st->fields[i];
		const struct trace_field *prev = i ? &st->fields[i - 1] : NULL;
		size_t natural = f->size > 8 ? 8 : f->size;

		if (!f->name)
			return "a field without a name";
		if (f->fmt != TRACE_UNION && f->size != 1 && f->size != 2 &&
		    f->size != 4 && f->size != 8)
			return "a field of an odd size";
		if ((f->fmt == TRACE_FLAGS || f->fmt == TRACE_ENUM) &&
		    !f->names)
			return "flags or enum without names";
		if (!f->dir)
			return "a field going nowhere";
		/* a union's other member */
		if (prev && f->offset == prev->offset && f->size == prev->size)
			continue;
		if (f->offset < cursor)
			return "fields overlap or are out of order";
		if (f->offset > cursor &&
		    (f->offset - cursor >= natural || f->offset % natural))
			return "a gap that is not padding";
		/* a union of structs may hold a __u64: align it so */
		if (natural > align)
			align = natural;
		cursor = f->offset + f->size;
	}
	if (cursor > st->size)
		return "past the struct's end";
	if (st->size - cursor >= align)
		return "the struct's end is not covered";
	return NULL;
}

/* Every table of the library's, the iommufd's then the VFIO device's. */
static const struct trace_struct *nth_struct(size_t i)
{
	if (i < trace_decode_nstructs)
		return trace_decode_structs[i];
	i -= trace_decode_nstructs;
	return i < vfio_trace_nstructs ? vfio_trace_structs[i] : NULL;
}

TEST(every_table_tiles_its_struct)
{
	const struct trace_struct *st;

	ASSERT_TRUE(trace_decode_nstructs + vfio_trace_nstructs > 60);
	for (size_t i = 0; (st = nth_struct(i)); i++) {
		const char *err = tiling_error(st);

		if (err)
			printf("# %s: %s\n", st->name, err);
		EXPECT_TRUE(err == NULL);
	}
}

/* ---- the headers' members ------------------------------------------------ */

struct members {
	char name[64][40];
	size_t n;
};

/* Appends the member a declaration line names (arrays element by
 * element, as the tables name them). */
static void add_member(struct members *m, char *line)
{
	char *semi = strchr(line, ';'), *end, *start, *bracket;
	long count = 1;

	if (!semi)
		return;
	*semi = '\0';
	end = semi;
	while (end > line && isspace((unsigned char)end[-1]))
		*--end = '\0';
	bracket = strchr(line, '[');
	if (bracket) {
		count = strtol(bracket + 1, NULL, 0);
		*bracket = '\0';
		end = bracket;
	}
	start = end;
	while (start > line && (isalnum((unsigned char)start[-1]) ||
				start[-1] == '_'))
		start--;
	for (long i = 0; i < count && m->n < 64; i++) {
		if (bracket)
			snprintf(m->name[m->n++], 40, "%.30s[%d]", start, (int)(i % 100));
		else
			snprintf(m->name[m->n++], 40, "%.39s", start);
	}
}

/*
 * The members of struct name in header, in order, flattening anonymous
 * unions; 0, or -1 when the header does not declare it (or nests named
 * structs, which a flat table cannot name).
 */
static int header_members(const char *header, const char *name,
			  struct members *m)
{
	char line[512], opening[128];
	bool in = false;
	FILE *f = fopen(header, "r");

	m->n = 0;
	if (!f)
		return -1;
	snprintf(opening, sizeof(opening), "struct %s {", name);
	while (fgets(line, sizeof(line), f)) {
		char *c = strstr(line, "/*");

		if (c)
			*c = '\0';
		if (!in) {
			in = !strncmp(line, opening, strlen(opening));
			continue;
		}
		if (!strncmp(line, "};", 2))
			break;
		if (strchr(line, '{') && !strstr(line, "union")) {
			fclose(f);
			return -1;
		}
		if (strchr(line, '}') || line[0] == '#')
			continue;
		add_member(m, line);
	}
	fclose(f);
	return in ? 0 : -1;
}

/* The headers the tables' structs come from, found from the source tree
 * (make check runs in it) or the system. */
static const char *const headers[] = {
	"include/iommusim/uapi/iommufd.h",
	"include/iommusim/uapi/iommufd_test.h",
	"include/iommusim/uapi/vfio_device.h",
	"include/iommusim/uapi/iommusim.h",
	"/usr/include/linux/vfio.h",
};

TEST(every_member_of_the_headers_has_its_entry)
{
	const struct trace_struct *st;
	size_t checked = 0;

	if (access(headers[0], R_OK))
		SKIP(return, "not run from the source tree");
	for (size_t i = 0; (st = nth_struct(i)); i++) {
		struct members m;
		size_t h;

		if (strchr(st->name, '.')) /* a member of iommu_test_cmd */
			continue;
		for (h = 0; h < sizeof(headers) / sizeof(headers[0]); h++)
			if (!header_members(headers[h], st->name, &m))
				break;
		if (h == sizeof(headers) / sizeof(headers[0])) {
			/* iommu_test_cmd nests structs: the tiling covers it */
			EXPECT_TRUE(!strcmp("iommu_test_cmd", st->name));
			continue;
		}
		checked++;
		for (size_t k = 0; k < m.n; k++) {
			bool found = false;

			for (size_t j = 0; j < st->nfields; j++)
				found |= !strcmp(st->fields[j].name, m.name[k]);
			if (!found)
				printf("# %s.%s has no entry\n", st->name,
				       m.name[k]);
			EXPECT_TRUE(found);
		}
		for (size_t j = 0; j < st->nfields; j++) {
			bool found = st->fields[j].fmt == TRACE_UNION;

			for (size_t k = 0; k < m.n; k++)
				found |= !strcmp(st->fields[j].name, m.name[k]);
			if (!found)
				printf("# %s: no member %s\n", st->name,
				       st->fields[j].name);
			EXPECT_TRUE(found);
		}
	}
	EXPECT_TRUE(checked > 40);
}

/* ---- every call has its entry -------------------------------------------- */

static const struct trace_ioctl *entry_of(unsigned int cmd)
{
	for (size_t i = 0; i < iommufd_trace_file.nioctls; i++)
		if (iommufd_trace_file.ioctls[i].cmd == cmd)
			return &iommufd_trace_file.ioctls[i];
	return NULL;
}

TEST(every_iommufd_command_has_its_entry)
{
	for (unsigned int nr = IOMMUFD_CMD_BASE;
	     nr <= IOMMUFD_CMD_IOAS_NOIOMMU_GET_PA; nr++) {
		const struct trace_ioctl *ti = entry_of(_IO(IOMMUFD_TYPE, nr));

		if (!ti)
			printf("# command 0x%x has no entry\n", nr);
		ASSERT_TRUE(ti != NULL);
		EXPECT_EQ(TRACE_ARG_STRUCT, ti->arg);
		EXPECT_TRUE(!strncmp(ti->name, "IOMMU_", 6));
	}
	ASSERT_TRUE(entry_of(IOMMU_TEST_CMD) != NULL);
}

TEST(every_vfio_container_call_has_its_entry)
{
	const unsigned int cmds[] = {
		VFIO_GET_API_VERSION, VFIO_CHECK_EXTENSION, VFIO_SET_IOMMU,
		VFIO_IOMMU_GET_INFO, VFIO_IOMMU_MAP_DMA, VFIO_IOMMU_UNMAP_DMA,
	};

	for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
		EXPECT_TRUE(entry_of(cmds[i]) != NULL);
}

TEST(every_vfio_device_call_has_its_entry)
{
	const unsigned int cmds[] = {
		VFIO_DEVICE_BIND_IOMMUFD, VFIO_DEVICE_ATTACH_IOMMUFD_PT,
		VFIO_DEVICE_DETACH_IOMMUFD_PT, VFIO_DEVICE_GET_INFO,
		IOMMUSIM_DMA,
	};

	for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++) {
		size_t found = 0;

		for (size_t k = 0; k < vfio_device_trace_file.nioctls; k++)
			found += vfio_device_trace_file.ioctls[k].cmd == cmds[i];
		EXPECT_EQ(1, found);
	}
}

TEST(every_test_op_has_its_member)
{
	const struct trace_ioctl *ti = entry_of(IOMMU_TEST_CMD);

	ASSERT_TRUE(ti != NULL);
	for (unsigned int op = IOMMU_TEST_OP_ADD_RESERVED;
	     op <= IOMMU_TEST_OP_DMABUF_REVOKE; op++) {
		size_t found = 0;

		for (size_t i = 0; i < ti->nvariants; i++) {
			if (ti->variants[i].value != op)
				continue;
			found++;
			/* within the union, which ends at 'last' */
			EXPECT_TRUE(ti->variants[i].offset +
					    ti->variants[i].st->size <=
				    offsetof(struct iommu_test_cmd, last));
		}
		if (found != 1)
			printf("# test op %u: %zu members\n", op, found);
		EXPECT_EQ(1, found);
	}
}

TEST_HARNESS_MAIN
