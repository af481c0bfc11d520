//! Helpers shared by the discovery crate's integration tests.
#![allow(dead_code)]

use std::fs;
use std::path::{Path, PathBuf};

use ffi_auto_discovery::HeaderSet;

/// A scratch directory holding a copy of the fixture header, so tests can change it.
pub struct Scratch {
    pub dir: tempfile::TempDir,
}

impl Scratch {
    pub fn new() -> Scratch {
        let dir = tempfile::tempdir().unwrap();
        fs::copy(ffi_auto_fixture::header(), dir.path().join("fx.h")).unwrap();
        Scratch { dir }
    }
    pub fn header(&self) -> PathBuf {
        self.dir.path().join("fx.h")
    }
    pub fn db_dir(&self) -> PathBuf {
        self.dir.path().join("db")
    }
    /// A set unique to this scratch dir (its header path), so the in-process memory of other
    /// tests never answers for it.
    pub fn set(&self) -> HeaderSet {
        HeaderSet::new().header(self.header().display().to_string())
    }
}

/// Makes a FIFO at `path`.
pub fn mkfifo(path: &Path) {
    let c = std::ffi::CString::new(path.to_str().unwrap()).unwrap();
    // SAFETY: `c` is a NUL-terminated path.
    assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0);
}
