//! Prepared functions: symbol, signature and call interface resolved once, called many times.

use std::borrow::Cow;
use std::collections::HashMap;
use std::ffi::c_void;
use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, LazyLock, Mutex, PoisonError, Weak};

use ffi_auto_sig::{SafeFnPointer, Signature};

use crate::arg::{Arg, Args, Fault, Num, SafeArgs};
use crate::call::{
    Frame, INLINE, InlineSlots, Plan, PlanError, Storage, VariadicFault, frame_storage,
    invoke_exact,
};
use crate::class::Class;
use crate::errno::Errno;
use crate::error::{ArgPos, Error, Result};
use crate::format::Family;
use crate::library::{Library, Symbol};
use crate::policy::Provenance;
use crate::ret::FromRet;
use crate::tiers;
use crate::track::{Tier, Via};
use crate::value::Value;

/// A C function ready to call: its address, its signature, and the prepared call interface
/// (the original's `ffi-call-cached`).
///
/// Preparing classifies every parameter and fetches the shared CIF once; a call then converts
/// the arguments (checked against the C types), calls through libffi, and reads the return.
/// Cloning is cheap; a `Function` keeps its library loaded, and is `Send + Sync`.
///
/// ```
/// use ffi_auto_runtime::{Function, find_symbol, sig::Signature};
/// let sig: Signature = "size_t (const char *)".parse().unwrap();
/// // SAFETY: this is strlen's declaration in <string.h>.
/// let strlen = unsafe { Function::new(find_symbol("strlen", None).unwrap(), "strlen", sig) }.unwrap();
/// let n: usize = strlen.call(("hello",)).unwrap();
/// assert_eq!(n, 5);
/// assert!(strlen.call::<usize>(("a\0b",)).is_err()); // a NUL inside is refused
/// ```
#[derive(Clone)]
pub struct Function {
    inner: Arc<Inner>,
}

struct Inner {
    /// The direct tier's codes (`Plan::direct`, `Plan::cstr_params`), kept beside the address
    /// so a typed call reads one cache line.
    direct: u64,
    cstr_params: u64,
    code: unsafe extern "C" fn(),
    /// The register tier's plan, inline for the same reason.
    regs: Option<crate::thunk::RegPlan>,
    /// The switch word (`crate::tiers`) the policy last approved this function under: the
    /// fast tiers take a call only while the word is exactly this.
    approved: AtomicU64,
    /// Where the signature came from, for the policy.
    provenance: Provenance,
    /// What the signature alone decides, shared by every handle of that signature.
    shape: Arc<Shape>,
    name: Box<str>,
    symbol: Option<Symbol>,
    origin: Cow<'static, str>,
}

/// A signature and its plan: shared by the handles of one signature (`Shape::of`), so a
/// handle costs its name, address and origin (`tests/handle_memory.rs`).
struct Shape {
    sig: Signature,
    plan: Plan,
}

/// Shapes in use, by signature and whether a format contract reads formats as the host C
/// library does (`FormatContract::dialect`, the one part of a plan the address decides).
type ShapeKey = (Signature, bool);
static SHAPES: LazyLock<Mutex<HashMap<ShapeKey, Weak<Shape>>>> = LazyLock::new(Mutex::default);

impl Shape {
    /// The shape of `sig` for a function at `code`: the one in use, or a new one.
    fn of(sig: Signature, code: *const c_void) -> Result<Arc<Shape>, PlanError> {
        let host = sig.attrs.format.is_some() && sig.variadic && crate::library::in_c_library(code);
        let key = (sig, host);
        let mut shapes = SHAPES.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(shape) = shapes.get(&key).and_then(Weak::upgrade) {
            return Ok(shape);
        }
        let mut plan = Plan::new(&key.0)?;
        if let Some(f) = &mut plan.format
            && key.1
        {
            f.dialect = crate::format::Dialect::host();
        }
        let shape = Arc::new(Shape {
            sig: key.0.clone(),
            plan,
        });
        // Entries whose handles are all gone are dropped when the table doubles.
        if shapes.len() >= 64 && shapes.len().is_power_of_two() {
            shapes.retain(|_, w| w.strong_count() > 0);
        }
        shapes.insert(key, Arc::downgrade(&shape));
        Ok(shape)
    }
}

impl fmt::Debug for Function {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Function")
            .field("declaration", &self.declaration())
            .field("addr", &self.addr())
            .field("origin", &self.inner.origin)
            .finish_non_exhaustive()
    }
}

impl Function {
    /// Prepares `symbol` as a function of signature `sig`.
    ///
    /// # Safety
    /// `sig` must be the C signature of the function at `symbol`: ffi-auto checks every
    /// argument against `sig`, so a wrong `sig` makes C read arguments it was not given.
    ///
    /// # Errors
    /// [`Error::Unsupported`] for types the runtime cannot pass (`long double`, structs by
    /// value), [`Error::Prepare`] if libffi refuses the signature.
    pub unsafe fn new(symbol: Symbol, name: &str, sig: Signature) -> Result<Function> {
        // SAFETY: a symbol address is non-null; the caller vouches that it is a function of
        // signature `sig`, and `symbol` keeps its library loaded for the Function's life.
        let code =
            unsafe { std::mem::transmute::<*const c_void, unsafe extern "C" fn()>(symbol.addr()) };
        Function::build(
            code,
            Some(symbol),
            name,
            sig,
            "explicit signature",
            Provenance::Explicit,
        )
    }

