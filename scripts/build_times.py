#!/usr/bin/env python3
"""Build times of one crate declaring the same 100 libc functions three ways:

- `#[ffi_auto]`: name-only `defcfuns!` entries (signatures from the headers at compile time),
  with the default features (the bundled libffi), with the macros only
  (`default-features = false`: no dynamic engine, no libffi) and with the system's libffi
  (feature `system-libffi`);
- hand-written `extern "C"` declarations (what ffi-auto generates, written out);
- bindgen in build.rs, allowlisted to the same functions.

Each crate is its own workspace under target/build-bench with its own target directory.
"clean" builds everything from nothing (dependencies included), "incremental" rebuilds after
touching main.rs (median of 3). The ffi-auto crate also gets a "cold discovery" clean build,
with an empty signature-database directory. Prints a markdown table.
"""
import ctypes
import ctypes.util
import json
import os
import shutil
import statistics
import subprocess
import sys
import time

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
BENCH = os.path.join(ROOT, "target", "build-bench")
HEADERS = ["string.h", "stdlib.h", "mathcalls.h", "stdio.h", "unistd.h"]


def run(cmd, cwd, env=None):
    e = dict(os.environ)
    e.update(env or {})
    t = time.monotonic()
    r = subprocess.run(cmd, cwd=cwd, env=e, capture_output=True, text=True)
    dt = time.monotonic() - t
    if r.returncode != 0:
        sys.exit("%s failed in %s:\n%s" % (" ".join(cmd), cwd, r.stderr[-3000:]))
    return dt, r.stdout


LIBS = [ctypes.CDLL(ctypes.util.find_library(n)) for n in ("c", "m")]


def linkable(name):
    # Declared in the headers is not the same as exported by libc/libm (crypt lives in libcrypt).
    return any(hasattr(lib, name) for lib in LIBS)


def pick_functions():
    exe = os.path.join(ROOT, "target", "release", "ffi-auto")
    if not os.path.exists(exe):
        run(["cargo", "build", "--release", "-q", "-p", "ffi-auto-cli"], ROOT)
    _, out = run([exe, "dump", "--json"], ROOT)
    decls = json.loads(out)
    chosen = []
    for h in HEADERS:
        picked = [
            d for d in sorted(decls, key=lambda d: d["name"])
            if os.path.basename(d["header"]) == h
            and not d["variadic"]
            and not d["name"].startswith("_")
            and linkable(d["link_name"])
            and d["return"]["rust"] is not None
            and all(p["rust"] is not None for p in d["params"])
            and not by_value_record(d["return"]["rust"])
            and not any(by_value_record(p["rust"]) for p in d["params"])
        ]
        chosen += picked[:20]
    assert len(chosen) == 100, len(chosen)
    return chosen


KNOWN = {"c_void", "c_char", "c_schar", "c_uchar", "c_short", "c_ushort", "c_int", "c_uint",
         "c_long", "c_ulong", "c_longlong", "c_ulonglong", "usize", "isize", "f32", "f64", "bool",
         "i8", "i16", "i32", "i64", "u8", "u16", "u32", "u64", "()"}


def by_value_record(r):
    # Structs by value (div_t) need generated struct types, which name-only entries do not
    # produce yet; leave those functions out of all three crates.
    return r.isidentifier() and r not in KNOWN


def rust_type(r):
    # Pointers to structs (FILE *) are declared as addresses, as ffi-auto's name-only
    # entries do until struct support generates the types.
    syntax = {"*const", "*mut", "Option<unsafe", "extern", '"C"', "fn(", ")", "->"}
    for word in r.split():
        if word not in KNOWN and word not in syntax and word.isidentifier():
            r = r.replace(word, "c_void")
    return r


def write(path, text):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        f.write(text)


def crate(name, deps, build_deps, build_rs, main_rs):
    d = os.path.join(BENCH, name)
    shutil.rmtree(d, ignore_errors=True)
    toml = '[package]\nname = "%s"\nversion = "0.0.0"\nedition = "2024"\n\n[workspace]\n\n[dependencies]\n%s\n' % (name, deps)
    if build_deps:
        toml += "\n[build-dependencies]\n%s\n" % build_deps
    write(os.path.join(d, "Cargo.toml"), toml)
    if build_rs:
        write(os.path.join(d, "build.rs"), build_rs)
    write(os.path.join(d, "src", "main.rs"), main_rs)
    # The same dependency versions as the repository's own build.
    shutil.copy(os.path.join(ROOT, "Cargo.lock"), os.path.join(d, "Cargo.lock"))
    return d


