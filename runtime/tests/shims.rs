//! `static inline` functions and function-like macros, called through C shims compiled on
//! first use (a C compiler is installed by `make test`).
#![cfg(feature = "discovery")]

use std::ffi::c_void;

use ffi_auto_runtime::{
    Error, Struct, Value, config, ffi_call, ffi_call_raw, prepare, shim_function, signature,
};

#[test]
fn static_inline_functions_are_called_by_name_through_a_shim() {
    // glibc's `static __inline __uint32_t __bswap_32(__uint32_t)`, in the default set.
    assert_eq!(
        ffi_call::<u32>("__bswap_32", 0x1234_5678u32).unwrap(),
        0x7856_3412
    );
    let f = prepare("__bswap_16").unwrap();
    assert!(
        f.origin().ends_with("(static inline, through a C shim)"),
        "{}",
        f.origin()
    );
    assert_eq!(f.call::<u16>(0x1234u16).unwrap(), 0x3412);
    assert_eq!(
        f.call_values(&[Value::U16(0xabcd)]).unwrap(),
        Value::U16(0xcdab)
    );
    // The fixture's own, from a header added at run time.
    config::add_header(&ffi_auto_fixture::header().display().to_string());
    assert_eq!(ffi_call::<i32>("fx_inline_twice", 21).unwrap(), 42);
    // Checked as any call is.
    assert!(matches!(
        ffi_call::<i32>("fx_inline_twice", 1u64 << 40),
        Err(Error::OutOfRange { .. })
    ));
}

/// glibc's `fd_set` macros and `CMSG_*`, with signatures that name the headers' own types
/// (`fd_set` by its typedef, `struct msghdr` by its tag).
#[test]
fn macros_over_the_headers_types_take_a_written_signature() {
    let shim = |name: &str, sig: &str| {
        let sig = signature(sig).unwrap();
        // SAFETY: each macro below reads or writes only the struct it is given, which is a
        // live `Struct` of the type its signature names (checked by the C compiler).
        unsafe { shim_function(name, sig) }.unwrap()
    };
    let zero = shim("FD_ZERO", "void (fd_set *)");
    let set = shim("FD_SET", "void (int, fd_set *)");
    let isset = shim("FD_ISSET", "int (int, const fd_set *)");
    let mut fds = Struct::new("fd_set").unwrap();
    let p = fds.as_mut_ptr();
    // SAFETY: `p` is a live `fd_set`; descriptors 3 and 9 are below FD_SETSIZE.
    unsafe {
        zero.call_raw::<()>(p).unwrap();
        set.call_raw::<()>((3, p)).unwrap();
        set.call_raw::<()>((9, p)).unwrap();
        assert_ne!(isset.call_raw::<i32>((3, p)).unwrap(), 0);
        assert_eq!(isset.call_raw::<i32>((4, p)).unwrap(), 0);
    }
    // The bits glibc keeps: descriptor 3 is bit 3 of the first byte, 9 bit 1 of the second.
    assert_eq!(&fds.as_bytes()[..2], &[0b1000, 0b10]);

    // CMSG_LEN / CMSG_SPACE are arithmetic on `size_t` (a `struct cmsghdr` is 16 bytes).
    let len = shim("CMSG_LEN", "size_t (size_t)");
    let space = shim("CMSG_SPACE", "size_t (size_t)");
    assert_eq!(len.call::<usize>(4usize).unwrap(), 16 + 4);
    assert_eq!(space.call::<usize>(4usize).unwrap(), 16 + 8);
    // CMSG_FIRSTHDR / CMSG_DATA walk a `struct msghdr`'s control buffer.
    let first = shim("CMSG_FIRSTHDR", "struct cmsghdr *(const struct msghdr *)");
    let data = shim("CMSG_DATA", "unsigned char *(struct cmsghdr *)");
    let mut control = [0u64; 8];
    let mut msg = Struct::new("msghdr").unwrap();
    msg.set("msg_control", Value::Ptr(control.as_mut_ptr().cast()))
        .unwrap();
    msg.set("msg_controllen", 64u64).unwrap();
    let m = msg.as_mut_ptr();
    // SAFETY: `m` is a live `struct msghdr` whose control buffer is `control` (64 bytes);
    // CMSG_DATA computes an address inside it.
    unsafe {
        let c = first.call_raw::<*mut c_void>(m).unwrap();
        assert_eq!(c, control.as_mut_ptr().cast());
        let d = data.call_raw::<*mut u8>(c).unwrap();
        assert_eq!(d as usize - c as usize, 16);
        // No room for a header: no first header.
        msg.set("msg_controllen", 8u64).unwrap();
        assert!(first.call_raw::<*mut c_void>(m).unwrap().is_null());
    }
    // timeradd over `struct timeval`s: 1.7 s + 0.6 s = 2.3 s, the microseconds carried.
    let add = shim(
        "timeradd",
        "void (const struct timeval *, const struct timeval *, struct timeval *)",
    );
    let tv = |sec: i64, usec: i64| {
        let mut t = Struct::new("timeval").unwrap();
        t.set("tv_sec", sec).unwrap();
        t.set("tv_usec", usec).unwrap();
        t
    };
    let (mut a, mut b, mut sum) = (tv(1, 700_000), tv(0, 600_000), tv(0, 0));
    // SAFETY: three live `struct timeval`s; timeradd reads two and writes the third.
    unsafe {
        add.call_raw::<()>((a.as_mut_ptr(), b.as_mut_ptr(), sum.as_mut_ptr()))
            .unwrap();
    }
    assert_eq!(sum.get("tv_sec").unwrap().as_i64(), Some(2));
    assert_eq!(sum.get("tv_usec").unwrap().as_i64(), Some(300_000));
    // A name the headers do not declare is said so.
    let e = signature("int (no_such_t *)").unwrap_err();
    assert!(e.to_string().contains("nor one the headers declare"), "{e}");
}

