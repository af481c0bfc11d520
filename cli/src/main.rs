//! `ffi-auto`: C declarations from headers, and calls from the shell.
//!
//! ```text
//! ffi-auto sig strlen                       the declaration, header:line, library, Rust signature
//! ffi-auto dump --header zlib.h --json      every callable function of a header set
//! ffi-auto call strlen "hello world"        11
//! ffi-auto call sin 1.0 --lib m             0.8414709848078965
//! ffi-auto headers                          the default header set and include paths
//! ffi-auto status                           libffi, tiers, libclang, database, policy
//! ffi-auto diagnose abs 3000000000          every check a call makes, without calling
//! ffi-auto bench strlen hello               each call path, ns per call and ratio
//! ffi-auto audit report.tsv                 a tracking report, with the policy's verdicts
//! ```
//!
//! Errors go to stderr; bad arguments and unknown names exit with status 2 (`diagnose`
//! prints its steps and exits 1 when the call would not be made).

use std::ffi::CStr;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};
use ffi_auto::Value;
use ffi_auto::sig::{CType, IntKind, Signature};
use ffi_auto_cli::args::{self, CliArg};
use ffi_auto_discovery::{ConstValue, Decl, Discovery, HeaderSet};
use serde::Serialize;

#[derive(Parser)]
#[command(
    name = "ffi-auto",
    version,
    about = "C declarations from headers, and calls from the shell"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// The C declaration of a function: header and line, library, the Rust signature.
    Sig {
        /// The function's name.
        name: String,
        #[command(flatten)]
        headers: HeaderArgs,
        /// The library that defines it (`m`, `z`, a path); default: the program, libc, libm.
        #[arg(long)]
        lib: Option<String>,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Every callable function of a header set.
    Dump {
        #[command(flatten)]
        headers: HeaderArgs,
        /// With `--header`, also list what the headers include (the C library, for instance).
        #[arg(long)]
        all: bool,
        /// Print one JSON array.
        #[arg(long)]
        json: bool,
    },
    /// Calls a function, converting the arguments by its declared signature.
    Call {
        /// The function's name.
        name: String,
        /// Its arguments: integers (decimal or 0x hex, negative too), floats, strings.
        #[arg(allow_negative_numbers = true)]
        args: Vec<String>,
        #[command(flatten)]
        headers: HeaderArgs,
        /// The library that defines it (`m`, `z`, a path); default: the program, libc, libm.
        #[arg(long)]
        lib: Option<String>,
        /// For a function-like macro, the signature to call it with (`"int (int)"`): a C
        /// shim with this signature is compiled against the headers (numbers and strings
        /// only). For a function, it must be the declared one.
        #[arg(long)]
        sig: Option<String>,
    },
    /// A constant: an object-like macro that evaluates to a number or string, or an
    /// enumerator; its value, C type and the Rust a `const NAME;` entry generates.
    Const {
        /// The constant's name.
        name: String,
        #[command(flatten)]
        headers: HeaderArgs,
    },
    /// A struct or union: size, alignment and every field's offset, size and type, as the
    /// header lays it out; or that it is opaque.
    Struct {
        /// The tag or typedef name (`timeval`, `div_t`).
        name: String,
        #[command(flatten)]
        headers: HeaderArgs,
    },
    /// The default header set and the include paths found.
    Headers,
    /// Compares what ffi-auto found in a header set (sizes, alignments, field and bitfield
    /// offsets, constants, enumerators, linker names) with what the C compiler says: a probe
    /// program compiled against the headers. Exits 1 on any difference.
    Check {
        #[command(flatten)]
        headers: HeaderArgs,
        /// Also list what was not compared, and why.
        #[arg(long)]
        verbose: bool,
    },
    /// What the engine has: libffi, the call tiers, libclang, the header set and its
    /// database, the policy (`FFI_AUTO_POLICY`, `FFI_AUTO_ALLOW`, `FFI_AUTO_DENY`), tracking.
    Status,
    /// Resolves a call and checks every argument without calling: the policy's verdict,
    /// the signature and where it came from, the symbol and its library, each argument.
    Diagnose {
        /// The function's name.
        name: String,
        /// Its arguments, as `call` takes them.
        #[arg(allow_negative_numbers = true)]
        args: Vec<String>,
        #[command(flatten)]
        headers: HeaderArgs,
        /// The library that defines it.
        #[arg(long)]
        lib: Option<String>,
    },
    /// Calls a function through every path, side by side: ns per call and the ratio to the
    /// fastest (a compile-time wrapper, for the functions this command has one of). The
    /// function really runs.
    Bench {
        /// The function's name.
        name: String,
        /// Its arguments, as `call` takes them.
        #[arg(allow_negative_numbers = true)]
        args: Vec<String>,
        #[command(flatten)]
        headers: HeaderArgs,
        /// The library that defines it.
        #[arg(long)]
        lib: Option<String>,
        /// Calls per measurement round (7 rounds; the median is shown).
        #[arg(long, default_value_t = 100_000)]
        iterations: u32,
    },
    /// Every function a tracking report saw (a program run with `FFI_AUTO_TRACK=FILE`, or
    /// `track::report().save(FILE)`), by path, with the policy's verdict on it now.
    Audit {
        /// The report file.
        report: PathBuf,
    },
    /// Writes the signature database of a header set, to commit: a crate whose build script
    /// names it (`Builder::database`) then builds where libclang is not installed.
    Prepare {
        #[command(flatten)]
        headers: HeaderArgs,
        /// Where to write it.
        #[arg(long, default_value = "ffi-auto.db")]
        out: PathBuf,
    },
}

