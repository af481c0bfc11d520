//! Real C libraries through both call paths: sqlite3 (opaque handles, a callback collecting
//! rows, prepared statements, constants), zlib (a round trip by name), and `snprintf` with
//! mixed variadic arguments.

use std::ffi::{CStr, c_char, c_int, c_void};
use std::ptr::{null, null_mut};

use ffi_auto::{Callback, config::add_header, constant, defcfuns, ffi_call, ffi_call_raw};

defcfuns! {
    #![ffi_auto(lib = "sqlite3", header = "sqlite3.h")]
    struct sqlite3;
    struct sqlite3_stmt;
    const SQLITE_OK;
    const SQLITE_ROW;
    const SQLITE_DONE;
    const SQLITE_INTEGER;
    unsafe fn sqlite3_open;
    unsafe fn sqlite3_close;
    unsafe fn sqlite3_exec;
    unsafe fn sqlite3_errmsg;
    unsafe fn sqlite3_prepare_v2;
    unsafe fn sqlite3_bind_int;
    unsafe fn sqlite3_step;
    unsafe fn sqlite3_column_type;
    unsafe fn sqlite3_column_int;
    unsafe fn sqlite3_column_text;
    unsafe fn sqlite3_finalize;
}

/// Reads a NUL-terminated C string sqlite returned.
///
/// # Safety
/// `p` is null or points at a NUL-terminated string alive for the call.
unsafe fn text(p: *const u8) -> Option<String> {
    if p.is_null() {
        return None;
    }
    // SAFETY: the caller's contract.
    let s = unsafe { CStr::from_ptr(p.cast()) };
    Some(s.to_string_lossy().into_owned())
}

#[test]
fn sqlite3_through_the_macros() {
    let mut rows: Vec<(String, String)> = Vec::new();
    // sqlite3_exec with a closure collecting every row.
    let collect = Callback::new(
        |_ctx: *mut c_void, n: c_int, vals: *mut *mut c_char, cols: *mut *mut c_char| -> c_int {
            for i in 0..n as usize {
                // SAFETY: sqlite passes `n` column names and values, alive for the call.
                let (c, v) = unsafe { (text((*cols.add(i)).cast()), text((*vals.add(i)).cast())) };
                rows.push((c.unwrap(), v.unwrap_or_default()));
            }
            0
        },
    )
    .unwrap();
    // SAFETY: every pointer below is a live handle from sqlite or a NUL-terminated literal;
    // the handles are finalized and closed once.
    unsafe {
        let mut db: *mut sqlite3 = null_mut();
        assert_eq!(sqlite3_open(c":memory:".as_ptr(), &raw mut db), SQLITE_OK);
        let exec = |sql: &CStr| {
            let rc = sqlite3_exec(db, sql.as_ptr(), None, null_mut(), null_mut());
            assert_eq!(rc, SQLITE_OK, "{:?}", text(sqlite3_errmsg(db).cast()));
        };
        exec(c"CREATE TABLE t (id INTEGER, name TEXT)");
        exec(c"INSERT INTO t VALUES (1, 'one'), (2, 'two'), (3, 'three')");
        let rc = sqlite3_exec(
            db,
            c"SELECT name FROM t WHERE id >= 2 ORDER BY id".as_ptr(),
            Some(collect.code()),
            null_mut(),
            null_mut(),
        );
        assert_eq!(rc, SQLITE_OK);
        assert_eq!(collect.calls(), 2);
        drop(collect);
        // prepare / bind / step / column.
        let mut stmt: *mut sqlite3_stmt = null_mut();
        let rc = sqlite3_prepare_v2(
            db,
            c"SELECT id, name FROM t WHERE id > ?".as_ptr(),
            -1,
            &raw mut stmt,
            null_mut(),
        );
        assert_eq!(rc, SQLITE_OK);
        assert_eq!(sqlite3_bind_int(stmt, 1, 1), SQLITE_OK);
        let mut got = Vec::new();
        while sqlite3_step(stmt) == SQLITE_ROW {
            assert_eq!(sqlite3_column_type(stmt, 0), SQLITE_INTEGER);
            got.push((
                sqlite3_column_int(stmt, 0),
                text(sqlite3_column_text(stmt, 1)).unwrap(),
            ));
        }
        assert_eq!(sqlite3_finalize(stmt), SQLITE_OK);
        assert_eq!(sqlite3_close(db), SQLITE_OK);
        assert_eq!(got, [(2, "two".to_owned()), (3, "three".to_owned())]);
    }
    assert_eq!(
        rows,
        [
            ("name".to_owned(), "two".to_owned()),
            ("name".to_owned(), "three".to_owned())
        ]
    );
}

