// SPDX-License-Identifier: MIT
/*
 * Finding the program as execvp() would, and reading its program headers
 * to tell whether the dynamic loader will run it.
 */
#include <elf.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "program.h"

#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
#define NATIVE_ELFDATA ELFDATA2LSB
#else
#define NATIVE_ELFDATA ELFDATA2MSB
#endif

static bool is_executable_file(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 && S_ISREG(st.st_mode) &&
	       access(path, X_OK) == 0;
}

int program_resolve(const char *name, char *buf, size_t size)
{
	char default_path[256];
	const char *path, *dir;

	if (strchr(name, '/')) {
		if ((size_t)snprintf(buf, size, "%s", name) >= size)
			return -1;
		return 0;
	}
	path = getenv("PATH");
	if (!path) {
		if (!confstr(_CS_PATH, default_path, sizeof(default_path)))
			return -1;
		path = default_path;
	}
	/* An empty entry is the current directory, as execvp() takes it. */
	for (dir = path;; dir++) {
		const char *end = strchrnul(dir, ':');
		int len = (int)(end - dir);
		int n = len ? snprintf(buf, size, "%.*s/%s", len, dir, name) :
			      snprintf(buf, size, "%s", name);

		if (n >= 0 && (size_t)n < size && is_executable_file(buf))
			return 0;
		if (!*end)
			return -1;
		dir = end;
	}
}

/* The fields of the ELF header and of one program header that matter
 * here, in either class. */
struct elf_layout {
	uint64_t phoff;
	unsigned int phnum;
	unsigned int phentsize;
};

struct elf_segment {
	uint32_t type;
	uint64_t offset;
	uint64_t filesz;
};

static bool read_exactly(int fd, void *buf, size_t len, uint64_t offset)
{
	return pread(fd, buf, len, (off_t)offset) == (ssize_t)len;
}

static bool read_elf_header(int fd, unsigned char elf_class,
			    struct elf_layout *layout)
{
	uint16_t type;

	if (elf_class == ELFCLASS64) {
		Elf64_Ehdr eh;

		if (!read_exactly(fd, &eh, sizeof(eh), 0))
			return false;
		type = eh.e_type;
		*layout = (struct elf_layout){ eh.e_phoff, eh.e_phnum,
					       eh.e_phentsize };
		if (layout->phentsize != sizeof(Elf64_Phdr))
			return false;
	} else {
		Elf32_Ehdr eh;

		if (!read_exactly(fd, &eh, sizeof(eh), 0))
			return false;
		type = eh.e_type;
		*layout = (struct elf_layout){ eh.e_phoff, eh.e_phnum,
					       eh.e_phentsize };
		if (layout->phentsize != sizeof(Elf32_Phdr))
			return false;
	}
	/* PN_XNUM hides the real count elsewhere; such a file is left to
	 * exec, as is anything that is not a program. */
	return (type == ET_EXEC || type == ET_DYN) && layout->phnum != PN_XNUM;
}

static bool read_segment(int fd, unsigned char elf_class,
			 const struct elf_layout *layout, unsigned int i,
			 struct elf_segment *seg)
{
	uint64_t at = layout->phoff + (uint64_t)i * layout->phentsize;

	if (elf_class == ELFCLASS64) {
		Elf64_Phdr ph;

		if (!read_exactly(fd, &ph, sizeof(ph), at))
			return false;
		*seg = (struct elf_segment){ ph.p_type, ph.p_offset,
					     ph.p_filesz };
	} else {
		Elf32_Phdr ph;

		if (!read_exactly(fd, &ph, sizeof(ph), at))
			return false;
		*seg = (struct elf_segment){ ph.p_type, ph.p_offset,
					     ph.p_filesz };
	}
	return true;
}

/*
 * The PT_INTERP of the ELF program at path, written to interp: 1 when it
 * has one, 0 when it has none, -1 when it cannot be told (unreadable, not
 * a native ELF program).
 */
static int read_interp(const char *path, char *interp, size_t size)
{
	unsigned char ident[EI_NIDENT];
	struct elf_layout layout;
	int fd, ret = -1;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	if (!read_exactly(fd, ident, sizeof(ident), 0) ||
	    memcmp(ident, ELFMAG, SELFMAG) ||
	    ident[EI_DATA] != NATIVE_ELFDATA ||
	    (ident[EI_CLASS] != ELFCLASS64 && ident[EI_CLASS] != ELFCLASS32) ||
	    !read_elf_header(fd, ident[EI_CLASS], &layout))
		goto out_close;

	ret = 0;
	for (unsigned int i = 0; i < layout.phnum; i++) {
		struct elf_segment seg;
		size_t len;

		if (!read_segment(fd, ident[EI_CLASS], &layout, i, &seg)) {
			ret = -1;
			break;
		}
		if (seg.type != PT_INTERP)
			continue;
		len = seg.filesz < size - 1 ? (size_t)seg.filesz : size - 1;
		if (!read_exactly(fd, interp, len, seg.offset)) {
			ret = -1;
			break;
		}
		interp[len] = '\0';
		ret = 1;
		break;
	}
out_close:
	close(fd);
	return ret;
}

/* Whether path is the dynamic loader this command itself was started by. */
static bool is_our_loader(const char *path)
{
	char loader[PATH_MAX];
	struct stat a, b;

	if (read_interp("/proc/self/exe", loader, sizeof(loader)) != 1)
		return false;
	return stat(loader, &a) == 0 && stat(path, &b) == 0 &&
	       a.st_dev == b.st_dev && a.st_ino == b.st_ino;
}

bool program_is_static(const char *path)
{
	char interp[PATH_MAX];

	return read_interp(path, interp, sizeof(interp)) == 0 &&
	       !is_our_loader(path);
}
