//! What each fuzz target does with its input. The targets (`fuzz_targets/`) are one line each;
//! `cli/tests/fuzz_corpus.rs` runs the committed corpora through these same functions in
//! `make test`, so a crash the fuzzer once found stays fixed.
//!
//! Every function must return normally for every input: a panic or a crash is a finding.

use std::sync::OnceLock;

use ffi_auto::format::{Family, parse};
use ffi_auto::sig::encoding;
use ffi_auto::{
    Function, Value,
    sig::{CType, DataModel, Signature},
};
use ffi_auto_cli::args::{CliArg, convert, parse_float, parse_int};
use ffi_auto_discovery::Catalog;
use ffi_auto_discovery::db::{self, FORMAT};

/// A signature database: the bytes as a whole file, and as a payload in a valid frame (so
/// that the fuzzer reaches the decoder behind the checksum). Whatever decodes is looked up
/// entry by entry; records that decode must be valid layouts.
pub fn db_decode(data: &[u8]) {
    inspect(data.to_vec());
    let mut file = Vec::with_capacity(data.len() + 24);
    file.extend_from_slice(b"FFIAUTO\0");
    file.extend_from_slice(&FORMAT.to_le_bytes());
    file.extend_from_slice(&crc32(data).to_le_bytes());
    file.extend_from_slice(&(data.len() as u64).to_le_bytes());
    file.extend_from_slice(data);
    inspect(file);
}

