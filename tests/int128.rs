//! `__int128` and `unsigned __int128` are `i128` and `u128` in compile-time wrappers (Rust's
//! 128-bit integers have their ABI on x86-64 and aarch64). The runtime passes them on x86-64
//! (`runtime/tests/int128.rs`) and refuses them elsewhere, saying where they work.
#![cfg(any(target_arch = "x86_64", target_arch = "aarch64"))]

ffi_auto::defcfuns! {
    #![ffi_auto(lib = "ffiauto_fixture", header = "fixture/c/fixture.h")]
    fn fx_mul128;
    fn fx_shl128;
    fn fx_stack128;
    fn fx_wide_sum;
    fn fx_wide_make;
    struct fx_wide;
}

const BIG: i128 = (1i128 << 100) + 12345;

#[test]
fn one_hundred_twenty_eight_bit_integers_cross_the_boundary_intact() {
    assert_eq!(fx_mul128(BIG, -3), BIG * -3);
    assert_eq!(fx_mul128(i128::MIN / 2, 2), i128::MIN);
    assert_eq!(fx_shl128(1, 127), 1u128 << 127);
    assert_eq!(
        fx_shl128(u128::from(u64::MAX), 64),
        u128::from(u64::MAX) << 64
    );
}

#[test]
fn on_the_stack_and_inside_a_struct_too() {
    let y: i128 = -(1i128 << 90) - 99;
    let expect = BIG + 3 * y + (1 + 2 * 2 + 3 * 3 + 4 * 4 + 5 * 5 + 6 * 6 + 7 * 7 + 8 * 8);
    assert_eq!(fx_stack128(1, 2, 3, 4, 5, BIG, 6, 7, y, 8), expect);
    assert_eq!(std::mem::size_of::<fx_wide>(), 32);
    assert_eq!(std::mem::align_of::<fx_wide>(), 16);
    let w = fx_wide_make(BIG, 9);
    assert_eq!((w.v, w.tag), (BIG, 9));
    assert_eq!(fx_wide_sum(w), BIG + 9);
}

#[cfg(target_arch = "x86_64")]
#[test]
fn the_runtime_calls_them_by_name() {
    ffi_auto::config::add_header(&ffi_auto_fixture::header().display().to_string());
    let r: i128 = ffi_auto::ffi_call(("fx_mul128", ffi_auto_fixture::LIB), (BIG, 2i64)).unwrap();
    assert_eq!(r, BIG * 2);
}

#[cfg(not(target_arch = "x86_64"))]
#[test]
fn the_runtime_refuses_them_and_says_where_they_work() {
    ffi_auto::config::add_header(&ffi_auto_fixture::header().display().to_string());
    let e =
        ffi_auto::ffi_call::<i64>(("fx_mul128", ffi_auto_fixture::LIB), (1i64, 2i64)).unwrap_err();
    let msg = e.to_string();
    assert!(
        msg.contains("__int128") && msg.contains("defcfuns!"),
        "{msg}"
    );
}