#[derive(Args, Clone, Default)]
struct HeaderArgs {
    /// A header to read besides the C standard library and POSIX ones (repeatable).
    #[arg(long = "header", value_name = "HEADER")]
    headers: Vec<String>,
    /// An include directory (repeatable).
    #[arg(long = "include", short = 'I', value_name = "DIR")]
    include: Vec<PathBuf>,
    /// A pkg-config package whose include flags to use (repeatable).
    #[arg(long = "pkg-config", value_name = "PACKAGE")]
    pkg_config: Vec<String>,
    /// A macro definition, `NAME` or `NAME=VALUE` (repeatable).
    #[arg(long = "define", short = 'D', value_name = "NAME[=VALUE]")]
    define: Vec<String>,
}

impl HeaderArgs {
    fn set(&self) -> HeaderSet {
        let mut set = HeaderSet::system();
        for h in &self.headers {
            set = set.header(h.clone());
        }
        for d in &self.include {
            set = set.include(d.clone());
        }
        for d in &self.define {
            set = match d.split_once('=') {
                Some((n, v)) => set.define(n, Some(v)),
                None => set.define(d.clone(), None),
            };
        }
        for p in &self.pkg_config {
            set = set.pkg_config(p.clone());
        }
        set
    }
}

/// A failure, and the exit status it gets.
struct Failure {
    message: String,
    status: u8,
}

impl<E: std::fmt::Display> From<E> for Failure {
    fn from(e: E) -> Self {
        Failure {
            message: e.to_string(),
            status: 2,
        }
    }
}

