//! sqlite3: a SQL function written as a Rust closure typed with the generated opaque types
//! (`void (*)(sqlite3_context *, int, sqlite3_value **)`), an update hook whose function pointer
//! has a `sqlite3_int64` parameter, `sqlite3_exec`'s callback collecting rows, and text bound
//! with the pointer constants `SQLITE_TRANSIENT` (sqlite copies) and `SQLITE_STATIC`.

use std::ffi::{CString, c_char, c_int, c_void};
use std::ptr::null_mut;
use std::sync::Mutex;

use ffi_auto::{Callback, defcfuns};

use super::c_string;

defcfuns! {
    #![ffi_auto(header = "sqlite3.h", pkg_config = "sqlite3")]
    struct sqlite3;
    struct sqlite3_stmt;
    struct sqlite3_context;
    struct sqlite3_value;
    const SQLITE_OK;
    const SQLITE_ROW;
    const SQLITE_DONE;
    const SQLITE_UTF8;
    const SQLITE_DETERMINISTIC;
    const SQLITE_INSERT;
    const SQLITE_STATIC;
    const SQLITE_TRANSIENT: isize;
    unsafe fn sqlite3_open;
    unsafe fn sqlite3_close;
    unsafe fn sqlite3_errmsg;
    unsafe fn sqlite3_exec;
    unsafe fn sqlite3_prepare_v2;
    unsafe fn sqlite3_bind_text;
    unsafe fn sqlite3_step;
    unsafe fn sqlite3_reset;
    unsafe fn sqlite3_finalize;
    unsafe fn sqlite3_create_function_v2;
    unsafe fn sqlite3_value_text;
    unsafe fn sqlite3_value_bytes;
    unsafe fn sqlite3_result_text;
    unsafe fn sqlite3_update_hook;
}

/// `SQLITE_TRANSIENT` as the destructor parameter's type: -1 is not a function, so the
/// constant is an integer, and C only compares the pointer with it.
fn transient() -> Option<unsafe extern "C" fn(*mut c_void)> {
    // SAFETY: -1 is a non-null address, a valid `Option<fn>` bit pattern that sqlite compares
    // with SQLITE_TRANSIENT and never calls.
    unsafe {
        std::mem::transmute::<isize, Option<unsafe extern "C" fn(*mut c_void)>>(SQLITE_TRANSIENT)
    }
}

