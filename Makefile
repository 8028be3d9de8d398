# The OCSP Stapling Lab: one Makefile builds the common library, every program,
# the tests, the sanitizer and fuzz builds, and the demo.
#   make            build everything into bin/ (objects in build/)
#   make check      build and run every test (unit + integration)
#   make asan       the same tests with AddressSanitizer + UBSan
#   make fuzz       bounded libFuzzer runs of every parser (clang)
#   make demo       the classroom demo
#   make docs       docs/report.png: a real run's HTML report as Chromium draws it
#   make install    PREFIX=/usr/local DESTDIR= (also BINDIR, DATADIR, MANDIR):
#                   programs as ocsplab-NAME, lessons, man pages, docs, completion
#   make uninstall  removes what make install put there (same variables)
#   make deb        the Debian package, checked by lintian and played (lesson 2)
#   make clean      objects and programs; the lab's own wolfSSL (build/deps) stays
#   make distclean  everything make made, the wolfSSL download and build too

CC      ?= cc
# Where make install puts things (GNU names); DESTDIR is a staging root in
# front of them all. The runner is told DATADIR (ocsplab_paths.h below).
PREFIX  ?= /usr/local
BINDIR  ?= $(PREFIX)/bin
DATADIR ?= $(PREFIX)/share
MANDIR  ?= $(DATADIR)/man
PKGDATADIR  = $(DATADIR)/ocsplab
DOCDIR      = $(DATADIR)/doc/ocsplab
COMPLETIONDIR ?= $(DATADIR)/bash-completion/completions
BUILD   ?= build
BIN     ?= bin
FUZZ_SECONDS ?= 30

# wolfSSL 5.9.2 is the lab's own static build (scripts/build-wolfssl.sh says
# why and from where); it lives in build/deps whatever BUILD is, so the ASan
# and fuzz builds link the same library and `make clean` does not rebuild it.
DEPS_DIR    := build/deps
WOLFSSL_DIR := $(DEPS_DIR)/wolfssl-5.9.2
WOLFSSL_LIB := $(WOLFSSL_DIR)/lib/libwolfssl.a
WOLFSSL_CFLAGS := -I$(WOLFSSL_DIR)/include

PKGS := sqlite3 jansson libmicrohttpd libcurl
WARNINGS := -Wall -Wextra -Werror -Wshadow -Wformat=2 -Wstrict-prototypes \
            -Wmissing-prototypes -Wvla
CFLAGS  ?= -O2 -g
# CPPFLAGS and LDFLAGS are the packager's (dpkg-buildflags: fortify, relro).
ALL_CFLAGS = -std=c11 -D_DEFAULT_SOURCE $(WARNINGS) $(CPPFLAGS) $(CFLAGS) $(SANITIZE_FLAGS) \
             -Icommon -I$(BUILD)/config $(WOLFSSL_CFLAGS) \
             $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
LDLIBS_ALL = $(LDFLAGS) $(WOLFSSL_LIB) $(shell pkg-config --libs $(PKGS) 2>/dev/null) -lpthread -lm
CHECK_CFLAGS = $(shell pkg-config --cflags check 2>/dev/null)
CHECK_LIBS   = $(shell pkg-config --libs check 2>/dev/null)