#[test]
fn sqlite3_by_name_at_run_time() {
    add_header("sqlite3.h");
    let lib = "sqlite3";
    let ok = constant("SQLITE_OK").unwrap().value.as_i64().unwrap() as i32;
    let row = constant("SQLITE_ROW").unwrap().value.as_i64().unwrap() as i32;
    let done = constant("SQLITE_DONE").unwrap().value.as_i64().unwrap() as i32;
    assert_eq!((ok, row, done), (SQLITE_OK, SQLITE_ROW, SQLITE_DONE));
    let sqlite3_exec = |db: *mut c_void, sql: &str, cb: Option<&Callback<'_, _>>| -> i32 {
        // SAFETY: `db` is open; the callback (if any) matches `sqlite3_callback`.
        unsafe {
            match cb {
                Some(cb) => ffi_call_raw(
                    ("sqlite3_exec", lib),
                    (db, sql, cb, null_mut::<c_void>(), null_mut::<*mut c_char>()),
                ),
                None => ffi_call_raw(
                    ("sqlite3_exec", lib),
                    (
                        db,
                        sql,
                        null::<c_void>(),
                        null_mut::<c_void>(),
                        null_mut::<*mut c_char>(),
                    ),
                ),
            }
        }
        .unwrap()
    };
    let mut db: *mut c_void = null_mut();
    // SAFETY: `db` receives the handle.
    let rc: i32 = unsafe { ffi_call_raw(("sqlite3_open", lib), (":memory:", &mut db)) }.unwrap();
    assert_eq!(rc, ok);
    let none: Option<
        &Callback<
            '_,
            unsafe extern "C" fn(*mut c_void, c_int, *mut *mut c_char, *mut *mut c_char) -> c_int,
        >,
    > = None;
    assert_eq!(
        sqlite3_exec(db, "CREATE TABLE kv (k TEXT, v INTEGER)", none),
        ok
    );
    assert_eq!(
        sqlite3_exec(db, "INSERT INTO kv VALUES ('a', 10), ('b', 20)", none),
        ok
    );
    let mut total = 0i64;
    let sum = Callback::new(
        |_ctx: *mut c_void, _n: c_int, vals: *mut *mut c_char, _cols: *mut *mut c_char| -> c_int {
            // SAFETY: one column, its value a NUL-terminated number.
            let v = unsafe { CStr::from_ptr(*vals) };
            total += v.to_str().unwrap().parse::<i64>().unwrap();
            0
        },
    )
    .unwrap();
    assert_eq!(sqlite3_exec(db, "SELECT v FROM kv", Some(&sum)), ok);
    drop(sum);
    assert_eq!(total, 30);
    let mut stmt: *mut c_void = null_mut();
    // SAFETY: `db` is open; `stmt` receives the statement.
    let rc: i32 = unsafe {
        ffi_call_raw(
            ("sqlite3_prepare_v2", lib),
            (
                db,
                "SELECT k FROM kv ORDER BY v DESC",
                -1,
                &mut stmt,
                null_mut::<*const c_char>(),
            ),
        )
    }
    .unwrap();
    assert_eq!(rc, ok);
    let mut keys = Vec::new();
    // SAFETY: `stmt` is a live statement until finalized below.
    unsafe {
        while ffi_call_raw::<i32>(("sqlite3_step", lib), stmt).unwrap() == row {
            let p: *const u8 = ffi_call_raw(("sqlite3_column_text", lib), (stmt, 0)).unwrap();
            keys.push(text(p).unwrap());
        }
        assert_eq!(
            ffi_call_raw::<i32>(("sqlite3_finalize", lib), stmt).unwrap(),
            ok
        );
        assert_eq!(ffi_call_raw::<i32>(("sqlite3_close", lib), db).unwrap(), ok);
    }
    assert_eq!(keys, ["b", "a"]);
}

