# weir — build, dependencies, run, test, bench, sanitizer and fuzz targets.
#
#   make            build bin/weir-server (-O2 -g, warnings are errors)
#   make run        install what is missing, build, start on 127.0.0.1:4222 with ./data
#   make test       install what is missing, build, run every test (ends "N passed, M failed")
#   make asan       the same tests against an ASan+UBSan build
#   make fuzz       libFuzzer targets, bounded time (FUZZ_SECONDS each)
#   make bench      weir-server vs nats-server side by side, ratios printed
#   make deps       apt-get the Debian packages that are missing (sudo only when not root)

MODE      ?= release
BUILDDIR  := build/$(MODE)
CC        ?= cc
ifeq ($(CC),cc)
CC        := gcc
endif

WARN      := -Wall -Wextra -Werror -Wshadow -Wno-unused-parameter
CSTD      := -std=c11 -D_GNU_SOURCE
INCLUDES  := -I.
ifeq ($(MODE),asan)
OPT       := -O1 -g -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
LDSAN     := -fsanitize=address,undefined
else
OPT       := -O2 -g
LDSAN     :=
endif
CFLAGS    += $(CSTD) $(OPT) $(WARN) $(INCLUDES) -MMD -MP
LDLIBS    := -lrocksdb -lxxhash -lsodium -lmbedtls -lmbedx509 -lmbedcrypto -ljansson -lcrypt -lpthread -lm
LDFLAGS   += $(LDSAN)

# Debian packages the build, the tests and the benchmarks need.
DEB_PKGS  := build-essential pkg-config librocksdb-dev libxxhash-dev libsodium-dev libmbedtls-dev \
             libjansson-dev libcrypt-dev libnats-dev libhiredis-dev redis-tools nats-server \
             redis-server clang libclang-rt-14-dev

