//! `__int128` and `unsigned __int128` are `i128` and `u128` in compile-time wrappers (Rust's
//! 128-bit integers have their ABI on x86-64 and aarch64); the runtime refuses them, saying so.
#![cfg(any(target_arch = "x86_64", target_arch = "aarch64"))]

ffi_auto::defcfuns! {
    #![ffi_auto(lib = "ffiauto_fixture", header = "fixture/c/fixture.h")]
    fn fx_mul128;
    fn fx_shl128;
}

#[test]
fn one_hundred_twenty_eight_bit_integers_cross_the_boundary_intact() {
    let big: i128 = (1i128 << 100) + 12345;
    assert_eq!(fx_mul128(big, -3), big * -3);
    assert_eq!(fx_mul128(i128::MIN / 2, 2), i128::MIN);
    assert_eq!(fx_shl128(1, 127), 1u128 << 127);
    assert_eq!(
        fx_shl128(u128::from(u64::MAX), 64),
        u128::from(u64::MAX) << 64
    );
}

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