fn main() -> ExitCode {
    // A closed pipe (`ffi-auto dump | head`) ends the command quietly, as it ends `cat`,
    // rather than failing a `println!` with a panic: Rust ignores SIGPIPE by default.
    // SAFETY: restoring the default disposition of one signal, before any thread starts;
    // no handler runs Rust code.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Sig {
            name,
            headers,
            lib,
            json,
        } => sig(&name, &headers, lib.as_deref(), json),
        Command::Dump { headers, all, json } => dump(&headers, all, json),
        Command::Call {
            name,
            args,
            headers,
            lib,
            sig,
        } => call(&name, &args, &headers, lib.as_deref(), sig.as_deref()),
        Command::Const { name, headers } => constant(&name, &headers),
        Command::Struct { name, headers } => record(&name, &headers),
        Command::Headers => list_headers(),
        Command::Check { headers, verbose } => check(&headers, verbose),
        Command::Status => {
            print!("{}", ffi_auto::diagnostics::status());
            Ok(())
        }
        Command::Diagnose {
            name,
            args,
            headers,
            lib,
        } => diagnose(&name, &args, &headers, lib.as_deref()),
        Command::Bench {
            name,
            args,
            headers,
            lib,
            iterations,
        } => bench(&name, &args, &headers, lib.as_deref(), iterations),
        Command::Audit { report } => audit(&report),
        Command::Prepare { headers, out } => {
            let set = headers.set();
            ffi_auto_discovery::prepare(&set, &out)
                .map(|d| {
                    // The named headers' API (an umbrella header's whole library), and
                    // everything the database holds (the C library's functions too).
                    let api = if set.headers.is_empty() {
                        String::new()
                    } else {
                        format!(
                            "{} functions of the named headers, ",
                            d.api_functions().len()
                        )
                    };
                    println!(
                        "wrote {} ({api}{} in all, of {})",
                        out.display(),
                        d.functions.len(),
                        set.describe()
                    );
                })
                .map_err(Failure::from)
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(f) => {
            if !f.message.is_empty() {
                eprintln!("error: {}", f.message);
            }
            ExitCode::from(f.status)
        }
    }
}

#[derive(Serialize)]
struct JsonType {
    c: String,
    rust: Option<String>,
}

#[derive(Serialize)]
struct JsonParam {
    name: Option<String>,
    c: String,
    rust: Option<String>,
}

#[derive(Serialize)]
struct JsonDecl {
    name: String,
    link_name: String,
    #[serde(rename = "return")]
    ret: JsonType,
    params: Vec<JsonParam>,
    variadic: bool,
    header: String,
    line: u32,
}

impl JsonDecl {
    fn of(d: &Decl) -> JsonDecl {
        JsonDecl {
            name: d.name.clone(),
            link_name: d.symbol().to_owned(),
            ret: JsonType {
                c: d.signature.ret.to_string(),
                rust: alone(&d.signature.ret),
            },
            params: d
                .signature
                .params
                .iter()
                .map(|p| JsonParam {
                    name: p.name.clone(),
                    c: p.ty.to_string(),
                    rust: alone(&p.ty),
                })
                .collect(),
            variadic: d.signature.variadic,
            header: d.header.display().to_string(),
            line: d.line,
        }
    }
}

/// The Rust type of a name-only entry alone in its block (as `ffi-auto sig` and the macros
/// give it: one mapping, `CType::to_rust`).
fn alone(t: &CType) -> Option<String> {
    t.to_rust(&|_| None).ok().map(|t| t.to_string())
}

/// `no <what> `name` in <set> (did you mean ...?)`.
fn not_found(what: &str, name: &str, set: &HeaderSet, names: &[String]) -> Failure {
    let closest = ffi_auto_discovery::closest(name, names.iter().map(String::as_str));
    let maybe = if closest.is_empty() {
        String::new()
    } else {
        format!(" (did you mean {}?)", closest.join(", "))
    };
    Failure::from(format!("no {what} `{name}` in {}{maybe}", set.describe()))
}

