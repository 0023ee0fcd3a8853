# SPDX-License-Identifier: MIT
# iommusim: one non-recursive makefile, everything built out of tree.
#
#   make                 library, shim, command, examples, tests
#   make check           build and run every test (in parallel under -j)
#   make check T=NAME    one test program, every way it runs: T=hwpt_nested
#                        (direct and under `iommusim run`), T=unit/pgtable,
#                        T=install.sh; tests/run-tests.sh says more
#   make check-build     build what `make check` runs, without running it
#   make check SAN=1     the unit and direct runs under ASan+UBSan (leak
#                        checking on), built in build/san
#   make check TSAN=1    the same under ThreadSanitizer, in build/tsan
#   make fuzz            build the libFuzzer target with clang under
#                        ASan+UBSan (build/fuzz) and run it FUZZ_TIME
#                        seconds (30) from fuzz/corpus; a crash fails it
#   make demo            build the library, shim, command and examples, and
#                        run the examples under `iommusim run`, with a VT-d
#                        device and the stale-IOTLB detector on
#   make bench           print the benchmark figures (built without lockdep)
#   make install PREFIX=/usr/local DESTDIR=
#
# The build is quiet, one line per step ("CC src/base/usermem.o"); V=1
# prints the whole command lines.

VERSION := 0.1.0
SOVERSION := 0

PREFIX ?= /usr/local
BINDIR ?= $(PREFIX)/bin
LIBDIR ?= $(PREFIX)/lib
INCLUDEDIR ?= $(PREFIX)/include
MANDIR ?= $(PREFIX)/share/man
PKGCONFIGDIR ?= $(LIBDIR)/pkgconfig

CC ?= gcc
BUILD := build
SANFLAGS :=
ifeq ($(SAN),1)
BUILD := build/san
SANFLAGS := -fsanitize=address,undefined -fno-sanitize-recover=all \
	-fno-omit-frame-pointer
endif
ifeq ($(TSAN),1)
BUILD := build/tsan
SANFLAGS := -fsanitize=thread -fno-omit-frame-pointer
endif
# The fuzzer's build: clang, whose libFuzzer drives it (fuzz/).
ifeq ($(FUZZ),1)
BUILD := build/fuzz
CC := clang
SANFLAGS := -fsanitize=address,undefined,fuzzer-no-link \
	-fno-sanitize-recover=all -fno-omit-frame-pointer
endif

# The lock-order checker (src/base/lockdep.h) is on in every build the tests
# use. It adds about 330 instructions to a 4 KiB MAP+UNMAP pair, so
# `make bench` measures a build without it, in a directory of its own.
LOCKDEP ?= 1
LOCKDEPFLAGS :=
ifeq ($(LOCKDEP),1)
LOCKDEPFLAGS := -DIOMMUSIM_LOCKDEP
else
BUILD := $(BUILD)/nolockdep
endif

WARNFLAGS := -Wall -Wextra -Werror -Wno-missing-field-initializers
BASEFLAGS := -std=gnu11 $(WARNFLAGS) -O2 -g -pthread $(SANFLAGS) \
	$(LOCKDEPFLAGS) -D_GNU_SOURCE -DIOMMUSIM_VERSION=\"$(VERSION)\"
CPPFLAGS_ALL := -Iinclude -MMD -MP
LIB_CFLAGS := $(BASEFLAGS) -fPIC -fvisibility=hidden -Isrc $(CPPFLAGS_ALL)
LDLIBS_ALL := -pthread $(SANFLAGS)

.PHONY: all check demo bench fuzz install clean FORCE
all:

ifeq ($(V),1)
say =
Q :=
else
say = @printf '  %-5s %s\n' '$(1)' '$(2)';
Q := @
endif

