//! The fuzz corpora (`fuzz/corpus/<target>/`), run through the fuzz targets' own code: every
//! input the fuzzer kept, crashes it once found included, must pass in every `make test`.
#![allow(missing_docs, clippy::pedantic)]

#[path = "../../fuzz/src/lib.rs"]
mod bodies;

use std::path::PathBuf;

fn corpus(target: &str) -> Vec<(PathBuf, Vec<u8>)> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../fuzz/corpus")
        .join(target);
    let mut out: Vec<(PathBuf, Vec<u8>)> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .map(|p| {
            let b = std::fs::read(&p).unwrap();
            (p, b)
        })
        .collect();
    out.sort();
    assert!(!out.is_empty(), "{} is empty", dir.display());
    out
}

fn run(target: &str, f: fn(&[u8])) {
    for (path, bytes) in corpus(target) {
        let r = std::panic::catch_unwind(|| f(&bytes));
        assert!(r.is_ok(), "{target}: {} fails", path.display());
    }
}

#[test]
fn db_decode_corpus() {
    run("db_decode", bodies::db_decode);
}

#[test]
fn sig_parse_corpus() {
    run("sig_parse", bodies::sig_parse);
}

#[test]
fn cli_args_corpus() {
    run("cli_args", bodies::cli_args);
}

#[test]
fn format_corpus() {
    run("format", bodies::format);
}