#[test]
fn unions_behind_pointers_are_spelled_as_unions_in_shims() {
    config::add_header(&ffi_auto_fixture::header().display().to_string());
    // `union fx_num { int i; double d; }` holding i = 42 (the double's bytes zeroed first).
    let num: u64 = 0;
    let mut bytes = num.to_ne_bytes();
    bytes[..4].copy_from_slice(&42i32.to_ne_bytes());
    let num = u64::from_ne_bytes(bytes);
    // SAFETY: `num` is 8 bytes aligned to 8, the size and alignment of `union fx_num`, and
    // the function only reads it.
    let i = unsafe { ffi_call_raw::<i32>("fx_inline_num_int", (&raw const num).cast::<c_void>()) };
    assert_eq!(i.unwrap(), 42);
    // A tag the header never defines (`union fx_token`) is spelled `union` too.
    // SAFETY: the function compares the pointer with NULL and nothing else.
    let null =
        unsafe { ffi_call_raw::<i32>("fx_inline_token_is_null", std::ptr::null::<c_void>()) };
    assert_eq!(null.unwrap(), 1);
}

#[test]
fn a_function_like_macro_is_called_with_the_signature_given() {
    // SAFETY: WEXITSTATUS and S_ISDIR read their integer argument's bits.
    let wexitstatus =
        unsafe { shim_function("WEXITSTATUS", "int (int)".parse().unwrap()) }.unwrap();
    assert_eq!(wexitstatus.call::<i32>(256).unwrap(), 1);
    assert_eq!(wexitstatus.call::<i32>(0x2a00).unwrap(), 42);
    // SAFETY: as above.
    let is_dir =
        unsafe { shim_function("S_ISDIR", "int (unsigned int)".parse().unwrap()) }.unwrap();
    assert_ne!(is_dir.call::<i32>(0o040_755_u32).unwrap(), 0);
    assert_eq!(is_dir.call::<i32>(0o100_644_u32).unwrap(), 0);
    // Types the expansion does not take are the compiler's error, quoted.
    // SAFETY: refused before anything is called.
    let e =
        unsafe { shim_function("WEXITSTATUS", "int (const char *)".parse().unwrap()) }.unwrap_err();
    let msg = e.to_string();
    assert!(
        msg.contains("the C compiler refused the shim of WEXITSTATUS"),
        "{msg}"
    );
    assert!(msg.contains("invalid operands"), "{msg}");
    // By name, a macro stays not callable: its signature is the caller's to give.
    assert!(matches!(
        ffi_call::<i32>("WEXITSTATUS", 256),
        Err(Error::NotCallable { .. })
    ));
}

/// liburing's API is mostly `static inline` (`io_uring_prep_*`, `io_uring_sqe_set_data64`,
/// `io_uring_cqe_seen`): its shims fill a submission entry as the inline code does, linked
/// against liburing. No kernel is involved (a sandbox may forbid `io_uring_setup`).
#[test]
fn liburing_prep_functions_fill_a_submission_entry() {
    config::add_pkg_config("liburing").unwrap();
    config::add_header("liburing.h");
    let lib = "uring";
    let mut sqe = Struct::new("io_uring_sqe").unwrap();
    let mut buf = [0u8; 64];
    // SAFETY: `sqe` is a `struct io_uring_sqe` the function fills; `buf` is only stored in it.
    unsafe {
        ffi_call_raw::<()>(
            ("io_uring_prep_read", lib),
            (
                sqe.as_mut_ptr(),
                5,
                buf.as_mut_ptr().cast::<c_void>(),
                64u32,
                7u64,
            ),
        )
    }
    .unwrap();
    let f = prepare(("io_uring_prep_read", lib)).unwrap();
    assert!(f.origin().contains("static inline"), "{}", f.origin());
    let read = ffi_auto_runtime::constant("IORING_OP_READ").unwrap();
    let ffi_auto_runtime::ConstValue::Int(read) = read.value else {
        panic!("{read:?}");
    };
    assert_eq!(sqe.get("opcode").unwrap().as_i64(), Some(read));
    assert_eq!(sqe.get("fd").unwrap(), Value::I32(5));
    assert_eq!(sqe.get("len").unwrap(), Value::U32(64));
    assert_eq!(sqe.get("off").unwrap(), Value::U64(7));
    assert_eq!(sqe.get("addr").unwrap(), Value::U64(buf.as_ptr() as u64));
    // SAFETY: as above.
    unsafe {
        ffi_call_raw::<()>(
            ("io_uring_sqe_set_data64", lib),
            (sqe.as_mut_ptr(), 0xfeed_u64),
        )
    }
    .unwrap();
    assert_eq!(sqe.get("user_data").unwrap(), Value::U64(0xfeed));
}
