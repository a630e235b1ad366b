# Thin wrapper over CMake: `make run` and `make test` are the quick start.
BUILD ?= build
ASAN_BUILD ?= build-asan
TSAN_BUILD ?= build-tsan
FUZZ_BUILD ?= build-fuzz
FUZZ_TIME ?= 60
FUZZ_JOBS ?= 2
JOBS ?= 2
CORPUS ?= ../shared/corpus
# AUTO: tests whose dependencies are missing are skipped with a notice;
# `make test` sets ON, so that after deps a missing one is an error.
TESTS ?= AUTO
PACKCAT = $(BUILD)/tools/packcat

.PHONY: all deps build run test test-big test-soak test-asan test-tsan test-valgrind test-fuzz fuzz fixtures clean

all: build

deps:
	@bash .ci/deps.sh

build:
	cmake -S . -B $(BUILD) -DPACKWIN_WERROR=ON -DPACKWIN_BUILD_TESTS=$(TESTS) >/dev/null
	cmake --build $(BUILD) -j$(JOBS)

run: deps
	@$(MAKE) --no-print-directory build
	$(PACKCAT) --stats verify $(CORPUS)/zlib.git/objects/pack/*.pack
	$(PACKCAT) stats $(CORPUS)/zlib.git/objects/pack/*.pack

test: deps
	@$(MAKE) --no-print-directory build TESTS=ON
	ctest --test-dir $(BUILD) --output-on-failure -j$(JOBS) -LE 'valgrind|soak-long|big'
	$(MAKE) --no-print-directory test-asan test-tsan test-valgrind test-fuzz

# The >4 GiB pack and the 5 GiB object (tests/oracle/big-pack.sh): ~2 min,
# ~300 MiB of disk; CI runs it after `make test`.
test-big: deps
	@$(MAKE) --no-print-directory build TESTS=ON
	ctest --test-dir $(BUILD) --output-on-failure -L big

# The long runs (label soak): the mixed-load soak and 60 s of repacks under live clients.
test-soak: deps
	@$(MAKE) --no-print-directory build TESTS=ON
	ctest --test-dir $(BUILD) --output-on-failure -j$(JOBS) -L soak

test-asan:
	cmake -S . -B $(ASAN_BUILD) -DPACKWIN_ENABLE_ASAN=ON -DPACKWIN_WERROR=ON -DCMAKE_BUILD_TYPE=Debug \
	  -DPACKWIN_BUILD_TESTS=ON >/dev/null
	cmake --build $(ASAN_BUILD) -j$(JOBS)
	# (cat-file.sh's one-name-at-a-time loop takes every 4th name: see there)
	ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
	  PW_ORACLE_CAT_EVERY=4 ctest --test-dir $(ASAN_BUILD) --output-on-failure -j$(JOBS) -L 'unit|oracle' -LE 'slow|big'
	# pack-serve under ASan/UBSan with real clients (the soak runs in the normal build)
	ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
	  ctest --test-dir $(ASAN_BUILD) --output-on-failure -j$(JOBS) -R 'e2e/pack-serve/' -E 'soak'

test-tsan:
	cmake -S . -B $(TSAN_BUILD) -DPACKWIN_ENABLE_TSAN=ON -DCMAKE_BUILD_TYPE=Debug -DPACKWIN_BUILD_TOOLS=ON >/dev/null
	cmake --build $(TSAN_BUILD) -j$(JOBS) --target test_threads test_pack_lazy test_repack_race test_mru test_ps_site test_ps_send
	TSAN_OPTIONS=halt_on_error=1 ctest --test-dir $(TSAN_BUILD) --output-on-failure -R 'unit/test_(threads|pack_lazy|repack_race|mru|ps_site|ps_send)$$'

test-valgrind:
	ctest --test-dir $(BUILD) --output-on-failure -j$(JOBS) -L valgrind

# libFuzzer (clang): replay the regressions, then run each target FUZZ_TIME seconds, FUZZ_JOBS at a time.
fuzz: deps
	cmake -S . -B $(FUZZ_BUILD) -DCMAKE_C_COMPILER=clang -DPACKWIN_BUILD_FUZZ=ON \
	  -DPACKWIN_BUILD_TESTS=OFF -DPACKWIN_WERROR=ON >/dev/null
	cmake --build $(FUZZ_BUILD) -j$(JOBS)
	ctest --test-dir $(FUZZ_BUILD) --output-on-failure -j$(JOBS) -L fuzz
	bash tests/fuzz/run.sh $(FUZZ_BUILD) $(FUZZ_TIME) $(FUZZ_JOBS)

test-fuzz:
	$(MAKE) --no-print-directory fuzz FUZZ_TIME=30

fixtures:
	bash fixtures/make-fixtures.sh

clean:
	rm -rf $(BUILD) $(ASAN_BUILD) $(TSAN_BUILD) $(FUZZ_BUILD)
