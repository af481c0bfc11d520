//! `#[ffi_auto(...)]` options.

use proc_macro2::Span;
use syn::meta::ParseNestedMeta;
use syn::spanned::Spanned;
use syn::{LitStr, Path};

/// What an `#[ffi_auto(...)]` attribute (or a `defcfuns!` header) says.
#[derive(Clone, Default)]
pub struct Options {
    /// The C name, when it differs from the Rust one.
    pub name: Option<LitStr>,
    /// The library to link (`#[link(name = ...)]`), or to load at run time with `lazy`.
    pub lib: Option<LitStr>,
    /// Load `lib` at run time on first call instead of linking it.
    pub lazy: bool,
    /// Headers besides the C standard library and POSIX ones.
    pub headers: Vec<LitStr>,
    /// Include directories.
    pub includes: Vec<LitStr>,
    /// `NAME` or `NAME=VALUE`.
    pub defines: Vec<LitStr>,
    /// pkg-config packages: their `--cflags` read the headers, and the `-l` libraries of their
    /// `--libs` are linked (`#[link]`, not with `lazy`). A `-L` directory cannot be named by
    /// `#[link]`: the expansion warns to link the package from a build script instead.
    pub pkg_config: Vec<LitStr>,
    /// The path of the `ffi_auto` crate, when renamed.
    pub krate: Option<Path>,
    /// When no header declares the name: call through the runtime instead of failing.
    pub dynamic: bool,
    /// How a wrapper returning `io::Result` tells failure: `"sentinel"` (-1 or null, the
    /// default) or `"set"` (errno cleared before the call, failure when it is set after).
    pub errno: Option<LitStr>,
}

const KNOWN: &str = "`name`, `lib`, `lazy`, `header`, `include`, `define`, `pkg_config`, `dynamic`, `errno`, `crate`";

impl Options {
    /// Parses one option; errors name the option and list the valid ones.
    ///
    /// # Errors
    /// An unknown option, or a value of the wrong kind.
    pub fn parse_meta(&mut self, meta: &ParseNestedMeta<'_>) -> syn::Result<()> {
        let Some(key) = meta.path.get_ident().map(ToString::to_string) else {
            return Err(meta.error(format!("unknown ffi_auto option; expected one of {KNOWN}")));
        };
        let string = || -> syn::Result<LitStr> { meta.value()?.parse() };
        match key.as_str() {
            "name" => set_once(&mut self.name, string()?, meta, "name")?,
            "lib" | "link" => set_once(&mut self.lib, string()?, meta, "lib")?,
            "header" => self.headers.push(string()?),
            "include" => self.includes.push(string()?),
            "define" => self.defines.push(string()?),
            "pkg_config" => self.pkg_config.push(string()?),
            "lazy" => self.lazy = true,
            "dynamic" => self.dynamic = true,
            "errno" => {
                let v = if meta.input.peek(syn::Token![=]) {
                    string()?
                } else {
                    LitStr::new("sentinel", meta.path.span())
                };
                if !matches!(v.value().as_str(), "sentinel" | "set") {
                    return Err(syn::Error::new(
                        v.span(),
                        "`errno` is `errno` / `errno = \"sentinel\"` (-1 or null means failure) or `errno = \"set\"` (errno set by the call means failure)",
                    ));
                }
                set_once(&mut self.errno, v, meta, "errno")?;
            }
            "crate" => {
                let p: Path = meta.value()?.parse()?;
                self.krate = Some(p);
            }
            other => {
                return Err(meta.error(format!(
                    "unknown ffi_auto option `{other}`; expected one of {KNOWN}"
                )));
            }
        }
        Ok(())
    }

    /// This entry's options over the shared ones of a `defcfuns!` block.
    pub fn over(mut self, shared: &Options) -> Options {
        if self.lib.is_none() {
            self.lib.clone_from(&shared.lib);
            self.lazy |= shared.lazy;
        }
        // The block's headers, include directories, defines and packages come first.
        for (own, shared) in [
            (&mut self.headers, &shared.headers),
            (&mut self.includes, &shared.includes),
            (&mut self.defines, &shared.defines),
            (&mut self.pkg_config, &shared.pkg_config),
        ] {
            own.splice(0..0, shared.iter().cloned());
        }
        if self.krate.is_none() {
            self.krate.clone_from(&shared.krate);
        }
        self.dynamic |= shared.dynamic;
        if self.errno.is_none() {
            self.errno.clone_from(&shared.errno);
        }
        self
    }

    /// Whether any option changes the header set.
    pub fn names_headers(&self) -> bool {
        !(self.headers.is_empty()
            && self.includes.is_empty()
            && self.defines.is_empty()
            && self.pkg_config.is_empty())
    }

    /// Checks combinations.
    ///
    /// # Errors
    /// `lazy` without `lib`.
    pub fn validate(&self, span: Span) -> syn::Result<()> {
        if self.lazy && self.lib.is_none() {
            return Err(syn::Error::new(
                span,
                "`lazy` needs the library to load: add `lib = \"...\"` (a name like \"z\" or a path)",
            ));
        }
        Ok(())
    }
}

fn set_once(
    slot: &mut Option<LitStr>,
    v: LitStr,
    meta: &ParseNestedMeta<'_>,
    what: &str,
) -> syn::Result<()> {
    if slot.is_some() {
        return Err(meta.error(format!("`{what}` is given twice")));
    }
    *slot = Some(v);
    Ok(())
}

/// Parses `#[ffi_auto(...)]`-style arguments.
///
/// # Errors
/// As [`Options::parse_meta`].
pub fn parse_args(args: proc_macro2::TokenStream) -> syn::Result<Options> {
    let mut opts = Options::default();
    if args.is_empty() {
        return Ok(opts);
    }
    let parser = syn::meta::parser(|meta| opts.parse_meta(&meta));
    syn::parse::Parser::parse2(parser, args)?;
    Ok(opts)
}