LIB_SRC   := $(wildcard proto/*.c stream/*.c kv/*.c objstore/*.c) $(filter-out server/main.c,$(wildcard server/*.c))
LIB_OBJ   := $(LIB_SRC:%.c=$(BUILDDIR)/obj/%.o)
SERVER    := $(BUILDDIR)/weir-server

UNIT_SRC  := $(wildcard test/unit/test_*.c)
UNIT_BIN  := $(UNIT_SRC:test/unit/%.c=$(BUILDDIR)/test/%)
IOP_SRC   := $(wildcard test/interop/test_*.c)
IOP_BIN   := $(IOP_SRC:test/interop/%.c=$(BUILDDIR)/test/%)
IOP_LIB   := $(filter-out $(IOP_SRC),$(wildcard test/interop/*.c))
IOP_OBJ   := $(IOP_LIB:%.c=$(BUILDDIR)/obj/%.o)
BENCH_SRC := $(wildcard bench/*.c)
BENCH_BIN := $(BENCH_SRC:bench/%.c=$(BUILDDIR)/bench/%)
FUZZ_SRC  := $(wildcard test/fuzz/fuzz_*.c)
FUZZ_SECONDS ?= 30
# what fuzz_stream_config (and, with consumer_config.c, fuzz_consumer_config) needs besides proto/
FUZZ_STREAM_CONFIG_SRC := stream/stream_config.c stream/jserr.c stream/jserr_table.c

.PHONY: all deps build run test test-only asan fuzz bench clean js-deps

all: bin/weir-server

bin/weir-server: $(SERVER)
	@mkdir -p bin
	cp $< $@.tmp && mv -f $@.tmp $@

$(BUILDDIR)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	@echo "  CC  $@"; $(CC) $(CFLAGS) -c $< -o $@

$(BUILDDIR)/libweir.a: $(LIB_OBJ)
	@mkdir -p $(dir $@)
	@rm -f $@
	@ar rcs $@ $^

$(SERVER): $(BUILDDIR)/obj/server/main.o $(BUILDDIR)/libweir.a
	@echo "  LD  $@"; $(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(BUILDDIR)/test/test_%: test/unit/test_%.c $(BUILDDIR)/libweir.a
	@mkdir -p $(dir $@)
	@echo "  CC  $@"; $(CC) $(CFLAGS) $(LDFLAGS) -o $@ $< $(BUILDDIR)/libweir.a $(LDLIBS)

$(IOP_BIN): $(BUILDDIR)/test/%: test/interop/%.c $(IOP_OBJ) $(BUILDDIR)/libweir.a
	@mkdir -p $(dir $@)
	@echo "  CC  $@"; $(CC) $(CFLAGS) $(LDFLAGS) -o $@ $< $(IOP_OBJ) $(BUILDDIR)/libweir.a -lnats $(LDLIBS)

$(BUILDDIR)/bench/%: bench/%.c $(BUILDDIR)/libweir.a
	@mkdir -p $(dir $@)
	@echo "  CC  $@"; $(CC) $(CFLAGS) $(LDFLAGS) -o $@ $< $(BUILDDIR)/libweir.a -lnats $(LDLIBS)

build: $(SERVER) $(UNIT_BIN) $(IOP_BIN) $(BENCH_BIN)
ifeq ($(MODE),release)
build: bin/weir-server
endif

deps:
	@missing=""; for p in $(DEB_PKGS); do \
	  dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q '^install ok installed' || missing="$$missing $$p"; \
	done; \
	command -v npm >/dev/null 2>&1 || missing="$$missing nodejs npm"; \
	if [ -n "$$missing" ]; then \
	  SUDO=""; [ "$$(id -u)" -ne 0 ] && SUDO=sudo; \
	  echo "installing:$$missing"; \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq $$missing; \
	fi

js-deps: test/js/node_modules/.package-lock.json

test/js/node_modules/.package-lock.json: test/js/package-lock.json test/js/package.json
	cd test/js && npm ci --no-audit --no-fund --loglevel=error
	@touch $@

run: deps bin/weir-server
	mkdir -p data
	./bin/weir-server -a 127.0.0.1 -p 4222 -js -sd ./data

test: deps
	$(MAKE) --no-print-directory build
	$(MAKE) --no-print-directory js-deps
	$(MAKE) --no-print-directory test-only

test-only:
	WEIR_SERVER=$(abspath $(SERVER)) test/run.sh $(BUILDDIR)

asan: deps
	$(MAKE) --no-print-directory MODE=asan build
	$(MAKE) --no-print-directory js-deps
	ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
	  $(MAKE) --no-print-directory MODE=asan test-only

FUZZ_CFLAGS := $(CSTD) -O1 -g -I. -fsanitize=fuzzer,address,undefined -Wall -Wextra -Werror -Wno-unused-parameter
fuzz: deps
	@mkdir -p build/fuzz
	@set -e; for f in $(FUZZ_SRC); do \
	  n=$$(basename $$f .c); extra=""; \
	  case $$n in fuzz_stream_config) extra="$(FUZZ_STREAM_CONFIG_SRC)" ;; \
	    fuzz_consumer_config) extra="$(FUZZ_STREAM_CONFIG_SRC) stream/consumer_config.c" ;; esac; \
	  clang $(FUZZ_CFLAGS) -o build/fuzz/$$n $$f $(filter proto/%.c,$(LIB_SRC)) $$extra -ljansson -lsodium -lxxhash; \
	  mkdir -p build/fuzz/corpus-$$n; \
	  echo "fuzzing $$n for $(FUZZ_SECONDS)s"; \
	  build/fuzz/$$n -max_total_time=$(FUZZ_SECONDS) -print_final_stats=1 build/fuzz/corpus-$$n test/fuzz/seeds/$$n 2>&1 | tail -5; \
	done

bench: deps
	$(MAKE) --no-print-directory bin/weir-server $(BENCH_BIN)
	bench/compare.sh $(BUILDDIR)
	bench/store.sh $(BUILDDIR)

clean:
	rm -rf build bin

-include $(LIB_OBJ:.o=.d) $(BUILDDIR)/obj/server/main.d