fn constant(name: &str, headers: &HeaderArgs) -> Result<(), Failure> {
    let set = headers.set();
    let catalog = Discovery::new().catalog(&set)?;
    let Some(c) = catalog.constant(name) else {
        return Err(not_found("constant", name, &set, &catalog.constant_names()));
    };
    println!("{name} = {} ({})", c.value, c.ty);
    println!("  header:  {}:{}", c.header.display(), c.line);
    if let (Some(r), ConstValue::Ptr(a)) = (c.ty.rust_type(), &c.value) {
        // As the macros generate it (`const NAME;`).
        match c.ty.canonical() {
            CType::FnPtr(_) if *a == 0 => println!("  rust:    pub const {name}: {r} = None;"),
            CType::FnPtr(_) => println!(
                "  rust:    none: a function pointer that points to no function cannot be a Rust `const`; `const {name}: isize;` gives {}",
                *a as i64
            ),
            _ => println!("  rust:    pub const {name}: {r} = {a:#x} as {r};"),
        }
    } else if let Some(r) = c.ty.rust_type().filter(|_| c.value.as_bytes().is_none()) {
        println!("  rust:    pub const {name}: {r} = {};", c.value);
    } else if c.value.as_bytes().is_some() {
        println!("  rust:    pub const {name}: &CStr = c{};", c.value);
    }
    Ok(())
}

fn record(name: &str, headers: &HeaderArgs) -> Result<(), Failure> {
    let set = headers.set();
    let catalog = Discovery::new().catalog(&set)?;
    if let Some(o) = catalog.opaque(name) {
        let keyword = o.kind.keyword();
        match o.tag.as_deref().filter(|t| *t != name) {
            Some(tag) => println!(
                "{name}: opaque (a typedef of {keyword} {tag}, declared, never defined), usable only behind a pointer"
            ),
            None => println!(
                "{keyword} {name}: opaque (declared, never defined), usable only behind a pointer"
            ),
        }
        println!("  header:  {}:{}", o.header.display(), o.line);
        return Ok(());
    }
    let Some(r) = catalog.record(name) else {
        let mut names = catalog.record_names();
        names.extend(catalog.opaque_names());
        return Err(not_found("struct or union", name, &set, &names));
    };
    println!("{}: {} bytes, aligned to {}", r.c_name(), r.size, r.align);
    let dm = ffi_auto::sig::DataModel::native();
    for f in &r.fields {
        let size =
            f.ty.layout(&dm)
                .map_or_else(|| "?".to_owned(), |l| l.size.to_string());
        let at = match f.bit_width {
            Some(w) => format!("bit {} (width {w})", f.bit_offset),
            None => format!("{:>4}", f.offset),
        };
        println!(
            "  {at}  {size:>3} bytes  {}{}",
            f.ty.declare_with(&f.name, &tag_spelling(|t| catalog.is_union(t))),
            field_rust_type(&f.ty).map_or_else(String::new, |r| format!("  (rust: {r})"))
        );
    }
    Ok(())
}

/// A field's type in a generated struct: a `long double` is `CLongDouble`, its bytes.
fn field_rust_type(t: &CType) -> Option<String> {
    match t.canonical() {
        CType::Float(ffi_auto::sig::FloatKind::LongDouble) => {
            Some("ffi_auto::CLongDouble".to_owned())
        }
        _ => t.rust_type(),
    }
}

/// How a C compiler is told a tag: `struct timeval`, `union sigval` (where `is_union`).
fn tag_spelling(is_union: impl Fn(&str) -> bool) -> impl Fn(&str) -> String {
    move |n: &str| {
        let keyword = if is_union(n) { "union" } else { "struct" };
        format!("{keyword} {n}")
    }
}