    /// Prepares the function at `addr` as a function of signature `sig`.
    ///
    /// # Safety
    /// `addr` must be a function of C signature `sig`, and stay valid (its library loaded) for
    /// as long as the returned `Function` or a clone of it lives.
    ///
    /// # Errors
    /// As [`Function::new`]; also [`Error::InvalidName`] for a null `addr`.
    pub unsafe fn from_ptr(addr: *const c_void, name: &str, sig: Signature) -> Result<Function> {
        if addr.is_null() {
            return Err(Error::InvalidName {
                name: name.to_owned(),
                reason: "the function address is null".to_owned(),
            });
        }
        // SAFETY: non-null; the caller vouches for the rest.
        let code = unsafe { std::mem::transmute::<*const c_void, unsafe extern "C" fn()>(addr) };
        Function::build(
            code,
            None,
            name,
            sig,
            "explicit signature",
            Provenance::Explicit,
        )
    }

    /// Prepares a safe Rust `extern "C"` function pointer; its signature comes from its type.
    /// (An `unsafe extern "C" fn` has preconditions a safe call cannot know: prepare it with
    /// the `unsafe` [`Function::from_ptr`].)
    ///
    /// ```
    /// use ffi_auto_runtime::Function;
    /// extern "C" fn twice(x: i32) -> i32 { x * 2 }
    /// let f = Function::from_fn("twice", twice as extern "C" fn(i32) -> i32).unwrap();
    /// assert_eq!(f.call::<i32>(21).unwrap(), 42);
    /// ```
    ///
    /// ```compile_fail
    /// use ffi_auto_runtime::Function;
    /// unsafe extern "C" fn deref(p: usize) -> u8 { unsafe { *(p as *const u8) } }
    /// // Refused: safe calls would break its precondition.
    /// let f = Function::from_fn("deref", deref as unsafe extern "C" fn(usize) -> u8);
    /// ```
    ///
    /// # Errors
    /// As [`Function::new`].
    pub fn from_fn<F: SafeFnPointer>(name: &str, f: F) -> Result<Function> {
        // SAFETY: `FnPointer` is implemented only for function pointer types, whose address
        // is a function of exactly `F::signature()`; a function pointer lives forever.
        unsafe { Function::from_ptr(f.addr(), name, F::signature()) }
    }

    pub(crate) fn build(
        code: unsafe extern "C" fn(),
        symbol: Option<Symbol>,
        name: &str,
        sig: Signature,
        origin: impl Into<Cow<'static, str>>,
        provenance: Provenance,
    ) -> Result<Function> {
        let declaration = |sig: &Signature| sig.declare(name);
        let shape = match Shape::of(sig.clone(), code as *const c_void) {
            Ok(shape) => shape,
            Err(PlanError::Unsupported(u)) => {
                return Err(Error::Unsupported {
                    function: name.to_owned(),
                    what: u.what,
                    hint: u.hint,
                });
            }
            Err(PlanError::Prepare(reason)) => {
                return Err(Error::Prepare {
                    function: name.to_owned(),
                    declaration: declaration(&sig),
                    reason,
                });
            }
        };
        let f = Function {
            inner: Arc::new(Inner {
                direct: shape.plan.direct,
                cstr_params: shape.plan.cstr_params,
                regs: shape.plan.regs,
                // Not approved yet: `approve` below sets it.
                approved: AtomicU64::new(u64::MAX),
                provenance,
                code,
                shape,
                name: name.into(),
                symbol,
                origin: origin.into(),
            }),
        };
        f.approve().map_err(|e| *e)?;
        let library = f.defined_in();
        crate::audit::emit(&crate::audit::Event::Resolve {
            function: name,
            library: library.as_deref(),
            origin: f.origin(),
        })
        .map_err(|reason| f.refused(format!("the audit hook ({reason})"), String::new()))?;
        tracing::debug!(target: "ffi_auto::resolve", function = name, library = ?library, origin = f.origin(), "prepared");
        Ok(f)
    }

    /// Checks the policy for this function and, when it permits the call, records the switch
    /// word it was approved under.
    fn approve(&self) -> Result<(), Box<Error>> {
        let inner = &*self.inner;
        // The word before the check: a change during it makes the approval stale at once.
        let word = tiers::word();
        let libs = self.library_names();
        let v = crate::policy::check_call(&inner.name, Some(&libs), Some(inner.provenance));
        tracing::debug!(target: "ffi_auto::policy", function = &*inner.name, allowed = v.allowed, rule = %v.rule, "policy decision");
        if !v.allowed {
            return Err(Box::new(self.refused(v.rule, v.hint)));
        }
        inner
            .approved
            .store(word & !tiers::FLAGS, Ordering::Relaxed);
        Ok(())
    }

    /// A refusal of this function, reported to the audit hooks.
    #[cold]
    fn refused(&self, rule: String, hint: String) -> Error {
        let _ = crate::audit::emit(&crate::audit::Event::Refused {
            what: &self.inner.name,
            rule: &rule,
        });
        Error::Refused {
            what: self.inner.name.to_string(),
            rule,
            hint,
        }
    }

    /// The names the policy matches this function's library by.
    fn library_names(&self) -> Vec<String> {
        let inner = &*self.inner;
        let requested = inner
            .symbol
            .as_ref()
            .map(Symbol::library)
            .filter(|l| !l.is_program())
            .map(Library::name);
        let file = self.defined_in().map(std::path::PathBuf::from);
        crate::policy::library_names(requested, file.as_deref())
    }

    /// The file of the library that defines it, as the loader reports.
    pub(crate) fn defined_in(&self) -> Option<String> {
        crate::library::object_of(self.addr())
    }

    /// A value that tells handles apart while they live (the shared state's address).
    pub(crate) fn identity(&self) -> usize {
        Arc::as_ptr(&self.inner) as usize
    }

    /// Whether its signature came from a header (read at run time, or by the macros at
    /// compile time).
    pub(crate) fn has_header_signature(&self) -> bool {
        matches!(
            self.inner.provenance,
            Provenance::Header | Provenance::Compiled
        )
    }

