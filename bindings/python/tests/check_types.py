"""`make test-types`: mypy --strict on examples/python and on the swiftnn package; no file may
have more errors than mypy_baseline.txt lists for it (a list that only shrinks: a file with fewer
errors fails too, until the baseline is lowered with --update). The goal is an empty list.
Run from bindings/python; needs mypy (tools/setup.sh installs it)."""
import collections
import os
import re
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
PKG_ROOT = os.path.dirname(HERE)  # bindings/python
BASELINE = os.path.join(HERE, "mypy_baseline.txt")
REPO = os.path.dirname(os.path.dirname(PKG_ROOT))
ERROR = re.compile(r"^(.+?):\d+: error: ")


def mypy(args, env=None):
    r = subprocess.run([sys.executable, "-m", "mypy", "--strict", "--no-error-summary", *args], cwd=PKG_ROOT,
                       capture_output=True, text=True, env=env)
    if r.returncode not in (0, 1):  # 2: mypy itself failed (a crash, a bad flag)
        sys.exit(f"mypy failed ({r.returncode}):\n{r.stdout}{r.stderr}")
    # Paths relative to the repository, however mypy spelled them (relative or absolute).
    return [os.path.relpath(os.path.join(PKG_ROOT, line[:m.end(1)]), REPO) + line[m.end(1):]
            for line in r.stdout.splitlines() if (m := ERROR.match(line))]


def check(label, errors, update, failed):
    """Compares errors per file with the baseline's counts for `label`; returns whether it failed."""
    counts = collections.Counter(ERROR.match(e).group(1) for e in errors)
    print(f"mypy --strict {label}: {sum(counts.values())} errors")
    if update:
        return counts
    baseline = {}
    for line in open(BASELINE):
        if line.strip() and not line.startswith("#"):
            path, n = line.split()
            baseline[path] = int(n)
    mine = {p: n for p, n in baseline.items() if p.startswith(label)}
    for path in sorted(set(counts) | set(mine)):
        have, allowed = counts.get(path, 0), mine.get(path, 0)
        if have > allowed:
            print(f"{path}: {have} errors, baseline {allowed}:")
            print("\n".join(e for e in errors if e.startswith(path + ":")))
            failed = True
        elif have < allowed:
            print(f"{path}: {have} errors, fewer than the baseline's {allowed}: lower it (check_types.py --update)")
            failed = True
    return failed


def main():
    update = "--update" in sys.argv
    # The examples see the package as an installed, typed library: its annotations are used,
    # errors inside it are the package check's business (--follow-imports=silent). The goal is
    # none; the baseline holds what is left.
    env = dict(os.environ, MYPYPATH=PKG_ROOT)
    ex = mypy(["--follow-imports=silent", "../../examples/python"], env)
    pkg = mypy(["-p", "swiftnn"])
    if update:
        with open(BASELINE, "w") as f:
            f.write("# mypy --strict errors per file (tests/check_types.py): lower these, never raise them.\n")
            for label, errors in (("examples/python", ex), ("bindings/python/swiftnn", pkg)):
                for path, n in sorted(check(label, errors, True, False).items()):
                    f.write(f"{path} {n}\n")
        print("baseline written")
        return
    failed = check("examples/python", ex, False, False)
    failed = check("bindings/python/swiftnn", pkg, False, failed)
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