# ---- the core library ------------------------------------------------------
LIB_SRCS := $(sort $(wildcard src/base/*.c src/iommu/*.c src/iommu/*/*.c \
	src/iommufd/*.c src/vfio/*.c))
LIB_OBJS := $(LIB_SRCS:%.c=$(BUILD)/obj/%.o)
LIB_A := $(BUILD)/libiommusim.a
LIB_SO := $(BUILD)/libiommusim.so.$(SOVERSION)

$(BUILD)/obj/src/%.o: src/%.c
	@mkdir -p $(dir $@)
	$(call say,CC,$(@:$(BUILD)/obj/%=%))$(CC) $(LIB_CFLAGS) -c $< -o $@

$(LIB_A): $(LIB_OBJS)
	@rm -f $@
	$(call say,AR,$@)ar rcs $@ $^

$(LIB_SO): $(LIB_OBJS) libiommusim.map
	$(call say,LD,$@)$(CC) -shared \
		-Wl,-soname,libiommusim.so.$(SOVERSION) \
		-Wl,--version-script=libiommusim.map -Wl,-z,defs \
		-o $@ $(LIB_OBJS) $(LDLIBS_ALL)
	$(Q)ln -sf libiommusim.so.$(SOVERSION) $(BUILD)/libiommusim.so

all: $(LIB_A) $(LIB_SO)

# ---- the preload shim ------------------------------------------------------
PRELOAD_SRCS := $(sort $(wildcard preload/*.c))
PRELOAD_OBJS := $(PRELOAD_SRCS:%.c=$(BUILD)/obj/%.o)
PRELOAD_SO := $(BUILD)/libiommusim-preload.so

$(BUILD)/obj/preload/%.o: preload/%.c
	@mkdir -p $(dir $@)
	$(call say,CC,$(@:$(BUILD)/obj/%=%))$(CC) $(LIB_CFLAGS) -Ipreload \
		-c $< -o $@

$(PRELOAD_SO): $(PRELOAD_OBJS) $(LIB_A) preload/preload.map
	$(call say,LD,$@)$(CC) -shared \
		-Wl,--version-script=preload/preload.map -Wl,-z,defs \
		-o $@ $(PRELOAD_OBJS) $(LIB_A) -ldl $(LDLIBS_ALL)

ifneq ($(PRELOAD_SRCS),)
all: $(PRELOAD_SO)
endif

# ---- the iommusim command ----------------------------------------------------
TOOL := $(BUILD)/iommusim
TOOL_SRCS := $(sort $(wildcard tools/*.c))

$(TOOL): $(TOOL_SRCS) $(wildcard tools/*.h) $(LIB_A)
	@mkdir -p $(dir $@)
	$(call say,CC,$@)$(CC) $(BASEFLAGS) $(CPPFLAGS_ALL) \
		-Isrc -DIOMMUSIM_LIBDIR=\"$(LIBDIR)\" \
		-o $@ $(TOOL_SRCS) $(LIB_A) $(LDLIBS_ALL)

ifneq ($(TOOL_SRCS),)
all: $(TOOL)
endif

# ---- examples ------------------------------------------------------------------
# Examples are ordinary iommufd programs: they know nothing of iommusim and
# run under `iommusim run`.
EXAMPLE_SRCS := $(sort $(wildcard examples/*.c))
EXAMPLES := $(EXAMPLE_SRCS:examples/%.c=$(BUILD)/examples/%)

$(BUILD)/examples/%: examples/%.c
	@mkdir -p $(dir $@)
	$(call say,CC,$@)$(CC) $(BASEFLAGS) $(CPPFLAGS_ALL) -o $@ $< \
		$(LDLIBS_ALL)

all: $(EXAMPLES)

# ---- tests -------------------------------------------------------------------------
# unit/: pieces below the ioctl layer, linked with the library's internals.
# uapi/ and shim/: ordinary programs that open /dev/iommu and call ioctl().
# Each is built twice: plain (run under `iommusim run`) and "-direct", linked
# with the shim's objects and the library, which is how the sanitizers see it.
UNIT_SRCS := $(sort $(wildcard tests/unit/*.c))
UNIT_TESTS := $(UNIT_SRCS:tests/unit/%.c=$(BUILD)/tests/unit/%)
PROG_SRCS := $(sort $(wildcard tests/uapi/*.c tests/shim/*.c))
PROG_TESTS := $(PROG_SRCS:tests/%.c=$(BUILD)/tests/%)
PROG_DIRECT := $(PROG_TESTS:%=%-direct)
TEST_CFLAGS := $(BASEFLAGS) $(CPPFLAGS_ALL) -Itests

$(BUILD)/tests/unit/%: tests/unit/%.c $(LIB_A)
	@mkdir -p $(dir $@)
	$(call say,CC,$@)$(CC) $(TEST_CFLAGS) -Isrc -o $@ $< $(LIB_A) \
		$(LDLIBS_ALL)

# A program is compiled once and linked both ways (its object is kept, not
# an intermediate make would delete); only a test that has parts for one
# way alone (IOMMUSIM_TEST_DIRECT) is compiled for each.
TEST_DIRECT_ONLY_PARTS := tests/uapi/dma.c
PROG_OBJS := $(PROG_SRCS:tests/%.c=$(BUILD)/obj/tests/%.o)
.SECONDARY: $(PROG_OBJS)

$(BUILD)/obj/tests/%.o: tests/%.c
	@mkdir -p $(dir $@)
	$(call say,CC,$(@:$(BUILD)/obj/%=%))$(CC) $(TEST_CFLAGS) -c $< -o $@

$(BUILD)/tests/uapi/%: $(BUILD)/obj/tests/uapi/%.o
	@mkdir -p $(dir $@)
	$(call say,LD,$@)$(CC) -o $@ $< $(LDLIBS_ALL)

$(BUILD)/tests/shim/%: $(BUILD)/obj/tests/shim/%.o
	@mkdir -p $(dir $@)
	$(call say,LD,$@)$(CC) -o $@ $< $(LDLIBS_ALL)

$(BUILD)/tests/%-direct: $(BUILD)/obj/tests/%.o $(PRELOAD_OBJS) $(LIB_A)
	@mkdir -p $(dir $@)
	$(call say,LD,$@)$(CC) -o $@ $< $(PRELOAD_OBJS) $(LIB_A) -ldl \
		$(LDLIBS_ALL)

$(TEST_DIRECT_ONLY_PARTS:tests/%.c=$(BUILD)/tests/%-direct): \
$(BUILD)/tests/%-direct: tests/%.c $(PRELOAD_OBJS) $(LIB_A)
	@mkdir -p $(dir $@)
	$(call say,CC,$@)$(CC) $(TEST_CFLAGS) -DIOMMUSIM_TEST_DIRECT -o $@ $< \
		$(PRELOAD_OBJS) $(LIB_A) -ldl $(LDLIBS_ALL)

all: $(UNIT_TESTS) $(PROG_TESTS) $(PROG_DIRECT)

# ---- the fuzzer -------------------------------------------------------------
# fuzz/: one input is a sequence of calls on the library's files, made
# through the shim's logic linked in directly (no wrappers, no preload).
# The regression runner replays fuzz/regress/ and fuzz/corpus/ through the
# same entry point in every build, so `make check` (and SAN=1, TSAN=1)
# runs them; `make fuzz` builds the libFuzzer target and runs it.
FUZZ_COMMON_SRCS := fuzz/actions.c fuzz/commands.c fuzz/preset.c \
	fuzz/session.c
FUZZ_SHIM_OBJS := $(BUILD)/obj/preload/shim.o $(BUILD)/obj/preload/real.o
FUZZ_CFLAGS := $(TEST_CFLAGS) -Isrc -Ipreload
FUZZ_DEPS := $(FUZZ_COMMON_SRCS) $(wildcard fuzz/*.h) $(FUZZ_SHIM_OBJS) \
	$(LIB_A)
REGRESS := $(BUILD)/fuzz/regress
FUZZER := $(BUILD)/fuzz/fuzz_iommusim
FUZZ_TIME ?= 30

$(REGRESS): fuzz/regress.c $(FUZZ_DEPS)
	@mkdir -p $(dir $@)
	$(call say,CC,$@)$(CC) $(FUZZ_CFLAGS) -o $@ fuzz/regress.c \
		$(FUZZ_COMMON_SRCS) $(FUZZ_SHIM_OBJS) $(LIB_A) -ldl \
		$(LDLIBS_ALL)

$(FUZZER): fuzz/fuzz_target.c $(FUZZ_DEPS)
	@mkdir -p $(dir $@)
	$(call say,CC,$@)$(CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer -o $@ \
		fuzz/fuzz_target.c $(FUZZ_COMMON_SRCS) $(FUZZ_SHIM_OBJS) \
		$(LIB_A) -ldl $(LDLIBS_ALL)

ifneq ($(FUZZ),1)
all: $(REGRESS)
fuzz:
	@$(MAKE) --no-print-directory FUZZ=1 fuzz
else
# New inputs go to a corpus of the build's own, seeded from the tree's;
# a crash leaves its input in $(BUILD)/crashes/ and fails the target.
fuzz: $(FUZZER)
	@mkdir -p $(BUILD)/corpus $(BUILD)/crashes
	$(FUZZER) -max_total_time=$(FUZZ_TIME) -timeout=10 -rss_limit_mb=4096 \
		-print_final_stats=1 -artifact_prefix=$(BUILD)/crashes/ \
		$(FUZZ_ARGS) $(BUILD)/corpus fuzz/corpus
endif

# ---- running the tests -------------------------------------------------------
# Every run of a test program is a target of its own,
# $(BUILD)/results/ID.result (the IDs tests/run-tests.sh lists: it knows
# which runs a SAN or TSAN build has), made again at every `make check`,
# which then reports them all in order. So `make -j check` runs them in
# parallel, and T=NAME narrows them to the runs of one test. A run builds
# only what it runs; the scripts use the whole build (install.sh installs
# it).
RUN_TESTS = BUILD=$(BUILD) SAN=$(SAN) TSAN=$(TSAN) sh tests/run-tests.sh
RESULTS := $(BUILD)/results
CHECK_RUNS := $(shell $(RUN_TESTS) list $(T))
CHECK_RESULTS := $(CHECK_RUNS:%=$(RESULTS)/%.result)

$(RESULTS)/unit/%.result: $(BUILD)/tests/unit/% FORCE
	$(call say,TEST,unit/$*)$(RUN_TESTS) run unit/$*

$(RESULTS)/fuzz/%.result: $(BUILD)/fuzz/% FORCE
	$(call say,TEST,fuzz/$*)$(RUN_TESTS) run fuzz/$*

$(RESULTS)/%-direct.result: $(BUILD)/tests/%-direct FORCE
	$(call say,TEST,$*-direct)$(RUN_TESTS) run $*-direct

$(RESULTS)/%.sh.result: tests/%.sh all FORCE
	$(call say,TEST,$*.sh)$(RUN_TESTS) run $*.sh

$(RESULTS)/%.result: $(BUILD)/tests/% $(TOOL) $(PRELOAD_SO) FORCE
	$(call say,TEST,$* (shim))$(RUN_TESTS) run $*

check: $(CHECK_RESULTS)
	@T=$(T) $(RUN_TESTS) report $(CHECK_RUNS)

# What `make check` runs, built without running it (CI builds it under -j2,
# then runs the tests one at a time). The sanitizer builds run only the unit
# and direct programs, so only those are built there.
ifneq ($(filter 1,$(SAN) $(TSAN)),)
check-build: $(UNIT_TESTS) $(PROG_DIRECT) $(REGRESS)
else
check-build: all
endif
.PHONY: check-build

FORCE:

# ---- the demo ------------------------------------------------------------------
DEMO_RUN := run --device vtd --check-iotlb

demo: $(TOOL) $(PRELOAD_SO) $(EXAMPLES)
	@for e in $(EXAMPLES); do \
		echo "== $$e (under iommusim $(DEMO_RUN))"; \
		$(TOOL) $(DEMO_RUN) -- $$e || exit 1; \
	done

# ---- benchmarks ------------------------------------------------------------------
BENCH_SRCS := $(sort $(wildcard bench/*.c))
BENCHES := $(BENCH_SRCS:bench/%.c=$(BUILD)/bench/%)

# Benchmarks are ordinary iommufd programs too: they measure the public
# path, through the shim.
$(BUILD)/bench/%: bench/%.c
	@mkdir -p $(dir $@)
	$(call say,CC,$@)$(CC) $(BASEFLAGS) $(CPPFLAGS_ALL) -o $@ $< \
		$(LDLIBS_ALL)

ifeq ($(LOCKDEP),1)
bench:
	@$(MAKE) --no-print-directory LOCKDEP=0 bench
else
bench: $(PRELOAD_SO) $(TOOL) $(BENCHES)
	@for b in $(BENCHES); do $(TOOL) run -- $$b || exit 1; done
endif

# ---- install -----------------------------------------------------------------------
# The pkg-config file is written at install time, for the PREFIX given then.

install: all
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(LIBDIR) \
		$(DESTDIR)$(INCLUDEDIR)/iommusim/uapi $(DESTDIR)$(PKGCONFIGDIR) \
		$(DESTDIR)$(MANDIR)/man1 $(DESTDIR)$(MANDIR)/man3
	install -m 755 $(TOOL) $(DESTDIR)$(BINDIR)/iommusim
	install -m 644 $(LIB_A) $(DESTDIR)$(LIBDIR)/
	install -m 755 $(LIB_SO) $(PRELOAD_SO) $(DESTDIR)$(LIBDIR)/
	ln -sf libiommusim.so.$(SOVERSION) $(DESTDIR)$(LIBDIR)/libiommusim.so
	install -m 644 include/iommusim/*.h $(DESTDIR)$(INCLUDEDIR)/iommusim/
	install -m 644 include/iommusim/uapi/*.h \
		$(DESTDIR)$(INCLUDEDIR)/iommusim/uapi/
	sed -e 's|@PREFIX@|$(PREFIX)|g' -e 's|@LIBDIR@|$(LIBDIR)|g' \
		-e 's|@INCLUDEDIR@|$(INCLUDEDIR)|g' -e 's|@VERSION@|$(VERSION)|g' \
		iommusim.pc.in > $(DESTDIR)$(PKGCONFIGDIR)/iommusim.pc
	install -m 644 man/*.1 $(DESTDIR)$(MANDIR)/man1/
	install -m 644 man/*.3 $(DESTDIR)$(MANDIR)/man3/

clean:
	rm -rf build

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)
