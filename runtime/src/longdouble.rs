//! C's `long double`, which Rust has no type for: [`LongDouble`] holds its exact bytes, and
//! converts to and from `f64` explicitly. Its format is the target's:
//!
//! - x86-64 (System V): the x87 extended format, a sign, a 15-bit exponent and a 64-bit
//!   significand with an explicit integer bit, in the low 10 of 16 bytes;
//! - aarch64 (Linux, Android), riscv64 and s390x: IEEE binary128, a sign, a 15-bit exponent
//!   and a 112-bit fraction, in 16 bytes of the target's byte order;
//! - Apple's aarch64 and MSVC: `long double` is `double`, in the first 8 bytes.
//!
//! Every conversion is compiled and unit-tested on every host (they are arithmetic on bytes);
//! the binary128 one is also checked against GCC's `_Float128` on x86-64, and `make test` runs
//! the runtime's `long double` tests on aarch64 under qemu.

/// How a target stores `long double`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Format {
    /// x87 extended precision (80 bits in 16 bytes).
    X87,
    /// IEEE 754 binary128.
    Binary128,
    /// The same as `double`.
    Double,
}

/// This target's format, where ffi-auto knows it (not PowerPC's double-double, not 32-bit
/// x86's 12-byte slot, not x86-64 Android's binary128).
pub(crate) const FORMAT: Option<Format> = if cfg!(any(
    all(target_vendor = "apple", target_arch = "aarch64"),
    target_env = "msvc"
)) {
    Some(Format::Double)
} else if cfg!(all(target_arch = "x86_64", not(target_os = "android"))) {
    // Intel macOS and MinGW too.
    Some(Format::X87)
} else if cfg!(any(
    target_arch = "aarch64",
    target_arch = "riscv64",
    target_arch = "s390x"
)) {
    Some(Format::Binary128)
} else {
    None
};

/// How many of a `long double`'s 16 bytes hold its value.
pub(crate) const WIDTH: usize = match FORMAT {
    Some(Format::X87) => 10,
    Some(Format::Double) => 8,
    _ => 16,
};

/// Whether the runtime passes `long double` on this target.
#[cfg(feature = "dynamic")]
pub(crate) const SUPPORTED: bool = FORMAT.is_some();

/// A C `long double`, as its bytes, in the target's format (x86-64: x87 extended precision;
/// aarch64 Linux: IEEE binary128).
///
/// ```
/// use ffi_auto_runtime::LongDouble;
/// let x = LongDouble::from_f64(1.5);
/// assert_eq!(x.to_f64(), 1.5);
/// assert_eq!(LongDouble::from_f64(-0.1).to_f64(), -0.1); // exact both ways for a double
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct LongDouble {
    bytes: [u8; 16],
}

impl LongDouble {
    /// A value from its bytes, as C stores it; the bytes beyond the format's width (padding,
    /// which C leaves as it finds it) are set to zero, so equal values compare equal.
    ///
    /// ```
    /// use ffi_auto_runtime::LongDouble;
    /// let mut b = LongDouble::from_f64(2.0).to_bytes();
    /// b[15] ^= 0xff; // padding on x86-64, a fraction bit in binary128
    /// let eq = LongDouble::from_bytes(b) == LongDouble::from_f64(2.0);
    /// assert_eq!(eq, cfg!(target_arch = "x86_64"));
    /// ```
    pub const fn from_bytes(bytes: [u8; 16]) -> LongDouble {
        let mut bytes = bytes;
        let mut i = WIDTH;
        while i < 16 {
            bytes[i] = 0;
            i += 1;
        }
        LongDouble { bytes }
    }

    /// The value C stored at `p`, its format's width read (no further: a `long double` that
    /// is a `double` is 8 bytes).
    ///
    /// # Safety
    /// `p` points at a `long double` of this target.
    #[cfg(feature = "dynamic")]
    pub(crate) unsafe fn read(p: *const u8) -> LongDouble {
        let mut bytes = [0u8; 16];
        // SAFETY: the caller's contract: `WIDTH` bytes are readable at `p`; any bytes are a
        // value.
        unsafe { std::ptr::copy_nonoverlapping(p, bytes.as_mut_ptr(), WIDTH) };
        LongDouble { bytes }
    }

    /// Its bytes, as C stores them (bytes beyond the format's width are padding, zero here:
    /// the 6 above x87's 80 bits, the 8 above a `double`).
    pub const fn to_bytes(self) -> [u8; 16] {
        self.bytes
    }

