//! What both call benchmarks share: the same fixture functions declared by hand and by the
//! macro, and prepared handles registered for by-name calls.
#![allow(dead_code)] // each benchmark uses a part

use std::ffi::{CStr, c_char, c_int, c_long, c_void};

use ffi_auto::{Callback, Function, Library, Value, config::registry, ffi_auto, sig::Signature};
use libffi::middle::{Cif, CodePtr, Type};

pub const LIB: &str = ffi_auto_fixture::LIB;

// The same functions, declared by hand and by the macro.
#[link(name = "ffiauto_fixture")]
unsafe extern "C" {
    #[link_name = "add_i32"]
    pub safe fn extern_add_i32(a: c_int, b: c_int) -> c_int;
    #[link_name = "mix"]
    pub safe fn extern_mix(a: c_int, b: f64, c: c_long, d: f32) -> f64;
}

unsafe extern "C" {
    #[link_name = "strlen"]
    pub fn extern_strlen(s: *const c_char) -> usize;
}

#[ffi_auto(lib = "ffiauto_fixture", header = "tests/fixture/c/fixture.h")]
pub fn add_i32(a: c_int, b: c_int) -> c_int;

#[ffi_auto(lib = "ffiauto_fixture", header = "tests/fixture/c/fixture.h")]
pub fn mix(a: c_int, b: f64, c: c_long, d: f32) -> f64;

#[ffi_auto]
pub fn strlen(s: &CStr) -> usize;

/// A handle on `name` with an explicit signature, also registered for by-name calls.
pub fn prepared(lib: &Library, name: &str, sig: &str) -> Function {
    let sig: Signature = sig.parse().unwrap();
    // SAFETY: each signature the benchmarks pass is the declaration in
    // tests/fixture/c/fixture.h or <string.h>.
    unsafe { registry().register(name, Some(lib.name()), sig.clone()) };
    // SAFETY: as above.
    unsafe { Function::new(lib.symbol(name).unwrap(), name, sig) }.unwrap()
}

/// The handle's function, for libffi's `Cif::call`.
pub fn code(f: &Function) -> CodePtr {
    CodePtr(f.addr().cast_mut())
}

/// `fx_visit`: the callback type `fx_each` calls once per value.
pub type Visit = unsafe extern "C" fn(c_int, *mut c_void) -> c_int;
type Each = unsafe extern "C" fn(*const c_int, c_int, Option<Visit>, *mut c_void) -> c_int;

/// The callbacks both benchmarks compare, each returning `v + 1`: a plain `extern "C" fn`
/// (the floor), ours typed and dynamic, and the `libffi` crate's `middle::Closure` with a
/// hand-written callback (what a user of libffi directly writes).
pub struct Callbacks {
    each: Each,
    pub values: [c_int; 64],
    typed: Callback<'static, Visit>,
    shared: Callback<'static, Visit>,
    forever: &'static Callback<'static, Visit>,
    dynamic: Callback<'static>,
    libffi: libffi::middle::Closure<'static>,
}

unsafe extern "C" fn plain_visit(v: c_int, _ctx: *mut c_void) -> c_int {
    v + 1
}

unsafe extern "C" fn raw_visit(
    _cif: &libffi::low::ffi_cif,
    result: &mut libffi::raw::ffi_arg,
    args: *const *const c_void,
    _userdata: &(),
) {
    // SAFETY: libffi passes one pointer per parameter of `int (int, void *)`.
    let v = unsafe { **args.cast::<*const c_int>() };
    *result = (v + 1) as libffi::raw::ffi_arg;
}

impl Callbacks {
    pub fn new(lib: &Library) -> Callbacks {
        let sym = lib.symbol("fx_each").unwrap();
        Callbacks {
            // SAFETY: `fx_each`'s declaration in fixture.h; the library stays loaded for the
            // process (it is linked too).
            each: unsafe { std::mem::transmute::<*const c_void, Each>(sym.addr()) },
            values: std::array::from_fn(|i| i as c_int),
            typed: Callback::new(|v: c_int, _ctx: *mut c_void| -> c_int { v + 1 }).unwrap(),
            shared: Callback::shared(|v: c_int, _ctx: *mut c_void| -> c_int { v + 1 }).unwrap(),
            forever: Callback::forever(|v: c_int, _ctx: *mut c_void| -> c_int { v + 1 }).unwrap(),
            dynamic: Callback::dynamic(&"int (int, void *)".parse().unwrap(), |a| {
                Value::I64(a[0].as_i64().unwrap_or(0) + 1)
            })
            .unwrap(),
            libffi: libffi::middle::Closure::new(
                Cif::new([Type::i32(), Type::pointer()], Type::i32()),
                raw_visit,
                &(),
            ),
        }
    }

    /// Each callback's pointer, by the name the tables use.
    pub fn visits(&self) -> [(&'static str, Visit); 6] {
        [
            ("plain_fn", plain_visit as Visit),
            ("closure_typed", self.typed.code()),
            ("closure_shared", self.shared.code()),
            ("closure_forever", self.forever.code()),
            (
                "closure_dynamic",
                // SAFETY: the dynamic callback was prepared for `int (int, void *)`.
                unsafe {
                    std::mem::transmute::<unsafe extern "C" fn(), Visit>(self.dynamic.code())
                },
            ),
            (
                "libffi_closure",
                // SAFETY: the closure was prepared for `int (int, void *)`.
                unsafe { *self.libffi.instantiate_code_ptr::<Visit>() },
            ),
        ]
    }

    /// `fx_each` over the 64 values with `visit`: 64 callback calls.
    #[inline(always)]
    pub fn run(&self, values: *const c_int, visit: Visit) -> c_int {
        // SAFETY: 64 values; every callback here has `fx_visit`'s signature.
        unsafe { (self.each)(values, 64, Some(visit), std::ptr::null_mut()) }
    }
}
