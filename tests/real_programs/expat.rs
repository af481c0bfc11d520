//! expat: a streaming parse with element and character-data handlers written as Rust closures
//! (`XML_StartElementHandler`: `void (*)(void *, const XML_Char *, const XML_Char **)`), tracking
//! depth, and an external-entity handler typed with the generated opaque `XML_Parser`
//! (`int (*)(XML_Parser, const XML_Char *, ...)`) that parses the entity with a child parser.

use std::ffi::{c_char, c_int, c_void};
use std::ptr::null;
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

use ffi_auto::{Callback, defcfuns};

use super::c_string;

defcfuns! {
    #![ffi_auto(header = "expat.h", pkg_config = "expat")]
    struct XML_ParserStruct;
    const XML_STATUS_OK;
    const XML_STATUS_ERROR;
    const XML_ERROR_TAG_MISMATCH;
    unsafe fn XML_ParserCreate;
    unsafe fn XML_ParserFree;
    unsafe fn XML_SetUserData;
    unsafe fn XML_SetElementHandler;
    unsafe fn XML_SetCharacterDataHandler;
    unsafe fn XML_SetExternalEntityRefHandler;
    unsafe fn XML_ExternalEntityParserCreate;
    unsafe fn XML_Parse;
    unsafe fn XML_GetErrorCode;
    unsafe fn XML_ErrorString;
    unsafe fn XML_GetCurrentLineNumber;
}

const DOC: &str = r#"<?xml version="1.0"?>
<!DOCTYPE catalog [ <!ENTITY extra SYSTEM "extra.xml"> ]>
<catalog><item n="1">one</item><group><item n="2">two</item>&extra;</group></catalog>"#;
const EXTRA: &str = r#"<item n="3">three<note/></item>"#;

#[test]
fn element_handlers_track_depth_across_an_external_entity() {
    let tag = 0x1234_usize;
    let depth = AtomicUsize::new(0);
    let max_depth = AtomicUsize::new(0);
    let events = Mutex::new(Vec::new());
    let start = Callback::new(
        |user: *mut c_void, name: *const c_char, atts: *mut *const c_char| {
            assert_eq!(user as usize, tag);
            let d = depth.fetch_add(1, Ordering::Relaxed) + 1;
            max_depth.fetch_max(d, Ordering::Relaxed);
            // SAFETY: expat passes the element's name and a null-terminated array of
            // name / value pairs, alive for the call.
            let (name, atts) = unsafe {
                let mut v = Vec::new();
                let mut a = atts;
                while !(*a).is_null() {
                    v.push(format!(
                        "{}={}",
                        c_string(*a).unwrap(),
                        c_string(*a.add(1)).unwrap()
                    ));
                    a = a.add(2);
                }
                (c_string(name).unwrap(), v)
            };
            events
                .lock()
                .unwrap()
                .push(format!("<{name} {atts:?} @{d}"));
        },
    )
    .unwrap();
    let end = Callback::new(|_user: *mut c_void, name: *const c_char| {
        depth.fetch_sub(1, Ordering::Relaxed);
        // SAFETY: expat passes the element's name.
        let name = unsafe { c_string(name) }.unwrap();
        events.lock().unwrap().push(format!("</{name}"));
    })
    .unwrap();
    let text = Mutex::new(String::new());
    let chars = Callback::new(|_user: *mut c_void, s: *const c_char, len: c_int| {
        // SAFETY: expat passes `len` bytes of UTF-8 at `s` (not NUL-terminated).
        let bytes = unsafe { std::slice::from_raw_parts(s.cast::<u8>(), len as usize) };
        text.lock()
            .unwrap()
            .push_str(std::str::from_utf8(bytes).unwrap());
    })
    .unwrap();
    let systems = Mutex::new(Vec::new());
    // `int (*)(XML_Parser, const XML_Char *context, base, systemId, publicId)`.
    let external = Callback::new(
        |parser: *mut XML_ParserStruct,
         context: *const c_char,
         _base: *const c_char,
         system: *const c_char,
         _public: *const c_char|
         -> c_int {
            // SAFETY: `parser` is the parser calling us, `context` its entity context; the
            // child parser inherits the handlers (other callbacks than this one) and is
            // freed before returning.
            unsafe {
                systems.lock().unwrap().push(c_string(system).unwrap());
                let child = XML_ExternalEntityParserCreate(parser, context, null());
                assert!(!child.is_null());
                let rc = XML_Parse(child, EXTRA.as_ptr().cast(), EXTRA.len() as c_int, 1);
                XML_ParserFree(child);
                (rc == XML_STATUS_OK) as c_int
            }
        },
    )
    .unwrap();

    // SAFETY: the parser is created and freed here; the callbacks have the handler types and
    // outlive it; the buffers and lengths describe `DOC`.
    unsafe {
        let parser = XML_ParserCreate(null());
        assert!(!parser.is_null());
        XML_SetUserData(parser, tag as *mut c_void);
        XML_SetElementHandler(parser, Some(start.code()), Some(end.code()));
        XML_SetCharacterDataHandler(parser, Some(chars.code()));
        XML_SetExternalEntityRefHandler(parser, Some(external.code()));
        // Fed 16 bytes at a time, as from a socket.
        let pieces: Vec<&[u8]> = DOC.as_bytes().chunks(16).collect();
        for (i, piece) in pieces.iter().enumerate() {
            let last = c_int::from(i + 1 == pieces.len());
            let rc = XML_Parse(parser, piece.as_ptr().cast(), piece.len() as c_int, last);
            assert_eq!(
                rc,
                XML_STATUS_OK,
                "{:?}",
                c_string(XML_ErrorString(XML_GetErrorCode(parser)))
            );
        }
        XML_ParserFree(parser);
    }
    assert_eq!(external.calls(), 1);
    drop((start, end, chars, external));
    assert_eq!(systems.into_inner().unwrap(), ["extra.xml"]);
    assert_eq!(depth.load(Ordering::Relaxed), 0);
    assert_eq!(max_depth.load(Ordering::Relaxed), 4);
    assert_eq!(text.into_inner().unwrap(), "onetwothree");
    assert_eq!(
        events.into_inner().unwrap(),
        [
            "<catalog [] @1",
            "<item [\"n=1\"] @2",
            "</item",
            "<group [] @2",
            "<item [\"n=2\"] @3",
            "</item",
            "<item [\"n=3\"] @3",
            "<note [] @4",
            "</note",
            "</item",
            "</group",
            "</catalog",
        ]
    );
}

#[test]
fn a_mismatched_tag_is_reported_with_its_line() {
    let doc = "<a>\n<b>\n</a>";
    // SAFETY: the parser is created and freed here; the buffer and length describe `doc`.
    unsafe {
        let parser = XML_ParserCreate(null());
        let rc = XML_Parse(parser, doc.as_ptr().cast(), doc.len() as c_int, 1);
        assert_eq!(rc, XML_STATUS_ERROR);
        let code = XML_GetErrorCode(parser);
        assert_eq!(code, XML_ERROR_TAG_MISMATCH);
        assert_eq!(c_string(XML_ErrorString(code)).unwrap(), "mismatched tag");
        assert_eq!(XML_GetCurrentLineNumber(parser), 3);
        XML_ParserFree(parser);
    }
}