fn sig(name: &str, headers: &HeaderArgs, lib: Option<&str>, json: bool) -> Result<(), Failure> {
    let set = headers.set();
    let catalog = Discovery::new().catalog(&set)?;
    let decl = catalog.lookup(&set, name)?;
    let c_decl = decl
        .signature
        .declare_with(&decl.name, &tag_spelling(|t| catalog.is_union(t)));
    let library = ffi_auto::find_symbol(decl.symbol(), lib).map_or_else(
        |e| format!("not found ({e})"),
        |s| {
            s.defined_in()
                .map_or_else(|| s.library().label(), |p| p.display().to_string())
        },
    );
    let rust = ffi_auto_discovery::rust_declaration(&decl.name, &decl.signature)
        .unwrap_or_else(|why| format!("none: {why}"));
    // What the same entry gives beside `struct name;` entries for the structs it names.
    let records = ffi_auto_discovery::records_named(&decl.signature);
    let typed = (!records.is_empty()).then(|| {
        let all = |n: &str| Some(n.to_owned());
        let decls: Vec<String> = records.iter().map(|r| format!("struct {r};")).collect();
        let with = ffi_auto_discovery::rust_declaration_in(&decl.name, &decl.signature, &all)
            .unwrap_or_else(|why| format!("none: {why}"));
        format!("with `{}` in the block: {with}", decls.join(" "))
    });
    if json {
        #[derive(Serialize)]
        struct Sig {
            #[serde(flatten)]
            decl: JsonDecl,
            library: String,
            rust_declaration: String,
            declaration: String,
        }
        let out = Sig {
            decl: JsonDecl::of(&decl),
            library,
            rust_declaration: rust,
            declaration: c_decl,
        };
        println!("{}", serde_json::to_string_pretty(&out)?);
        return Ok(());
    }
    println!("{c_decl};");
    println!("  header:  {}", decl.location());
    println!("  symbol:  {}", decl.symbol());
    println!("  library: {library}");
    println!("  rust:    {rust}");
    if let Some(t) = typed {
        println!("           {t}");
    }
    let attrs = attributes(&decl.signature);
    if !attrs.is_empty() {
        println!("  attributes: {}", attrs.join(", "));
    }
    Ok(())
}

fn attributes(sig: &Signature) -> Vec<String> {
    let mut out = Vec::new();
    // 1-based indexes of the parameters with a property.
    let indexes = |has: fn(&ffi_auto::sig::Param) -> bool| -> Vec<String> {
        (sig.params.iter().enumerate())
            .filter(|(_, p)| has(p))
            .map(|(i, _)| (i + 1).to_string())
            .collect()
    };
    let nonnull = indexes(|p| p.nonnull);
    if !nonnull.is_empty() {
        out.push(format!("nonnull({})", nonnull.join(", ")));
    }
    let nullable = indexes(|p| p.nullable);
    if !nullable.is_empty() {
        out.push(format!("nullable({})", nullable.join(", ")));
    }
    if let Some(i) = sig.attrs.open_mode {
        out.push(format!("open_mode({i})"));
    }
    if let Some(why) = &sig.attrs.raw_only {
        out.push(format!("call_raw only ({why})"));
    }
    if sig.attrs.warn_unused_result {
        out.push("warn_unused_result".to_owned());
    }
    if sig.attrs.noreturn {
        out.push("noreturn".to_owned());
    }
    if let Some(f) = &sig.attrs.format {
        out.push(format!(
            "format({}, {}, {})",
            f.archetype, f.string_index, f.first_to_check
        ));
    }
    if let Some(d) = &sig.attrs.deprecated {
        out.push(format!("deprecated({d:?})"));
    }
    out
}

fn dump(headers: &HeaderArgs, all: bool, json: bool) -> Result<(), Failure> {
    let set = headers.set();
    let decls = Discovery::new().declarations(&set)?;
    // With named headers, by default their API: what they declare and bring in from outside
    // the C library (an umbrella header's whole library).
    let mut list: Vec<&Decl> = decls
        .functions
        .values()
        .map(|d| &**d)
        .filter(|d| all || headers.headers.is_empty() || decls.in_api(&d.header))
        .collect();
    list.sort_by(|a, b| a.name.cmp(&b.name));
    if json {
        let out: Vec<JsonDecl> = list.iter().map(|d| JsonDecl::of(d)).collect();
        println!("{}", serde_json::to_string_pretty(&out)?);
    } else {
        let tag = tag_spelling(|t| decls.is_union(t));
        for d in list {
            println!(
                "{};  // {}",
                d.signature.declare_with(&d.name, &tag),
                d.location()
            );
        }
    }
    Ok(())
}

