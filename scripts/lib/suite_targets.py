#!/usr/bin/env python3
"""Print the ninja targets that the tests of some meson suites need, one per line.

usage: suite_targets.py BUILD_DIR SUITE...

scripts/test.sh builds only these in its sanitizer and fuzz build dirs: those dirs run one suite
each, and building every example, tool and integration test there cost CI minutes for binaries
that no test of theirs runs. The list comes from `meson introspect`: each test's `depends` (the
executables it runs or takes as arguments) mapped to the files of those targets. A suite with no
test is an error, so that a renamed suite cannot turn into an empty build that passes.
"""
import json
import os
import subprocess
import sys


def main(argv):
    if len(argv) < 3:
        print(__doc__.strip(), file=sys.stderr)
        return 2
    build_dir, suites = argv[1], argv[2:]
    out = subprocess.run(["meson", "introspect", build_dir, "--tests", "--targets"],
                         check=True, capture_output=True, text=True).stdout
    info = json.loads(out)
    files_of = {t["id"]: t["filename"] for t in info["targets"]}
    # meson names suites "project:suite"; accept both spellings on the command line.
    wanted = set(suites)
    tests = [t for t in info["tests"]
             if any(s in wanted or s.split(":", 1)[-1] in wanted for s in t["suite"])]
    if not tests:
        print(f"error: no test in suite(s) {' '.join(suites)} of {build_dir}", file=sys.stderr)
        return 1
    root = os.path.realpath(build_dir)
    seen = set()
    for t in tests:
        for dep in t["depends"]:
            for f in files_of.get(dep, []):
                rel = os.path.relpath(os.path.realpath(f), root)
                if rel not in seen:
                    seen.add(rel)
                    print(rel)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
