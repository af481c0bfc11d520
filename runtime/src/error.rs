//! The one error type of the runtime.

use std::fmt;

/// Result of every fallible runtime operation.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// One attempt to load a library: the name or path handed to the loader, and what it said.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Attempt {
    /// What was passed to `dlopen`.
    pub candidate: String,
    /// The loader's message.
    pub error: String,
}

impl fmt::Display for Attempt {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "`{}` ({})", self.candidate, self.error)
    }
}

/// Where an argument sits: its 1-based position and the parameter's name when known.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ArgPos {
    /// 1-based position.
    pub index: usize,
    /// The parameter's name in the C declaration.
    pub name: Option<String>,
}

impl fmt::Display for ArgPos {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.name {
            Some(n) => write!(f, "argument {} (`{n}`)", self.index),
            None => write!(f, "argument {}", self.index),
        }
    }
}

fn list<T: fmt::Display>(items: &[T]) -> String {
    if items.is_empty() {
        return "nothing".to_owned();
    }
    items
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(", ")
}

fn quoted(items: &[String]) -> String {
    items
        .iter()
        .map(|s| format!("`{s}`"))
        .collect::<Vec<_>>()
        .join(", ")
}

use ffi_auto_sig::did_you_mean;

/// Everything that can go wrong before, during the setup of, or after a call.
///
/// Each message says what was tried and what to do next. Bad arguments are caught before any C
/// code runs.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// No file the loader accepted for a library name.
    #[error(
        "library `{name}` not found; tried {}\nhint: install it (on Debian/Ubuntu, the `lib{name}` package), pass its full path, or add its directory to LD_LIBRARY_PATH",
        list(.tried)
    )]
    LibraryNotFound {
        /// The name asked for.
        name: String,
        /// Every candidate handed to the loader, with the loader's message.
        tried: Vec<Attempt>,
    },

    /// No library searched exports the symbol.
    #[error(
        "symbol `{name}` not found in {}{}\nhint: check the spelling; if another library defines it, name that library (`(\"{name}\", \"z\")`); macros and `static inline` functions have no symbol",
        list(.searched),
        did_you_mean(.closest)
    )]
    SymbolNotFound {
        /// The symbol.
        name: String,
        /// The libraries searched, in order.
        searched: Vec<String>,
        /// Exported names close to it.
        closest: Vec<String>,
    },

    /// No signature source knows the function.
    #[error(
        "no signature for `{name}`: consulted {}{}\nhint: name the header that declares it (`add_header(\"zlib.h\")`), give a signature explicitly (`Function::new`), or register one (`registry().register(...)`)",
        list(.consulted),
        did_you_mean(.closest)
    )]
    NoSignature {
        /// The function.
        name: String,
        /// The sources consulted, in order.
        consulted: Vec<String>,
        /// Known names close to it.
        closest: Vec<String>,
    },

    /// The header declares the name, but nothing can call it: a function-like macro, a
    /// `static inline` function, a function without a prototype.
    #[error("`{name}` ({location}) cannot be called: {reason}")]
    NotCallable {
        /// The name.
        name: String,
        /// Why, and what to do instead.
        reason: String,
        /// `header.h:line`.
        location: String,
    },

    /// Signature discovery failed: libclang missing, a header that does not parse, pkg-config
    /// not knowing a package. The discovery crate's own error, to match on.
    #[cfg(feature = "discovery")]
    #[error(transparent)]
    Discovery(Box<ffi_auto_discovery::DiscoveryError>),

    /// A name or path that cannot be passed to C.
    #[error("invalid name `{name}`: {reason}")]
    InvalidName {
        /// The name.
        name: String,
        /// What is wrong with it.
        reason: String,
    },

    /// The wrong number of arguments.
    #[error(
        "`{function}` takes {}{} argument{}, {given} given; its C declaration is `{declaration}`",
        if *.variadic { "at least " } else { "" },
        .expected,
        if *.expected == 1 && !*.variadic { "" } else { "s" }
    )]
    ArgCount {
        /// The function.
        function: String,
        /// Its C declaration.
        declaration: String,
        /// The number of fixed parameters.
        expected: usize,
        /// The number of arguments given.
        given: usize,
        /// Whether more may follow the fixed ones.
        variadic: bool,
    },

    /// An argument of a type that cannot become the parameter's C type.
    #[error("{pos} of `{function}` must be `{expected}`, but {given} was given{}", hint_suffix(.hint))]
    ArgType {
        /// The function.
        function: String,
        /// Which argument.
        pos: ArgPos,
        /// The parameter's C type.
        expected: String,
        /// What was given.
        given: String,
        /// What to do instead.
        hint: String,
    },

    /// A number that does not fit the parameter's C type.
    #[error(
        "{pos} of `{function}` is out of range: {value} does not fit in `{c_type}` ({min}..={max})\nhint: pass a value in range, or check the signature"
    )]
    OutOfRange {
        /// The function.
        function: String,
        /// Which argument.
        pos: ArgPos,
        /// The parameter's C type.
        c_type: String,
        /// The value given.
        value: String,
        /// The smallest value the type holds.
        min: String,
        /// The largest value the type holds.
        max: String,
    },

    /// A string with a NUL byte inside, which C would see as its end.
    #[error(
        "{pos} of `{function}` contains a NUL byte at offset {offset}, so C would see a shorter string\nhint: remove the NUL, or pass the bytes through a pointer and a length"
    )]
    NulInString {
        /// The function.
        function: String,
        /// Which argument.
        pos: ArgPos,
        /// Byte offset of the first NUL.
        offset: usize,
    },

    /// A null pointer for a parameter the header marks `nonnull`.
    #[error(
        "{pos} of `{function}` is null, but the declaration marks it nonnull\nhint: pass a valid pointer"
    )]
    NullPointer {
        /// The function.
        function: String,
        /// Which argument.
        pos: ArgPos,
    },

    /// A null pointer, in a safe call, for a parameter nothing says the function accepts
    /// null for (headers rarely say; glibc's `fclose` and `puts` crash on null without saying).
    #[error(
        "{pos} of `{function}` (`{c_type}`) is null, and nothing says `{function}` accepts null there\nhint: pass a value; if its documentation says null is allowed, call it through the `unsafe` `call_raw`, or mark the parameter with `Signature::nullable`"
    )]
    NullUnchecked {
        /// The function.
        function: String,
        /// Which argument.
        pos: ArgPos,
        /// The parameter's C type.
        c_type: String,
    },

    /// A raw pointer passed to a safe call.
    #[error(
        "{pos} of `{function}` is a raw pointer, which a safe call cannot check\nhint: use the `unsafe` `call_raw`/`call_values_raw` and uphold the function's contract"
    )]
    RawPointer {
        /// The function.
        function: String,
        /// Which argument.
        pos: ArgPos,
    },

    /// Arguments after the fixed ones, in a safe call, to a variadic function whose
    /// declaration states no contract ffi-auto can check (only `printf`- and `scanf`-like
    /// functions have one: their format string).
    #[error(
        "`{function}` is variadic (`{declaration}`) and nothing says what it reads after its {fixed} fixed argument{} (perhaps a pointer it writes through), so a safe call cannot call it ({given} argument{} given)\nhint: call it through the `unsafe` `call_raw`, vouching for what it reads",
        if *.fixed == 1 { "" } else { "s" },
        if *.given == 1 { "" } else { "s" }
    )]
    VariadicUnchecked {
        /// The function.
        function: String,
        /// Its C declaration.
        declaration: String,
        /// The number of fixed parameters.
        fixed: usize,
        /// The number of arguments given.
        given: usize,
    },

    /// A function no safe call may make, whatever its arguments.
    #[error(
        "`{function}` cannot be called safely: {reason}\nhint: call it through the `unsafe` `call_raw`, upholding its contract"
    )]
    RawOnly {
        /// The function.
        function: String,
        /// Why.
        reason: String,
    },

    /// A length that would make C read past the end of a string passed before it.
    #[error(
        "{length} of `{function}` is {value}, but the string passed as {string} has {bytes} bytes ({} with its NUL): C would read past its end\nhint: pass a length of at most {}, or a buffer of the right size through `call_raw`",
        .bytes + 1,
        .bytes + 1
    )]
    StringLength {
        /// The function.
        function: String,
        /// The string argument.
        string: ArgPos,
        /// The length argument.
        length: ArgPos,
        /// The length given.
        value: String,
        /// The string's length, without its NUL.
        bytes: usize,
    },

    /// Variadic arguments that break a known contract other than a format (`open`'s mode).
    #[error("`{function}` (`{declaration}`): {reason}\nhint: {hint}")]
    VariadicContract {
        /// The function.
        function: String,
        /// Its C declaration.
        declaration: String,
        /// What is wrong.
        reason: String,
        /// What to do instead.
        hint: String,
    },

    /// A format string that does not match the variadic arguments, or that a safe call cannot
    /// check.
    #[error("the format string of `{function}` ({pos}, {format:?}): {reason}\nhint: {hint}")]
    Format {
        /// The function.
        function: String,
        /// The format string's argument.
        pos: ArgPos,
        /// The format string (lossily decoded, shortened).
        format: String,
        /// What is wrong.
        reason: String,
        /// What to do instead.
        hint: String,
    },

    /// The return value does not fit the Rust type asked for.
    #[error(
        "`{function}` returns `{c_type}`, which cannot be read as `{requested}`{}{}",
        .value.as_ref().map(|v| format!(" (the value was {v})")).unwrap_or_default(),
        hint_suffix(.hint)
    )]
    ReturnType {
        /// The function.
        function: String,
        /// The C return type.
        c_type: String,
        /// The Rust type asked for.
        requested: &'static str,
        /// The value, when it was read but did not fit.
        value: Option<String>,
        /// What to ask for instead.
        hint: String,
    },

    /// A struct field name the layout does not have.
    #[error("`{record}` has no field `{field}`; it has {}", quoted(.fields))]
    UnknownField {
        /// The struct.
        record: String,
        /// The name asked for.
        field: String,
        /// The fields it has.
        fields: Vec<String>,
    },

    /// A value that does not fit a struct field.
    #[error(
        "field `{field}` of `{record}` has type `{c_type}`, which cannot hold {given}\nhint: {hint}"
    )]
    FieldValue {
        /// The struct.
        record: String,
        /// The field.
        field: String,
        /// Its C type.
        c_type: String,
        /// What was given.
        given: String,
        /// What to do instead.
        hint: String,
    },

    /// A struct layout no C compiler could produce (built by hand), or too large.
    #[error(
        "invalid struct layout: {reason}\nhint: build layouts with `Record::with_c_layout`, or take them from a header (`Struct::new`)"
    )]
    InvalidLayout {
        /// What is wrong.
        reason: String,
    },

    /// A struct name no header of the search path defines completely.
    #[error("no complete definition of struct `{name}` was found in {searched}\nhint: add the header that defines it (`add_header`), or check the spelling{}", did_you_mean(.closest))]
    UnknownStruct {
        /// The name asked for.
        name: String,
        /// What was searched.
        searched: String,
        /// Similar names.
        closest: Vec<String>,
    },

    /// A constant no header of the search path defines.
    #[error("no constant `{name}` is defined in {searched} (a macro that evaluates to a number or string, or an enumerator){}\nhint: add the header that defines it (`add_header`)", did_you_mean(.closest))]
    UnknownConstant {
        /// The name asked for.
        name: String,
        /// What was searched.
        searched: String,
        /// Similar names.
        closest: Vec<String>,
    },

    /// Something ffi-auto cannot do (yet) for this signature.
    #[error("`{function}`: {what} is not supported\nhint: {hint}")]
    Unsupported {
        /// The function.
        function: String,
        /// What is not supported.
        what: String,
        /// What to do instead.
        hint: String,
    },

    /// A signature a macro compiled into the program could not be read back.
    #[error(
        "the signature compiled in for `{function}` could not be read ({reason})\nhint: the program was built with a different version of ffi-auto-macros than the ffi-auto-runtime it runs with: depend on one version of `ffi-auto` (`cargo update -p ffi-auto`) and rebuild"
    )]
    CompiledSignature {
        /// The function.
        function: String,
        /// What was wrong with the bytes.
        reason: String,
    },

    /// A signature or type name that could not be read.
    #[error(transparent)]
    BadSignature(#[from] ffi_auto_sig::ParseTypeError),

    /// A global variable that could not be had as asked.
    #[error("global `{name}`: {reason}{}", hint_suffix(.hint))]
    Global {
        /// The variable.
        name: String,
        /// What is wrong.
        reason: String,
        /// What to do.
        hint: String,
    },

    /// The policy (`policy`) or an audit hook (`audit`) refused a call or a library load;
    /// nothing was called or loaded.
    #[error("`{what}` refused by {rule}; nothing was called{}", hint_suffix(.hint))]
    Refused {
        /// The function or library.
        what: String,
        /// The rule (or the hook's reason) that refused it.
        rule: String,
        /// What to do to allow it.
        hint: String,
    },

    /// libffi refused the signature.
    #[error("libffi could not prepare a call interface for `{function}` ({declaration}): {reason}")]
    Prepare {
        /// The function.
        function: String,
        /// Its C declaration.
        declaration: String,
        /// libffi's reason.
        reason: String,
    },
}

fn hint_suffix(hint: &str) -> String {
    if hint.is_empty() {
        String::new()
    } else {
        format!("\nhint: {hint}")
    }
}