#[test]
fn zlib_round_trip_by_name() {
    add_header("zlib.h");
    let input: Vec<u8> = b"ffi-auto ".iter().copied().cycle().take(4096).collect();
    let bound: u64 = ffi_call(("compressBound", "z"), input.len() as u64).unwrap();
    let mut packed = vec![0u8; bound as usize];
    let mut packed_len = bound;
    let z_ok = constant("Z_OK").unwrap().value.as_i64().unwrap() as i32;
    // SAFETY: `packed` has room for `packed_len` bytes; `input` is read for its length.
    let rc: i32 = unsafe {
        ffi_call_raw(
            ("compress", "z"),
            (
                packed.as_mut_ptr(),
                &mut packed_len,
                input.as_ptr(),
                input.len() as u64,
            ),
        )
    }
    .unwrap();
    assert_eq!(rc, z_ok);
    assert!(packed_len < 100, "{packed_len} bytes");
    let mut out = vec![0u8; input.len()];
    let mut out_len = out.len() as u64;
    // SAFETY: as above.
    let rc: i32 = unsafe {
        ffi_call_raw(
            ("uncompress", "z"),
            (out.as_mut_ptr(), &mut out_len, packed.as_ptr(), packed_len),
        )
    }
    .unwrap();
    assert_eq!(rc, z_ok);
    assert_eq!(out, input);
    let version = constant("ZLIB_VERSION").unwrap();
    let linked: *const c_char = ffi_call(("zlibVersion", "z"), ()).unwrap();
    // SAFETY: zlibVersion returns a static string.
    let linked = unsafe { CStr::from_ptr(linked) }.to_bytes();
    // The header's version and the library's agree on major.minor.
    let major_minor = |v: &[u8]| {
        v.split(|b| *b == b'.')
            .take(2)
            .map(<[u8]>::to_vec)
            .collect::<Vec<_>>()
    };
    assert_eq!(
        major_minor(version.value.as_bytes().unwrap()),
        major_minor(linked)
    );
}

#[test]
fn snprintf_with_mixed_variadic_arguments_on_both_paths() {
    defcfuns! {
        unsafe fn snprintf;
    }
    let expected = format!(
        "{}|{}|{:.3}|{}|{}|{}",
        42,
        "str",
        0.125,
        i64::MIN,
        'A',
        u8::MAX
    );
    let mut buf = [0u8; 96];
    // SAFETY: `buf` has room for 96 bytes; every argument matches its conversion.
    let n = unsafe {
        snprintf(
            buf.as_mut_ptr().cast(),
            buf.len(),
            c"%d|%s|%.3f|%lld|%c|%u".as_ptr(),
            42 as c_int,
            c"str".as_ptr(),
            0.125f64,
            i64::MIN,
            c_int::from(b'A'),
            c_int::from(u8::MAX),
        )
    };
    assert_eq!(n as usize, expected.len());
    assert_eq!(
        CStr::from_bytes_until_nul(&buf).unwrap().to_str().unwrap(),
        expected
    );
    let mut buf = [0u8; 96];
    // By name: the variadic arguments are promoted as C does (f32 to double, u8 to int).
    // SAFETY: as above.
    let n: i32 = unsafe {
        ffi_call_raw(
            "snprintf",
            (
                buf.as_mut_ptr(),
                buf.len(),
                "%d|%s|%.3f|%lld|%c|%u",
                42,
                "str",
                0.125f32,
                i64::MIN,
                b'A',
                u8::MAX,
            ),
        )
    }
    .unwrap();
    assert_eq!(n as usize, expected.len());
    assert_eq!(
        CStr::from_bytes_until_nul(&buf).unwrap().to_str().unwrap(),
        expected
    );
}
