#!/usr/bin/env python3
"""Prints burrow's headers, relative to include/: 'public' (all but detail/ and impl/) or 'core'
(the sans-I/O layer: the top-level headers plus ws/, http/ and proxy/)."""
import pathlib
import sys

root = pathlib.Path(sys.argv[1])
kind = sys.argv[2]
for path in sorted(root.glob("burrow/**/*.hpp")):
    rel = path.relative_to(root).as_posix()
    parts = rel.split("/")
    if "detail" in parts or "impl" in parts:
        continue
    if kind == "core" and len(parts) > 2 and parts[1] not in ("ws", "http", "proxy"):
        continue
    print(rel)