    /// `x`, exactly: every `double` is a `long double`.
    pub fn from_f64(x: f64) -> LongDouble {
        LongDouble {
            bytes: from_f64_in(FORMAT.unwrap_or(Format::X87), x),
        }
    }

    /// The nearest `double` (ties to even; beyond its range, an infinity).
    pub fn to_f64(self) -> f64 {
        to_f64_in(FORMAT.unwrap_or(Format::X87), &self.bytes)
    }
}

/// The bytes of `x` in `format`.
pub(crate) fn from_f64_in(format: Format, x: f64) -> [u8; 16] {
    let mut bytes = [0u8; 16];
    match format {
        Format::Double => bytes[..8].copy_from_slice(&x.to_ne_bytes()),
        Format::X87 => {
            let (sign, e, m) = split_f64(x);
            let (e80, mant) = match e {
                Exp::Zero => (0, 0),
                Exp::Special => (0x7fff, m),
                Exp::Of(e) => ((e + 16383) as u16, m),
            };
            bytes[..8].copy_from_slice(&mant.to_le_bytes());
            bytes[8..10].copy_from_slice(&((u16::from(sign) << 15) | e80).to_le_bytes());
        }
        Format::Binary128 => {
            let (sign, e, m) = split_f64(x);
            // The fraction below the leading bit, at the top of 112 bits.
            let frac = u128::from(m << 1) << 48;
            let (e128, frac) = match e {
                Exp::Zero => (0, 0),
                Exp::Special => (0x7fff, frac),
                Exp::Of(e) => ((e + 16383) as u128, frac),
            };
            let bits = (u128::from(sign) << 127) | (e128 << 112) | frac;
            bytes = bits.to_ne_bytes();
        }
    }
    bytes
}

/// The nearest `double` to the value `bytes` hold in `format`.
pub(crate) fn to_f64_in(format: Format, bytes: &[u8; 16]) -> f64 {
    match format {
        Format::Double => f64::from_ne_bytes([
            bytes[0], bytes[1], bytes[2], bytes[3], bytes[4], bytes[5], bytes[6], bytes[7],
        ]),
        Format::X87 => {
            let mant = u64::from_le_bytes([
                bytes[0], bytes[1], bytes[2], bytes[3], bytes[4], bytes[5], bytes[6], bytes[7],
            ]);
            let se = u16::from_le_bytes([bytes[8], bytes[9]]);
            let sign = se >> 15 == 1;
            match i32::from(se & 0x7fff) {
                // The integer bit clear where the exponent is not zero (an unnormal, a
                // pseudo-infinity or pseudo-NaN): the x87 refuses it as an invalid operand
                // (since the 80387), and the conversion gives NaN.
                1.. if mant >> 63 == 0 => f64::NAN,
                0x7fff => special(sign, mant << 1),
                _ if mant == 0 => signed_zero(sign),
                // value = mant * 2^(e80 - 16383 - 63): the top bit's exponent after normalizing.
                e80 => round(
                    sign,
                    mant << mant.leading_zeros(),
                    e80 - 16383 - mant.leading_zeros() as i32,
                ),
            }
        }
        Format::Binary128 => {
            let bits = u128::from_ne_bytes(*bytes);
            let sign = bits >> 127 == 1;
            let frac = bits & ((1 << 112) - 1);
            match ((bits >> 112) & 0x7fff) as i32 {
                // The top 64 bits of the fraction, its leading bit first.
                0x7fff => special(
                    sign,
                    (frac >> 48) as u64 | u64::from(frac & 0xffff_ffff_ffff != 0),
                ),
                // A binary128 subnormal (below 2^-16382) is far below the smallest double.
                0 => signed_zero(sign),
                e => {
                    // 1.frac as 64 bits with its leading bit on top; the 49 bits that do not fit
                    // fold into the lowest (sticky) bit, enough to round exactly below 53 bits.
                    let sig = (1u128 << 112) | frac;
                    let top = (sig >> 49) as u64 | u64::from(sig & ((1 << 49) - 1) != 0);
                    round(sign, top, e - 16383)
                }
            }
        }
    }
}

/// A double's exponent, as the formats above need it.
enum Exp {
    /// Zero.
    Zero,
    /// Infinity or NaN.
    Special,
    /// A finite non-zero value whose leading bit is 2^e.
    Of(i32),
}

