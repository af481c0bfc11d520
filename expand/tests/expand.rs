//! The expansion, without a compiler: tokens in, tokens out.

use std::path::PathBuf;

use ffi_auto_expand::{self as expand, Context};
use quote::quote;

fn ctx() -> Context {
    let mut c = Context::new(Some(PathBuf::from(file!())));
    c.manifest_dir = Some(PathBuf::from(env!("CARGO_MANIFEST_DIR")));
    c.build_database = None;
    c
}

fn fixture_header() -> String {
    ffi_auto_fixture::header().display().to_string()
}

fn text(ts: &proc_macro2::TokenStream) -> String {
    ts.to_string()
}

#[test]
fn a_matching_signature_becomes_a_plain_extern_declaration() {
    let out = expand::ffi_auto(
        quote!(),
        quote!(
            fn abs(x: ::core::ffi::c_int) -> ::core::ffi::c_int;
        ),
        &ctx(),
    )
    .unwrap();
    let s = text(&out);
    assert!(s.contains("unsafe extern \"C\""), "{s}");
    assert!(s.contains("# [link_name = \"abs\"]"), "{s}");
    assert!(s.contains("safe fn abs"), "{s}");
    assert!(!s.contains("compile_error"), "{s}");
    // Registered for by-name calls, and the header tracked for rebuilds.
    assert!(s.contains("distributed_slice"), "{s}");
    assert!(s.contains("include_bytes !"), "{s}");
    assert!(s.contains("stdlib.h"), "{s}");
}

#[test]
fn a_cstr_parameter_gets_a_thin_wrapper() {
    let out = expand::ffi_auto(
        quote!(),
        quote!(
            pub fn strlen(s: &::core::ffi::CStr) -> usize;
        ),
        &ctx(),
    )
    .unwrap();
    let s = text(&out);
    assert!(s.contains("# [inline]"), "{s}");
    assert!(s.contains("CStr :: as_ptr (s)"), "{s}");
    assert!(
        s.contains("fn __ffi_auto_strlen (s : * const :: core :: ffi :: c_char)"),
        "{s}"
    );
}

#[test]
fn renamed_and_linked() {
    let out = expand::ffi_auto(
        quote!(name = "malloc", lib = "c"),
        quote!(
            unsafe fn my_malloc(n: usize) -> *mut ::core::ffi::c_void;
        ),
        &ctx(),
    )
    .unwrap();
    let s = text(&out);
    assert!(s.contains("# [link (name = \"c\")]"), "{s}");
    assert!(s.contains("# [link_name = \"malloc\"]"), "{s}");
    assert!(s.contains("unsafe fn my_malloc"), "{s}");
}