    /// The kind of source its signature came from (what the `conservative` policy preset
    /// looks at).
    ///
    /// ```
    /// use ffi_auto_runtime::{prepare, policy::Provenance};
    /// assert_eq!(prepare("strlen").unwrap().provenance(), Provenance::Header);
    /// ```
    pub fn provenance(&self) -> Provenance {
        self.inner.provenance
    }

    /// Whether a name-only compile-time entry of it may be a safe `fn`: numbers and `bool`
    /// only, not variadic (a name-only entry passes `const char *` as a raw pointer, so it
    /// must be `unsafe fn`; README "Macros").
    pub(crate) fn safe_wrapper(&self) -> bool {
        let plan = &self.inner.shape.plan;
        let scalar = |c: &Class| !matches!(c, Class::Ptr { .. } | Class::Record(_));
        !plan.variadic && plan.params.iter().all(scalar) && scalar(&plan.ret)
    }

    /// The function's name.
    pub fn name(&self) -> &str {
        &self.inner.name
    }

    /// Its signature.
    pub fn signature(&self) -> &Signature {
        &self.inner.shape.sig
    }

    /// Its C declaration: `size_t strlen(const char *s)`.
    pub fn declaration(&self) -> String {
        self.inner.shape.sig.declare(&self.inner.name)
    }

    /// The library it comes from, when it was prepared from a symbol.
    pub fn library(&self) -> Option<&Library> {
        self.inner.symbol.as_ref().map(Symbol::library)
    }

    /// Its address.
    pub fn addr(&self) -> *const c_void {
        self.inner.code as *const c_void
    }

    /// Where its signature came from (`explicit signature`, `registry`, a header and line).
    pub fn origin(&self) -> &str {
        &self.inner.origin
    }

    /// For a `printf`- or `scanf`-like function (its declaration's `format` attribute, or the
    /// standard's for `printf`, `scanf` and their relatives), the format family and the
    /// 0-based index of the format string parameter: what its variadic arguments are checked
    /// against.
    ///
    /// ```
    /// use ffi_auto_runtime::{prepare, format::Family};
    /// let printf = prepare("printf").unwrap();
    /// assert_eq!(printf.format_parameter(), Some((Family::Printf, 0)));
    /// assert_eq!(prepare("strlen").unwrap().format_parameter(), None);
    /// ```
    pub fn format_parameter(&self) -> Option<(Family, usize)> {
        self.inner.shape.plan.format.map(|c| (c.family, c.string))
    }

    /// Reads `format` as this function's format string, the way a call checks it: the
    /// arguments it consumes, in order. `None` for a function without a format contract.
    ///
    /// ```
    /// use ffi_auto_runtime::prepare;
    /// let printf = prepare("printf").unwrap();
    /// let args = printf.parse_format(b"%s=%ld").unwrap().unwrap();
    /// assert_eq!(args[1].ty.to_string(), "long");
    /// ```
    pub fn parse_format(
        &self,
        format: &[u8],
    ) -> Option<Result<Vec<crate::format::Conversion>, crate::format::FormatError>> {
        let c = self.inner.shape.plan.format?;
        Some(crate::format::parse_for(c.dialect, c.family, format))
    }

    /// Whether two handles share one prepared call interface.
    pub fn shares_cif_with(&self, other: &Function) -> bool {
        Arc::ptr_eq(&self.inner.shape.plan.cif, &other.inner.shape.plan.cif)
    }

    /// Calls the function with safe arguments: numbers, `bool`, strings, `Option` of a string
    /// (null for `None`), or [`Value`]s. A tuple gives several arguments, a single value one,
    /// `()` none.
    ///
    /// Every argument is checked against the C declaration before the call; the return is read
    /// as `R` with a range check.
    ///
    /// ```
    /// use ffi_auto_runtime::{Function, find_symbol, Error, sig::Signature};
    /// let sig: Signature = "int (int)".parse().unwrap();
    /// // SAFETY: `int abs(int)` in <stdlib.h>.
    /// let abs = unsafe { Function::new(find_symbol("abs", None).unwrap(), "abs", sig) }.unwrap();
    /// assert_eq!(abs.call::<i32>(-3).unwrap(), 3);
    /// assert!(matches!(abs.call::<i32>(3_000_000_000u64), Err(Error::OutOfRange { .. })));
    /// assert!(matches!(abs.call::<i32>((1, 2)), Err(Error::ArgCount { .. })));
    /// ```
    ///
    /// # Errors
    /// [`Error::ArgCount`], [`Error::ArgType`], [`Error::OutOfRange`], [`Error::NulInString`],
    /// [`Error::NullPointer`], [`Error::RawPointer`] (a `Value::Ptr`) before the call;
    /// [`Error::ReturnType`] after it.
    #[inline(always)]
    pub fn call<R: FromRet>(&self, args: impl SafeArgs) -> Result<R> {
        // The direct tier first, with the arguments still in registers: the other paths take
        // them by reference, which would make the compiler store them first.
        let inner = &*self.inner;
        let approved = inner.approved.load(Ordering::Relaxed);
        if crate::direct::takes::<_, R>(inner.direct, inner.cstr_params, approved, &args) {
            // SAFETY: `takes` holds; the handle keeps the library loaded.
            return Ok(unsafe { args.call_direct(inner.code as crate::direct::Code) });
        }
        self.call_other(args)
    }

    /// [`Function::call`] past the direct tier.
    #[inline(never)]
    fn call_other<R: FromRet>(&self, args: impl SafeArgs) -> Result<R> {
        self.call_boxed(args, Via::Handle).map_err(|e| *e)
    }

