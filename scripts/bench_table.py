#!/usr/bin/env python3
"""Prints the README's benchmark table from criterion's results (target/criterion).

Each row is one function, each column one call path, as median ns and as a ratio to libffi's
`Cif::call` measured in the same run.
"""
import json
import os
import sys

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "target", "criterion")
GROUPS = ["add_i32", "add_f64", "sum6", "mix", "strlen"]
PATHS = ["direct", "handle_tuple", "handle_values", "by_name", "libffi_cif"]


def median(group, path):
    f = os.path.join(ROOT, group, path, "new", "estimates.json")
    if not os.path.exists(f):
        return None
    with open(f) as fh:
        return json.load(fh)["median"]["point_estimate"]


def main():
    groups = sys.argv[1:] or GROUPS
    try:
        table(groups)
    finally:
        wrappers()
        callbacks()


def callbacks():
    print()
    print("| callback C calls 64 times | ns per call | ratio to plain fn | ratio to libffi closure |")
    print("|---|---:|---:|---:|")
    plain = median("callback", "plain_fn")
    raw = median("callback", "libffi_closure")
    for p in ["plain_fn", "closure_typed", "closure_shared", "closure_forever", "closure_dynamic", "libffi_closure"]:
        v = median("callback", p)
        if v is None:
            continue
        r1 = "%.2fx" % (v / plain) if plain else "-"
        r2 = "%.2fx" % (v / raw) if raw else "-"
        print("| %s | %.1f | %s | %s |" % (p, v / 64, r1, r2))


def table(groups):
    print("| function | " + " | ".join(PATHS) + " | handle / libffi | by-name / libffi |")
    print("|---|" + "---:|" * (len(PATHS) + 2))
    for g in groups:
        vals = {p: median(g, p) for p in PATHS}
        base = vals["libffi_cif"]
        cells = ["%.1f" % v if v is not None else "-" for v in (vals[p] for p in PATHS)]
        ratio = lambda p: "%.2fx" % (vals[p] / base) if vals[p] and base else "-"
        print("| %s | %s | %s | %s |" % (g, " | ".join(cells), ratio("handle_tuple"), ratio("by_name")))


def wrappers():
    print()
    print("| function | hand-written extern (ns) | #[ffi_auto] (ns) | ratio |")
    print("|---|---:|---:|---:|")
    for g in ["add_i32", "mix", "strlen"]:
        e = median("wrapper", g + "_extern")
        a = median("wrapper", g + "_ffi_auto")
        if e and a:
            print("| %s | %.2f | %.2f | %.2fx |" % (g, e, a, a / e))


if __name__ == "__main__":
    main()
