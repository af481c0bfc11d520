//! C global variables by name: a typed handle to a variable a header declares
//! (`extern long timezone;`), found with the library search of functions.

use std::ffi::c_void;
use std::marker::PhantomData;
use std::ptr::NonNull;

use ffi_auto_sig::{CType, RustType};

use crate::Target;
use crate::class::{Class, Null};
use crate::error::{Error, Result};
use crate::library::{Symbol, find_symbol};

/// A C global variable of Rust type `T`, checked against its declaration.
///
/// Reading and writing are `unsafe`: C code may change the variable at any time (`tzset`
/// writes `timezone`, `setenv` moves `environ`), and an access racing with such a change is a
/// data race. The caller vouches that none happens.
///
/// ```
/// use std::ffi::c_long;
/// let tz = ffi_auto_runtime::global::<c_long>("timezone").unwrap();
/// assert_eq!(tz.c_type().to_string(), "long");
/// // SAFETY: no other thread changes the time zone meanwhile.
/// let _seconds_west = unsafe { tz.read() };
/// assert!(ffi_auto_runtime::global::<i32>("timezone").is_err()); // `long`, not `int`
/// ```
pub struct Global<T> {
    ptr: NonNull<T>,
    name: String,
    ty: CType,
    is_const: bool,
    origin: String,
    /// Keeps the library loaded.
    _symbol: Symbol,
    _t: PhantomData<*mut T>,
}

// SAFETY: a handle is an address in a loaded library and the library's handle; every access
// through it is `unsafe` and its caller rules out races.
unsafe impl<T> Send for Global<T> {}
// SAFETY: as above.
unsafe impl<T> Sync for Global<T> {}

impl<T> std::fmt::Debug for Global<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Global")
            .field("name", &self.name)
            .field("type", &self.ty.to_string())
            .field("const", &self.is_const)
            .field("addr", &self.ptr)
            .field("origin", &self.origin)
            .finish_non_exhaustive()
    }
}

/// The handle to global `target`, its declaration read from the header source's headers
/// and checked against `T` (an `i32` for an `int`, `*mut *mut c_char` for a `char **`).
///
/// # Errors
/// [`Error::Global`] when no header declares it or `T` is not its type;
/// [`Error::SymbolNotFound`] when no library defines it.
pub fn global<'a, T: RustType + Copy>(target: impl Into<Target<'a>>) -> Result<Global<T>> {
    let target = target.into();
    let g = crate::discovery::global_decl(target.name)?;
    let bad = |reason: String, hint: String| Error::Global {
        name: target.name.to_owned(),
        reason,
        hint,
    };
    if let ffi_auto_sig::CType::Array { .. } = g.ty.canonical() {
        return Err(bad(
            format!(
                "it is the array `{}` ({}:{}): a handle holds one value, not an array",
                g.ty,
                g.header.display(),
                g.line
            ),
            "take its address from the symbol (`find_symbol`) and index it in `unsafe` code"
                .to_owned(),
        ));
    }
    let ours = T::c_type();
    let same = matches!(
        (Class::of(&ours, Null::Unknown), Class::of(&g.ty, Null::Unknown)),
        (Ok(a), Ok(b)) if a == b && !matches!(a, Class::Ptr { target: crate::class::Target::Fn(_), .. })
    );
    if !same {
        return Err(bad(
            format!(
                "it is `{}` in C ({}:{}), and the Rust type asked for is `{}` in C",
                g.ty,
                g.header.display(),
                g.line,
                ours
            ),
            g.ty.rust_type().map_or_else(
                || "Rust has no type for it".to_owned(),
                |r| format!("ask for `{r}`"),
            ),
        ));
    }
    let symbol = find_symbol(g.symbol(), target.library)?;
    let ptr = NonNull::new(symbol.addr().cast::<T>().cast_mut())
        .ok_or_else(|| bad("its address is null".to_owned(), String::new()))?;
    Ok(Global {
        ptr,
        name: target.name.to_owned(),
        origin: format!("{}:{}", g.header.display(), g.line),
        ty: g.ty,
        is_const: g.is_const,
        _symbol: symbol,
        _t: PhantomData,
    })
}

impl<T: Copy> Global<T> {
    /// Reads the variable.
    ///
    /// # Safety
    /// No thread writes it meanwhile (C code included).
    pub unsafe fn read(&self) -> T {
        // SAFETY: the address is the variable's (its symbol), of C type `T`'s (checked when
        // the handle was made), valid while the library is loaded (the handle keeps it);
        // the caller rules out a concurrent write.
        unsafe { self.ptr.as_ptr().read_volatile() }
    }

    /// Writes the variable.
    ///
    /// # Safety
    /// No thread reads or writes it meanwhile (C code included), and the value is one the
    /// library accepts there (a pointer C will follow must be valid for as long as C uses it).
    ///
    /// # Errors
    /// [`Error::Global`] for a `const` variable.
    pub unsafe fn write(&self, value: T) -> Result<()> {
        if self.is_const {
            return Err(Error::Global {
                name: self.name.clone(),
                reason: format!("it is declared `const` ({})", self.origin),
                hint: "read it; C does not allow writing it".to_owned(),
            });
        }
        // SAFETY: as in `read`; the caller rules out concurrent access.
        unsafe { self.ptr.as_ptr().write_volatile(value) };
        Ok(())
    }
}

impl<T> Global<T> {
    /// Its address.
    pub fn addr(&self) -> *const c_void {
        self.ptr.as_ptr().cast_const().cast()
    }

    /// Its C type.
    pub fn c_type(&self) -> &CType {
        &self.ty
    }

    /// Whether it is declared `const`.
    pub fn is_const(&self) -> bool {
        self.is_const
    }

    /// Where it is declared.
    pub fn origin(&self) -> &str {
        &self.origin
    }
}