fn crc32(data: &[u8]) -> u32 {
    // The same CRC-32 (IEEE) the database frame uses, bit by bit: no extra dependency.
    let mut crc = !0u32;
    for &b in data {
        crc ^= u32::from(b);
        for _ in 0..8 {
            crc = if crc & 1 == 1 {
                (crc >> 1) ^ 0xedb8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

fn inspect(file: Vec<u8>) {
    let Ok((stored, key)) = db::from_bytes(file) else {
        return;
    };
    let c = Catalog::from(stored);
    let dm = DataModel::native();
    for name in c.names().into_iter().take(64) {
        let _ = c.lookup(&key.set, &name);
    }
    for name in c.record_names().into_iter().take(64) {
        if let Some(r) = c.record(&name) {
            assert!(r.validate(&dm).is_ok(), "an invalid layout was handed out");
        }
    }
    for name in c.constant_names().into_iter().take(64) {
        let _ = c.constant(&name);
    }
    for name in c.opaque_names().into_iter().take(64) {
        let _ = c.opaque(&name);
    }
    let _ = c.all();
}

/// Type names and signatures from strings, and signatures and layouts from the bytes the
/// macros compile in; whatever parses is printed, and signatures are prepared as dynamic
/// callbacks (a safe API taking any signature).
pub fn sig_parse(data: &[u8]) {
    if let Ok(s) = std::str::from_utf8(data) {
        if let Ok(t) = s.parse::<CType>() {
            let _ = t.to_string();
            let _ = t.rust_type();
            let _ = t.layout(&DataModel::native());
        }
        if let Ok(sig) = s.parse::<Signature>() {
            exercise(&sig);
        }
        // With a resolver that knows some names (short ones, as opaque tags), as a header
        // set's does.
        let resolve = |n: &str| (n.len() < 8).then(|| CType::Opaque(n.into()));
        if let Ok(sig) = Signature::parse_with(s, Some(&resolve)) {
            let _ = sig.to_string();
            let _ = sig.declare_with("f", &|n| format!("struct {n}"));
        }
    }
    if let Ok(sig) = encoding::decode(data) {
        exercise(&sig);
    }
    if let Ok(r) = encoding::decode_record(data) {
        let r = std::sync::Arc::new(r);
        if let Ok(s) = ffi_auto::Struct::zeroed(r.clone()) {
            for f in &r.fields {
                let _ = s.get(&f.name);
            }
            let _ = format!("{s:?}");
        }
    }
}

fn exercise(sig: &Signature) {
    let _ = sig.to_string();
    let _ = sig.declare("f");
    if sig.params.len() <= 64 {
        let _ = ffi_auto::Callback::dynamic(sig, |_| Value::Void);
    }
}

/// The command's conversion of one word to one C type (chosen by the first byte): an `Ok`
/// value must lie in the type's range.
pub fn cli_args(data: &[u8]) {
    let Some((&pick, rest)) = data.split_first() else {
        return;
    };
    let Ok(word) = std::str::from_utf8(rest) else {
        return;
    };
    let _ = parse_int(word);
    let _ = parse_float(word);
    let types: [Option<CType>; 9] = [
        None,
        Some(CType::INT),
        Some(CType::SIZE_T),
        Some(CType::LONG),
        Some("unsigned char".parse().unwrap()),
        Some(CType::DOUBLE),
        Some(CType::FLOAT),
        Some(CType::string()),
        Some("_Bool".parse().unwrap()),
    ];
    let ty = &types[usize::from(pick) % types.len()];
    let dm = DataModel::native();
    if let (Ok(CliArg::Value(v)), Some(CType::Int(k))) = (
        convert(word, ty.as_ref(), 1),
        ty.as_ref().map(CType::canonical),
    ) {
        let (min, max) = k.range(&dm);
        let got = match v {
            Value::I64(x) => i128::from(x),
            Value::U64(x) => i128::from(x),
            other => panic!("an integer type converted to {other:?}"),
        };
        assert!(
            min <= got && got <= max,
            "{word:?} -> {got} outside {min}..={max}"
        );
    }
}

/// The format checker against glibc: a format the checker accepts for a safe call is then
/// really formatted by `dprintf` (to /dev/null) with one argument per conversion, of the type
/// the checker says. Any disagreement with glibc about what the arguments are would crash.
pub fn format(data: &[u8]) {
    let Some((&pick, rest)) = data.split_first() else {
        return;
    };
    let family = if pick & 1 == 0 {
        Family::Printf
    } else {
        Family::Scanf
    };
    let fmt = rest.split(|&b| b == 0).next().unwrap_or_default();
    let Ok(conversions) = parse(family, fmt) else {
        return;
    };
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    if family == Family::Printf {
        agrees_with_glibc(fmt, &conversions);
    }
    // glibc allocates a buffer the size of a literal width or precision (`%.1888888888f`
    // asks for gigabytes, which it may get): defined behaviour, but not what this target
    // tests, so such formats are parsed and not run.
    let huge = fmt
        .split(|b| !b.is_ascii_digit())
        .any(|digits| digits.len() > 5);
    if family == Family::Scanf || conversions.len() > 24 || huge {
        return;
    }
    let (dprintf, fd) = dprintf();
    let dm = DataModel::native();
    let mut args = vec![Value::I32(*fd), Value::Bytes(fmt)];
    for c in &conversions {
        args.push(match c.ty.canonical() {
            CType::Int(k) if k.is_signed(&dm) => Value::I32(7),
            CType::Int(_) => Value::U32(7),
            CType::Float(_) => Value::F64(1.5),
            CType::Pointer { pointee, .. } if pointee.is_byte() => Value::Str("s"),
            _ => Value::Null,
        });
    }
    // Refused (`%n`, a wide string) or formatted: both fine; a crash is not.
    let _ = dprintf.call_values(&args);
}

/// glibc's own reading of a format (`parse_printf_format`, <printf.h>): for every format the
/// checker accepts, the same number of arguments, each passed the same way (an integer of the
/// same size after promotion, a double, or a pointer).
#[cfg(all(target_os = "linux", target_env = "gnu"))]
fn agrees_with_glibc(fmt: &[u8], conversions: &[ffi_auto::format::Conversion]) {
    unsafe extern "C" {
        fn parse_printf_format(
            fmt: *const std::ffi::c_char,
            n: usize,
            argtypes: *mut std::ffi::c_int,
        ) -> usize;
    }
    const PA_INT: i32 = 0;
    const PA_CHAR: i32 = 1;
    const PA_WCHAR: i32 = 2;
    const PA_FLOAT: i32 = 6;
    const PA_DOUBLE: i32 = 7;
    const FLAG_LONG_LONG: i32 = 1 << 8;
    const FLAG_LONG: i32 = 1 << 9;
    const FLAG_PTR: i32 = 1 << 11;
    let Ok(c) = std::ffi::CString::new(fmt) else {
        return;
    };
    let mut types = [0i32; 64];
    // SAFETY: a NUL-terminated format; glibc writes at most `types.len()` entries.
    let n = unsafe { parse_printf_format(c.as_ptr(), types.len(), types.as_mut_ptr()) };
    assert_eq!(
        n,
        conversions.len(),
        "glibc reads {n} arguments for {:?}, the checker {}",
        String::from_utf8_lossy(fmt),
        conversions.len()
    );
    let dm = DataModel::native();
    let int = |size: u8| format!("int{}", size.max(dm.int.size));
    for (i, (&t, c)) in types.iter().zip(conversions).enumerate().take(n) {
        let glibc = match (t & 0xff, t & !0xff) {
            (_, f) if f & FLAG_PTR != 0 => "ptr".to_owned(),
            (PA_INT, f) if f & FLAG_LONG_LONG != 0 => int(dm.long_long.size),
            (PA_INT, f) if f & FLAG_LONG != 0 => int(dm.long.size),
            (PA_INT | PA_CHAR, _) => int(dm.int.size),
            (PA_WCHAR, _) => int(4),
            (PA_FLOAT | PA_DOUBLE, _) => "double".to_owned(),
            _ => "ptr".to_owned(),
        };
        let ours = match c.ty.canonical() {
            CType::Int(k) => int(k.size(&dm)),
            CType::Float(_) => "double".to_owned(),
            _ => "ptr".to_owned(),
        };
        // glibc's `parse_printf_format` reports `%qu` and `%Lu` as `int` on LP64, while its
        // vfprintf reads a `long long` (`printf("%qu %d", 1ULL << 40, 5)` prints both): the
        // checker follows vfprintf.
        // (With positional arguments the quirk may come from another use of the same one.)
        let quad = fmt.contains(&b'q') || fmt.contains(&b'L');
        if quad && glibc == int(dm.int.size) && ours == int(dm.long_long.size) {
            continue;
        }
        assert_eq!(
            glibc,
            ours,
            "argument {} of {:?}: glibc passes {glibc}, the checker {ours} ({})",
            i + 1,
            String::from_utf8_lossy(fmt),
            c.spec
        );
    }
}

/// `dprintf` with its declaration and format contract, and a descriptor on /dev/null.
fn dprintf() -> &'static (Function, i32) {
    static F: OnceLock<(Function, i32)> = OnceLock::new();
    F.get_or_init(|| {
        let mut sig: Signature = "int (int, const char *, ...)".parse().unwrap();
        sig.attrs.format = Some(ffi_auto::sig::FormatAttr {
            archetype: "printf".to_owned(),
            string_index: 2,
            first_to_check: 3,
        });
        let symbol = ffi_auto::find_symbol("dprintf", None).unwrap();
        // SAFETY: `int dprintf(int, const char *, ...)`, printf's contract, in <stdio.h>.
        let f = unsafe { Function::new(symbol, "dprintf", sig) }.unwrap();
        // SAFETY: a NUL-terminated path; the descriptor lives for the process.
        let fd = unsafe { libc::open(c"/dev/null".as_ptr(), libc::O_WRONLY) };
        assert!(fd >= 0);
        (f, fd)
    })
}
