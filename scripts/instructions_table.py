#!/usr/bin/env python3
"""Instructions per call for each path, from a callgrind profile of benches/instructions.rs.

Usage: instructions_table.py CALLGRIND_OUT CALLS
"""
import re
import subprocess
import sys

GROUPS = ["add_i32", "add_f64", "sum6", "mix", "strlen"]
PATHS = ["direct", "handle_tuple", "handle_values", "by_name", "libffi_cif"]


def main():
    out, calls = sys.argv[1], int(sys.argv[2])
    text = subprocess.run(
        ["callgrind_annotate", "--inclusive=yes", "--threshold=100", out],
        check=True, capture_output=True, text=True,
    ).stdout
    cost = {}
    for line in text.splitlines():
        m = re.match(r"\s*([\d,]+)\s.*\binstructions::bench_(\w+?)\s", line + " ")
        if m:
            cost[m.group(2)] = int(m.group(1).replace(",", "")) / calls
    print("| function | " + " | ".join(PATHS) + " | handle / libffi | by-name / libffi |")
    print("|---|" + "---:|" * (len(PATHS) + 2))
    for g in GROUPS:
        v = {p: cost.get("%s_%s" % (g, p)) for p in PATHS}
        base = v["libffi_cif"]
        cells = ["%.0f" % x if x is not None else "-" for x in (v[p] for p in PATHS)]
        r = lambda p: "%.2fx" % (v[p] / base) if v[p] and base else "-"
        print("| %s | %s | %s | %s |" % (g, " | ".join(cells), r("handle_tuple"), r("by_name")))
    wrappers(cost)
    callbacks(cost)


def callbacks(cost):
    print()
    print("| callback (C calls it 64 times per iteration) | instructions per call | ratio to libffi closure |")
    print("|---|---:|---:|")
    raw = cost.get("callback_libffi_closure")
    for p in ["plain_fn", "closure_typed", "closure_shared", "closure_forever", "closure_dynamic", "libffi_closure"]:
        v = cost.get("callback_" + p)
        if v is None:
            continue
        print("| %s | %.0f | %s |" % (p, v / 64, "%.2fx" % (v / raw) if raw else "-"))


def wrappers(cost):
    print()
    print("| function | hand-written extern | #[ffi_auto] | ratio |")
    print("|---|---:|---:|---:|")
    for g in ["add_i32", "strlen"]:
        e, a = cost.get("wrapper_%s_extern" % g), cost.get("wrapper_%s_ffi_auto" % g)
        if e and a:
            print("| %s | %.0f | %.0f | %.2fx |" % (g, e, a, a / e))
        elif e:
            # The two loops compiled to byte-identical code, which the compiler folded into one
            # function: the wrapper costs exactly what the extern does.
            print("| %s | %.0f | %.0f (identical code, folded into one function) | 1.00x |" % (g, e, e))


if __name__ == "__main__":
    main()