fn list_headers() -> Result<(), Failure> {
    let decls = Discovery::new().declarations(&HeaderSet::system())?;
    println!("default header set ({} found):", decls.headers.len());
    for h in &decls.headers {
        println!("  {}", h.display());
    }
    println!("include paths:");
    for p in ffi_auto_discovery::include_paths(&decls.headers) {
        println!("  {}", p.display());
    }
    match ffi_auto_discovery::libclang() {
        Ok(l) => println!("libclang: {} ({})", l.version, l.path.display()),
        Err(e) => println!("libclang: {e}"),
    }
    Ok(())
}

/// The handle for `name` and `words` converted by its signature (strings owned, so that
/// a pointer the function returns into one stays valid).
fn prepare_args(
    name: &str,
    words: &[String],
    headers: &HeaderArgs,
    lib: Option<&str>,
) -> Result<(ffi_auto::Function, Vec<CliArg>), Failure> {
    prepare_args_sig(name, words, headers, lib, None)
}

/// [`prepare_args`], with the signature `--sig` gave.
fn prepare_args_sig(
    name: &str,
    words: &[String],
    headers: &HeaderArgs,
    lib: Option<&str>,
    given: Option<&str>,
) -> Result<(ffi_auto::Function, Vec<CliArg>), Failure> {
    for h in &headers.headers {
        ffi_auto::config::add_header(h);
    }
    for d in &headers.include {
        ffi_auto::config::add_include_dir(d.clone());
    }
    let given: Option<Signature> = given.map(ffi_auto::signature).transpose()?;
    let prepared = match lib {
        Some(l) => ffi_auto::prepare((name, l)),
        None => ffi_auto::prepare(name),
    };
    let f = match (prepared, given) {
        (Ok(f), Some(g)) if g != *f.signature() && g.to_string() != f.signature().to_string() => {
            return Err(Failure::from(format!(
                "`{name}` is declared `{}`, not `{g}`\nhint: leave `--sig` out for a function the headers declare",
                f.declaration()
            )));
        }
        (Ok(f), _) => f,
        (Err(ffi_auto::Error::NotCallable { .. }), Some(g)) => {
            // What the command can pass and print without trusting the macro with pointers.
            let plain = |t: &CType| match t.pointee() {
                None => !t.is_pointer(),
                Some((p, is_const)) => is_const && p.is_byte(),
            };
            if g.ret.is_pointer() || g.variadic || !g.params.iter().all(|p| plain(&p.ty)) {
                return Err(Failure::from(format!(
                    "`--sig {g}`: the command calls a macro with numbers and strings (`const char *`) only, and a number return\nhint: call it from Rust with `shim_function` for other types"
                )));
            }
            // SAFETY: the macro gets numbers and C strings the command owns, which the C
            // compiler checked against what the expansion accepts; it returns a number. What
            // it does with them is the header's, trusted as the headers' functions are.
            unsafe { ffi_auto::shim_function(name, g)? }
        }
        (Err(e @ ffi_auto::Error::NotCallable { .. }), None) => {
            return Err(Failure::from(format!(
                "{e}\nhint: for a function-like macro, give the signature to call it with: `ffi-auto call {name} --sig \"int (int)\" ...`"
            )));
        }
        (Err(e), _) => return Err(e.into()),
    };
    let sig = f.signature().clone();
    let variadic = variadic_types(&f, words);
    let converted = words
        .iter()
        .enumerate()
        .map(|(i, a)| match sig.params.get(i) {
            Some(p) => args::convert(a, Some(&p.ty), i + 1),
            None => {
                let conv = variadic.get(i - sig.params.len());
                args::convert(a, conv.map(|c| &c.ty), i + 1).map_err(|mut e| {
                    if let Some(c) = conv {
                        e.why = format!("{} (for `{}` in the format)", e.why, c.spec);
                    }
                    e
                })
            }
        })
        .collect::<Result<Vec<CliArg>, args::ArgError>>()?;
    Ok((f, converted))
}