/// `x` as its sign, exponent and significand, the leading bit at the top of 64 (for a NaN or
/// an infinity, the integer bit and the fraction).
fn split_f64(x: f64) -> (bool, Exp, u64) {
    let bits = x.to_bits();
    let sign = bits >> 63 == 1;
    let exp = ((bits >> 52) & 0x7ff) as i32;
    let frac = bits & ((1 << 52) - 1);
    match exp {
        0 if frac == 0 => (sign, Exp::Zero, 0),
        0 => {
            // Subnormal: normalize.
            let lz = frac.leading_zeros();
            (sign, Exp::Of(-1022 - (lz as i32 - 11)), frac << lz)
        }
        0x7ff => (sign, Exp::Special, (1 << 63) | (frac << 11)),
        e => (sign, Exp::Of(e - 1023), (1 << 63) | (frac << 11)),
    }
}

fn signed_zero(sign: bool) -> f64 {
    f64::from_bits(u64::from(sign) << 63)
}

/// An infinity (`frac`, the fraction's bits from the top, is 0) or a NaN, which keeps its
/// payload's top bits and stays a NaN.
fn special(sign: bool, frac: u64) -> f64 {
    let f52 = frac >> 12;
    let f52 = if frac != 0 && f52 == 0 { 1 << 51 } else { f52 };
    f64::from_bits((u64::from(sign) << 63) | (0x7ff << 52) | f52)
}

/// The double nearest `m * 2^(e - 63)` (`m`'s top bit set; its lowest may be a sticky bit),
/// ties to even; beyond the double range, an infinity.
fn round(sign: bool, m: u64, mut e: i32) -> f64 {
    let sign = u64::from(sign) << 63;
    // Keep 53 bits (or fewer for a subnormal result).
    let keep: u32 = if e < -1022 {
        let k = 53 - (-1022 - e);
        if k <= 0 {
            // Below half the smallest subnormal, or at most it: rounds to 0 or to it.
            let half_min = e == -1075 && m > (1 << 63);
            return f64::from_bits(sign | u64::from(half_min));
        }
        k as u32
    } else {
        53
    };
    let mut top = m >> (64 - keep);
    let rest = m << keep;
    let half = 1u64 << 63;
    if rest > half || (rest == half && top & 1 == 1) {
        top += 1;
        // A carry out of a normal result's 53 bits renormalizes it; a subnormal's is just the
        // next multiple of 2^-1074 (the smallest normal's bit pattern, at the top).
        if keep == 53 && top >> 53 != 0 {
            top >>= 1;
            e += 1;
        }
    }
    if keep < 53 {
        // Subnormal (or rounded up to the smallest normal, whose bit pattern follows).
        return f64::from_bits(sign | top);
    }
    if e > 1023 {
        return f64::from_bits(sign | (0x7ff << 52));
    }
    f64::from_bits(sign | (((e + 1023) as u64) << 52) | (top & ((1 << 52) - 1)))
}

impl std::fmt::Debug for LongDouble {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "LongDouble({:?})", self.to_f64())
    }
}

impl From<f64> for LongDouble {
    fn from(x: f64) -> LongDouble {
        LongDouble::from_f64(x)
    }
}

/// A `long double` as a field of a struct the macros generate (`#[ffi_auto] struct`): C's
/// size and alignment (16 and 16 on x86-64 and on aarch64 Linux; 8 where `long double` is
/// `double`), holding a [`LongDouble`]'s bytes. Rust cannot pass a `long double` by value
/// with C's ABI, so this type is for memory only (fields, arrays, what pointers point at):
/// the macros refuse a struct holding one by value in a compile-time signature, and call such
/// a function through the runtime when the entry is name-only.
///
/// ```
/// use ffi_auto_runtime::{CLongDouble, LongDouble};
/// let f = CLongDouble::from(LongDouble::from_f64(0.5));
/// assert_eq!(f.get().to_f64(), 0.5);
/// assert_eq!(std::mem::align_of::<CLongDouble>(), if cfg!(target_env = "msvc") { 8 } else { 16 });
/// ```
#[derive(Clone, Copy, Default, PartialEq, Eq, Hash)]
#[cfg_attr(
    not(any(
        all(target_vendor = "apple", target_arch = "aarch64"),
        target_env = "msvc"
    )),
    repr(C, align(16))
)]
#[cfg_attr(
    any(
        all(target_vendor = "apple", target_arch = "aarch64"),
        target_env = "msvc"
    ),
    repr(C, align(8))
)]
pub struct CLongDouble {
    bytes: [u8; IN_MEMORY],
}