#[test]
fn a_rust_sql_function_an_update_hook_and_exec_rows() {
    assert_eq!(SQLITE_TRANSIENT, -1);
    assert!(SQLITE_STATIC.is_none());

    // reverse(text): reads its argument through the generated `sqlite3_value`, returns a
    // string sqlite copies (SQLITE_TRANSIENT) before the Rust one is dropped.
    let reverse = Callback::new(
        |ctx: *mut sqlite3_context, argc: c_int, argv: *mut *mut sqlite3_value| {
            assert_eq!(argc, 1);
            // SAFETY: sqlite passes `argc` live values; the text is valid until the next call
            // on the value; the result is copied by sqlite (SQLITE_TRANSIENT).
            unsafe {
                let v = *argv;
                let p = sqlite3_value_text(v);
                let n = sqlite3_value_bytes(v) as usize;
                let s = std::slice::from_raw_parts(p, n);
                let r: Vec<u8> = s.iter().rev().copied().collect();
                sqlite3_result_text(ctx, r.as_ptr().cast(), r.len() as c_int, transient());
            }
        },
    )
    .unwrap();
    // The update hook: `void (*)(void *, int, const char *, const char *, sqlite3_int64)`.
    let updates = Mutex::new(Vec::new());
    let hook = Callback::new(
        |_arg: *mut c_void, op: c_int, _db: *const c_char, table: *const c_char, rowid: i64| {
            // SAFETY: sqlite passes the table's name, NUL-terminated.
            let table = unsafe { c_string(table) }.unwrap();
            updates.lock().unwrap().push((op, table, rowid));
        },
    )
    .unwrap();
    // sqlite3_exec's callback: `int (*)(void *, int, char **, char **)`.
    let mut rows: Vec<Vec<(String, String)>> = Vec::new();
    let collect = Callback::new(
        |_arg: *mut c_void, n: c_int, values: *mut *mut c_char, names: *mut *mut c_char| -> c_int {
            let row = (0..n as usize)
                .map(|i| {
                    // SAFETY: sqlite passes `n` column names and values, alive for the call.
                    unsafe {
                        (
                            c_string(*names.add(i)).unwrap(),
                            c_string(*values.add(i)).unwrap_or_default(),
                        )
                    }
                })
                .collect();
            rows.push(row);
            0
        },
    )
    .unwrap();

    // SAFETY: every handle below comes from sqlite and is finalized / closed once; every
    // string is NUL-terminated; the callbacks match the declared function pointer types and
    // outlive the connection (closed before they are dropped).
    unsafe {
        let mut db: *mut sqlite3 = null_mut();
        assert_eq!(sqlite3_open(c":memory:".as_ptr(), &raw mut db), SQLITE_OK);
        let exec = |sql: &std::ffi::CStr| {
            let rc = sqlite3_exec(db, sql.as_ptr(), None, null_mut(), null_mut());
            assert_eq!(rc, SQLITE_OK, "{:?}", c_string(sqlite3_errmsg(db)));
        };
        let rc = sqlite3_create_function_v2(
            db,
            c"reverse".as_ptr(),
            1,
            SQLITE_UTF8 | SQLITE_DETERMINISTIC,
            null_mut(),
            Some(reverse.code()),
            None,
            None,
            None,
        );
        assert_eq!(rc, SQLITE_OK);
        sqlite3_update_hook(db, Some(hook.code()), null_mut());
        exec(c"CREATE TABLE words (w TEXT NOT NULL)");

        // Bound text: three strings dropped right after binding (SQLITE_TRANSIENT makes sqlite
        // copy them), and a static one (SQLITE_STATIC: sqlite keeps the pointer).
        let mut stmt: *mut sqlite3_stmt = null_mut();
        let rc = sqlite3_prepare_v2(
            db,
            c"INSERT INTO words VALUES (?)".as_ptr(),
            -1,
            &raw mut stmt,
            null_mut(),
        );
        assert_eq!(rc, SQLITE_OK);
        for word in ["alpha", "beta", "gamma"] {
            let text = CString::new(word).unwrap();
            assert_eq!(
                sqlite3_bind_text(stmt, 1, text.as_ptr(), -1, transient()),
                SQLITE_OK
            );
            // Overwrite and free the Rust copy before sqlite reads the bound value.
            let mut bytes = text.into_bytes_with_nul();
            bytes.fill(b'X');
            drop(bytes);
            assert_eq!(sqlite3_step(stmt), SQLITE_DONE);
            assert_eq!(sqlite3_reset(stmt), SQLITE_OK);
        }
        static DELTA: &std::ffi::CStr = c"delta";
        assert_eq!(
            sqlite3_bind_text(stmt, 1, DELTA.as_ptr(), -1, SQLITE_STATIC),
            SQLITE_OK
        );
        assert_eq!(sqlite3_step(stmt), SQLITE_DONE);
        assert_eq!(sqlite3_finalize(stmt), SQLITE_OK);

        let rc = sqlite3_exec(
            db,
            c"SELECT w, reverse(w) AS r FROM words WHERE w <> 'beta' ORDER BY rowid".as_ptr(),
            Some(collect.code()),
            null_mut(),
            null_mut(),
        );
        assert_eq!(rc, SQLITE_OK, "{:?}", c_string(sqlite3_errmsg(db)));
        // A statement with no rows calls nothing; SQLITE_ROW is what step says for a row.
        let mut stmt: *mut sqlite3_stmt = null_mut();
        let rc = sqlite3_prepare_v2(
            db,
            c"SELECT count(*) FROM words".as_ptr(),
            -1,
            &raw mut stmt,
            null_mut(),
        );
        assert_eq!(rc, SQLITE_OK);
        assert_eq!(sqlite3_step(stmt), SQLITE_ROW);
        assert_eq!(sqlite3_finalize(stmt), SQLITE_OK);
        assert_eq!(sqlite3_close(db), SQLITE_OK);
    }
    drop((collect, hook));
    let pair = |w: &str, r: &str| {
        vec![
            ("w".to_owned(), w.to_owned()),
            ("r".to_owned(), r.to_owned()),
        ]
    };
    assert_eq!(
        rows,
        [
            pair("alpha", "ahpla"),
            pair("gamma", "ammag"),
            pair("delta", "atled")
        ]
    );
    assert_eq!(reverse.calls(), 3);
    let updates = updates.into_inner().unwrap();
    let expected: Vec<(c_int, String, i64)> = (1..=4)
        .map(|rowid| (SQLITE_INSERT, "words".to_owned(), rowid))
        .collect();
    assert_eq!(updates, expected);
}
