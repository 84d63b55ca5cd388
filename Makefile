# mnistlab — build, test, install.  See README.md.
#   make            library (static + shared), Lua module, the mnistlab program
#   make run        open the lab in the terminal (installs what is missing first)
#   make test       the whole test suite; ends with "N passed, N failed"
#   make check-asan the same suite under AddressSanitizer + UndefinedBehaviorSanitizer
#   make check-valgrind  the built-in lab, headless, under valgrind (no leak, no invalid access)
#   make install PREFIX=/usr/local [DESTDIR=...]
#   make deps       install missing Debian packages (apt-get, as root or via sudo)

PREFIX  ?= /usr/local
VERSION := 0.1.0
SOVER   := 0
BUILD   ?= build
CC      ?= cc

PKG_CONFIG ?= pkg-config
LIB_PKGS   := openblas lapacke zlib liblbfgs
LUA_PKG    := lua5.4
APP_PKGS   := $(LUA_PKG) ncursesw md4c

# pkg-config is asked only when building, so that `make deps` works before the packages exist.
pc_cflags = $(shell $(PKG_CONFIG) --cflags $(1) 2>/dev/null)
pc_libs   = $(shell $(PKG_CONFIG) --libs $(1) 2>/dev/null)

OPT      ?= -O2 -g
WARN     := -Wall -Wextra -Wshadow -Wpointer-arith -Wstrict-prototypes -Wvla
CFLAGS   ?=
ALL_CFLAGS = -std=gnu11 $(OPT) $(WARN) -fPIC -pthread -MMD -MP -Isrc -I$(BUILD) $(SAN) $(CFLAGS)
LIB_CFLAGS = $(call pc_cflags,$(LIB_PKGS))
LIB_LIBS   = $(call pc_libs,$(LIB_PKGS)) -lm -pthread
APP_CFLAGS = $(call pc_cflags,$(APP_PKGS))
APP_LIBS   = $(call pc_libs,$(APP_PKGS))
LUA_CFLAGS = $(call pc_cflags,$(LUA_PKG))