fn call(
    name: &str,
    args: &[String],
    headers: &HeaderArgs,
    lib: Option<&str>,
    sig: Option<&str>,
) -> Result<(), Failure> {
    let (f, converted) = prepare_args_sig(name, args, headers, lib, sig)?;
    let sig = f.signature().clone();
    // The strings stay alive until the return is printed: it may point into one (`strchr`).
    let values: Vec<Value<'_>> = converted.iter().map(CliArg::value).collect();
    if let CType::Record(_) = sig.ret.canonical() {
        // A struct return: its fields by name (`div_t { quot: 3, rem: 2 }`).
        let s: ffi_auto::Struct = f.call(&values[..])?;
        println!("{s:?}");
        return Ok(());
    }
    let ret = f.call_values(&values)?;
    print_return(&ret, &sig.ret);
    Ok(())
}

fn check(headers: &HeaderArgs, verbose: bool) -> Result<(), Failure> {
    let r = ffi_auto_discovery::check::check(&headers.set())?;
    print!("{r}");
    if verbose {
        for s in &r.skipped {
            println!("  not compared: {s}");
        }
    }
    if r.differences.is_empty() {
        Ok(())
    } else {
        Err(Failure {
            message: String::new(),
            status: 1,
        })
    }
}

fn target<'a>(name: &'a str, lib: Option<&'a str>) -> ffi_auto::Target<'a> {
    ffi_auto::Target { name, library: lib }
}

fn diagnose(
    name: &str,
    words: &[String],
    headers: &HeaderArgs,
    lib: Option<&str>,
) -> Result<(), Failure> {
    let d = match prepare_args(name, words, headers, lib) {
        Ok((_, converted)) => {
            let values: Vec<Value<'_>> = converted.iter().map(CliArg::value).collect();
            ffi_auto::diagnostics::diagnose(target(name, lib), &values)
        }
        Err(e) => {
            // The words themselves, or the resolution, failed: the steps up to there, then why.
            let mut d = ffi_auto::diagnostics::diagnose(target(name, lib), &[]);
            if d.steps.iter().any(|s| s.what == "tiers") {
                // Resolved: it is the words that do not fit the parameters.
                d.steps.retain(|s| s.ok);
                d.steps.push(ffi_auto::diagnostics::Step {
                    what: "arguments".to_owned(),
                    ok: false,
                    detail: e.message,
                });
            }
            d
        }
    };
    print!("{d}");
    if d.would_call() {
        Ok(())
    } else {
        // The diagnosis said why; the status says that it would not be called.
        Err(Failure {
            message: String::new(),
            status: 1,
        })
    }
}

fn bench(
    name: &str,
    words: &[String],
    headers: &HeaderArgs,
    lib: Option<&str>,
    iterations: u32,
) -> Result<(), Failure> {
    let (_, converted) = prepare_args(name, words, headers, lib)?;
    let values: Vec<Value<'_>> = converted.iter().map(CliArg::value).collect();
    let mut rows: Vec<(String, f64)> = Vec::new();
    if let Some(t) = ffi_auto_cli::reference::time(name, &values, iterations) {
        rows.push(("compile-time wrapper (defcfuns!)".to_owned(), t));
    }
    for r in ffi_auto::diagnostics::bench(target(name, lib), &values, iterations)? {
        rows.push((r.path.to_owned(), r.ns));
    }
    let base = rows
        .first()
        .filter(|(p, _)| p.starts_with("compile-time"))
        .or_else(|| rows.iter().min_by(|a, b| a.1.total_cmp(&b.1)))
        .map_or(1.0, |(_, ns)| *ns);
    println!("{:<34} {:>10} {:>8}", "path", "ns/call", "ratio");
    for (p, ns) in &rows {
        println!("{p:<34} {ns:>10.1} {:>7.2}x", ns / base);
    }
    Ok(())
}

