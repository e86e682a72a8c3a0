"""Tests/c/test_options_init.c is generated from the header by tools/gen_options_test.py: it
must be what the generator writes from the header as it is now (an option struct or _init
function added, renamed or removed without rerunning the generator fails here)."""
import os
import subprocess
import sys

REPO = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", ".."))


def test_options_init_test_is_generated_from_the_current_header():
    r = subprocess.run([sys.executable, os.path.join(REPO, "tools", "gen_options_test.py"), "--check"],
                       capture_output=True, text=True)
    assert r.returncode == 0, r.stdout + r.stderr
