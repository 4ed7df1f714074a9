#!/usr/bin/env python3
"""Counts what the layering rule and the small-function rule forbid, so before/after figures
are one command: adapter files naming storage, modules outside `app` naming `store`, functions
over a line limit, and comparisons of state columns against string literals."""
import os, re, sys

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
ADAPTERS = ["src/api", "src/portal"]
LIMIT = int(os.environ.get("FN_LINE_LIMIT", "120"))
# `app::store` is private to `app`; the compiler enforces it too (`cargo clippy --lib --bins`
# without the `test-door` feature), this makes the count visible.
STORE_PATH = re.compile(r"\bstore::|::store\b|\bstore\s*[,}]")
STORE_USE = re.compile(r"\bstore::|\bapp\.db\b|\bsqlx\b|\.pool\b|\bDb\b")
STATE_CMP = re.compile(
    r"""(status|state|kind)\w*(\(\))?\s*(==|!=)\s*"[a-z_A-Z]+"|"[a-z_]+"\s*(==|!=)\s*\w*(status|state)"""
)
FN_START = re.compile(r"^\s*(pub(\([^)]*\))?\s+)?(async\s+)?(const\s+)?(unsafe\s+)?fn\s+(\w+)")


def rust_files(sub):
    for dirpath, _, names in os.walk(os.path.join(ROOT, sub)):
        for n in sorted(names):
            if n.endswith(".rs"):
                yield os.path.join(dirpath, n)


def long_functions(path):
    lines = open(path, encoding="utf-8").read().split("\n")
    out, i = [], 0
    while i < len(lines):
        m = FN_START.match(lines[i])
        if not m:
            i += 1
            continue
        depth, started, j = 0, False, i
        while j < len(lines):
            code = re.sub(r'"(\\.|[^"\\])*"', '""', lines[j].split("//")[0])
            depth += code.count("{") - code.count("}")
            if "{" in code:
                started = True
            if started and depth <= 0:
                break
            if not started and code.rstrip().endswith(";"):
                break
            j += 1
        length = j - i + 1
        if started and length > LIMIT:
            out.append((length, m.group(6), os.path.relpath(path, ROOT), i + 1))
        i = j + 1 if started else i + 1
    return out


def main():
    store_uses = []
    for sub in ADAPTERS:
        for f in rust_files(sub):
            for n, line in enumerate(open(f, encoding="utf-8"), 1):
                if STORE_USE.search(line.split("//")[0]):
                    store_uses.append(f"{os.path.relpath(f, ROOT)}:{n}")
    outside_app = []
    for f in rust_files("src"):
        rel = os.path.relpath(f, ROOT)
        if rel.startswith(os.path.join("src", "app") + os.sep):
            continue
        for n, line in enumerate(open(f, encoding="utf-8"), 1):
            if STORE_PATH.search(line.split("//")[0]):
                outside_app.append(f"{rel}:{n}")
    longs = []
    state_cmps = []
    for f in rust_files("src"):
        longs += long_functions(f)
        for n, line in enumerate(open(f, encoding="utf-8"), 1):
            if STATE_CMP.search(line.split("//")[0]):
                state_cmps.append(f"{os.path.relpath(f, ROOT)}:{n}")
    verbose = "-v" in sys.argv
    print(f"adapter lines naming storage (api/, portal/): {len(store_uses)}")
    if verbose:
        print("  " + "\n  ".join(store_uses))
    print(f"lines naming store outside src/app: {len(outside_app)}")
    if verbose or outside_app:
        print("  " + "\n  ".join(outside_app))
    print(f"functions over {LIMIT} lines: {len(longs)}")
    for length, name, f, line in sorted(longs, reverse=True):
        print(f"  {length:4} {name} ({f}:{line})")
    print(f"state compared with a string literal: {len(state_cmps)}")
    if verbose:
        print("  " + "\n  ".join(state_cmps))


main()
