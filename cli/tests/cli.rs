//! The `ffi-auto` command, run as a user would, each test with its own empty cache.

use std::process::{Command, Output};

fn run(args: &[&str]) -> Output {
    let cache = tempfile::tempdir().unwrap();
    Command::new(env!("CARGO_BIN_EXE_ffi-auto"))
        .args(args)
        .env("FFI_AUTO_CACHE_DIR", cache.path())
        .output()
        .unwrap()
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn fixture_args() -> Vec<String> {
    vec![
        "--lib".into(),
        ffi_auto_fixture::LIB.into(),
        "--header".into(),
        ffi_auto_fixture::header().display().to_string(),
    ]
}

#[test]
fn call_strlen_prints_eleven() {
    let o = run(&["call", "strlen", "hello world"]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(stdout(&o), "11\n");
}

#[test]
fn call_sin_in_libm_prints_the_shortest_round_trip_form() {
    let o = run(&["call", "sin", "1.0", "--lib", "m"]);
    assert_eq!(
        stdout(&o),
        format!("{:?}\n", std::hint::black_box(1.0f64).sin())
    );
    assert_eq!(stdout(&o), "0.8414709848078965\n");
}

#[test]
fn call_a_fixture_function_by_path_and_header() {
    let mut args = vec!["call", "add_i32", "2", "40"];
    let extra = fixture_args();
    args.extend(extra.iter().map(String::as_str));
    let o = run(&args);
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(stdout(&o), "42\n");
    // Hex and negative integers, and a float argument for a float parameter.
    // A negative hex number looks like an option: it goes after `--`.
    let mut args = vec!["call", "fx_id_i64"];
    args.extend(extra.iter().map(String::as_str));
    args.extend(["--", "-0x10"]);
    assert_eq!(stdout(&run(&args)), "-16\n");
    let mut args = vec!["call", "fx_id_i64", "-12"];
    args.extend(extra.iter().map(String::as_str));
    assert_eq!(stdout(&run(&args)), "-12\n");
    let mut args = vec!["call", "fx_half_float", "3"];
    args.extend(extra.iter().map(String::as_str));
    assert_eq!(stdout(&run(&args)), "1.5\n");
    let mut args = vec!["call", "noop"];
    args.extend(extra.iter().map(String::as_str));
    let o = run(&args);
    assert!(
        o.status.success() && stdout(&o).is_empty(),
        "void prints nothing"
    );
}

#[test]
fn bad_arguments_exit_2_with_the_runtime_error() {
    let mut args = vec!["call", "fx_id_uchar", "300"];
    let extra = fixture_args();
    args.extend(extra.iter().map(String::as_str));
    let o = run(&args);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("(`300`) is out of range: `unsigned char` holds 0..=255"),
        "{}",
        stderr(&o)
    );
    let o = run(&["call", "abs", "twelve"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("is not an integer"), "{}", stderr(&o));
    let o = run(&["call", "abs", "1", "2"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("takes 1 argument, 2 given"),
        "{}",
        stderr(&o)
    );
    let o = run(&["call", "strlenn", "x"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("did you mean"), "{}", stderr(&o));
}

#[test]
fn sig_shows_declaration_header_library_and_rust() {
    let o = run(&["sig", "strlen"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let out = stdout(&o);
    assert!(out.contains("size_t strlen(const char *__s);"), "{out}");
    assert!(out.contains("string.h:"), "{out}");
    assert!(out.contains("libc.so"), "{out}");
    assert!(
        out.contains("pub unsafe fn strlen(__s: *const c_char) -> usize;"),
        "{out}"
    );
    // Tags as a C compiler reads them.
    let o = run(&["sig", "gettimeofday"]);
    assert!(
        stdout(&o).starts_with("int gettimeofday(struct timeval *__tv, void *__tz);"),
        "{}",
        stdout(&o)
    );
    let o = run(&["sig", "sscanf", "--json"]);
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["link_name"], "__isoc99_sscanf");
    assert_eq!(v["variadic"], true);
    assert_eq!(v["params"][0]["rust"], "*const c_char");
}

#[test]
fn dump_lists_a_headers_functions_as_json() {
    let o = run(&[
        "dump",
        "--header",
        &ffi_auto_fixture::header().display().to_string(),
        "--json",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let list = v.as_array().unwrap();
    assert!(list.len() > 50, "{}", list.len());
    assert!(
        list.iter()
            .all(|d| d["header"].as_str().unwrap().ends_with("fixture.h"))
    );
    let add = list.iter().find(|d| d["name"] == "add_i32").unwrap();
    assert_eq!(add["return"]["c"], "int");
    assert_eq!(add["return"]["rust"], "c_int");
    assert_eq!(add["params"][1]["name"], "b");
    assert_eq!(add["params"][1]["rust"], "c_int");
    let size = list.iter().find(|d| d["name"] == "fx_id_size").unwrap();
    assert_eq!(size["return"]["rust"], "usize");
    let strlen = list.iter().find(|d| d["name"] == "my_strlen").unwrap();
    assert_eq!(strlen["params"][0]["c"], "const char *");
    assert_eq!(strlen["params"][0]["rust"], "*const c_char");
    assert!(
        !list.iter().any(|d| d["name"] == "fx_inline_twice"),
        "not callable"
    );
}

/// The headers a `dump` lists functions from.
fn dumped_headers(args: &[&str]) -> Vec<String> {
    let mut all = vec!["dump", "--json"];
    all.extend(args);
    let o = run(&all);
    assert!(o.status.success(), "{}", stderr(&o));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let mut headers: Vec<String> = v
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["header"].as_str().unwrap().to_owned())
        .collect();
    headers.sort();
    headers.dedup();
    headers
}

#[test]
fn an_umbrella_header_lists_its_whole_library_and_not_the_c_library() {
    // `openssl/ssl.h` declares ~500 functions itself and includes the rest of openssl
    // (evp.h, bio.h, x509.h, ...), and the C library's stdio.h, time.h, ...
    let headers = dumped_headers(&["--header", "openssl/ssl.h", "--pkg-config", "openssl"]);
    assert!(headers.len() > 10, "{headers:?}");
    assert!(
        headers.iter().any(|h| h.ends_with("openssl/evp.h")),
        "{headers:?}"
    );
    assert!(
        headers.iter().all(|h| h.contains("/openssl/")),
        "{headers:?}"
    );
    // lzma.h only includes lzma/*.h, which declare everything.
    let headers = dumped_headers(&["--header", "lzma.h"]);
    assert!(
        headers.iter().any(|h| h.ends_with("lzma/container.h")),
        "{headers:?}"
    );
    assert!(headers.iter().all(|h| h.contains("lzma")), "{headers:?}");
    // `--all` keeps its meaning: everything the set declares, the C library too.
    let all = dumped_headers(&["--header", "lzma.h", "--all"]);
    assert!(all.iter().any(|h| h.ends_with("/stdio.h")), "{all:?}");
}

#[test]
fn a_closed_pipe_ends_the_command_without_a_panic() {
    use std::io::Read;
    let cache = tempfile::tempdir().unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_ffi-auto"))
        .args(["dump", "--all"])
        .env("FFI_AUTO_CACHE_DIR", cache.path())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut first = [0u8; 16];
    child.stdout.take().unwrap().read_exact(&mut first).unwrap();
    // The read end is dropped: the next writes fail with EPIPE.
    let out = child.wait_with_output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!err.contains("panicked"), "{err}");
}

#[test]
fn headers_lists_the_default_set_and_include_paths() {
    let o = run(&["headers"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let out = stdout(&o);
    assert!(out.contains("stdio.h"), "{out}");
    assert!(out.contains("include paths:"), "{out}");
    assert!(out.contains("libclang:"), "{out}");
}

#[test]
fn struct_prints_the_header_layout_and_const_the_value() {
    let o = run(&["struct", "timeval"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let out = stdout(&o);
    assert!(
        out.starts_with("struct timeval: 16 bytes, aligned to 8\n"),
        "{out}"
    );
    assert!(
        out.contains("     8    8 bytes  __suseconds_t tv_usec"),
        "{out}"
    );
    // `ffi-auto struct NAME --header HEADER`'s output.
    let layout = |name: &str, header: &str| stdout(&run(&["struct", name, "--header", header]));
    let fixture = ffi_auto_fixture::header().display().to_string();
    let out = layout("fx_handle", &fixture);
    assert!(out.starts_with("struct fx_handle: opaque"), "{out}");
    // A `long double` field is `CLongDouble` in a generated struct.
    let out = layout("fx_ld_pair", &fixture);
    assert!(
        out.contains("    16   16 bytes  long double value  (rust: ffi_auto::CLongDouble)"),
        "{out}"
    );
    // A typedef of a tag never defined says which tag (OpenSSL's, installed by make test).
    let out = layout("SSL", "openssl/ssl.h");
    assert!(
        out.starts_with("SSL: opaque (a typedef of struct ssl_st,"),
        "{out}"
    );
    // A union never defined, met only in a typedef, is known as a union.
    let out = layout("fx_token", &fixture);
    assert!(out.starts_with("union fx_token: opaque"), "{out}");
    let o = run(&["const", "ZLIB_VERSION", "--header", "zlib.h"]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(
        stdout(&o).contains("rust:    pub const ZLIB_VERSION: &CStr = c\"1."),
        "{}",
        stdout(&o)
    );
    let o = run(&["const", "SEEK_END"]);
    assert!(
        stdout(&o).starts_with("SEEK_END = 2 (int)\n"),
        "{}",
        stdout(&o)
    );
    let o = run(&["const", "O_RDONL"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("did you mean O_RDONLY"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn call_prints_a_struct_return_by_field() {
    let o = run(&["call", "div", "17", "5"]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(stdout(&o), "struct div_t { quot: 3, rem: 2 }\n");
}

#[test]
fn variadic_arguments_are_typed_by_the_format_and_checked() {
    // dprintf writes straight to the descriptor, so its text comes before the return.
    let o = run(&[
        "call",
        "dprintf",
        "1",
        "%s|%d|%.1f|%5.2s|",
        "5",
        "7",
        "2.5",
        "abc",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(stdout(&o), "5|7|2.5|   ab|14\n");
    // What crashed the command: a conversion with no argument, and `%n`.
    for args in [
        &["call", "printf", "%s|"][..],
        &["call", "printf", "%n"],
        &["call", "printf", "%n", "5"],
        &["call", "printf", "%d", "x"],
    ] {
        let o = run(args);
        assert_eq!(o.status.code(), Some(2), "{args:?}");
        assert!(stderr(&o).contains('%'), "{args:?}: {}", stderr(&o));
    }
    // `open` reads a mode after its flags when they hold O_CREAT.
    let creat = libc::O_CREAT.to_string();
    let o = run(&["call", "open", "/nonexistent/x", &creat]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("mode_t"), "{}", stderr(&o));
    let o = run(&["call", "open", "/nonexistent/x", &creat, "420"]);
    assert_eq!(stdout(&o), "-1\n", "{}", stderr(&o));
    // Other variadic functions cannot be called safely at all: `fcntl(0, F_GETLK)` would have
    // the kernel write a `struct flock` wherever a register points.
    let getlk = libc::F_GETLK.to_string();
    let o = run(&["call", "fcntl", "0", &getlk]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("call_raw"), "{}", stderr(&o));
}

#[test]
fn numbers_out_of_range_are_errors_that_name_the_value_given() {
    for (args, value) in [
        (
            &["call", "strnlen", "hello", "18446744073709551616"][..],
            "18446744073709551616",
        ),
        (
            &["call", "strnlen", "hello", "-99999999999999999999"],
            "-99999999999999999999",
        ),
        (
            &["call", "labs", "--", "-9223372036854775809"],
            "-9223372036854775809",
        ),
        (&["call", "fabs", "1e400"], "1e400"),
        (&["call", "fabs", "--", "-1e400"], "-1e400"),
    ] {
        let o = run(args);
        assert_eq!(o.status.code(), Some(2), "{args:?}: {}", stdout(&o));
        assert!(
            stderr(&o).contains(value) && stderr(&o).contains("out of range"),
            "{args:?}: {}",
            stderr(&o)
        );
    }
    assert_eq!(stdout(&run(&["call", "fabs", "--", "-inf"])), "inf\n");
}

#[test]
fn pointers_print_as_their_value_and_strings_outlive_the_call() {
    let o = run(&["call", "malloc", "16"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let out = stdout(&o);
    let addr = u64::from_str_radix(out.trim().trim_start_matches("0x"), 16).unwrap();
    // glibc's malloc returns 16-byte aligned heap memory, not an address on the stack.
    assert_eq!(addr % 16, 0, "{out}");
    let stack = (&raw const out) as u64;
    assert!(addr.abs_diff(stack) > 1 << 30, "{out}");
    // A returned pointer into an argument reads that argument, still alive.
    assert_eq!(stdout(&run(&["call", "strchr", "hello", "108"])), "llo\n");
    assert_eq!(
        stdout(&run(&["call", "strstr", "haystack", "st"])),
        "stack\n"
    );
    // A null `char *` return prints NULL.
    assert_eq!(
        stdout(&run(&["call", "getenv", "FFI_AUTO_SURELY_UNSET_VARIABLE"])),
        "NULL\n"
    );
}

#[test]
fn a_forged_database_another_user_could_write_is_ignored() {
    use std::os::unix::fs::PermissionsExt;
    let cache = tempfile::tempdir().unwrap();
    let call = |args: &[&str]| {
        Command::new(env!("CARGO_BIN_EXE_ffi-auto"))
            .args(args)
            .env("FFI_AUTO_CACHE_DIR", cache.path())
            .output()
            .unwrap()
    };
    // `atol` (not one of the functions the command compiles in, which no database affects).
    assert_eq!(stdout(&call(&["call", "atol", "hello"])), "0\n");
    // Forge the database: `atol` now links `puts` (as a forger would link `system`).
    let file = std::fs::read_dir(cache.path())
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.extension().is_some_and(|e| e == "ffidb"))
        .unwrap();
    let (stored, key) = ffi_auto_discovery::db::load_any(&file).unwrap();
    let lib = stored.libclang().clone();
    let mut decls = (*ffi_auto_discovery::Catalog::from(stored).all()).clone();
    let mut atol = (*decls.functions["atol"]).clone();
    atol.link_name = Some("puts".to_owned());
    decls.functions.insert("atol".to_owned(), atol.into());
    ffi_auto_discovery::db::store(&file, &key, &lib, &decls).unwrap();
    // This user's own file is trusted: the forgery is used (`puts` prints the string).
    let o = call(&["call", "atol", "hello"]);
    assert!(stdout(&o).contains("hello\n"), "{}", stdout(&o));
    assert!(!stdout(&o).starts_with("0\n"), "{}", stdout(&o));
    // Writable by others, it is not.
    std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o666)).unwrap();
    let o = call(&["call", "atol", "hello"]);
    assert_eq!(stdout(&o), "0\n", "{}", stderr(&o));
    assert!(
        stderr(&o).contains("warning") && stderr(&o).contains("group or others may write it"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn what_a_safe_call_cannot_check_is_refused_not_run() {
    // zlib's crc32 reads `len` bytes of the string: a million past a 3-byte string.
    let o = run(&[
        "call",
        "crc32",
        "0",
        "abc",
        "1000000000",
        "--header",
        "zlib.h",
        "--lib",
        "z",
    ]);
    assert_eq!(o.status.code(), Some(2), "{}", stdout(&o));
    assert!(stderr(&o).contains("read past its end"), "{}", stderr(&o));
    let o = run(&[
        "call", "crc32", "0", "abc", "3", "--header", "zlib.h", "--lib", "z",
    ]);
    assert_eq!(stdout(&o), "891568578\n", "{}", stderr(&o));
    // A `pthread_t` that is no thread, a descriptor Rust may own.
    for args in [
        &["call", "pthread_detach", "1"][..],
        &["call", "close", "1"],
    ] {
        let o = run(args);
        assert_eq!(o.status.code(), Some(2), "{args:?}");
        assert!(
            stderr(&o).contains("cannot be called safely"),
            "{}",
            stderr(&o)
        );
    }
}

#[cfg(target_arch = "x86_64")]
#[test]
fn call_takes_and_prints_128_bit_integers_exactly() {
    let extra = fixture_args();
    let call = |words: &[&str]| {
        let mut args = vec!["call"];
        args.extend(words);
        args.extend(extra.iter().map(String::as_str));
        run(&args)
    };
    let big = (1i128 << 100).to_string();
    let o = call(&["fx_mul128", &big, "3"]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(stdout(&o), format!("{}\n", (1i128 << 100) * 3));
    let o = call(&["fx_shl128", "0xffffffffffffffffffffffffffffffff", "0"]);
    assert_eq!(stdout(&o), format!("{}\n", u128::MAX));
    // Outside the type's range: exit 2 with the range.
    let o = call(&["fx_shl128", "-1", "0"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains(&u128::MAX.to_string()),
        "{}",
        stderr(&o)
    );
    let o = call(&["fx_mul128", &(1u128 << 127).to_string(), "1"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("out of range"), "{}", stderr(&o));
}
