//! Ground truth from the C compiler: sizes, alignments, field and bitfield offsets, constants,
//! enumerators and linker names of the default header set and of the oracle's libraries
//! (`oracle.rs`) agree with what `gcc` compiles (`check::check`).

use ffi_auto_discovery::HeaderSet;
use ffi_auto_discovery::check::{Report, check};

fn agree(set: &HeaderSet, at_least: usize) -> Report {
    let r = check(set).unwrap_or_else(|e| panic!("{}: {e}", set.describe()));
    assert!(r.differences.is_empty(), "{}: {r}", set.describe());
    assert!(
        r.checked >= at_least,
        "{}: only {} facts compared",
        set.describe(),
        r.checked
    );
    r
}

#[test]
fn the_default_set_agrees_with_the_compiler() {
    let r = agree(&HeaderSet::system(), 2000);
    eprintln!("{r}");
}

#[test]
fn the_oracle_s_libraries_agree_with_the_compiler() {
    for (set, at_least) in [
        (HeaderSet::new().header("zlib.h").pkg_config("zlib"), 100),
        (HeaderSet::new().header("bzlib.h"), 40),
        (HeaderSet::new().header("lzma.h").pkg_config("liblzma"), 200),
        (
            HeaderSet::new().header("sqlite3.h").pkg_config("sqlite3"),
            300,
        ),
        (
            HeaderSet::new()
                .header("openssl/ssl.h")
                .header("openssl/evp.h")
                .pkg_config("openssl"),
            300,
        ),
        (HeaderSet::new().header("gmp.h").pkg_config("gmp"), 50),
        (HeaderSet::new().header("png.h").pkg_config("libpng"), 200),
        (
            HeaderSet::new()
                .header("libxml/parser.h")
                .header("libxml/tree.h")
                .pkg_config("libxml-2.0"),
            200,
        ),
        (
            HeaderSet::new().header("yaml.h").pkg_config("yaml-0.1"),
            100,
        ),
        (HeaderSet::new().header("expat.h").pkg_config("expat"), 50),
    ] {
        let r = agree(&set, at_least);
        eprintln!("{}: {r}", set.describe());
    }
}