/// A `long double`'s size in memory.
const IN_MEMORY: usize = if matches!(FORMAT, Some(Format::Double)) {
    8
} else {
    16
};

impl CLongDouble {
    /// The value.
    pub fn get(self) -> LongDouble {
        let mut b = [0u8; 16];
        b[..IN_MEMORY].copy_from_slice(&self.bytes);
        LongDouble::from_bytes(b)
    }

    /// Sets the value.
    pub fn set(&mut self, v: LongDouble) {
        self.bytes.copy_from_slice(&v.to_bytes()[..IN_MEMORY]);
    }
}

impl From<LongDouble> for CLongDouble {
    fn from(v: LongDouble) -> CLongDouble {
        let mut c = CLongDouble::default();
        c.set(v);
        c
    }
}

impl From<CLongDouble> for LongDouble {
    fn from(c: CLongDouble) -> LongDouble {
        c.get()
    }
}

impl std::fmt::Debug for CLongDouble {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "CLongDouble({:?})", self.get().to_f64())
    }
}

/// How the dynamic engine passes and returns it.
#[cfg(feature = "dynamic")]
mod abi {
    use super::LongDouble;

    impl crate::arg::sealed::Sealed for LongDouble {}

    impl crate::arg::Arg for LongDouble {
        crate::arg::not_direct!();
        #[inline]
        fn store_exact(&self, class: crate::class::Class, slot: &mut crate::arg::Slot) -> bool {
            let exact = class == crate::class::Class::LongDouble;
            if exact {
                slot.put(*self);
            }
            exact
        }
        fn store(
            &self,
            class: crate::class::Class,
            slot: &mut crate::arg::Slot,
            _ctx: &mut crate::arg::Ctx<'_>,
        ) -> Result<(), crate::arg::Fault> {
            if self.store_exact(class, slot) {
                Ok(())
            } else {
                Err(crate::arg::Fault::Type {
                    hint: "a `LongDouble` goes to a `long double` parameter only; convert it with `to_f64` for a `double`",
                })
            }
        }
        fn variadic_class(&self) -> crate::class::Class {
            crate::class::Class::LongDouble
        }
        fn describe(&self) -> String {
            format!("`{:?}` (LongDouble)", self.to_f64())
        }
    }

    // SAFETY: a `long double` is stored by value.
    unsafe impl crate::arg::SafeArg for LongDouble {}

    impl crate::ret::sealed::Sealed for LongDouble {}

    impl crate::ret::FromRet for LongDouble {
        type Wide = crate::direct::NotDirect;
        fn from_wide(w: crate::direct::NotDirect) -> Self {
            let _ = w;
            unreachable!("ffi-auto: a return without a direct kind took the direct tier")
        }
        const NAME: &'static str = "LongDouble";
        fn describe_ret(&self) -> String {
            format!("{:?}", self.to_f64())
        }
        fn from_ret(
            class: crate::class::Class,
            ret: &crate::call::RetBuf,
        ) -> Result<Self, crate::arg::Fault> {
            match class {
                crate::class::Class::LongDouble => {
                    // SAFETY: any 16 bytes are a `LongDouble`; libffi wrote the return there.
                    Ok(LongDouble::from_bytes(unsafe { ret.read() }))
                }
                _ => Err(crate::arg::Fault::Type {
                    hint: "read it as the type the declaration returns",
                }),
            }
        }
    }
}

#[cfg(all(test, feature = "dynamic"))]
mod tests {
    use super::*;

    const SAMPLES: [f64; 13] = [
        0.0,
        -0.0,
        1.0,
        -2.5,
        0.1,
        1e308,
        f64::MAX,
        f64::MIN_POSITIVE,
        5e-324,
        1.5e-310,
        -1.5e-320,
        f64::INFINITY,
        f64::NEG_INFINITY,
    ];