fn audit(path: &std::path::Path) -> Result<(), Failure> {
    let report = ffi_auto::track::Report::load(path)?;
    if report.rows.is_empty() {
        println!("the report holds no calls");
        return Ok(());
    }
    let w = report.name_width();
    println!(
        "{:<w$}  {:<8}  {:<9}  {:>10}  {:<10}  policy now",
        "function", "via", "tier", "calls", "library"
    );
    let mut refused = 0;
    for r in &report.rows {
        let v = r.verdict();
        let lib = r
            .library
            .as_deref()
            .map_or("-", |l| l.rsplit('/').next().unwrap_or(l));
        let verdict = if v.allowed {
            "allowed".to_owned()
        } else {
            refused += 1;
            format!("refused: {}", v.rule)
        };
        println!(
            "{:<w$}  {:<8}  {:<9}  {:>10}  {:<10}  {verdict}",
            r.function,
            r.via.to_string(),
            r.tier.to_string(),
            r.calls,
            lib
        );
    }
    let functions: std::collections::BTreeSet<&str> =
        report.rows.iter().map(|r| r.function.as_str()).collect();
    println!(
        "\n{} functions, {} calls; {refused} of the rows refused by the policy in force",
        functions.len(),
        report
            .rows
            .iter()
            .fold(0u64, |n, r| n.saturating_add(r.calls))
    );
    Ok(())
}

/// What the format string among `words` says each variadic argument is, for a `printf`- or
/// `scanf`-like function; empty otherwise (or for a format that does not parse: the call then
/// reports it).
fn variadic_types(f: &ffi_auto::Function, words: &[String]) -> Vec<ffi_auto::format::Conversion> {
    let Some((_, at)) = f.format_parameter() else {
        return Vec::new();
    };
    let Some(format) = words.get(at) else {
        return Vec::new();
    };
    f.parse_format(format.as_bytes())
        .and_then(Result::ok)
        .unwrap_or_default()
}

/// A `long double` with the 21 significant digits that read back to the same value (the C
/// library's `strfroml`); the nearest `double` where the C library has no `strfroml`.
fn long_double_text(v: ffi_auto::LongDouble) -> String {
    let sig: Result<ffi_auto::sig::Signature, _> =
        "int (char *, size_t, const char *, long double)".parse();
    let f = sig.ok().and_then(|sig| {
        let sym = ffi_auto::find_symbol("strfroml", None).ok()?;
        // SAFETY: `int strfroml(char *, size_t, const char *, long double)` (ISO/IEC TS
        // 18661-1, glibc 2.25).
        unsafe { ffi_auto::Function::new(sym, "strfroml", sig) }.ok()
    });
    let mut buf = [0u8; 64];
    if let Some(f) = f {
        // SAFETY: `buf` holds 64 bytes, which strfroml writes at most of, NUL included; the
        // format is a constant `strfroml` accepts.
        let n: Result<i32, _> = unsafe {
            f.call_raw((
                buf.as_mut_ptr().cast::<std::ffi::c_char>(),
                buf.len(),
                c"%.21g",
                v,
            ))
        };
        if let Ok(n) = n
            && let Ok(n) = usize::try_from(n)
            && n < buf.len()
        {
            return String::from_utf8_lossy(&buf[..n]).into_owned();
        }
    }
    format!("{:?}", v.to_f64())
}

fn print_return(ret: &Value<'_>, ty: &CType) {
    match ret {
        Value::Void => {}
        Value::LongDouble(v) => println!("{}", long_double_text(*v)),
        Value::Ptr(p) if ty.pointee().is_some_and(|(t, _)| t.is_byte()) => {
            // SAFETY: the header declares a `char *` return and it is not null (`Value::Null`
            // is null): it is read as the C string it points to, as C code printing it would.
            // If it points into an argument, that argument is a `CString` still alive.
            let s = unsafe { CStr::from_ptr(p.cast_const().cast()) };
            println!("{}", s.to_string_lossy());
        }
        Value::I8(v) if matches!(ty.canonical(), CType::Int(IntKind::Char)) => println!("{v}"),
        other => println!("{other}"),
    }
}
