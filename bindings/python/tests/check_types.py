"""`make test-types`: mypy --strict on examples/python (no error allowed) and on the swiftnn
package, whose errors may not exceed the per-file counts in mypy_baseline.txt (a list that only
shrinks: a file with fewer errors than listed fails too, until the baseline is lowered with
--update). Run from bindings/python; needs mypy (tools/setup.sh installs it)."""
import collections
import os
import re
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
PKG_ROOT = os.path.dirname(HERE)  # bindings/python
EXAMPLES = os.path.join(PKG_ROOT, "..", "..", "examples", "python")
BASELINE = os.path.join(HERE, "mypy_baseline.txt")
ERROR = re.compile(r"^(.+?):\d+: error: ")


def mypy(args, env=None):
    r = subprocess.run([sys.executable, "-m", "mypy", "--strict", "--no-error-summary", *args], cwd=PKG_ROOT,
                       capture_output=True, text=True, env=env)
    if r.returncode not in (0, 1):  # 2: mypy itself failed (a crash, a bad flag)
        sys.exit(f"mypy failed ({r.returncode}):\n{r.stdout}{r.stderr}")
    return [line for line in r.stdout.splitlines() if ERROR.match(line)]


def main():
    failed = False
    # The examples see the package as an installed, typed library: its annotations are used,
    # errors inside it are the package check's business (--follow-imports=silent).
    env = dict(os.environ, MYPYPATH=PKG_ROOT)
    errors = mypy(["--follow-imports=silent", os.path.normpath(EXAMPLES)], env)
    print(f"mypy --strict examples/python: {len(errors)} errors")
    if errors:
        print("\n".join(errors))
        failed = True

    errors = mypy(["-p", "swiftnn"])
    counts = collections.Counter(ERROR.match(e).group(1) for e in errors)
    if "--update" in sys.argv:
        with open(BASELINE, "w") as f:
            f.write("# mypy --strict -p swiftnn: errors per file (check_types.py). Lower it, never raise it.\n")
            for path, n in sorted(counts.items()):
                f.write(f"{path} {n}\n")
        print(f"baseline written: {sum(counts.values())} errors in {len(counts)} files")
        return
    baseline = {}
    for line in open(BASELINE):
        if line.strip() and not line.startswith("#"):
            path, n = line.split()
            baseline[path] = int(n)
    print(f"mypy --strict -p swiftnn: {sum(counts.values())} errors (baseline {sum(baseline.values())})")
    for path in sorted(set(counts) | set(baseline)):
        have, allowed = counts.get(path, 0), baseline.get(path, 0)
        if have > allowed:
            print(f"{path}: {have} errors, baseline {allowed}:")
            print("\n".join(e for e in errors if e.startswith(path + ":")))
            failed = True
        elif have < allowed:
            print(f"{path}: {have} errors, fewer than the baseline's {allowed}: lower it (check_types.py --update)")
            failed = True
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
