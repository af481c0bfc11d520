#![allow(missing_docs)]
//! In-process signature lookups once a header set is loaded: what a by-name call's first use
//! of a name costs after the first, and what the macros pay per function in one build.

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use ffi_auto::config::{HeaderSource, SignatureSource};
use ffi_auto_discovery::{Discovery, HeaderSet};

fn lookups(c: &mut Criterion) {
    let set = HeaderSet::system();
    let disc = Discovery::new();
    let catalog = disc.catalog(&set).unwrap();
    let mut g = c.benchmark_group("lookup");
    g.bench_function("catalog_lookup", |b| {
        b.iter(|| catalog.lookup(&set, black_box("strlen")).unwrap().line);
    });
    g.bench_function("discovery_lookup", |b| {
        b.iter(|| disc.lookup(&set, black_box("strlen")).unwrap().line);
    });
    let source: std::sync::Arc<HeaderSource> = ffi_auto::config::header_source();
    source.lookup("strlen", None).unwrap();
    g.bench_function("runtime_header_source", |b| {
        b.iter(|| source.lookup(black_box("strlen"), None).unwrap());
    });
    g.finish();
}

criterion_group!(discovery, lookups);
criterion_main!(discovery);