    /// Whether a call with argument types `A` and return type `R` takes the direct tier: the
    /// Rust types are exactly the signature's C representations, so the call goes through a
    /// plain `extern "C"` function pointer, with no marshalling and no libffi (x86-64 and
    /// aarch64; numbers, `bool` and `&CStr` for a `const char *`).
    ///
    /// ```
    /// use ffi_auto_runtime::{Function, find_symbol, sig::Signature};
    /// let sig: Signature = "int (int)".parse().unwrap();
    /// // SAFETY: `int abs(int)` in <stdlib.h>.
    /// let abs = unsafe { Function::new(find_symbol("abs", None).unwrap(), "abs", sig) }.unwrap();
    /// let direct = cfg!(any(target_arch = "x86_64", target_arch = "aarch64"));
    /// assert_eq!(abs.is_direct::<i32, i32>(), direct);
    /// assert!(!abs.is_direct::<i64, i32>()); // converted (range-checked) on the general path
    /// ```
    pub fn is_direct<A: Args, R: FromRet>(&self) -> bool {
        self.direct().takes::<A, R>()
    }

    /// What the direct tier needs of this handle (also kept beside a by-name cache entry).
    #[inline(always)]
    pub(crate) fn direct(&self) -> crate::direct::Direct {
        let inner = &*self.inner;
        crate::direct::Direct {
            code: inner.direct,
            cstr_params: inner.cstr_params,
            addr: inner.code as crate::direct::Code,
            approved: inner.approved.load(Ordering::Relaxed),
        }
    }

    /// Whether [`Function::call_values`] with values of exactly the parameters' types takes
    /// the register tier: every argument travels in a register (x86-64: up to 6 integers and
    /// pointers and 8 floats; aarch64: 8 and 8) and the function is called through a thunk
    /// compiled into the binary, without libffi.
    ///
    /// ```
    /// use ffi_auto_runtime::{Function, Value, find_symbol, sig::Signature};
    /// let sig: Signature = "double (double, double)".parse().unwrap();
    /// // SAFETY: `double pow(double, double)` in <math.h>.
    /// let pow = unsafe { Function::new(find_symbol("pow", Some("m")).unwrap(), "pow", sig) }.unwrap();
    /// let tier = cfg!(any(target_arch = "x86_64", target_arch = "aarch64"));
    /// assert_eq!(pow.takes_registers(), tier);
    /// assert_eq!(pow.call_values(&[Value::F64(2.0), Value::F64(10.0)]).unwrap(), Value::F64(1024.0));
    /// ```
    pub fn takes_registers(&self) -> bool {
        self.inner.regs.is_some() && !tiers::libffi_only()
    }

    /// As [`Function::call`] past the direct tier, with the error boxed: what by-name calls
    /// build on, so that the hot path moves one word instead of a whole [`Error`].
    #[inline(always)]
    pub(crate) fn call_boxed<R: FromRet>(
        &self,
        args: impl SafeArgs,
        via: Via,
    ) -> Result<R, Box<Error>> {
        // SAFETY: `SafeArgs` carry no raw pointer except `Value::Ptr`, which a safe frame
        // refuses; the signature was vouched for when the function was prepared.
        unsafe { self.call_impl(&args, true, via) }
    }

    /// Calls the function with any arguments, raw pointers, out-parameters (`&mut x`) and
    /// slices included.
    ///
    /// ```
    /// use std::ffi::{c_char, CStr};
    /// use ffi_auto_runtime::{Function, find_symbol, sig::Signature};
    /// let sig: Signature = "long (const char *, char **, int)".parse().unwrap();
    /// // SAFETY: `long strtol(const char *, char **, int)` in <stdlib.h>.
    /// let strtol = unsafe { Function::new(find_symbol("strtol", None).unwrap(), "strtol", sig) }.unwrap();
    /// let input = c"42 rest";
    /// let mut end: *mut c_char = std::ptr::null_mut();
    /// // SAFETY: `end` is a valid `char *` to write; strtol points it into `input`.
    /// let n: i64 = unsafe { strtol.call_raw((input, &mut end, 10)) }.unwrap();
    /// assert_eq!(n, 42);
    /// // SAFETY: strtol set `end` inside `input`, which is still alive.
    /// assert_eq!(unsafe { CStr::from_ptr(end) }, c" rest");
    /// ```
    ///
    /// # Safety
    /// Every raw pointer, reference and slice passed must be valid for what the C function does
    /// with it (how much it reads or writes, and for how long it keeps it).
    ///
    /// # Errors
    /// As [`Function::call`], except that raw pointers are accepted.
    #[inline]
    pub unsafe fn call_raw<R: FromRet>(&self, args: impl Args) -> Result<R> {
        // SAFETY: the caller vouches for the pointers.
        unsafe { self.call_raw_boxed(args, Via::Handle) }.map_err(|e| *e)
    }

    /// As [`Function::call_raw`], with the error boxed.
    ///
    /// # Safety
    /// As [`Function::call_raw`].
    #[inline(always)]
    pub(crate) unsafe fn call_raw_boxed<R: FromRet>(
        &self,
        args: impl Args,
        via: Via,
    ) -> Result<R, Box<Error>> {
        let direct = self.direct();
        if direct.takes_for::<_, R>(&args) {
            // SAFETY: `takes` holds; the handle keeps the library loaded.
            return Ok(unsafe { direct.call(&args) });
        }
        // SAFETY: the caller vouches for the pointers; the rest is checked.
        unsafe { self.call_impl(&args, false, via) }
    }

