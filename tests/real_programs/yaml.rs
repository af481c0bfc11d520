//! libyaml: parse a document from a read handler written as a Rust closure
//! (`yaml_read_handler_t`: `int (*)(void *data, unsigned char *buffer, size_t size,
//! size_t *size_read)`), reading each event's members of anonymous type (`event.data.scalar`,
//! in a union of anonymous structs) and marks (`yaml_mark_t`, an anonymous struct behind a
//! typedef).

use std::ffi::{c_int, c_uchar, c_void};

use ffi_auto::{Callback, defcfuns};

defcfuns! {
    #![ffi_auto(header = "yaml.h", pkg_config = "yaml-0.1")]
    struct yaml_mark_t;
    struct yaml_parser_t;
    struct yaml_event_t;
    const YAML_STREAM_END_EVENT;
    const YAML_SCALAR_EVENT;
    const YAML_ALIAS_EVENT;
    const YAML_SEQUENCE_START_EVENT;
    const YAML_SEQUENCE_END_EVENT;
    const YAML_MAPPING_START_EVENT;
    const YAML_MAPPING_END_EVENT;
    const YAML_DOUBLE_QUOTED_SCALAR_STYLE;
    unsafe fn yaml_get_version_string;
    unsafe fn yaml_parser_initialize;
    unsafe fn yaml_parser_set_input;
    unsafe fn yaml_parser_parse;
    unsafe fn yaml_parser_delete;
    unsafe fn yaml_event_delete;
}

const DOC: &str = "\
name: ffi-auto
langs: [rust, c]
deps:
  - {name: libffi, version: \"3.4\"}
  - name: libclang
    version: 14
anchors:
  base: &b 1
  copy: *b
";

#[test]
fn parse_events_from_a_read_handler() {
    // SAFETY: the version string is static.
    let version = unsafe { super::c_string(yaml_get_version_string()) }.unwrap();
    assert!(version.starts_with("0."), "{version}");
    // Hand the document over 7 bytes at a time.
    let mut rest = DOC.as_bytes();
    let read = Callback::new(
        |_data: *mut c_void, buffer: *mut c_uchar, size: usize, size_read: *mut usize| -> c_int {
            let n = rest.len().min(size).min(7);
            // SAFETY: libyaml gives a buffer of `size` bytes and a place for the count.
            unsafe {
                std::ptr::copy_nonoverlapping(rest.as_ptr(), buffer, n);
                *size_read = n;
            }
            rest = &rest[n..];
            1
        },
    )
    .unwrap();
    let mut scalars = Vec::new();
    let (mut depth, mut max_depth, mut aliases, mut quoted) = (0, 0, 0, Vec::new());
    let mut libclang_line = None;
    let mut parser = yaml_parser_t::default();
    // SAFETY: the parser is initialized, used and deleted here; the handler has
    // `yaml_read_handler_t`'s type and outlives the parser; every event is deleted after
    // its members are read, and a scalar's value is `length` bytes.
    unsafe {
        assert_eq!(yaml_parser_initialize(&raw mut parser), 1);
        yaml_parser_set_input(&raw mut parser, Some(read.code()), std::ptr::null_mut());
        loop {
            let mut event = yaml_event_t::default();
            assert_eq!(
                yaml_parser_parse(&raw mut parser, &raw mut event),
                1,
                "parse error"
            );
            let kind = event.r#type;
            if kind == YAML_SCALAR_EVENT {
                let s = event.data.scalar;
                let bytes = std::slice::from_raw_parts(s.value, s.length);
                let value = String::from_utf8(bytes.to_vec()).unwrap();
                if s.style == YAML_DOUBLE_QUOTED_SCALAR_STYLE {
                    quoted.push(value.clone());
                }
                if value == "libclang" {
                    libclang_line = Some(event.start_mark.line);
                }
                scalars.push(value);
            } else if kind == YAML_ALIAS_EVENT {
                aliases += 1;
            } else if kind == YAML_SEQUENCE_START_EVENT || kind == YAML_MAPPING_START_EVENT {
                depth += 1;
                max_depth = max_depth.max(depth);
            } else if kind == YAML_SEQUENCE_END_EVENT || kind == YAML_MAPPING_END_EVENT {
                depth -= 1;
            }
            yaml_event_delete(&raw mut event);
            if kind == YAML_STREAM_END_EVENT {
                break;
            }
        }
        yaml_parser_delete(&raw mut parser);
    }
    assert!(read.calls() > DOC.len() / 7);
    drop(read);
    assert_eq!(
        scalars,
        [
            "name", "ffi-auto", "langs", "rust", "c", "deps", "name", "libffi", "version", "3.4",
            "name", "libclang", "version", "14", "anchors", "base", "1", "copy",
        ]
    );
    assert_eq!(quoted, ["3.4"]);
    assert_eq!(aliases, 1);
    assert_eq!((depth, max_depth), (0, 3));
    // Marks count lines from 0.
    assert_eq!(libclang_line, Some(4));
}