#[test]
fn mismatches_are_all_reported_with_a_stub() {
    let header = fixture_header();
    let out = expand::ffi_auto(
        quote!(header = #header),
        quote!(
            fn add_i32(a: u8, b: f64) -> i16;
        ),
        &ctx(),
    );
    let s = text(&out.unwrap());
    assert_eq!(s.matches("compile_error").count(), 3, "{s}");
    assert!(s.contains("parameter 1 (`a`) of `add_i32`"), "{s}");
    assert!(s.contains("parameter 2 (`b`) of `add_i32`"), "{s}");
    assert!(s.contains("the return type of `add_i32`"), "{s}");
    assert!(
        s.contains("unreachable !"),
        "a stub keeps callers compiling: {s}"
    );
}

#[test]
fn name_only_entries_write_rust_types_from_c() {
    let header = fixture_header();
    let out = expand::defcfuns(
        quote! {
            #![ffi_auto(header = #header, lib = "ffiauto_fixture")]
            fn fx_id_size;
            fn fx_count_char;
            fn fx_sum_ints;
            pub fn total = fx_sum_array;
        },
        &ctx(),
    )
    .unwrap();
    let s = text(&out);
    assert!(s.contains("safe fn fx_id_size (x : usize) -> usize"), "{s}");
    // Raw pointers and variadics make name-only entries unsafe.
    assert!(
        s.contains("unsafe fn fx_count_char (s : * const :: core :: ffi :: c_char , c : :: core :: ffi :: c_char) -> usize"),
        "{s}"
    );
    assert!(
        s.contains("unsafe fn fx_sum_ints (count : :: core :: ffi :: c_int , ...)"),
        "{s}"
    );
    assert!(s.contains("pub unsafe fn total"), "{s}");
    assert!(s.contains("# [link_name = \"fx_sum_array\"]"), "{s}");
}

#[test]
fn unknown_names_fail_with_suggestions_or_go_unchecked_as_unsafe_with_a_warning() {
    let out = expand::defcfuns(quote!(fn strlne;), &ctx()).unwrap();
    let s = text(&out);
    assert!(s.contains("compile_error"), "{s}");
    assert!(s.contains("did you mean `strlen`"), "{s}");
    // Unchecked, a signature is the user's word: only as `unsafe fn`, with a warning.
    let out = expand::ffi_auto(
        quote!(),
        quote!(
            fn strlne(s: &::core::ffi::CStr) -> usize;
        ),
        &ctx(),
    )
    .unwrap();
    let s = text(&out);
    assert!(s.contains("compile_error"), "{s}");
    assert!(s.contains("must be `unsafe fn`"), "{s}");
    let out = expand::ffi_auto(
        quote!(),
        quote!(
            unsafe fn strlne(s: &::core::ffi::CStr) -> usize;
        ),
        &ctx(),
    )
    .unwrap();
    let s = text(&out);
    assert!(!s.contains("compile_error"), "{s}");
    assert!(s.contains("deprecated"), "{s}");
    assert!(s.contains("NOT checked"), "{s}");
    let out = expand::defcfuns(quote!(#![ffi_auto(dynamic)] fn frobnicate;), &ctx()).unwrap();
    let s = text(&out);
    assert!(s.contains("ffi_call (\"frobnicate\" , args)"), "{s}");
}

#[test]
fn long_double_functions_are_refused() {
    let out = expand::defcfuns(quote!(#![ffi_auto(lib = "m")] fn sinl;), &ctx()).unwrap();
    let s = text(&out);
    assert!(s.contains("long double"), "{s}");
    assert!(s.contains("compile_error"), "{s}");
}

#[test]
fn items_that_are_not_body_less_functions_are_errors() {
    let err = expand::ffi_auto(
        quote!(),
        quote!(
            fn f() {}
        ),
        &ctx(),
    )
    .unwrap_err();
    assert!(err.to_string().contains("without a body"), "{err}");
    let err = expand::ffi_auto(
        quote!(nme = "x"),
        quote!(
            fn f();
        ),
        &ctx(),
    )
    .unwrap_err();
    assert!(
        err.to_string().contains("unknown ffi_auto option `nme`"),
        "{err}"
    );
}

#[test]
fn cfg_gated_entries_become_gated_nested_invocations() {
    let header = fixture_header();
    let out = expand::defcfuns(
        quote! {
            #![ffi_auto(lib = "ffiauto_fixture", header = #header)]
            #![ffi_auto(crate = ::my_ffi)]
            struct fx_point;
            fn add_i32;
            #[cfg(windows)]
            fn GetTickCount() -> u32;
            /// Docs stay.
            #[cfg(windows)]
            #[ffi_auto(name = "QueryPerformanceCounter")]
            fn qpc;
            #[cfg(target_os = "macos")]
            struct mach_timebase_info;
            #[cfg(not(unix))]
            const KERN_SUCCESS;
            #[cfg(unix)]
            fn fx_point_add;
        },
        &ctx(),
    )
    .unwrap();
    let s = text(&out);
    // Nothing gated is looked up here: the Windows and macOS names would be errors.
    assert!(!s.contains("compile_error"), "{s}");
    // The open entries are expanded in place.
    assert!(s.contains("safe fn add_i32"), "{s}");
    // One nested invocation per cfg, with the block's options as written and its structs.
    assert_eq!(s.matches(":: my_ffi :: defcfuns !").count(), 4, "{s}");
    let shared = format!(
        "# ! [ffi_auto (lib = \"ffiauto_fixture\" , header = {header:?})] # ! [ffi_auto (crate = :: my_ffi)] # ! [__ffi_auto_types (\"fx_point\" = fx_point)]"
    );
    for (cfg, entries) in [
        (
            "windows",
            "fn GetTickCount () -> u32 ; # [doc = r\" Docs stay.\"] # [ffi_auto (name = \"QueryPerformanceCounter\")] fn qpc ;",
        ),
        ("target_os = \"macos\"", "struct mach_timebase_info ;"),
        ("not (unix)", "const KERN_SUCCESS ;"),
        ("unix", "fn fx_point_add ;"),
    ] {
        let nested = format!("# [cfg ({cfg})] :: my_ffi :: defcfuns ! {{ {shared} {entries} }}");
        assert!(s.contains(&nested), "{nested}\n{s}");
    }
    // The nested invocation sees the enclosing block's struct.
    let out = expand::defcfuns(
        quote! {
            #![ffi_auto(lib = "ffiauto_fixture", header = #header)]
            #![__ffi_auto_types("fx_point" = fx_point)]
            fn fx_point_add;
        },
        &ctx(),
    )
    .unwrap();
    let s = text(&out);
    assert!(
        s.contains("safe fn fx_point_add (a : fx_point , b : fx_point) -> fx_point"),
        "{s}"
    );
}

#[test]
fn a_cfg_after_the_attribute_goes_before_it() {
    let out = expand::ffi_auto(
        quote!(lib = "kernel32"),
        quote!(
            /// Docs.
            #[cfg(windows)]
            fn GetTickCount() -> u32;
        ),
        &ctx(),
    )
    .unwrap();
    assert_eq!(
        text(&out),
        "# [cfg (windows)] # [:: ffi_auto :: ffi_auto (lib = \"kernel32\")] # [doc = r\" Docs.\"] fn GetTickCount () -> u32 ;"
    );
}

#[test]
fn pkg_config_packages_are_linked_once() {
    let out = expand::defcfuns(
        quote!(#![ffi_auto(header = "zlib.h", pkg_config = "zlib")] fn zlibVersion;),
        &ctx(),
    )
    .unwrap();
    let s = text(&out);
    assert!(!s.contains("compile_error"), "{s}");
    assert!(
        s.contains("# [link (name = \"z\")] unsafe extern \"C\""),
        "{s}"
    );
    // `lib` names it too: linked once.
    let out = expand::defcfuns(
        quote!(#![ffi_auto(header = "zlib.h", pkg_config = "zlib", lib = "z")] fn zlibVersion; fn crc32;),
        &ctx(),
    )
    .unwrap();
    let s = text(&out);
    assert_eq!(s.matches("# [link (name = \"z\")]").count(), 2, "{s}");
    // `lazy` loads it at run time instead.
    let out = expand::defcfuns(
        quote!(#![ffi_auto(header = "zlib.h", pkg_config = "zlib", lib = "z", lazy)] fn zlibVersion;),
        &ctx(),
    )
    .unwrap();
    let s = text(&out);
    assert!(!s.contains("# [link ("), "{s}");
    // A library directory `#[link]` cannot name: a warning says what to do.
    let out = expand::defcfuns(
        quote!(#![ffi_auto(pkg_config = "valgrind")] fn abs;),
        &ctx(),
    )
    .unwrap();
    let s = text(&out);
    assert!(s.contains("# [link (name = \"coregrind-"), "{s}");
    assert!(s.contains("deprecated"), "{s}");
    assert!(s.contains("Builder::pkg_config"), "{s}");
    assert!(s.contains("/valgrind"), "{s}");
}

#[test]
fn a_missing_by_value_struct_is_suggested_by_the_name_the_header_uses() {
    // `yaml_event_t` holds a `yaml_mark_t` (`typedef struct yaml_mark_s {...} yaml_mark_t;`)
    // by value: the hint names the typedef, as the header writes the field.
    let out = expand::defcfuns(
        quote!(
            #![ffi_auto(header = "yaml.h")]
            struct yaml_event_t;
        ),
        &ctx(),
    )
    .unwrap();
    let s = text(&out);
    assert!(s.contains("declare `struct yaml_mark_t;`"), "{s}");
    // With it declared, both are generated.
    let out = expand::defcfuns(
        quote!(
            #![ffi_auto(header = "yaml.h")]
            struct yaml_mark_t;
            struct yaml_event_t;
        ),
        &ctx(),
    )
    .unwrap();
    assert!(!text(&out).contains("compile_error"), "{}", text(&out));
}
