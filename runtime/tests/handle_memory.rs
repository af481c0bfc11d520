//! Memory per prepared handle (issue 12: at most 256 bytes), counted by a global allocator
//! that adds up the bytes live on the heap.
#![cfg(feature = "dynamic")]

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicIsize, Ordering};

use ffi_auto_runtime::{Function, find_symbol, sig::Signature};

struct Counting;

static LIVE: AtomicIsize = AtomicIsize::new(0);

// SAFETY: every method forwards to the system allocator with the caller's arguments; the
// counter is bookkeeping only.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        LIVE.fetch_add(layout.size() as isize, Ordering::Relaxed);
        // SAFETY: the caller's contract, forwarded.
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        LIVE.fetch_sub(layout.size() as isize, Ordering::Relaxed);
        // SAFETY: as above.
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new: usize) -> *mut u8 {
        LIVE.fetch_add(new as isize - layout.size() as isize, Ordering::Relaxed);
        // SAFETY: as above.
        unsafe { System.realloc(ptr, layout, new) }
    }
}

#[global_allocator]
static ALLOC: Counting = Counting;

/// libc functions and their declarations: the handles a program prepares, one per function.
const FUNCTIONS: &[(&str, &str)] = &[
    ("strlen", "size_t (const char *)"),
    ("abs", "int (int)"),
    ("labs", "long (long)"),
    ("atoi", "int (const char *)"),
    ("strcmp", "int (const char *, const char *)"),
    ("strncmp", "int (const char *, const char *, size_t)"),
    ("toupper", "int (int)"),
    ("getpid", "int (void)"),
    ("strtol", "long (const char *, char **, int)"),
    ("memchr", "void *(const void *, int, size_t)"),
    ("cbrt", "double (double)"),
    ("pow", "double (double, double)"),
    ("ldexp", "double (double, int)"),
    ("fmaf", "float (float, float, float)"),
    ("strchr", "char *(const char *, int)"),
    ("isalpha", "int (int)"),
];

#[test]
fn a_prepared_handle_costs_at_most_256_bytes() {
    // Symbols, signatures and the shared CIF cache first: what the handles are made from,
    // not what they cost.
    let inputs: Vec<_> = FUNCTIONS
        .iter()
        .map(|(name, sig)| {
            let sig: Signature = sig.parse().unwrap();
            (find_symbol(name, None).unwrap(), *name, sig)
        })
        .collect();
    let warm: Vec<Function> = inputs
        .iter()
        .map(|(sym, name, sig)| {
            // SAFETY: each signature is the function's declaration in the C library.
            unsafe { Function::new(sym.clone(), name, sig.clone()) }.unwrap()
        })
        .collect();
    drop(warm);
    // The first handle of each function pays for its signature's shape (freed with `warm`);
    // 63 more handles of the same functions share them, as handles of one signature do.
    const COPIES: usize = 64;
    let mut handles = Vec::with_capacity(FUNCTIONS.len() * COPIES);
    let round = |handles: &mut Vec<Function>| {
        for (sym, name, sig) in &inputs {
            // SAFETY: as above.
            handles.push(unsafe { Function::new(sym.clone(), name, sig.clone()) }.unwrap());
        }
    };
    let reserved = LIVE.load(Ordering::Relaxed);
    round(&mut handles);
    let first = (LIVE.load(Ordering::Relaxed) - reserved) as usize / FUNCTIONS.len();
    let after_first = LIVE.load(Ordering::Relaxed);
    for _ in 1..COPIES {
        round(&mut handles);
    }
    let more =
        (LIVE.load(Ordering::Relaxed) - after_first) as usize / (handles.len() - FUNCTIONS.len());
    let inline = size_of::<Function>();
    eprintln!(
        "first handle of a signature: {} bytes; each further handle: {} bytes ({inline} inline)",
        first + inline,
        more + inline
    );
    let per_handle = more + inline;
    // The handles work.
    assert_eq!(handles[0].call::<usize>(("hello",)).unwrap(), 5);
    assert!(per_handle <= 256, "{per_handle} bytes per handle");
}
