# balloonsim -- GNU Make build.  `make run` and `make test` are all a fresh
# Debian 12 machine needs (as root they install missing packages first).

PKGS      := gsl yaml-0.1 cmocka
DEB_PKGS  := build-essential pkg-config libgsl-dev libyaml-dev libcmocka-dev gnuplot-nox parallel
CC        ?= cc
CSTD      := -std=c17 -D_POSIX_C_SOURCE=200809L -D_DEFAULT_SOURCE
WARN      := -Wall -Wextra -Werror
OPT       ?= -O2 -g
PKG_CFLAGS = $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   = $(shell pkg-config --libs gsl yaml-0.1 2>/dev/null)
CMOCKA_LIBS = $(shell pkg-config --libs cmocka 2>/dev/null)
CFLAGS    += $(CSTD) $(WARN) $(OPT) $(PKG_CFLAGS) -I.
LDLIBS    += $(PKG_LIBS) -lm

BUILD     ?= build
PREFIX    ?= /usr/local

LIB_SRC   := $(sort $(wildcard sim/*.c sim/*/*.c plots/*.c policies/*.c workloads/*.c))
LIB_SRC   := $(filter-out sim/cli/main.c,$(LIB_SRC))
LIB_OBJ   := $(LIB_SRC:%.c=$(BUILD)/%.o)
TEST_SRC  := $(sort $(wildcard tests/test_*.c))
TEST_BIN  := $(TEST_SRC:tests/%.c=$(BUILD)/tests/%)
TEST_HELP := $(filter-out $(TEST_SRC),$(wildcard tests/*.c))
TEST_HOBJ := $(TEST_HELP:%.c=$(BUILD)/%.o)
BIN       := balloonsim

.PHONY: all deps run test asan bench install clean golden compare ci-compare baseline
all: deps-check $(BIN)

# Install what is missing (Debian packages) when root; otherwise say what to do.
deps:
	@missing=""; \
	for p in $(PKGS); do pkg-config --exists $$p 2>/dev/null || missing=1; done; \
	command -v gnuplot >/dev/null 2>&1 || missing=1; \
	command -v parallel >/dev/null 2>&1 || missing=1; \
	command -v $(CC) >/dev/null 2>&1 || missing=1; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ]; then \
	    echo "installing: $(DEB_PKGS)"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $(DEB_PKGS) >/dev/null; \
	  else \
	    echo "missing packages; run as root: apt-get install $(DEB_PKGS)" >&2; exit 1; \
	  fi; \
	fi

deps-check:
	@for p in gsl yaml-0.1; do pkg-config --exists $$p || { echo "missing $$p: run 'make deps' as root (or: apt-get install $(DEB_PKGS))" >&2; exit 1; }; done

$(BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -MMD -MP -c $< -o $@

$(BUILD)/libballoonsim.a: $(LIB_OBJ)
	@rm -f $@
	$(AR) rcs $@ $^

$(BIN): $(BUILD)/sim/cli/main.o $(BUILD)/libballoonsim.a
	$(CC) $(CFLAGS) -o $@ $^ $(LDLIBS)

$(BUILD)/tests/%: $(BUILD)/tests/%.o $(TEST_HOBJ) $(BUILD)/libballoonsim.a
	$(CC) $(CFLAGS) -o $@ $^ $(LDLIBS) $(CMOCKA_LIBS)

run: deps
	$(MAKE) $(BIN)
	./$(BIN) run scenarios/default.yaml

# Each test binary runs from the repository root (tests read tests/data and
# ../shared/traces).  Binaries get the path of the balloonsim executable.
test: deps
	$(MAKE) $(BIN) $(TEST_BIN)
	@BALLOONSIM=$(CURDIR)/$(BIN) ./tests/run_all.sh $(TEST_BIN)

# Re-record the golden end-to-end outputs of scenarios/ (review `git diff
# tests/golden` before committing: every change there is a change of results).
golden: $(BIN) $(BUILD)/tests/test_golden $(BUILD)/tests/test_compare
	BALLOONSIM=$(CURDIR)/$(BIN) BALLOONSIM_GOLDEN_UPDATE=1 ./$(BUILD)/tests/test_golden
	BALLOONSIM=$(CURDIR)/$(BIN) BALLOONSIM_GOLDEN_UPDATE=1 ./$(BUILD)/tests/test_compare

# The scenario suite (scenarios/suite/) under every policy but `scripted`
# (it needs a script per scenario): the ranked table on stdout, and under
# $(COMPARE_DIR) report.md with the plots, the table as txt/md/json/csv and a
# run directory per run.  COMPARE_POLICIES=static,mom etc. to choose.
SUITE            := $(sort $(wildcard scenarios/suite/*.yaml))
COMPARE_DIR      ?= out/compare
COMPARE_SEEDS    ?= 5
COMPARE_POLICIES ?= $$(./$(BIN) policies | grep -v '^[[:space:]]' | grep -v '^$$' | grep -vx scripted | paste -sd, -)
compare: deps-check $(BIN)
	./$(BIN) compare $(SUITE) -p "$(COMPARE_POLICIES)" --seeds $(COMPARE_SEEDS) -o $(COMPARE_DIR)
	@echo "report: $(COMPARE_DIR)/report.md"

# The regression gate of .ci/run: a short compare of the suite (2 seeds, the
# core policies and two real controllers) against the committed baseline.
# After a deliberate change of results, `make baseline` records a new one
# (review `git diff tests/baselines` like any golden file).
CI_BASELINE := tests/baselines/suite.json
CI_COMPARE   = ./$(BIN) compare $(SUITE) -p static,proportional,mom,proxmox --seeds 2 \
               -o $(BUILD)/ci-compare --no-plots -q
CI_FAIL_IF  := guest_oom_kills>+0% || host_oom_kills>+0% || stall_s>+10% || balloon_traffic_bytes>+25%
ci-compare: $(BIN)
	$(CI_COMPARE) --baseline $(CI_BASELINE) --fail-if '$(CI_FAIL_IF)'
baseline: $(BIN)
	@mkdir -p $(dir $(CI_BASELINE))
	$(CI_COMPARE) --save-baseline $(CI_BASELINE) >/dev/null

asan:
	$(MAKE) BUILD=build-asan BIN=build-asan/balloonsim OPT="-O1 -g -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all" \
	  build-asan/balloonsim $(TEST_SRC:tests/%.c=build-asan/tests/%)
	@BALLOONSIM=$(CURDIR)/build-asan/balloonsim ASAN_OPTIONS=detect_leaks=1 \
	  ./tests/run_all.sh $(TEST_SRC:tests/%.c=build-asan/tests/%)

bench: deps-check $(BUILD)/bench/bench
	./$(BUILD)/bench/bench

$(BUILD)/bench/bench: $(BUILD)/bench/bench.o $(BUILD)/libballoonsim.a
	$(CC) $(CFLAGS) -o $@ $^ $(LDLIBS)

install: $(BIN)
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/share/man/man1
	install -m 755 $(BIN) $(DESTDIR)$(PREFIX)/bin/balloonsim
	install -m 644 docs/balloonsim.1 $(DESTDIR)$(PREFIX)/share/man/man1/balloonsim.1

clean:
	rm -rf build build-asan $(BIN) out

-include $(shell find $(BUILD) build-asan -name '*.d' 2>/dev/null)
