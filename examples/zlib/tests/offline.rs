//! The crate builds where libclang is absent, from its committed signature database.
//!
//! `FFI_AUTO_OFFLINE=1` makes ffi-auto refuse to load libclang, in the build script and in the
//! macros alike, exactly as on a machine without it. The build goes to its own target
//! directory, so that nothing from the normal build is reused.

use std::path::Path;
use std::process::Command;

#[test]
fn builds_without_libclang_from_the_committed_database() {
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
    let workspace = manifest.parent().and_then(Path::parent).unwrap();
    let target = workspace.join("target").join("offline-build");
    let out = Command::new(env!("CARGO"))
        .args(["build", "--offline", "-p", "ffi-auto-example-zlib", "--lib"])
        .current_dir(workspace)
        .env("FFI_AUTO_OFFLINE", "1")
        .env("CARGO_TARGET_DIR", &target)
        // An empty cache: nothing discovered earlier can stand in for the committed database.
        .env("FFI_AUTO_CACHE_DIR", target.join("ffi-auto-cache"))
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "offline build failed:\n{stderr}");
}
