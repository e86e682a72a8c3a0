"""Build hook for the swiftnn package (metadata lives in pyproject.toml).

build_py runs `make lib` in the repository that contains this directory and copies
build/lib/libswiftnn.so into the built package, next to _lib.py, which loads it from there
first. The wheel is tagged py3-none-<platform> (e.g. py3-none-linux_x86_64): it holds a native
library but no Python extension, so it fits any Python 3 on that platform, and none other; the
library needs glibc, libstdc++ and libopenblas.so.0 at run time (Debian's libopenblas0), which
is why the tag is not a manylinux one (auditwheel would have to vendor OpenBLAS).

The sdist carries what `make lib` needs (Makefile, Package.swift, Sources/, include/,
tools/build/, and the two directories Package.swift names, bench/kernels/ and
Tests/SwiftNNTests/) at its root, so `pip install swiftnn-<version>.tar.gz` builds the library
with the Swift toolchain wherever one is installed (`swift` on PATH, and libopenblas-dev).
"""
import os
import shutil
import subprocess

from setuptools import setup
from setuptools.command.build_py import build_py
from setuptools.command.sdist import sdist

try:
    from setuptools.command.bdist_wheel import bdist_wheel
except ImportError:  # setuptools < 70.1 uses wheel's
    try:
        from wheel.bdist_wheel import bdist_wheel
    except ImportError:  # no wheel support at all: pip will say so
        bdist_wheel = None

HERE = os.path.dirname(os.path.abspath(__file__))
LIB_NAME = "libswiftnn.so"


def find_repo():
    """The SwiftNN checkout holding this directory (it has the Makefile and include/swiftnn.h)."""
    d = HERE
    while True:
        if os.path.isfile(os.path.join(d, "Makefile")) and os.path.isfile(os.path.join(d, "include", "swiftnn.h")):
            return d
        parent = os.path.dirname(d)
        if parent == d:
            return None
        d = parent


# What `make lib` reads, relative to the repository root: copied into the sdist's root.
SDIST_SOURCES = ["Makefile", "Package.swift", "Sources", "include", "tools/build", "bench/kernels",
                 "Tests/SwiftNNTests"]


def built_library():
    """Path of a freshly built libswiftnn.so (or a prebuilt one shipped beside the sources)."""
    repo = find_repo()
    if repo is not None:
        for tool in ("swift", os.environ.get("MAKE", "make")):
            if shutil.which(tool) is None:
                raise RuntimeError(
                    f"swiftnn: building {LIB_NAME} from source needs `{tool}` on PATH, which is missing. Install "
                    "the Swift toolchain (6.0 or newer, https://www.swift.org/install/), make and libopenblas-dev, "
                    "or install a prebuilt swiftnn wheel for this platform instead.")
        make = os.environ.get("MAKE", "make")
        subprocess.check_call([make, "--no-print-directory", "lib"], cwd=repo)
        return os.path.join(repo, "build", "lib", LIB_NAME)
    prebuilt = os.path.join(HERE, "swiftnn", LIB_NAME)
    if os.path.isfile(prebuilt):
        return prebuilt
    raise RuntimeError(f"swiftnn: cannot build {LIB_NAME}: {HERE} is not inside a SwiftNN checkout or an sdist "
                       f"(no Makefile and include/swiftnn.h above it) and swiftnn/{LIB_NAME} is missing")


class SdistWithSources(sdist):
    """An sdist that can build the library: the engine's sources beside setup.py."""

    def make_release_tree(self, base_dir, files):
        super().make_release_tree(base_dir, files)
        repo = find_repo()
        if repo is None:
            raise RuntimeError("swiftnn: an sdist must be made from a SwiftNN checkout (the Swift sources live there)")
        for rel in SDIST_SOURCES:
            src, dst = os.path.join(repo, rel), os.path.join(base_dir, rel)
            if os.path.isdir(src):
                shutil.copytree(src, dst, dirs_exist_ok=True,
                                ignore=shutil.ignore_patterns(".build*", "__pycache__", "*.o"))
            else:
                os.makedirs(os.path.dirname(dst) or ".", exist_ok=True)
                shutil.copy2(src, dst)


class BuildPyWithLibrary(build_py):
    def run(self):
        super().run()
        src = built_library()
        dst = os.path.join(self.build_lib, "swiftnn", LIB_NAME)
        os.makedirs(os.path.dirname(dst), exist_ok=True)
        if os.path.abspath(src) != os.path.abspath(dst):
            shutil.copy2(src, dst)


cmdclass = {"build_py": BuildPyWithLibrary, "sdist": SdistWithSources}
if bdist_wheel is not None:
    class PlatformWheel(bdist_wheel):
        def finalize_options(self):
            super().finalize_options()
            self.root_is_pure = False  # a native library inside: not a pure-Python wheel

        def get_tag(self):
            _, _, plat = super().get_tag()
            return "py3", "none", plat

    cmdclass["bdist_wheel"] = PlatformWheel

setup(cmdclass=cmdclass)
