//! gmp: big-number arithmetic on `mpz_t`, a one-element array of an anonymous struct
//! (`typedef struct {...} __mpz_struct; typedef __mpz_struct mpz_t[1];`), through the API's
//! `#define mpz_init __gmpz_init` aliases (and one `__gmpz_` name as the linker sees it), with
//! gmp's allocator hooks (`void *(*)(size_t)`, ...) written as Rust closures taking `usize`.

use std::ffi::{CStr, c_char, c_void};
use std::sync::atomic::{AtomicUsize, Ordering};

use ffi_auto::{Callback, defcfuns};

defcfuns! {
    #![ffi_auto(header = "gmp.h", lib = "gmp")]
    struct __mpz_struct;
    unsafe fn mpz_init;
    unsafe fn mpz_clear;
    unsafe fn mpz_fac_ui;
    unsafe fn mpz_ui_pow_ui;
    unsafe fn mpz_sub_ui;
    unsafe fn mpz_mul;
    unsafe fn mpz_cmp;
    unsafe fn mpz_set_str;
    unsafe fn mpz_get_str;
    unsafe fn mpz_sizeinbase;
    unsafe fn mpz_probab_prime_p;
    unsafe fn __gmpz_init_set_ui;
    unsafe fn mp_set_memory_functions;
    unsafe fn mp_get_memory_functions;
}

/// Which allocator calls gmp made.
#[derive(Default)]
struct Counts {
    allocs: AtomicUsize,
    reallocs: AtomicUsize,
    frees: AtomicUsize,
}

/// `z` in base 10, freed with gmp's own free function, as gmp's manual says.
///
/// # Safety
/// `z` is an initialized `mpz_t`.
unsafe fn decimal(z: &__mpz_struct) -> String {
    // SAFETY: a null buffer makes gmp allocate the string with its allocation function;
    // it is released with its free function and its length plus one.
    unsafe {
        let p: *mut c_char = mpz_get_str(std::ptr::null_mut(), 10, z);
        let s = CStr::from_ptr(p).to_str().unwrap().to_owned();
        let mut free = None;
        mp_get_memory_functions(std::ptr::null_mut(), std::ptr::null_mut(), &raw mut free);
        (free.unwrap())(p.cast(), s.len() + 1);
        s
    }
}

#[test]
fn factorials_powers_and_primes_with_rust_allocator_hooks() {
    let counts = Counts::default();
    let alloc = Callback::new(|size: usize| -> *mut c_void {
        counts.allocs.fetch_add(1, Ordering::Relaxed);
        // SAFETY: plain allocation, released through `free` or grown through `realloc` below.
        unsafe { libc::malloc(size) }
    })
    .unwrap();
    let realloc = Callback::new(|p: *mut c_void, old: usize, new: usize| -> *mut c_void {
        assert!(old > 0 && new > 0);
        counts.reallocs.fetch_add(1, Ordering::Relaxed);
        // SAFETY: `p` came from `alloc` or `realloc`.
        unsafe { libc::realloc(p, new) }
    })
    .unwrap();
    let free = Callback::new(|p: *mut c_void, size: usize| {
        assert!(size > 0);
        counts.frees.fetch_add(1, Ordering::Relaxed);
        // SAFETY: `p` came from `alloc` or `realloc`.
        unsafe { libc::free(p) }
    })
    .unwrap();
    let mut f = __mpz_struct::default();
    let mut p = __mpz_struct::default();
    let mut m = __mpz_struct::default();
    let mut big = __mpz_struct::default();
    // SAFETY: the hooks have gmp's declared types and outlive every number (all cleared,
    // and the default functions restored, before the hooks drop); every `mpz_t` is
    // initialized before use and cleared once; strings are NUL-terminated.
    let (fact, pow, mersenne, digits, product) = unsafe {
        mp_set_memory_functions(Some(alloc.code()), Some(realloc.code()), Some(free.code()));
        mpz_init(&raw mut f);
        mpz_fac_ui(&raw mut f, 30);
        mpz_init(&raw mut p);
        mpz_ui_pow_ui(&raw mut p, 2, 200);
        // 2^127 - 1 is a Mersenne prime; 2^127 + 1 is divisible by 3.
        mpz_init(&raw mut m);
        mpz_ui_pow_ui(&raw mut m, 2, 127);
        mpz_sub_ui(&raw mut m, &raw const m, 1);
        assert!(mpz_probab_prime_p(&raw const m, 30) > 0);
        // 25! * 2^100, built from a decimal string.
        __gmpz_init_set_ui(&raw mut big, 1);
        assert_eq!(
            mpz_set_str(
                &raw mut big,
                c"1267650600228229401496703205376".as_ptr(),
                10
            ),
            0
        );
        let mut f25 = __mpz_struct::default();
        mpz_init(&raw mut f25);
        mpz_fac_ui(&raw mut f25, 25);
        mpz_mul(&raw mut big, &raw const big, &raw const f25);
        assert!(mpz_cmp(&raw const big, &raw const f) > 0);
        assert!(mpz_cmp(&raw const p, &raw const big) > 0);
        mpz_clear(&raw mut f25);
        let digits = mpz_sizeinbase(&raw const p, 10);
        let r = (decimal(&f), decimal(&p), decimal(&m), digits, decimal(&big));
        for z in [&raw mut f, &raw mut p, &raw mut m, &raw mut big] {
            mpz_clear(z);
        }
        mp_set_memory_functions(None, None, None);
        r
    };
    assert_eq!(fact, "265252859812191058636308480000000");
    assert_eq!(
        pow,
        "1606938044258990275541962092341162602522202993782792835301376"
    );
    assert_eq!(mersenne, "170141183460469231731687303715884105727");
    // Exact, or one too many (gmp's manual).
    assert!(digits == pow.len() || digits == pow.len() + 1, "{digits}");
    assert_eq!(
        product,
        "19662794721694664565888273123650620174355329449984000000"
    );
    let allocs = counts.allocs.load(Ordering::Relaxed);
    assert!(allocs >= 5, "{allocs} allocations");
    assert_eq!(counts.frees.load(Ordering::Relaxed), allocs);
    assert_eq!(alloc.calls(), allocs);
}