# Layers, lowest first.  The C library is core..plot; lua/ is the binding;
# notebook/, tui/ and cli/ make the program.
LIB_LAYERS := core data models nn plot
LIB_SRC  := $(foreach d,$(LIB_LAYERS),$(wildcard src/$(d)/*.c))
LUA_SRC  := $(wildcard src/lua/*.c)
APP_SRC  := $(wildcard src/notebook/*.c src/tui/*.c src/cli/*.c)
LIB_OBJ  := $(LIB_SRC:src/%.c=$(BUILD)/obj/%.o)
LUA_OBJ  := $(LUA_SRC:src/%.c=$(BUILD)/obj/%.o)
APP_OBJ  := $(APP_SRC:src/%.c=$(BUILD)/obj/%.o)

STATIC  := $(BUILD)/libmnistlab.a
SHARED  := $(BUILD)/libmnistlab.so.$(VERSION)
LUAMOD  := $(BUILD)/mnistlab.so
PROGRAM := $(BUILD)/mnistlab
PCFILE  := $(BUILD)/mnistlab.pc
CONFIG  := $(BUILD)/ml_config.h
# Model classes are found through a registry of weak references, which do not
# pull archive members in: link the whole archive.
WHOLE_STATIC = -Wl,--whole-archive $(STATIC) -Wl,--no-whole-archive

TEST_C_SRC := $(wildcard tests/c/test_*.c)
TEST_C_BIN := $(TEST_C_SRC:tests/c/%.c=$(BUILD)/tests/%)
TEST_HELPERS := $(wildcard tests/c/helpers/*.c)

.PHONY: all deps test-deps bench-deps run test check-asan check-valgrind install uninstall clean tests-build bench fuzz fuzz-build
all: $(STATIC) $(SHARED) $(LUAMOD) $(PROGRAM) $(PCFILE)

# ---- configuration header: rewritten only when a value changes ----
$(CONFIG): FORCE
	@mkdir -p $(@D)
	@printf '#define ML_VERSION "%s"\n#define ML_PREFIX "%s"\n#define ML_SRCDIR "%s"\n' \
	  '$(VERSION)' '$(PREFIX)' '$(CURDIR)' > $@.tmp
	@if cmp -s $@.tmp $@; then rm -f $@.tmp; else mv $@.tmp $@; fi
FORCE:

$(BUILD)/obj/%.o: src/%.c | $(CONFIG)
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) $(LIB_CFLAGS) $(if $(filter src/lua/% src/notebook/% src/tui/% src/cli/%,$<),$(APP_CFLAGS)) -c $< -o $@

$(BUILD)/obj/data/dataset.o: $(CONFIG)
$(BUILD)/obj/cli/main.o: $(CONFIG)

$(STATIC): $(LIB_OBJ)
	@rm -f $@
	ar rcs $@ $^

$(SHARED): $(LIB_OBJ)
	$(CC) -shared -Wl,-z,nodelete -Wl,-soname,libmnistlab.so.$(SOVER) $(SAN) -o $@ $^ $(LIB_LIBS)
	ln -sf libmnistlab.so.$(VERSION) $(BUILD)/libmnistlab.so.$(SOVER)
	ln -sf libmnistlab.so.$(VERSION) $(BUILD)/libmnistlab.so

# The Lua module carries the library inside it and takes Lua's symbols from
# the interpreter that loads it.
$(LUAMOD): $(LUA_OBJ) $(STATIC)
	$(CC) -shared -Wl,-z,nodelete $(SAN) -o $@ $(LUA_OBJ) $(WHOLE_STATIC) $(LIB_LIBS)

$(PROGRAM): $(APP_OBJ) $(LUA_OBJ) $(STATIC)
	$(CC) $(SAN) -rdynamic -o $@ $(APP_OBJ) $(LUA_OBJ) $(WHOLE_STATIC) $(APP_LIBS) $(LIB_LIBS)

$(PCFILE): mnistlab.pc.in Makefile
	@mkdir -p $(@D)
	sed -e 's|@PREFIX@|$(PREFIX)|' -e 's|@VERSION@|$(VERSION)|' $< > $@

# ---- dependencies (Debian packages) ----
deps:
	@scripts/deps build

test-deps:
	@scripts/deps build test

bench-deps:
	@scripts/deps build bench

# ---- running ----
run: deps all
	$(PROGRAM)

# ---- tests ----
# Shared test sources are objects of their own: a program built from one .c
# file gets a whole dependency file (-MMD with several sources keeps only the
# last one's, and a test then missed a change to what its own file includes).
TEST_HELPER_OBJ := $(TEST_HELPERS:tests/c/helpers/%.c=$(BUILD)/tests/helpers/%.o)
$(BUILD)/tests/helpers/%.o: tests/c/helpers/%.c
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) $(LIB_CFLAGS) $(call pc_cflags,cmocka) -c -o $@ $<

$(BUILD)/tests/%: tests/c/%.c $(TEST_HELPER_OBJ) $(STATIC)
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) $(LIB_CFLAGS) $(call pc_cflags,cmocka) -o $@ $< $(TEST_HELPER_OBJ) $(WHOLE_STATIC) \
	  $(call pc_libs,cmocka) $(LIB_LIBS)

# Fuzz harnesses also build as plain programs that replay their corpora (tests/sh/fuzz_replay.sh).
FUZZ_SRC    := $(wildcard tests/fuzz/fuzz_*.c)
REPLAY_BIN  := $(FUZZ_SRC:tests/fuzz/fuzz_%.c=$(BUILD)/tests/replay_%)
$(BUILD)/tests/replay_main.o: tests/fuzz/replay_main.c
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -c -o $@ $<
$(BUILD)/tests/replay_%: tests/fuzz/fuzz_%.c $(BUILD)/tests/replay_main.o $(STATIC)
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) $(LIB_CFLAGS) -o $@ $< $(BUILD)/tests/replay_main.o $(WHOLE_STATIC) $(LIB_LIBS)

# C tests of the Lua layer (test_lua_*.c) also link the bindings and liblua.
$(BUILD)/tests/test_lua_%: tests/c/test_lua_%.c $(LUA_OBJ) $(STATIC)
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) $(LIB_CFLAGS) $(LUA_CFLAGS) $(call pc_cflags,cmocka) -o $@ $< $(LUA_OBJ) $(WHOLE_STATIC) \
	  $(call pc_libs,cmocka $(LUA_PKG)) $(LIB_LIBS)

tests-build: all $(TEST_C_BIN) $(REPLAY_BIN)

test: test-deps
	@$(MAKE) --no-print-directory tests-build
	@BUILD=$(BUILD) tests/run.sh

check-asan: test-deps
	@$(MAKE) --no-print-directory BUILD=build-asan OPT="-O1 -g" \
	  SAN="-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined" tests-build
	@BUILD=build-asan SANITIZE=1 tests/run.sh

# The lab on its first 1000 digits under memcheck (scripts/check-valgrind says why and how).
check-valgrind: test-deps all
	@BUILD=$(BUILD) scripts/check-valgrind

# ---- fuzzing (libFuzzer, Debian's clang) ----
FUZZ_BUILD := build-fuzz
FUZZ_TIME  ?= 60
FUZZ_SAN   := -fsanitize=address,undefined -fno-sanitize-recover=undefined
fuzz-build: test-deps
	@$(MAKE) --no-print-directory BUILD=$(FUZZ_BUILD) CC=clang OPT="-O1 -g" \
	  SAN="$(FUZZ_SAN) -fsanitize=fuzzer-no-link" $(FUZZ_BUILD)/libmnistlab.a
	@for src in $(FUZZ_SRC); do \
	  name=$$(basename $$src .c); \
	  clang -std=gnu11 -O1 -g -DML_LIBFUZZER -Isrc -I$(FUZZ_BUILD) $(LIB_CFLAGS) $(FUZZ_SAN) -fsanitize=fuzzer \
	    -o $(FUZZ_BUILD)/$$name $$src -Wl,--whole-archive $(FUZZ_BUILD)/libmnistlab.a -Wl,--no-whole-archive \
	    $(LIB_LIBS) || exit 1; \
	done

# make fuzz [FUZZ_TIME=seconds per harness]: new inputs go to build-fuzz/corpus/,
# crashes to build-fuzz/crashes/ (copy each into tests/fuzz/regressions/<name>/).
fuzz: fuzz-build
	@for src in $(FUZZ_SRC); do \
	  name=$$(basename $$src .c | sed 's/^fuzz_//'); \
	  mkdir -p $(FUZZ_BUILD)/corpus/$$name $(FUZZ_BUILD)/crashes/$$name; \
	  echo "fuzzing $$name for $(FUZZ_TIME) s"; \
	  $(FUZZ_BUILD)/fuzz_$$name -max_total_time=$(FUZZ_TIME) -timeout=10 -rss_limit_mb=4096 \
	    -artifact_prefix=$(FUZZ_BUILD)/crashes/$$name/ -print_final_stats=1 \
	    $(FUZZ_BUILD)/corpus/$$name tests/fuzz/corpus/$$name 2>&1 | grep -E '^(stat::number_of_executed_units|==|SUMMARY|Done)' ; \
	  [ -z "$$(ls -A $(FUZZ_BUILD)/crashes/$$name)" ] || { echo "fuzz: crash in $$name: see $(FUZZ_BUILD)/crashes/$$name"; exit 1; }; \
	done

bench: bench-deps all
	@scripts/bench/run

# ---- install ----
DESTDIR ?=
BINDIR   = $(DESTDIR)$(PREFIX)/bin
LIBDIR   = $(DESTDIR)$(PREFIX)/lib
INCDIR   = $(DESTDIR)$(PREFIX)/include/mnistlab
LUADIR   = $(DESTDIR)$(PREFIX)/lib/lua/5.4
SHAREDIR = $(DESTDIR)$(PREFIX)/share/mnistlab
MANDIR   = $(DESTDIR)$(PREFIX)/share/man/man1
DOCDIR   = $(DESTDIR)$(PREFIX)/share/doc/mnistlab

install: all
	install -d $(BINDIR) $(LIBDIR)/pkgconfig $(INCDIR) $(LUADIR) $(SHAREDIR) $(MANDIR) $(DOCDIR)
	install -m 755 $(PROGRAM) $(BINDIR)/mnistlab
	install -m 644 $(STATIC) $(LIBDIR)/
	install -m 755 $(SHARED) $(LIBDIR)/
	ln -sf libmnistlab.so.$(VERSION) $(LIBDIR)/libmnistlab.so.$(SOVER)
	ln -sf libmnistlab.so.$(VERSION) $(LIBDIR)/libmnistlab.so
	install -m 755 $(LUAMOD) $(LUADIR)/mnistlab.so
	install -m 644 $(PCFILE) $(LIBDIR)/pkgconfig/mnistlab.pc
	install -m 644 src/mnistlab.h $(INCDIR)/
	for d in $(LIB_LAYERS); do \
	  install -d $(INCDIR)/$$d; \
	  for h in src/$$d/*.h; do [ -e "$$h" ] && install -m 644 "$$h" $(INCDIR)/$$d/; done; \
	done; true
	cp -R data/. $(SHAREDIR)/
	install -m 644 man/*.1 $(MANDIR)/
	install -m 644 man/*.md README.md $(DOCDIR)/
	cp -R examples $(DOCDIR)/

uninstall:
	rm -f $(BINDIR)/mnistlab $(LIBDIR)/libmnistlab.* $(LUADIR)/mnistlab.so $(LIBDIR)/pkgconfig/mnistlab.pc
	rm -rf $(INCDIR) $(SHAREDIR) $(DOCDIR)
	rm -f $(MANDIR)/mnistlab.1

clean:
	rm -rf build build-asan build-fuzz

-include $(shell find $(BUILD)/obj $(BUILD)/tests -name '*.d' 2>/dev/null)
