//! The policy from the environment, and the diagnostics subcommands (`status`, `diagnose`,
//! `bench`, `audit`), run as a user would.

use std::process::{Command, Output};

fn run_env(args: &[&str], env: &[(&str, &str)]) -> Output {
    let cache = tempfile::tempdir().unwrap();
    let mut c = Command::new(env!("CARGO_BIN_EXE_ffi-auto"));
    c.args(args).env("FFI_AUTO_CACHE_DIR", cache.path());
    for v in [
        "FFI_AUTO_POLICY",
        "FFI_AUTO_ALLOW",
        "FFI_AUTO_DENY",
        "FFI_AUTO_ONLY",
        "FFI_AUTO_TRACK",
        "FFI_AUTO_TRACE",
    ] {
        c.env_remove(v);
    }
    for (k, v) in env {
        c.env(k, v);
    }
    c.output().unwrap()
}

fn out(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn err(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

#[test]
fn a_conservative_environment_refuses_system_and_nothing_runs() {
    let dir = tempfile::tempdir().unwrap();
    let marker = dir.path().join("ran");
    let command = format!("touch {}", marker.display());
    let o = run_env(
        &["call", "system", &command],
        &[("FFI_AUTO_POLICY", "conservative")],
    );
    assert_eq!(o.status.code(), Some(2), "{}", err(&o));
    assert!(
        err(&o).starts_with("error: `system` refused by preset `conservative` (FFI_AUTO_POLICY): `system` is a process-control or privilege function (built-in rule `system`); nothing was called\nhint: allow it by name: FFI_AUTO_ALLOW=system"),
        "{}",
        err(&o)
    );
    assert!(!marker.exists());
    // Allowed by name, it runs.
    let o = run_env(
        &["call", "system", &command],
        &[
            ("FFI_AUTO_POLICY", "conservative"),
            ("FFI_AUTO_ALLOW", "system"),
        ],
    );
    assert!(o.status.success(), "{}", err(&o));
    assert!(marker.exists());
}

#[test]
fn deny_and_only_rules_from_the_environment() {
    let o = run_env(&["call", "strlen", "hi"], &[("FFI_AUTO_DENY", "str*")]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        err(&o).contains("refused by deny rule `str*` (FFI_AUTO_DENY)"),
        "{}",
        err(&o)
    );
    let o = run_env(&["call", "abs", "-3"], &[("FFI_AUTO_ONLY", "strlen")]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        err(&o).contains("not in the allow-only list (FFI_AUTO_ONLY)"),
        "{}",
        err(&o)
    );
    let o = run_env(&["call", "strlen", "hi"], &[("FFI_AUTO_ONLY", "strlen")]);
    assert_eq!(out(&o), "2\n", "{}", err(&o));
    // A setting that does not parse is the strictest reading, and says why.
    let o = run_env(
        &["call", "strlen", "hi"],
        &[("FFI_AUTO_POLICY", "permisive")],
    );
    assert_eq!(o.status.code(), Some(2));
    assert!(
        err(&o).contains("unknown policy preset `permisive`"),
        "{}",
        err(&o)
    );
    // Loading a library is decided separately from calling into it.
    let o = run_env(
        &["call", "cbrt", "8", "--lib", "m"],
        &[("FFI_AUTO_DENY", "m:")],
    );
    assert_eq!(o.status.code(), Some(2));
    assert!(
        err(&o).contains("`loading library m` refused by deny rule `m:`"),
        "{}",
        err(&o)
    );
}

#[test]
fn status_reports_what_the_engine_has() {
    let o = run_env(&["status"], &[("FFI_AUTO_DENY", "system")]);
    assert!(o.status.success(), "{}", err(&o));
    let s = out(&o);
    for line in [
        "libffi       3.",
        "call tiers   direct: yes",
        "             registers: yes",
        "             libffi: yes (everything else)",
        "libclang     ",
        "headers      the C standard library and POSIX headers",
        "database     ",
        "policy       environment: preset permissive; allow -; deny system",
        "             program: preset permissive; allow -; deny -",
        "tracking     off; tracing off (FFI_AUTO_TRACE)",
        "compiled in  13 functions (the macros)",
    ] {
        assert!(
            s.lines().any(|l| l.starts_with(line)),
            "no line `{line}` in\n{s}"
        );
    }
    assert!(
        s.contains("1493 functions") || s.contains(" functions, "),
        "{s}"
    );
}

#[test]
fn diagnose_checks_everything_without_calling() {
    let o = run_env(&["diagnose", "abs", "3000000000"], &[]);
    assert_eq!(o.status.code(), Some(1));
    let s = out(&o);
    assert!(s.contains("ok   signature      int abs(int __x)"), "{s}");
    assert!(s.contains("in /"), "{s}");
    assert!(
        s.contains("FAIL arguments      argument 1 (`3000000000`) is out of range"),
        "{s}"
    );
    assert!(s.ends_with("=> `abs` would not be called\n"), "{s}");
    assert_eq!(err(&o), "");

    let o = run_env(&["diagnose", "strlen", "hello"], &[]);
    assert!(o.status.success());
    assert!(
        out(&o).contains("ok   argument 1 (const char *)  CStr(\"hello\"): converts"),
        "{}",
        out(&o)
    );

    let o = run_env(
        &["diagnose", "execv", "/bin/true", "0"],
        &[("FFI_AUTO_POLICY", "conservative")],
    );
    assert_eq!(o.status.code(), Some(1));
    assert!(
        out(&o).starts_with("FAIL policy (name)  preset `conservative` (FFI_AUTO_POLICY)"),
        "{}",
        out(&o)
    );
}

#[test]
fn bench_lines_up_every_path() {
    let o = run_env(&["bench", "cbrt", "27", "--iterations", "2000"], &[]);
    assert!(o.status.success(), "{}", err(&o));
    let s = out(&o);
    let rows: Vec<&str> = s
        .lines()
        .map(|l| l.split("  ").next().unwrap_or(""))
        .collect();
    assert_eq!(
        rows,
        [
            "path",
            "compile-time wrapper (defcfuns!)",
            "handle, Values (registers)",
            "by name, Values",
            "handle, libffi only"
        ],
        "{s}"
    );
    assert!(s.lines().nth(1).unwrap().ends_with(" 1.00x"), "{s}");
}

#[test]
fn audit_reads_a_tracking_report_and_gives_the_policy_s_verdict() {
    let dir = tempfile::tempdir().unwrap();
    let report = dir.path().join("report.tsv");
    let report_s = report.to_str().unwrap();
    let o = run_env(
        &["call", "strlen", "hello"],
        &[("FFI_AUTO_TRACK", report_s)],
    );
    assert!(o.status.success(), "{}", err(&o));
    assert!(report.exists(), "no report written");

    let o = run_env(&["audit", report_s], &[]);
    assert!(o.status.success(), "{}", err(&o));
    let s = out(&o);
    assert!(
        s.lines()
            .any(|l| l.starts_with("strlen") && l.contains("handle") && l.ends_with("allowed")),
        "{s}"
    );
    assert!(
        s.contains("1 functions, 1 calls; 0 of the rows refused"),
        "{s}"
    );

    let o = run_env(&["audit", report_s], &[("FFI_AUTO_DENY", "strlen")]);
    let s = out(&o);
    assert!(
        s.lines().any(|l| l.starts_with("strlen")
            && l.ends_with("refused: deny rule `strlen` (FFI_AUTO_DENY)")),
        "{s}"
    );

    // A file that is not a report is an error that says what one is.
    std::fs::write(&report, "ffi-auto tracking report 1\nsystem;rm\thandle\n").unwrap();
    let o = run_env(&["audit", report_s], &[]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        err(&o).contains("is not an ffi-auto tracking report: line 2"),
        "{}",
        err(&o)
    );
}

#[test]
fn static_inline_functions_and_macros_are_called_through_shims() {
    let o = run_env(&["call", "__bswap_32", "305419896"], &[]);
    assert!(o.status.success(), "{}", err(&o));
    assert_eq!(out(&o), "2018915346\n");
    let o = run_env(&["call", "WEXITSTATUS", "--sig", "int (int)", "256"], &[]);
    assert!(o.status.success(), "{}", err(&o));
    assert_eq!(out(&o), "1\n");
    // The headers' typedefs are types a signature may name (`mode_t`, 0o40755 and 0o100644).
    let o = run_env(&["call", "S_ISDIR", "--sig", "int (mode_t)", "16877"], &[]);
    assert!(o.status.success(), "{}", err(&o));
    assert_eq!(out(&o), "1\n");
    let o = run_env(&["call", "S_ISDIR", "--sig", "int (mode_t)", "33188"], &[]);
    assert_eq!(out(&o), "0\n");
    let o = run_env(
        &["call", "CMSG_SPACE", "--sig", "size_t (size_t)", "4"],
        &[],
    );
    assert_eq!(out(&o), "24\n", "{}", err(&o));
    let o = run_env(&["call", "S_ISDIR", "--sig", "int (mode_tt)", "1"], &[]);
    assert!(
        err(&o).contains("nor one the headers declare"),
        "{}",
        err(&o)
    );
    // Without a signature, the message says how to give one.
    let o = run_env(&["call", "WEXITSTATUS", "256"], &[]);
    assert_eq!(o.status.code(), Some(2));
    assert!(err(&o).contains("hint: for a function-like macro, give the signature to call it with: `ffi-auto call WEXITSTATUS --sig \"int (int)\" ...`"), "{}", err(&o));
    // Pointers are for Rust code, which can vouch for them.
    let o = run_env(&["call", "WEXITSTATUS", "--sig", "int (int *)", "256"], &[]);
    assert_eq!(o.status.code(), Some(2));
    assert!(err(&o).contains("numbers and strings"), "{}", err(&o));
    // No C compiler: the error says so and what to install.
    let o = run_env(&["call", "__bswap_32", "1"], &[("CC", "/no/such/cc")]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        err(&o).contains("could not run the C compiler /no/such/cc"),
        "{}",
        err(&o)
    );
    assert!(err(&o).contains("apt-get install gcc"), "{}", err(&o));
}

#[test]
fn check_compares_a_header_set_with_the_c_compiler() {
    let o = run_env(
        &["check", "--header", "zlib.h", "--pkg-config", "zlib"],
        &[],
    );
    assert!(o.status.success(), "{}{}", out(&o), err(&o));
    let s = out(&o);
    assert!(
        s.contains("facts compared with the C compiler: 0 differences"),
        "{s}"
    );
    let n: usize = s.split_whitespace().next().unwrap().parse().unwrap();
    assert!(n > 2000, "{s}");
}
