//! Bitfields: generated structs keep C's layout and read and write each bitfield through
//! accessors, as C does (checked against the fixture's C code and glibc's `struct ip`).

use std::ffi::c_int;

ffi_auto::defcfuns! {
    #![ffi_auto(lib = "ffiauto_fixture", header = "fixture/c/fixture.h")]
    struct fx_bits;
    unsafe fn fx_bits_fill;
    unsafe fn fx_bits_read;
}

ffi_auto::defcfuns! {
    #![ffi_auto(header = "netinet/ip.h")]
    struct ip;
    struct in_addr;
}

#[test]
fn accessors_read_what_c_writes_and_c_reads_what_they_write() {
    let mut f = fx_bits::default();
    // SAFETY: a valid `struct fx_bits` to fill.
    unsafe { fx_bits_fill(&raw mut f) };
    assert_eq!(
        (f.a(), f.b(), f.c(), f.d(), f.tag),
        (5, -7, true, 0x12_3456_789a, b'x' as _)
    );
    f.set_a(2).unwrap();
    f.set_b(-16).unwrap();
    f.set_c(false).unwrap();
    f.set_d((1 << 40) - 1).unwrap();
    let read = |which: c_int| {
        // SAFETY: `f` is a valid `struct fx_bits`.
        unsafe { fx_bits_read(&raw const f, which) }
    };
    assert_eq!(
        (read(0), read(1), read(2), read(3)),
        (2, -16, 0, (1 << 40) - 1)
    );
    // Out of range is an error that says the range; the field is unchanged.
    let e = f.set_a(8).unwrap_err();
    assert_eq!(e.to_string(), "8 does not fit bitfield `a` (3 bits: 0..=7)");
    assert!(f.set_b(16).is_err() && f.set_b(-17).is_err());
    assert_eq!(f.a(), 2);
    assert_eq!(f.tag, b'x' as _);
}

#[test]
fn glibc_s_struct_ip_has_its_version_and_header_length_in_one_byte() {
    assert_eq!(std::mem::size_of::<ip>(), 20);
    let mut h = ip::default();
    h.set_ip_v(4).unwrap();
    h.set_ip_hl(5).unwrap();
    assert_eq!(h._bitfield_1, [0x45]);
    assert_eq!((h.ip_v(), h.ip_hl()), (4, 5));
    assert!(h.set_ip_v(16).is_err());
}

// A gap before a run, a zero-width bitfield, and bytes after the last field: padding arrays
// keep C's layout (asserted at compile time by the expansion).
ffi_auto::defcfuns! {
    #![ffi_auto(lib = "ffiauto_fixture", header = "fixture/c/fixture.h")]
    struct fx_gaps;
}

#[test]
fn gaps_and_zero_width_bitfields_keep_c_s_layout() {
    let mut g = fx_gaps::default();
    g.set_x(0x3fff_ffff).unwrap();
    g.set_y(5).unwrap();
    assert_eq!((g.x(), g.y(), g.c), (0x3fff_ffff, 5, 0));
    assert_eq!(std::mem::size_of::<fx_gaps>(), 12);
}