# Every folder with a main.c is a program; its other .c files are its library,
# which the tests link and call directly.
PROGRAMS   := $(filter-out tests,$(patsubst %/main.c,%,$(wildcard */main.c)))
COMMON_SRC := $(wildcard common/*.c)
COMMON_OBJ := $(COMMON_SRC:%.c=$(BUILD)/%.o)
LIB        := $(BUILD)/libocsplab.a

# viewer/ (the ladder, the report and their helpers) is a library folder the
# scenario runner links: `scenario trace` and `scenario report` dispatch to it.
VIEWER_SRC := $(wildcard viewer/*.c)
prog_lib_src = $(filter-out $(1)/main.c,$(wildcard $(1)/*.c)) \
               $(if $(filter scenarios,$(1)),$(VIEWER_SRC))
# A program is named after its folder, except the scenario runner (scenarios/ → scenario).
prog_name = $(if $(filter scenarios,$(1)),scenario,$(1))
PROGRAM_BINS := $(foreach p,$(PROGRAMS),$(BIN)/$(call prog_name,$(p)))
PROG_LIB_OBJ := $(foreach p,$(PROGRAMS),$(patsubst %.c,$(BUILD)/%.o,$(call prog_lib_src,$(p))))

TEST_SRC   := $(wildcard tests/test_*.c) $(wildcard tests/integration/test_*.c)
TEST_SUPPORT_SRC := $(filter-out $(TEST_SRC),$(wildcard tests/*.c tests/integration/*.c))
TEST_OBJ   := $(TEST_SRC:%.c=$(BUILD)/%.o) $(TEST_SUPPORT_SRC:%.c=$(BUILD)/%.o)
TEST_RUNNER := $(BUILD)/tests/run_tests
# Each tests/.../test_NAME.c defines `Suite *NAME_suite(void)`; the list is generated.
SUITE_NAMES := $(patsubst test_%.c,%,$(notdir $(TEST_SRC)))

.PHONY: all check asan fuzz demo docs install uninstall deb clean distclean deps bench wolfssl FORCE \
        format format-check
all: $(PROGRAM_BINS)

# Where an installed runner looks for its lessons (scenarios/datadir.h): the
# data directory, and the same relative to the programs' folder, so a tree
# moved elsewhere (DESTDIR, dpkg -x) still finds its own. Rewritten only when
# the paths change, so a plain `make` does not rebuild the runner.
PATHS_H := $(BUILD)/config/ocsplab_paths.h
$(PATHS_H): FORCE
	@mkdir -p $(dir $@)
	@printf '%s\n' '/* Made by the Makefile from BINDIR and DATADIR. */' \
	    '#define OCSPLAB_DATADIR "$(PKGDATADIR)"' \
	    '#define OCSPLAB_DATADIR_FROM_BIN "$(shell realpath -m --relative-to='$(BINDIR)' '$(PKGDATADIR)')"' \
	    > $@.tmp && if cmp -s $@.tmp $@; then rm -f $@.tmp; else mv $@.tmp $@; fi
$(BUILD)/scenarios/main.o: $(PATHS_H)

deps:
	@./scripts/install-deps.sh --quiet

# The C sources git tracks, in the house style (.clang-format).
FORMAT_SRC = $(shell git ls-files '*.c' '*.h' 2>/dev/null)
format:
	@clang-format -i $(FORMAT_SRC)
format-check:
	@clang-format --dry-run -Werror $(FORMAT_SRC) && echo "format-check: $(words $(FORMAT_SRC)) files in the house style"

# Fetched (verified by SHA-256) and built once; the script does nothing when
# the library is already built with the same configure line.
$(WOLFSSL_LIB): scripts/build-wolfssl.sh
	@./scripts/build-wolfssl.sh
wolfssl: $(WOLFSSL_LIB)

$(BUILD)/%.o: %.c | $(WOLFSSL_LIB)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -MMD -MP -c $< -o $@

$(LIB): $(COMMON_OBJ)
	@mkdir -p $(dir $@)
	rm -f $@ && ar rcs $@ $^

define program_rule
$(BIN)/$(call prog_name,$(1)): $(BUILD)/$(1)/main.o $(patsubst %.c,$(BUILD)/%.o,$(call prog_lib_src,$(1))) $(LIB) $(WOLFSSL_LIB)
	@mkdir -p $$(dir $$@)
	$$(CC) $$(ALL_CFLAGS) -o $$@ $$^ $$(LDLIBS_ALL)
endef
$(foreach p,$(PROGRAMS),$(eval $(call program_rule,$(p))))

$(BUILD)/tests/suites.h: Makefile $(TEST_SRC)
	@mkdir -p $(dir $@)
	@printf '%s\n' $(foreach s,$(SUITE_NAMES),'SUITE($(s))') > $@.tmp && mv $@.tmp $@

$(BUILD)/tests/%.o: tests/%.c $(BUILD)/tests/suites.h | $(WOLFSSL_LIB)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -Wno-missing-prototypes $(CHECK_CFLAGS) -I$(BUILD)/tests -Itests \
	    -DLAB_BIN_DIR='"$(abspath $(BIN))"' -DLAB_SOURCE_DIR='"$(abspath .)"' \
	    -DLAB_BUILD_DIR='"$(BUILD)"' -DLAB_BIN_ARG='"$(BIN)"' \
	    -MMD -MP -c $< -o $@

# zlib: the tests read the PNGs Chromium writes (tests/integration/png_read.c);
# libutil: forkpty gives the --class test a real terminal.
$(TEST_RUNNER): $(TEST_OBJ) $(PROG_LIB_OBJ) $(LIB) $(WOLFSSL_LIB)
	$(CC) $(ALL_CFLAGS) -o $@ $^ $(CHECK_LIBS) $(LDLIBS_ALL) -lz -lutil

check: deps
	@$(MAKE) --no-print-directory all $(TEST_RUNNER)
	@$(TEST_RUNNER)

asan: deps
	@$(MAKE) --no-print-directory check BUILD=build/asan BIN=build/asan/bin \
	    CC=$(CC) SANITIZE_FLAGS="-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined"

# libFuzzer needs clang. A target links what the test runner links (common/ and
# every program's library, built once with the sanitizers into one archive),
# so it calls library functions as the programs do; UBSan stops at the first
# report, so undefined behaviour is a crash the fuzzer keeps. Each target runs
# for FUZZ_SECONDS from its seed corpus tests/fuzz/corpus/NAME.
FUZZ_TARGETS := $(patsubst tests/fuzz/fuzz_%.c,%,$(wildcard tests/fuzz/fuzz_*.c))
FUZZ_BUILD   := $(BUILD)/fuzz
FUZZ_CFLAGS   = -std=c11 -D_DEFAULT_SOURCE $(WARNINGS) -g -O1 -fno-omit-frame-pointer \
                -fsanitize=address,undefined -fno-sanitize-recover=undefined -Icommon \
                $(WOLFSSL_CFLAGS) $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
FUZZ_LIB_SRC := $(COMMON_SRC) $(foreach p,$(PROGRAMS),$(call prog_lib_src,$(p)))
FUZZ_LIB     := $(FUZZ_BUILD)/libfuzzlab.a
FUZZ_BINS    := $(FUZZ_TARGETS:%=$(FUZZ_BUILD)/fuzz_%)

$(FUZZ_BUILD)/obj/%.o: %.c | $(WOLFSSL_LIB)
	@mkdir -p $(dir $@)
	clang $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link -MMD -MP -c $< -o $@

$(FUZZ_LIB): $(FUZZ_LIB_SRC:%.c=$(FUZZ_BUILD)/obj/%.o)
	rm -f $@ && ar rcs $@ $^

$(FUZZ_BUILD)/fuzz_%: tests/fuzz/fuzz_%.c $(FUZZ_LIB)
	clang $(FUZZ_CFLAGS) -fsanitize=fuzzer -MMD -MP -MF $@.d -MT $@ $< $(FUZZ_LIB) \
	    $(LDLIBS_ALL) -o $@

fuzz: deps
	@$(MAKE) --no-print-directory $(FUZZ_BINS)
	@for t in $(FUZZ_TARGETS); do \
	    mkdir -p $(FUZZ_BUILD)/corpus_$$t && \
	    $(FUZZ_BUILD)/fuzz_$$t -max_total_time=$(FUZZ_SECONDS) -print_final_stats=1 \
	        $(FUZZ_BUILD)/corpus_$$t tests/fuzz/corpus/$$t || exit 1; \
	done

# Benchmarks print ratios against a peer measured in the same run; nothing is
# asserted. Each scripts/bench-*.sh is one benchmark.
bench: deps all
	@for b in scripts/bench-*.sh; do [ -e "$$b" ] || continue; echo "== $$b"; bash "$$b" || exit 1; done

# The demo also writes lab/demo/report.html; `bin/scenario trace` draws it. On a
# terminal the first lesson is paced (--class-first): Enter before each step.
demo: deps all
	@$(BIN)/scenario run --class-first --report --lab lab/demo scenarios/demo.lab
	@echo "The same story as a ladder: $(BIN)/scenario trace    as one page: lab/demo/report.html"

# The report_render suite checks the report of a real run in headless Chromium;
# with OCSPLAB_DOCS_DIR set it also keeps the screenshot as report.png there.
docs: deps
	@$(MAKE) --no-print-directory all $(TEST_RUNNER)
	@mkdir -p docs
	@OCSPLAB_DOCS_DIR=$(abspath docs) CK_RUN_SUITE=report_render $(TEST_RUNNER)

# make install: the programs as ocsplab-NAME, the lessons and the demo, a man
# page per program (section 1) and for the scenario language (section 5), the
# docs with their links kept (README.md next to docs/ and scenarios/), and the
# bash completion, under one name per program. Nothing else is written.
PROGRAM_NAMES := $(notdir $(PROGRAM_BINS))
LESSONS  := $(wildcard scenarios/lessons/*.lab)
MAN1     := $(wildcard man/*.1)
MAN5     := $(wildcard man/*.5)
DOC_FILES := README.md $(wildcard docs/*.md docs/*.png)
install: all
	@for p in $(PROGRAM_NAMES); do \
	    install -D -m 0755 $(BIN)/$$p $(DESTDIR)$(BINDIR)/ocsplab-$$p || exit 1; \
	done
	@install -d $(DESTDIR)$(PKGDATADIR)/lessons $(DESTDIR)$(DOCDIR)/docs \
	    $(DESTDIR)$(DOCDIR)/scenarios $(DESTDIR)$(MANDIR)/man1 $(DESTDIR)$(MANDIR)/man5 \
	    $(DESTDIR)$(COMPLETIONDIR)
	@install -m 0644 $(LESSONS) $(DESTDIR)$(PKGDATADIR)/lessons/
	@install -m 0644 scenarios/demo.lab $(DESTDIR)$(PKGDATADIR)/
	@install -m 0644 $(MAN1) $(DESTDIR)$(MANDIR)/man1/
	@install -m 0644 $(MAN5) $(DESTDIR)$(MANDIR)/man5/
	@for f in $(DOC_FILES); do install -m 0644 $$f $(DESTDIR)$(DOCDIR)/$$f || exit 1; done
	@install -m 0644 scenarios/README.md $(DESTDIR)$(DOCDIR)/scenarios/README.md
	@for p in $(PROGRAM_NAMES); do \
	    install -m 0644 completions/ocsplab $(DESTDIR)$(COMPLETIONDIR)/ocsplab-$$p || exit 1; \
	done
	@echo "installed ocsplab-{$$(echo $(PROGRAM_NAMES) | tr ' ' ,)} in $(DESTDIR)$(BINDIR), lessons in $(DESTDIR)$(PKGDATADIR)"

# Removes exactly what install wrote, then the lab's own folders if empty.
uninstall:
	@for p in $(PROGRAM_NAMES); do \
	    rm -f $(DESTDIR)$(BINDIR)/ocsplab-$$p $(DESTDIR)$(COMPLETIONDIR)/ocsplab-$$p; \
	done
	@rm -f $(addprefix $(DESTDIR)$(PKGDATADIR)/lessons/,$(notdir $(LESSONS))) \
	    $(DESTDIR)$(PKGDATADIR)/demo.lab \
	    $(addprefix $(DESTDIR)$(MANDIR)/man1/,$(notdir $(MAN1))) \
	    $(addprefix $(DESTDIR)$(MANDIR)/man5/,$(notdir $(MAN5))) \
	    $(addprefix $(DESTDIR)$(DOCDIR)/,$(DOC_FILES) scenarios/README.md)
	@rmdir $(DESTDIR)$(PKGDATADIR)/lessons $(DESTDIR)$(PKGDATADIR) $(DESTDIR)$(DOCDIR)/docs \
	    $(DESTDIR)$(DOCDIR)/scenarios $(DESTDIR)$(DOCDIR) 2>/dev/null || true

# The Debian package (debian/), built from a copy of this tree in build/deb so
# nothing lands beside the checkout; scripts/make-deb.sh says what it needs.
deb: deps
	@$(MAKE) --no-print-directory wolfssl
	@./scripts/make-deb.sh

clean:
	rm -rf bin $(filter-out $(DEPS_DIR),$(wildcard build/*))

distclean:
	rm -rf build bin

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)
