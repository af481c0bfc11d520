//! C's `long double`, which Rust has no type for: [`LongDouble`] holds its exact bytes, and
//! converts to and from `f64` explicitly. On x86-64 (the one target the runtime passes it on)
//! it is the x87 extended format: a sign, a 15-bit exponent and a 64-bit significand with an
//! explicit integer bit, in the low 10 of 16 bytes.

/// Whether the runtime passes `long double` on this target.
pub(crate) const SUPPORTED: bool = cfg!(target_arch = "x86_64");

/// A C `long double`, as its bytes (x86-64: x87 extended precision).
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
    /// A value from its bytes, as C stores it.
    pub const fn from_bytes(bytes: [u8; 16]) -> LongDouble {
        LongDouble { bytes }
    }

    /// Its bytes, as C stores them (the 6 above the 80-bit value are padding, zero here).
    pub const fn to_bytes(self) -> [u8; 16] {
        self.bytes
    }

    /// `x`, exactly: every `double` is a `long double`.
    pub fn from_f64(x: f64) -> LongDouble {
        let bits = x.to_bits();
        let sign = (bits >> 63) as u16;
        let exp = ((bits >> 52) & 0x7ff) as i32;
        let frac = bits & ((1 << 52) - 1);
        let (e80, mant): (u16, u64) = match exp {
            0 if frac == 0 => (0, 0),
            0 => {
                // Subnormal: normalize (an x87 value has an explicit integer bit).
                let shift = frac.leading_zeros() - 11;
                let m = frac << (shift + 11);
                ((1 - 1023 + 16383 - shift as i32) as u16, m)
            }
            0x7ff => (0x7fff, (1 << 63) | (frac << 11)),
            e => ((e - 1023 + 16383) as u16, (1 << 63) | (frac << 11)),
        };
        let mut bytes = [0u8; 16];
        bytes[..8].copy_from_slice(&mant.to_le_bytes());
        bytes[8..10].copy_from_slice(&((sign << 15) | e80).to_le_bytes());
        LongDouble { bytes }
    }

    /// The nearest `double` (ties to even; beyond its range, an infinity).
    pub fn to_f64(self) -> f64 {
        let mant = u64::from_le_bytes(self.bytes[..8].try_into().unwrap_or([0; 8]));
        let se = u16::from_le_bytes([self.bytes[8], self.bytes[9]]);
        let sign = u64::from(se >> 15) << 63;
        let e80 = i32::from(se & 0x7fff);
        if e80 == 0x7fff {
            // Infinity or NaN (a NaN keeps its payload's top bits, and stays a NaN).
            let frac = (mant << 1) >> 12;
            let frac = if mant << 1 != 0 && frac == 0 {
                1 << 51
            } else {
                frac
            };
            return f64::from_bits(sign | (0x7ff << 52) | frac);
        }
        if mant == 0 {
            return f64::from_bits(sign);
        }
        // value = mant * 2^(e80 - 16383 - 63), with mant normalized to its top bit.
        let lz = mant.leading_zeros();
        let m = mant << lz;
        let mut e = e80 - 16383 - lz as i32;
        // Keep 53 bits (or fewer for a subnormal result), rounding to nearest even.
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
        let drop = 64 - keep;
        let mut top = m >> drop;
        let rest = m << keep;
        let half = 1u64 << 63;
        if rest > half || (rest == half && top & 1 == 1) {
            top += 1;
            if top >> keep != 0 {
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
            // SAFETY: any 16 bytes are a `LongDouble`; libffi wrote the return there.
            crate::class::Class::LongDouble => Ok(LongDouble::from_bytes(unsafe { ret.read() })),
            _ => Err(crate::arg::Fault::Type {
                hint: "read it as the type the declaration returns",
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn doubles_round_trip_exactly() {
        for x in [
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
            f64::INFINITY,
            f64::NEG_INFINITY,
        ] {
            assert_eq!(
                LongDouble::from_f64(x).to_f64().to_bits(),
                x.to_bits(),
                "{x}"
            );
        }
        assert!(LongDouble::from_f64(f64::NAN).to_f64().is_nan());
        // The x87 bytes of 1.0: significand 0x8000..., exponent 16383.
        assert_eq!(
            LongDouble::from_f64(1.0).to_bytes()[..10],
            [0, 0, 0, 0, 0, 0, 0, 0x80, 0xff, 0x3f]
        );
    }

    #[test]
    fn wider_values_round_to_the_nearest_double() {
        // 1 + 2^-60: below half an ulp of 1.0, rounds down.
        let mut b = LongDouble::from_f64(1.0).to_bytes();
        b[0] = 0b1000;
        assert_eq!(LongDouble::from_bytes(b).to_f64(), 1.0);
        // 1 + 2^-53 exactly (a tie): to even, 1.0; 1 + 3 * 2^-53: to 1 + 2^-51.
        let mut b = LongDouble::from_f64(1.0).to_bytes();
        b[1] = 0b0000_0100;
        assert_eq!(LongDouble::from_bytes(b).to_f64(), 1.0);
        let mut b = LongDouble::from_f64(1.0).to_bytes();
        b[1] = 0b0000_1100;
        assert_eq!(LongDouble::from_bytes(b).to_f64(), 1.0 + 2f64.powi(-51));
        // Beyond the double range: infinity.
        let mut b = LongDouble::from_f64(1.0).to_bytes();
        b[8] = 0xff;
        b[9] = 0x4f;
        assert_eq!(LongDouble::from_bytes(b).to_f64(), f64::INFINITY);
    }
}