    /// Calls with dynamic values and returns a dynamic value.
    ///
    /// # Errors
    /// As [`Function::call`]; a `Value::Ptr` is [`Error::RawPointer`].
    pub fn call_values(&self, args: &[Value<'_>]) -> Result<Value<'static>> {
        self.call_values_via(args, Via::Handle).map_err(|e| *e)
    }

    /// [`Function::call_values`], for a call that reached the function `via`.
    #[inline]
    pub(crate) fn call_values_via(
        &self,
        args: &[Value<'_>],
        via: Via,
    ) -> Result<Value<'static>, Box<Error>> {
        let inner = &*self.inner;
        if let Some(regs) = &inner.regs
            && regs.len() == args.len()
            && tiers::word() == inner.approved.load(Ordering::Relaxed)
        {
            // SAFETY: `regs` is the register plan of this function's signature (vouched for
            // at preparation), with one value per parameter.
            let r =
                unsafe { crate::thunk::call(inner.code as *const std::ffi::c_void, regs, args) };
            if let Some(v) = r {
                return Ok(v);
            }
        }
        self.call_boxed(args, via)
    }

    /// [`Function::call_values`], returning `errno` as the call left it (cleared right before
    /// the C function runs, read right after it returns). The register tier takes it as it
    /// takes `call_values`, with errno captured around the thunk.
    ///
    /// ```
    /// use ffi_auto_runtime::{Function, Value, find_symbol, sig::Signature};
    /// let sig: Signature = "double (double)".parse().unwrap();
    /// // SAFETY: `double log(double)` in <math.h>.
    /// let log = unsafe { Function::new(find_symbol("log", Some("m")).unwrap(), "log", sig) }.unwrap();
    /// let (v, e) = log.call_values_errno(&[Value::F64(-1.0)]).unwrap();
    /// assert!(v.as_f64().unwrap().is_nan());
    /// assert_eq!(e.code(), libc::EDOM);
    /// ```
    ///
    /// # Errors
    /// As [`Function::call_values`].
    pub fn call_values_errno(&self, args: &[Value<'_>]) -> Result<(Value<'static>, Errno)> {
        let inner = &*self.inner;
        if let Some(regs) = &inner.regs
            && tiers::word() == inner.approved.load(Ordering::Relaxed)
            && regs.takes(args)
        {
            crate::errno::set_errno(0);
            // SAFETY: `regs` is the register plan of this function's signature, and the
            // values are exactly its parameters' types (`takes`).
            let r = unsafe { crate::thunk::call(inner.code as *const c_void, regs, args) };
            let e = crate::errno::errno();
            if let Some(v) = r {
                return Ok((v, Errno(e)));
            }
        }
        self.call_errno_via(args, Via::Handle).map_err(|e| *e)
    }

    /// Calls with dynamic values, raw pointers included.
    ///
    /// # Safety
    /// As [`Function::call_raw`].
    ///
    /// # Errors
    /// As [`Function::call`], except that raw pointers are accepted.
    pub unsafe fn call_values_raw(&self, args: &[Value<'_>]) -> Result<Value<'static>> {
        // SAFETY: the caller vouches for the pointers.
        unsafe { self.call_raw(args) }
    }

    /// Calls with safe arguments, and returns `errno` as the call left it: cleared right
    /// before the C function runs and read right after it returns, before anything else
    /// (argument conversion, allocation) can change it.
    ///
    /// ```
    /// use ffi_auto_runtime::{Function, find_symbol, sig::Signature};
    /// let sig: Signature = "int (const char *, int)".parse().unwrap();
    /// // SAFETY: `int open(const char *, int, ...)`, called here with its two fixed arguments.
    /// let open = unsafe { Function::new(find_symbol("open", None).unwrap(), "open", sig) }.unwrap();
    /// let (fd, e) = open.call_errno::<i32>(("/no/such/file", 0)).unwrap();
    /// assert_eq!(fd, -1);
    /// assert_eq!(e.code(), libc::ENOENT);
    /// ```
    ///
    /// # Errors
    /// As [`Function::call`].
    pub fn call_errno<R: FromRet>(&self, args: impl SafeArgs) -> Result<(R, Errno)> {
        self.call_errno_via(args, Via::Handle).map_err(|e| *e)
    }

    /// [`Function::call_errno`], for a call that reached the function `via`.
    pub(crate) fn call_errno_via<R: FromRet>(
        &self,
        args: impl SafeArgs,
        via: Via,
    ) -> Result<(R, Errno), Box<Error>> {
        let direct = self.direct();
        if direct.takes_for::<_, R>(&args) {
            // errno cleared right before the call and read right after it, with no C call in
            // between.
            crate::errno::set_errno(0);
            // SAFETY: `takes` holds; the handle keeps the library loaded.
            let r = unsafe { direct.call(&args) };
            return Ok((r, Errno(crate::errno::errno())));
        }
        let mut e = 0;
        // SAFETY: as in `call_boxed`: safe arguments, a vouched-for signature.
        let r = unsafe { self.call_errno_impl(&args, true, &mut e, via) }?;
        Ok((r, Errno(e)))
    }

    /// [`Function::call_errno`] with any arguments.
    ///
    /// # Safety
    /// As [`Function::call_raw`].
    ///
    /// # Errors
    /// As [`Function::call_raw`].
    pub unsafe fn call_raw_errno<R: FromRet>(&self, args: impl Args) -> Result<(R, Errno)> {
        // SAFETY: the caller vouches for the pointers.
        unsafe { self.call_raw_errno_via(args, Via::Handle) }.map_err(|e| *e)
    }

    /// [`Function::call_raw_errno`], for a call that reached the function `via`.
    ///
    /// # Safety
    /// As [`Function::call_raw`].
    pub(crate) unsafe fn call_raw_errno_via<R: FromRet>(
        &self,
        args: impl Args,
        via: Via,
    ) -> Result<(R, Errno), Box<Error>> {
        let mut e = 0;
        // SAFETY: the caller vouches for the pointers.
        let r = unsafe { self.call_errno_impl(&args, false, &mut e, via) }?;
        Ok((r, Errno(e)))
    }

    /// The general path with `errno` captured, past the switches.
    ///
    /// # Safety
    /// When `safe` is false, the caller vouches for every pointer argument.
    unsafe fn call_errno_impl<A: Args + ?Sized, R: FromRet>(
        &self,
        args: &A,
        safe: bool,
        errno: &mut i32,
        via: Via,
    ) -> Result<R, Box<Error>> {
        let w = tiers::word();
        if w != self.inner.approved.load(Ordering::Relaxed) {
            // SAFETY: the caller's contract, passed on.
            return unsafe { self.call_switched(args, safe, Some(errno), via, w) };
        }
        // SAFETY: the caller's contract, passed on.
        unsafe { self.call_checked(args, safe, Some(errno)) }
    }

    /// A call while a switch is set or the policy changed since the function was approved:
    /// the policy is checked again, then the call is made through the tier the switches
    /// allow, timed and recorded when tracking, logged when tracing.
    ///
    /// # Safety
    /// When `safe` is false, the caller vouches for every pointer argument.
    #[cold]
    #[inline(never)]
    unsafe fn call_switched<A: Args + ?Sized, R: FromRet>(
        &self,
        args: &A,
        safe: bool,
        mut errno: Option<&mut i32>,
        via: Via,
        word: u64,
    ) -> Result<R, Box<Error>> {
        let inner = &*self.inner;
        if (word ^ inner.approved.load(Ordering::Relaxed)) & !tiers::FLAGS != 0 {
            self.approve()?;
        }
        let observe = word & (tiers::TRACK | tiers::TRACE) != 0;
        let fast = word & tiers::LIBFFI_ONLY == 0;
        let start = observe.then(std::time::Instant::now);
        let direct = self.direct();
        let (r, tier) = if fast && direct.fits::<A, R>() {
            if errno.is_some() {
                crate::errno::set_errno(0);
            }
            // SAFETY: `fits` holds: the signature has exactly these kinds (the switches were
            // dealt with above); the handle keeps the library loaded.
            let r: R = unsafe { direct.call(args) };
            if let Some(e) = errno.as_deref_mut() {
                *e = crate::errno::errno();
            }
            (Ok(r), Tier::Direct)
        } else if let (true, None, Some(values), Some(regs)) =
            (fast, &errno, args.as_values(), &inner.regs)
            && regs.len() == values.len()
            // SAFETY: `regs` is the register plan of this function's signature, with one
            // value per parameter.
            && let Some(raw) = unsafe { crate::thunk::call_raw(self.addr(), regs, values) }
        {
            let ret = crate::call::RetBuf::from_register(raw);
            (
                R::from_ret(regs.ret(), &ret).map_err(|f| self.ret_error::<R>(f)),
                Tier::Registers,
            )
        } else {
            // SAFETY: the caller's contract, passed on.
            let r = unsafe {
                match errno {
                    Some(e) => self.call_checked(args, safe, Some(e)),
                    None => self.call_ungated(args, safe),
                }
            };
            (r, Tier::Libffi)
        };
        if let Some(start) = start {
            let elapsed = start.elapsed();
            if word & tiers::TRACK != 0 {
                crate::track::record(self, via, tier, elapsed);
            }
            if word & tiers::TRACE != 0 {
                let result = match &r {
                    Ok(v) => v.describe_ret(),
                    Err(e) => format!("error: {e}"),
                };
                crate::track::trace(self, via, tier, &args.describe_all(), &result);
            }
        }
        r
    }

    /// # Safety
    /// When `safe` is false, the caller vouches for every pointer argument.
    #[inline(always)]
    unsafe fn call_impl<A: Args + ?Sized, R: FromRet>(
        &self,
        args: &A,
        safe: bool,
        via: Via,
    ) -> Result<R, Box<Error>> {
        let w = tiers::word();
        if w != self.inner.approved.load(Ordering::Relaxed) {
            // SAFETY: the caller's contract, passed on.
            return unsafe { self.call_switched(args, safe, None, via, w) };
        }
        // SAFETY: the caller's contract, passed on.
        unsafe { self.call_ungated(args, safe) }
    }

    /// The exact path, or the checked one.
    ///
    /// # Safety
    /// When `safe` is false, the caller vouches for every pointer argument.
    #[inline(always)]
    unsafe fn call_ungated<A: Args + ?Sized, R: FromRet>(
        &self,
        args: &A,
        safe: bool,
    ) -> Result<R, Box<Error>> {
        // The direct tier was tried by the callers (`call`, `call_raw_boxed`, a by-name hit),
        // with the arguments still by value.
        let inner = &*self.inner;
        let plan = &inner.shape.plan;
        let n = args.count();
        if plan.fast && n <= INLINE {
            let mut slots: InlineSlots = std::mem::MaybeUninit::uninit();
            if args.store_exact_all(&plan.params, &mut slots) {
                // SAFETY: `store_exact_all` checked the count against the fixed parameters
                // and stored every argument in its parameter's exact C representation (a
                // number, or a NUL-terminated C string for a `const char *`); the plan is the
                // function's (vouched for at preparation) and not variadic.
                let ret = unsafe { invoke_exact(plan, inner.code, &mut slots, n) };
                return R::from_ret(plan.ret, &ret).map_err(|f| self.ret_error::<R>(f));
            }
        }
        // SAFETY: the caller's contract, passed on.
        unsafe { self.call_checked(args, safe, None) }
    }

    /// The general path: every argument converted and checked, variadics, strings copied.
    ///
    /// # Safety
    /// When `safe` is false, the caller vouches for every pointer argument.
    #[inline(never)]
    unsafe fn call_checked<A: Args + ?Sized, R: FromRet>(
        &self,
        args: &A,
        safe: bool,
        errno: Option<&mut i32>,
    ) -> Result<R, Box<Error>> {
        let inner = &*self.inner;
        let plan = &inner.shape.plan;
        let n = args.count();
        let fixed = plan.params.len();
        if n != fixed && !(plan.variadic && n > fixed) {
            return Err(self.count_error(n));
        }
        if safe && let Some(reason) = &plan.raw_only {
            return Err(Box::new(Error::RawOnly {
                function: inner.name.to_string(),
                reason: reason.to_string(),
            }));
        }
        frame_storage!(slots, scratch, rare, spill);
        let storage = Storage {
            slots: &mut slots,
            scratch: &mut scratch,
            rare: &mut rare,
            spill: &mut spill,
        };
        let mut frame = Frame::new(plan, n, safe, storage);
        if let Err((i, fault)) = args.store_all(&mut frame).and_then(|()| frame.finish()) {
            return Err(self.frame_error(&mut frame, i, fault, &args.describe(i)));
        }
        if !plan.string_lengths.is_empty()
            && let Some((s, l, n, have)) = frame.check_string_lengths()
        {
            return Err(Box::new(self.length_error(s, l, n, have)));
        }
        // A struct return larger than the inline buffer is written here, and read before this
        // function returns.
        let mut big = plan.big_ret.map(|size| vec![0u128; size.div_ceil(16)]);
        // SAFETY: the signature is the function's (vouched for at preparation), all `n`
        // arguments were stored and checked against it, and pointer arguments are either
        // checked (safe frame) or vouched for by the caller of `call_raw`.
        let ret = unsafe { frame.invoke(inner.code, n, errno, big.as_deref_mut()) }.map_err(
            |reason| {
                Box::new(Error::Prepare {
                    function: inner.name.to_string(),
                    declaration: self.declaration(),
                    reason,
                })
            },
        )?;
        R::from_ret(plan.ret, &ret).map_err(|f| self.ret_error::<R>(f))
    }

    /// Checks `args` against the signature as a safe call would, without calling: for each
    /// argument up to the first that fails, `Ok` or the error the call would return; then any
    /// error about the call as a whole (the count, a raw-only function, the variadic part,
    /// string lengths).
    pub(crate) fn check_values(
        &self,
        args: &[Value<'_>],
    ) -> (Vec<Result<(), Error>>, Option<Error>) {
        let plan = &self.inner.shape.plan;
        let n = args.len();
        let fixed = plan.params.len();
        if n != fixed && !(plan.variadic && n > fixed) {
            return (Vec::new(), Some(*self.count_error(n)));
        }
        frame_storage!(slots, scratch, rare, spill);
        let storage = Storage {
            slots: &mut slots,
            scratch: &mut scratch,
            rare: &mut rare,
            spill: &mut spill,
        };
        let mut frame = Frame::new(plan, n, true, storage);
        let mut each = Vec::with_capacity(n);
        let mut whole = None;
        for (i, v) in args.iter().enumerate() {
            if let Err((i, fault)) = frame.push(i, v) {
                each.push(Err(*self.frame_error(
                    &mut frame,
                    i,
                    fault,
                    &Arg::describe(v),
                )));
                // The frame reads earlier slots to check later arguments (a format string,
                // `open`'s flags): past a failure they may be unwritten, so it stops here.
                break;
            }
            each.push(Ok(()));
        }
        if each.len() == n && each.iter().all(Result::is_ok) {
            if let Err((i, fault)) = frame.finish() {
                whole = Some(*self.frame_error(&mut frame, i, fault, &args.describe(i)));
            } else if let Some((s, l, n, have)) = frame.check_string_lengths() {
                whole = Some(self.length_error(s, l, n, have));
            }
        }
        if let Some(reason) = &plan.raw_only {
            whole = Some(Error::RawOnly {
                function: self.inner.name.to_string(),
                reason: reason.to_string(),
            });
        }
        (each, whole)
    }

    /// Whether the register tier takes `call_values(args)`.
    pub(crate) fn call_values_exact(&self, args: &[Value<'_>]) -> bool {
        self.inner.regs.as_ref().is_some_and(|r| r.takes(args))
    }

    /// Which tiers can take calls of this function: the direct tier (typed calls of exactly
    /// its types), the register tier (`call_values` of exactly its types), libffi (always).
    pub(crate) fn tiers(&self) -> (bool, bool) {
        (self.inner.direct != 0, self.inner.regs.is_some())
    }

    #[cold]
    fn length_error(&self, s: usize, l: usize, n: i128, have: usize) -> Error {
        let pos = |i: usize| ArgPos {
            index: i + 1,
            name: self
                .inner
                .shape
                .sig
                .params
                .get(i)
                .and_then(|p| p.name.clone()),
        };
        Error::StringLength {
            function: self.inner.name.to_string(),
            string: pos(s),
            length: pos(l),
            value: n.to_string(),
            bytes: have,
        }
    }

    #[cold]
    fn count_error(&self, given: usize) -> Box<Error> {
        Box::new(Error::ArgCount {
            function: self.inner.name.to_string(),
            declaration: self.declaration(),
            expected: self.inner.shape.plan.params.len(),
            given,
            variadic: self.inner.shape.plan.variadic,
        })
    }

    /// The error for argument `i`, which the frame refused with `fault`.
    #[cold]
    fn frame_error(
        &self,
        frame: &mut Frame<'_, '_>,
        i: usize,
        fault: Fault,
        given: &str,
    ) -> Box<Error> {
        if fault == Fault::Variadic
            && let Some(v) = frame.take_variadic_fault()
        {
            return Box::new(self.variadic_error(frame, v));
        }
        let class = frame.class_of(i);
        let conversion = frame
            .conversion_of(i)
            .map(|c| (c.ty.to_string(), c.spec.clone()));
        Box::new(self.arg_error_unboxed(i, fault, class, conversion, given))
    }

    fn variadic_error(&self, frame: &mut Frame<'_, '_>, fault: VariadicFault) -> Error {
        let function = self.inner.name.to_string();
        let fixed = self.inner.shape.plan.params.len();
        if let VariadicFault::OpenMode { needs_mode, given } = fault {
            return Error::VariadicContract {
                function,
                declaration: self.declaration(),
                reason: if needs_mode {
                    "its flags hold `O_CREAT` (or `O_TMPFILE`), so it reads a `mode_t` after them, and none was given".to_owned()
                } else {
                    format!(
                        "it reads at most one `mode_t` after its flags, and {given} arguments were given"
                    )
                },
                hint: "pass the new file's mode (`0o644`) after the flags".to_owned(),
            };
        }
        let Some((pos, format)) = frame.format_text() else {
            return Error::VariadicUnchecked {
                function,
                declaration: self.declaration(),
                fixed,
                given: frame.count(),
            };
        };
        let pos = ArgPos {
            index: pos + 1,
            name: self
                .inner
                .shape
                .sig
                .params
                .get(pos)
                .and_then(|p| p.name.clone()),
        };
        let given = frame.count() - fixed;
        let (reason, hint) = match fault {
            VariadicFault::Unchecked | VariadicFault::OpenMode { .. } => {
                unreachable!("a function with a format has its contract")
            }
            VariadicFault::Format(e) => (
                e.to_string(),
                "fix the format string: ffi-auto reads it to check every argument before C does".to_owned(),
            ),
            VariadicFault::Count(conversions) => {
                let list: Vec<String> = conversions.iter().map(ToString::to_string).collect();
                (
                    format!(
                        "it takes {} argument{}{}{}, and {given} {} given after it",
                        conversions.len(),
                        if conversions.len() == 1 { "" } else { "s" },
                        if list.is_empty() { "" } else { ": " },
                        list.join(", "),
                        if given == 1 { "was" } else { "were" }
                    ),
                    "pass one argument per conversion (and one `int` per `*`), in order".to_owned(),
                )
            }
            VariadicFault::Writes(c, family) => (
                format!(
                    "`{}` makes the function write through a pointer argument, which a safe call cannot check",
                    c.spec
                ),
                match family {
                    Family::Printf => "remove `%n` (printf's only writing conversion); or use the `unsafe` `call_raw` with a `&mut` of the right type".to_owned(),
                    Family::Scanf => "call it through the `unsafe` `call_raw`, with a `&mut` out-parameter of the right type for each conversion (and a width on `%s` and `%[`)".to_owned(),
                },
            ),
        };
        Error::Format {
            function,
            pos,
            format,
            reason,
            hint,
        }
    }

    fn arg_error_unboxed(
        &self,
        i: usize,
        fault: Fault,
        class: Option<Class>,
        conversion: Option<(String, String)>,
        given: &str,
    ) -> Error {
        let function = self.inner.name.to_string();
        let param = self.inner.shape.sig.params.get(i);
        let pos = ArgPos {
            index: i + 1,
            name: param.and_then(|p| p.name.clone()),
        };
        // For a variadic argument a format typed, say which conversion reads it.
        let spec = conversion.as_ref().map(|(_, spec)| spec.clone());
        let c_type = match (param, conversion, class) {
            (Some(p), _, _) => p.ty.to_string(),
            (None, Some((ty, _)), _) => ty,
            (None, None, Some(c)) => format!("{} (variadic)", c.c_spelling()),
            (None, None, None) => "a variadic argument".to_owned(),
        };
        match fault {
            Fault::Type { hint } => Error::ArgType {
                function,
                pos,
                hint: match spec {
                    Some(spec) => format!("`{spec}` in the format reads a `{c_type}`; {hint}"),
                    None => hint.to_owned(),
                },
                expected: c_type,
                given: given.to_owned(),
            },
            Fault::Range(value) => {
                let (min, max) = range_of(class, value);
                Error::OutOfRange {
                    function,
                    pos,
                    c_type,
                    value: value.to_string(),
                    min,
                    max,
                }
            }
            Fault::Nul(offset) => Error::NulInString {
                function,
                pos,
                offset,
            },
            Fault::Null => Error::NullPointer { function, pos },
            Fault::NullUnknown => Error::NullUnchecked {
                function,
                pos,
                c_type,
            },
            Fault::Raw => Error::RawPointer { function, pos },
            Fault::Variadic => Error::VariadicUnchecked {
                function,
                declaration: self.declaration(),
                fixed: self.inner.shape.plan.params.len(),
                given: i + 1,
            },
        }
    }

    #[cold]
    fn ret_error<R: FromRet>(&self, fault: Fault) -> Box<Error> {
        let (value, hint) = match fault {
            Fault::Range(v) => (
                Some(v.to_string()),
                "read it as a wider or signed type".to_owned(),
            ),
            Fault::Type { hint } => (None, hint.to_owned()),
            _ => (None, String::new()),
        };
        Box::new(Error::ReturnType {
            function: self.inner.name.to_string(),
            c_type: self.inner.shape.sig.ret.to_string(),
            requested: R::NAME,
            value,
            hint,
        })
    }
}

/// The range an out-of-range value missed, spelled for the error.
fn range_of(class: Option<Class>, value: Num) -> (String, String) {
    match (class.and_then(Class::int_parts), class, value) {
        (Some((size, signed)), _, _) => {
            let bits = u32::from(size) * 8;
            if signed {
                let max = (1i128 << (bits - 1)) - 1;
                ((-max - 1).to_string(), max.to_string())
            } else {
                ("0".to_owned(), ((1u128 << bits) - 1).to_string())
            }
        }
        (_, Some(Class::I128), _) => (i128::MIN.to_string(), i128::MAX.to_string()),
        (_, Some(Class::U128), _) => ("0".to_owned(), u128::MAX.to_string()),
        (_, Some(Class::F32), Num::F(_)) => (f32::MIN.to_string(), f32::MAX.to_string()),
        // An integer a float cannot hold exactly.
        (_, Some(Class::F32), _) => ("-16777216".to_owned(), "16777216 (exactly)".to_owned()),
        (_, Some(Class::F64), _) => (
            "-9007199254740992".to_owned(),
            "9007199254740992 (exactly)".to_owned(),
        ),
        _ => ("?".to_owned(), "?".to_owned()),
    }
}