    #[test]
    fn doubles_round_trip_exactly_in_every_format() {
        for format in [Format::X87, Format::Binary128, Format::Double] {
            for x in SAMPLES {
                let back = to_f64_in(format, &from_f64_in(format, x));
                assert_eq!(back.to_bits(), x.to_bits(), "{format:?} {x}");
            }
            assert!(to_f64_in(format, &from_f64_in(format, f64::NAN)).is_nan());
        }
        assert!(LongDouble::from_f64(f64::NAN).to_f64().is_nan());
        // The x87 bytes of 1.0: significand 0x8000..., exponent 16383.
        assert_eq!(
            from_f64_in(Format::X87, 1.0)[..10],
            [0, 0, 0, 0, 0, 0, 0, 0x80, 0xff, 0x3f]
        );
        // binary128's: exponent 16383, fraction 0; and -0.1's, as GCC's `-0.1Q` widened from
        // the double -0.1 (`(__float128)-0.1`).
        assert_eq!(
            u128::from_ne_bytes(from_f64_in(Format::Binary128, 1.0)),
            0x3fff << 112
        );
        assert_eq!(
            u128::from_ne_bytes(from_f64_in(Format::Binary128, -0.1)),
            0xbffb_9999_9999_9999_a000_0000_0000_0000
        );
    }

    /// `1 + extra`, where `extra`'s bits are below a double's: the bytes in `format`.
    fn one_plus(format: Format, below: u32) -> [u8; 16] {
        let mut b = from_f64_in(format, 1.0);
        match format {
            // The significand's bit `below` places under the integer bit (bit 63).
            Format::X87 => {
                let m = u64::from_le_bytes(b[..8].try_into().unwrap()) | (1 << (63 - below));
                b[..8].copy_from_slice(&m.to_le_bytes());
            }
            _ => {
                let bits = u128::from_ne_bytes(b) | (1 << (112 - below));
                b = bits.to_ne_bytes();
            }
        }
        b
    }

    #[test]
    fn wider_values_round_to_the_nearest_double() {
        for format in [Format::X87, Format::Binary128] {
            // 1 + 2^-60: below half an ulp of 1.0, rounds down.
            assert_eq!(to_f64_in(format, &one_plus(format, 60)), 1.0, "{format:?}");
            // 1 + 2^-53 exactly (a tie): to even, 1.0.
            assert_eq!(to_f64_in(format, &one_plus(format, 53)), 1.0, "{format:?}");
            // 1 + 2^-52 + 2^-53 (a tie): to even, 1 + 2^-51.
            let mut b = one_plus(format, 52);
            let c = one_plus(format, 53);
            for (x, y) in b.iter_mut().zip(c) {
                *x |= y;
            }
            assert_eq!(to_f64_in(format, &b), 1.0 + 2f64.powi(-51), "{format:?}");
        }
        // binary128: 1 + 2^-53 + 2^-112 (the tie broken by the last bit, which a 64-bit
        // window holds only as the sticky bit): up, to 1 + 2^-52.
        let bits = u128::from_ne_bytes(one_plus(Format::Binary128, 53)) | 1;
        assert_eq!(
            to_f64_in(Format::Binary128, &bits.to_ne_bytes()),
            1.0 + 2f64.powi(-52)
        );
        // 1.94 times the smallest subnormal rounds up to twice it (a carry that is not a
        // renormalization), found by the compiler comparison below.
        let mut b = [0u8; 16];
        b[..10].copy_from_slice(&[0x6e, 0xee, 0x65, 0xda, 0x8c, 0x26, 0x4e, 0xf8, 0xcd, 0x3b]);
        assert_eq!(to_f64_in(Format::X87, &b), 1e-323);
        // Beyond the double range: infinity; far below it: zero.
        let mut b = from_f64_in(Format::X87, 1.0);
        b[8] = 0xff;
        b[9] = 0x4f;
        assert_eq!(to_f64_in(Format::X87, &b), f64::INFINITY);
        let big = u128::from_ne_bytes(from_f64_in(Format::Binary128, 1.0)) | (0x4ff0 << 112);
        assert_eq!(
            to_f64_in(Format::Binary128, &big.to_ne_bytes()),
            f64::INFINITY
        );
        assert_eq!(to_f64_in(Format::Binary128, &1u128.to_ne_bytes()), 0.0);
    }

    #[cfg(any(target_arch = "x86_64", target_arch = "aarch64"))]
    type FromDouble = extern "C" fn(i32, f64, *mut u8) -> i32;
    #[cfg(any(target_arch = "x86_64", target_arch = "aarch64"))]
    type ToDouble = extern "C" fn(i32, *const u8) -> f64;