def main():
    fns = pick_functions()
    names = [d["name"] for d in fns]
    use = "use std::ffi::*;\n#[allow(unused_imports)]\nuse std::ffi::c_void;\n"
    uses = "\n".join("    let _ = {} as *const () as usize;".format(n) for n in names)

    entries = "\n".join("    pub fn %s;" % n for n in names)
    ffi_main = "#![allow(non_snake_case, dead_code)]\nffi_auto::defcfuns! {\n%s\n}\n\nfn main() {\n%s\n}\n" % (entries, uses)
    ffi = crate("with_ffi_auto", 'ffi-auto = { path = "%s" }' % ROOT, None, None, ffi_main)
    ffi_macros = crate(
        "with_ffi_auto_macros_only",
        'ffi-auto = { path = "%s", default-features = false }' % ROOT,
        None, None, ffi_main,
    )
    ffi_sys = crate(
        "with_ffi_auto_system_libffi",
        'ffi-auto = { path = "%s", features = ["system-libffi"] }' % ROOT,
        None, None, ffi_main,
    )

    lines = []
    for d in fns:
        params = ", ".join("a%d: %s" % (i, rust_type(p["rust"])) for i, p in enumerate(d["params"]))
        ret = "" if d["return"]["rust"] == "()" else " -> " + rust_type(d["return"]["rust"])
        lines.append("    pub fn %s(%s)%s;" % (d["name"], params, ret))
    externs = crate(
        "with_externs",
        "", None, None,
        "#![allow(non_snake_case, dead_code)]\n%s\nunsafe extern \"C\" {\n%s\n}\n\nfn main() {\n%s\n}\n"
        % (use, "\n".join(lines), uses),
    )

    allow = "".join('        .allowlist_function("%s")\n' % n for n in names)
    headers = "".join("#include <%s>\\n" % h for h in ["string.h", "stdlib.h", "math.h", "stdio.h", "unistd.h"])
    bg = crate(
        "with_bindgen",
        "",
        'bindgen = { version = "0.73", default-features = false, features = ["runtime"] }',
        "fn main() {\n    let b = bindgen::Builder::default()\n        .header_contents(\"all.h\", \"%s\")\n%s        .generate()\n        .unwrap();\n"
        "    let out = std::path::PathBuf::from(std::env::var(\"OUT_DIR\").unwrap());\n    b.write_to_file(out.join(\"bindings.rs\")).unwrap();\n}\n" % (headers, allow),
        "#![allow(non_snake_case, non_camel_case_types, non_upper_case_globals, dead_code)]\n"
        "include!(concat!(env!(\"OUT_DIR\"), \"/bindings.rs\"));\n\nfn main() {\n%s\n}\n" % uses,
    )

    rows = []
    cache = os.path.join(BENCH, "ffi-auto-cache")
    for label, d, env in [
        ("`#[ffi_auto]` (`defcfuns!`, default features, signature database warm)", ffi, {"FFI_AUTO_CACHE_DIR": cache}),
        ("`#[ffi_auto]`, macros only (`default-features = false`: no libffi)", ffi_macros, {"FFI_AUTO_CACHE_DIR": cache}),
        ("`#[ffi_auto]`, feature `system-libffi`", ffi_sys, {"FFI_AUTO_CACHE_DIR": cache}),
        ("hand-written `extern \"C\"`", externs, {}),
        ("bindgen in build.rs", bg, {}),
    ]:
        build = ["cargo", "build", "--offline", "-q"]
        # Warm the signature database once, outside the timings below.
        if d in (ffi, ffi_macros, ffi_sys):
            shutil.rmtree(cache, ignore_errors=True)
            run(build, d, env)
            shutil.rmtree(os.path.join(d, "target"))
        clean, _ = run(build, d, env)
        incr = []
        for _ in range(3):
            os.utime(os.path.join(d, "src", "main.rs"))
            t, _ = run(build, d, env)
            incr.append(t)
        rows.append((label, clean, statistics.median(incr)))
    # The first build on a machine: libclang loaded and the headers parsed during the build.
    shutil.rmtree(cache, ignore_errors=True)
    shutil.rmtree(os.path.join(ffi, "target"))
    cold, _ = run(["cargo", "build", "--offline", "-q"], ffi, {"FFI_AUTO_CACHE_DIR": cache})
    rows.insert(1, ("`#[ffi_auto]`, first build on the machine (empty database)", cold, float("nan")))

    print("| 100 libc functions declared with | clean build | incremental (touch main.rs) |")
    print("|---|---:|---:|")
    for label, c, i in rows:
        inc = "-" if i != i else "%.2f s" % i
        print("| %s | %.1f s | %s |" % (label, c, inc))


if __name__ == "__main__":
    main()
