#![allow(missing_docs)]
//! First discovery in a fresh process: with a cold cache (libclang loaded, headers parsed,
//! database written) and with a warm database (read back, libclang never loaded). Each sample
//! is a new process (this binary re-run as a child), timed from inside, so process start-up is
//! not counted. Also reports the database's size per declaration.
//!
//! Run by `make bench`; prints a table.

use std::path::Path;
use std::process::Command;
use std::time::Instant;

use ffi_auto_discovery::{Discovery, HeaderSet, Origin};

const SAMPLES: usize = 15;

fn libclang_mapped() -> bool {
    std::fs::read_to_string("/proc/self/maps").is_ok_and(|m| m.contains("libclang"))
}

/// In the child: one first lookup, timed; prints `micros origin libclang-loaded`.
fn child(dir: &Path) {
    let t = Instant::now();
    let disc = Discovery::in_dir(dir);
    let (catalog, origin) = disc.catalog_with_origin(&HeaderSet::system()).unwrap();
    let d = catalog.lookup(&HeaderSet::system(), "strlen").unwrap();
    let us = t.elapsed().as_secs_f64() * 1e6;
    assert_eq!(d.signature.to_string(), "size_t (const char *)");
    let origin = match origin {
        Origin::Libclang => "libclang",
        Origin::Database => "database",
        Origin::Memory => "memory",
    };
    println!("{us:.0} {origin} {}", libclang_mapped());
}

fn run(dir: &Path) -> (f64, String, bool) {
    let out = Command::new(std::env::current_exe().unwrap())
        .arg("--child")
        .arg(dir)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let s = String::from_utf8_lossy(&out.stdout);
    let mut it = s.split_whitespace();
    (
        it.next().unwrap().parse().unwrap(),
        it.next().unwrap().to_owned(),
        it.next().unwrap() == "true",
    )
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if let Some(i) = args.iter().position(|a| a == "--child") {
        child(Path::new(&args[i + 1]));
        return;
    }
    let mut cold = Vec::new();
    let mut warm = Vec::new();
    let mut warm_loaded_libclang = false;
    let mut db_size = 0;
    let mut decl_count = 0;
    for _ in 0..SAMPLES {
        let dir = tempfile::tempdir().unwrap();
        let (us, origin, _) = run(dir.path());
        assert_eq!(origin, "libclang");
        cold.push(us);
        let (us, origin, loaded) = run(dir.path());
        assert_eq!(origin, "database");
        warm_loaded_libclang |= loaded;
        warm.push(us);
        let disc = Discovery::in_dir(dir.path());
        let path = disc.database_path(&HeaderSet::system()).unwrap().unwrap();
        db_size = std::fs::metadata(&path).unwrap().len();
        let decls = disc.declarations(&HeaderSet::system()).unwrap();
        decl_count = decls.functions.len() + decls.not_callable.len();
    }
    println!(
        "| first discovery in a fresh process (strlen, default header set) | median of {SAMPLES} |"
    );
    println!("|---|---:|");
    println!(
        "| cold cache: load libclang, parse, write the database | {:.1} ms |",
        median(cold) / 1e3
    );
    println!(
        "| warm database: read and check it{} | {:.2} ms |",
        if warm_loaded_libclang {
            " (libclang loaded!)"
        } else {
            ", libclang never loaded"
        },
        median(warm) / 1e3
    );
    println!(
        "| database: {} declarations in {} KiB | {:.0} bytes per declaration |",
        decl_count,
        db_size / 1024,
        db_size as f64 / decl_count as f64
    );
}
