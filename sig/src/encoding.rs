//! A compact, versioned binary form of [`Signature`], for signatures compiled into a program
//! (the macros' registry entries): a byte string in the generated code costs the compiler and
//! the linker far less than code that builds the value.

use crate::{Record, Signature};

/// The first byte of every encoded signature; bumped when the model's serialized form changes.
pub const FORMAT: u8 = 1;

/// Why [`decode`] refused some bytes.
#[derive(Debug, thiserror::Error)]
pub enum DecodeError {
    /// Written by another version of the model.
    #[error(
        "encoded by signature format {found}, this build reads format {FORMAT}: the macros and the runtime come from different ffi-auto versions"
    )]
    Format {
        /// The format byte found.
        found: u8,
    },
    /// Not a signature.
    #[error("not an encoded signature: {0}")]
    Corrupt(String),
}

/// Encodes a signature.
///
/// ```
/// use ffi_auto_sig::{encoding, Signature};
/// let sig: Signature = "size_t (const char *)".parse().unwrap();
/// let bytes = encoding::encode(&sig);
/// assert_eq!(encoding::decode(&bytes).unwrap(), sig);
/// ```
pub fn encode(sig: &Signature) -> Vec<u8> {
    let out = vec![FORMAT];
    // Serializing the model into a Vec cannot fail: every type in it is serializable and
    // postcard's only errors are from the output (a Vec grows) or unsupported serde features.
    match postcard::to_extend(sig, out) {
        Ok(v) => v,
        Err(e) => unreachable!("a Signature always serializes: {e}"),
    }
}

/// Decodes what [`encode`] wrote.
///
/// # Errors
/// [`DecodeError::Format`] for bytes of another format version, [`DecodeError::Corrupt`] for
/// anything else that is not a signature (trailing bytes included).
///
/// ```
/// use ffi_auto_sig::encoding::{decode, DecodeError};
/// assert!(matches!(decode(&[99, 0]), Err(DecodeError::Format { found: 99 })));
/// assert!(matches!(decode(&[1, 200]), Err(DecodeError::Corrupt(_))));
/// ```
pub fn decode(bytes: &[u8]) -> Result<Signature, DecodeError> {
    match bytes.split_first() {
        Some((&FORMAT, rest)) => match postcard::take_from_bytes(rest) {
            Ok((sig, [])) => Ok(sig),
            Ok((_, extra)) => Err(DecodeError::Corrupt(format!(
                "{} bytes after the signature",
                extra.len()
            ))),
            Err(e) => Err(DecodeError::Corrupt(e.to_string())),
        },
        Some((&found, _)) => Err(DecodeError::Format { found }),
        None => Err(DecodeError::Corrupt("no bytes".to_owned())),
    }
}

/// Encodes a struct layout (what a `#[ffi_auto] struct` compiles in), in the same framing as
/// [`encode`].
///
/// ```
/// use ffi_auto_sig::{encoding, CType, DataModel, Record, RecordKind};
/// let r = Record::with_c_layout(RecordKind::Struct, Some("p"),
///     vec![("x".into(), CType::INT)], &DataModel::native()).unwrap();
/// assert_eq!(encoding::decode_record(&encoding::encode_record(&r)).unwrap(), r);
/// ```
pub fn encode_record(r: &Record) -> Vec<u8> {
    match postcard::to_extend(r, vec![FORMAT]) {
        Ok(v) => v,
        Err(e) => unreachable!("a Record always serializes: {e}"),
    }
}

/// Decodes what [`encode_record`] wrote.
///
/// # Errors
/// As [`decode`].
pub fn decode_record(bytes: &[u8]) -> Result<Record, DecodeError> {
    match bytes.split_first() {
        Some((&FORMAT, rest)) => match postcard::take_from_bytes(rest) {
            Ok((r, [])) => Ok(r),
            Ok((_, extra)) => Err(DecodeError::Corrupt(format!(
                "{} bytes after the struct layout",
                extra.len()
            ))),
            Err(e) => Err(DecodeError::Corrupt(e.to_string())),
        },
        Some((&found, _)) => Err(DecodeError::Format { found }),
        None => Err(DecodeError::Corrupt("no bytes".to_owned())),
    }
}