    /// The C compiler's conversions (`fx_wide_from_double` / `fx_wide_to_double` in the
    /// fixture) for `kind` 0 (`long double`) or 1 (`_Float128`).
    #[cfg(any(target_arch = "x86_64", target_arch = "aarch64"))]
    fn compiler(lib: &crate::Library) -> (FromDouble, ToDouble) {
        let from = lib.symbol("fx_wide_from_double").unwrap().addr();
        let to = lib.symbol("fx_wide_to_double").unwrap().addr();
        // SAFETY: the fixture defines them with exactly these C signatures
        // (`int (int, double, unsigned char *)`, `double (int, const unsigned char *)`); the
        // caller keeps `lib` loaded while it calls them.
        unsafe {
            (
                std::mem::transmute::<*const std::ffi::c_void, FromDouble>(from),
                std::mem::transmute::<*const std::ffi::c_void, ToDouble>(to),
            )
        }
    }

    /// Values near every edge a conversion has: the double range's ends, its subnormals,
    /// ties, NaN payloads; then random bit patterns.
    #[cfg(any(target_arch = "x86_64", target_arch = "aarch64"))]
    fn patterns(format: Format) -> Vec<[u8; 16]> {
        let mut state = 0x9e37_79b9_7f4a_7c15u64;
        let mut next = move || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        let mut out = Vec::new();
        for x in SAMPLES {
            out.push(from_f64_in(format, x));
        }
        for _ in 0..20_000 {
            let (hi, lo) = (next(), next());
            // An exponent near the double range's (biased 16383 - 1100 ..= 16383 + 1100), or any.
            let e = match hi % 4 {
                0 => 0x7fff,
                1 => (hi >> 8) & 0x7fff,
                _ => 16383 - 1100 + (hi >> 16) % 2200,
            } as u16;
            let sign = u16::from(hi & 2 == 0) << 15;
            let mut b = [0u8; 16];
            match format {
                Format::X87 => {
                    // The integer bit set, as in every value the x87 produces, but one time in
                    // eight: unnormals, pseudo-infinities and pseudo-NaNs, which it refuses.
                    let lo = if lo % 8 == 0 {
                        lo & !(1 << 63)
                    } else {
                        lo | 1 << 63
                    };
                    b[..8].copy_from_slice(&lo.to_le_bytes());
                    b[8..10].copy_from_slice(&(sign | e).to_le_bytes());
                }
                _ => {
                    let frac = (u128::from(lo) << 48 | u128::from(hi >> 16)) & ((1 << 112) - 1);
                    // Often a tie or near one: the bits below a double's mantissa cleared.
                    let frac = if hi % 3 == 0 {
                        frac & !((1 << 59) - 1) | 1 << 59
                    } else {
                        frac
                    };
                    let bits = u128::from(sign) << 112 | u128::from(e) << 112 | frac;
                    b = bits.to_ne_bytes();
                }
            }
            out.push(b);
        }
        out
    }

    #[cfg(all(
        any(target_arch = "x86_64", target_arch = "aarch64"),
        not(target_vendor = "apple")
    ))]
    #[test]
    fn every_format_converts_as_the_c_compiler_does() {
        let lib = crate::Library::open(ffi_auto_fixture::LIB).unwrap();
        let (from, to) = compiler(&lib);
        // The target's `long double` (x87 on x86-64, binary128 on aarch64), and `_Float128`.
        let native = FORMAT.unwrap();
        for (kind, format) in [(0, native), (1, Format::Binary128)] {
            for b in patterns(format) {
                let ours = to_f64_in(format, &b);
                let theirs = to(kind, b.as_ptr());
                assert!(
                    ours.to_bits() == theirs.to_bits() || ours.is_nan() && theirs.is_nan(),
                    "{format:?} {b:02x?}: {ours:e} against {theirs:e}"
                );
                // And back: the double's bytes in the format, as the compiler writes them (for
                // x87, its 10; the compiler leaves the padding as the stack had it).
                if !ours.is_nan() {
                    let mut c = [0u8; 16];
                    assert_eq!(from(kind, ours, c.as_mut_ptr()), 0);
                    let width = if format == Format::X87 { 10 } else { 16 };
                    assert_eq!(
                        from_f64_in(format, ours)[..width],
                        c[..width],
                        "{format:?} {ours:e}"
                    );
                }
            }
        }
    }
}
