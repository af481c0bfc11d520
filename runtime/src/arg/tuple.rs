//! [`Args`] for the shapes a call's arguments come in: none (`()`), a single [`Arg`], and
//! tuples of up to 16 (`INLINE`), whose exact path unrolls at compile time.

use super::{Arg, Args, Fault, SafeArg, SafeArgs, Slot};
use crate::class::Class;
use crate::direct;
use crate::ret::FromRet;

impl Args for () {
    const DIRECT_CODE: u64 = direct::pack(&[]);
    #[inline(always)]
    unsafe fn call_direct<R: FromRet>(&self, code: direct::Code) -> R {
        // SAFETY: the caller's contract: `code` is a function of no parameters returning
        // `R`'s kind, read as `R::Wide`.
        let f: unsafe extern "C" fn() -> R::Wide = unsafe { std::mem::transmute(code) };
        // SAFETY: as above.
        R::from_wide(unsafe { f() })
    }
    fn count(&self) -> usize {
        0
    }
    #[inline(always)]
    fn store_exact_all(&self, classes: &[Class], _slots: &mut crate::call::InlineSlots) -> bool {
        classes.is_empty()
    }
    fn store_all(&self, _frame: &mut crate::call::Frame<'_, '_>) -> Result<(), (usize, Fault)> {
        Ok(())
    }
    fn describe(&self, _index: usize) -> String {
        String::new()
    }
}
// SAFETY: no arguments.
unsafe impl SafeArgs for () {}

impl<T: Arg> Args for T {
    const DIRECT_CODE: u64 = direct::pack(&[T::DIRECT]);
    const CSTR_MASK: u64 = direct::cstr_mask(&[T::DIRECT]);
    #[inline(always)]
    unsafe fn call_direct<R: FromRet>(&self, code: direct::Code) -> R {
        // SAFETY: the caller's contract: `code` takes one parameter of `T`'s kind and
        // returns `R`'s.
        let f: unsafe extern "C" fn(T::Direct) -> R::Wide = unsafe { std::mem::transmute(code) };
        // SAFETY: as above.
        R::from_wide(unsafe { f(self.direct()) })
    }
    #[inline]
    fn count(&self) -> usize {
        1
    }
    #[inline(always)]
    fn store_exact_all(&self, classes: &[Class], slots: &mut crate::call::InlineSlots) -> bool {
        // SAFETY: slot 0 of `INLINE >= 1` slots; a `Slot` is valid uninitialized.
        let slot = unsafe { &mut *slots.as_mut_ptr().cast::<Slot>() };
        classes.len() == 1 && self.store_exact(classes[0], slot)
    }
    #[inline]
    fn store_all(&self, frame: &mut crate::call::Frame<'_, '_>) -> Result<(), (usize, Fault)> {
        frame.push(0, self)
    }
    fn describe(&self, _index: usize) -> String {
        Arg::describe(self)
    }
}
// SAFETY: one safe argument.
unsafe impl<T: SafeArg> SafeArgs for T {}

macro_rules! tuple_args {
    ($n:expr; $($idx:tt $t:ident),+) => {
        impl<$($t: Arg),+> Args for ($($t,)+) {
            const DIRECT_CODE: u64 = direct::pack(&[$($t::DIRECT),+]);
            const CSTR_MASK: u64 = direct::cstr_mask(&[$($t::DIRECT),+]);
            #[inline(always)]
            unsafe fn call_direct<R: FromRet>(&self, code: direct::Code) -> R {
                let f: unsafe extern "C" fn($($t::Direct),+) -> R::Wide =
                    // SAFETY: the caller's contract: `code` takes these parameters' kinds, in
                    // order, and returns `R`'s.
                    unsafe { std::mem::transmute(code) };
                // SAFETY: as above.
                R::from_wide(unsafe { f($(self.$idx.direct()),+) })
            }
            #[inline]
            fn count(&self) -> usize {
                $n
            }
            #[inline(always)]
            fn store_exact_all(&self, classes: &[Class], slots: &mut crate::call::InlineSlots) -> bool {
                let base = slots.as_mut_ptr().cast::<Slot>();
                classes.len() == $n $(&& self.$idx.store_exact(classes[$idx], {
                    // SAFETY: tuples have at most 16 = INLINE elements, so the slot is in
                    // bounds; a `Slot` is `MaybeUninit` bytes, valid uninitialized.
                    unsafe { &mut *base.add($idx) }
                }))+
            }
            #[inline]
            fn store_all(&self, frame: &mut crate::call::Frame<'_, '_>) -> Result<(), (usize, Fault)> {
                $(frame.push($idx, &self.$idx)?;)+
                Ok(())
            }
            fn describe(&self, index: usize) -> String {
                match index {
                    $($idx => Arg::describe(&self.$idx),)+
                    _ => String::new(),
                }
            }
        }
        // SAFETY: every element is a safe argument.
        unsafe impl<$($t: SafeArg),+> SafeArgs for ($($t,)+) {}
    };
}

tuple_args!(1; 0 A);
tuple_args!(2; 0 A, 1 B);
tuple_args!(3; 0 A, 1 B, 2 C);
tuple_args!(4; 0 A, 1 B, 2 C, 3 D);
tuple_args!(5; 0 A, 1 B, 2 C, 3 D, 4 E);
tuple_args!(6; 0 A, 1 B, 2 C, 3 D, 4 E, 5 F);
tuple_args!(7; 0 A, 1 B, 2 C, 3 D, 4 E, 5 F, 6 G);
tuple_args!(8; 0 A, 1 B, 2 C, 3 D, 4 E, 5 F, 6 G, 7 H);
tuple_args!(9; 0 A, 1 B, 2 C, 3 D, 4 E, 5 F, 6 G, 7 H, 8 I);
tuple_args!(10; 0 A, 1 B, 2 C, 3 D, 4 E, 5 F, 6 G, 7 H, 8 I, 9 J);
tuple_args!(11; 0 A, 1 B, 2 C, 3 D, 4 E, 5 F, 6 G, 7 H, 8 I, 9 J, 10 K);
tuple_args!(12; 0 A, 1 B, 2 C, 3 D, 4 E, 5 F, 6 G, 7 H, 8 I, 9 J, 10 K, 11 L);
tuple_args!(13; 0 A, 1 B, 2 C, 3 D, 4 E, 5 F, 6 G, 7 H, 8 I, 9 J, 10 K, 11 L, 12 M);
tuple_args!(14; 0 A, 1 B, 2 C, 3 D, 4 E, 5 F, 6 G, 7 H, 8 I, 9 J, 10 K, 11 L, 12 M, 13 N);
tuple_args!(15; 0 A, 1 B, 2 C, 3 D, 4 E, 5 F, 6 G, 7 H, 8 I, 9 J, 10 K, 11 L, 12 M, 13 N, 14 O);
tuple_args!(16; 0 A, 1 B, 2 C, 3 D, 4 E, 5 F, 6 G, 7 H, 8 I, 9 J, 10 K, 11 L, 12 M, 13 N, 14 O, 15 P);
