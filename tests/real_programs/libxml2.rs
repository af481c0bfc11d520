//! libxml2: parse a document and walk its tree of `xmlNode`s, a self-referential struct
//! declared by typedef (`typedef struct _xmlNode xmlNode;`), through `children` / `next` /
//! `parent` and the `xmlAttr` list; parser options (enumerators) passed to `int options`; and
//! a structured error handler typed with the generated `xmlError`.

use std::ffi::{c_int, c_void};
use std::ptr::{null, null_mut};

use ffi_auto::{Callback, defcfuns};

use super::c_string;

defcfuns! {
    #![ffi_auto(header = "libxml/parser.h", pkg_config = "libxml-2.0")]
    struct xmlDoc;
    struct xmlNode;
    struct xmlAttr;
    struct xmlError;
    const LIBXML_VERSION;
    const XML_PARSE_NOBLANKS;
    const XML_PARSE_NONET;
    const XML_ELEMENT_NODE;
    const XML_TEXT_NODE;
    const XML_COMMENT_NODE;
    const XML_FROM_PARSER;
    const XML_ERR_TAG_NAME_MISMATCH;
    const XML_ERR_FATAL;
    fn xmlCheckVersion;
    fn xmlInitParser;
    unsafe fn xmlReadMemory;
    unsafe fn xmlDocGetRootElement;
    unsafe fn xmlFreeDoc;
    unsafe fn xmlSetStructuredErrorFunc;
}

const DOC: &str = r#"<?xml version="1.0"?>
<library city="Paris">
  <book id="1" lang="en"><title>Dune</title><author>Herbert</author></book>
  <!-- out on loan -->
  <book id="2"><title>Emma</title></book>
  <magazine/>
</library>
"#;

/// What a walk of the tree found.
#[derive(Default, Debug)]
struct Walk {
    elements: Vec<String>,
    attributes: Vec<(String, String)>,
    texts: Vec<String>,
    comments: usize,
    max_depth: usize,
}

/// Walks `n` and its following siblings, depth first.
///
/// # Safety
/// `n` is null or a node of a live document.
unsafe fn walk(mut n: *mut xmlNode, depth: usize, out: &mut Walk) {
    while !n.is_null() {
        // SAFETY: the caller's contract; every pointer followed is the tree's own.
        unsafe {
            let node: &xmlNode = &*n;
            if node.r#type == XML_ELEMENT_NODE {
                out.elements.push(c_string(node.name.cast()).unwrap());
                out.max_depth = out.max_depth.max(depth);
                let mut a: *mut xmlAttr = node.properties;
                while !a.is_null() {
                    // An attribute's value is its text child.
                    let value: *mut xmlNode = (*a).children;
                    out.attributes.push((
                        c_string((*a).name.cast()).unwrap(),
                        c_string((*value).content.cast()).unwrap(),
                    ));
                    a = (*a).next;
                }
            } else if node.r#type == XML_TEXT_NODE {
                out.texts.push(c_string(node.content.cast()).unwrap());
                assert_eq!((*node.parent).children, n, "a text node's parent holds it");
            } else if node.r#type == XML_COMMENT_NODE {
                out.comments += 1;
            }
            walk(node.children, depth + 1, out);
            n = node.next;
        }
    }
}

#[test]
fn parse_a_document_and_walk_its_tree() {
    xmlCheckVersion(LIBXML_VERSION);
    xmlInitParser();
    let options: c_int = XML_PARSE_NOBLANKS | XML_PARSE_NONET;
    let mut found = Walk::default();
    // SAFETY: the buffer and its length describe `DOC`; the document is freed once, after the
    // walk.
    unsafe {
        let doc: *mut xmlDoc = xmlReadMemory(
            DOC.as_ptr().cast(),
            DOC.len() as c_int,
            c"library.xml".as_ptr(),
            null(),
            options,
        );
        assert!(!doc.is_null());
        let root: *mut xmlNode = xmlDocGetRootElement(doc);
        assert_eq!((*root).doc, doc);
        assert!(
            (*root).parent.cast::<c_void>() == doc.cast(),
            "the root's parent is the document"
        );
        walk(root, 1, &mut found);
        xmlFreeDoc(doc);
    }
    assert_eq!(
        found.elements,
        [
            "library", "book", "title", "author", "book", "title", "magazine"
        ]
    );
    assert_eq!(
        found.attributes,
        [("city", "Paris"), ("id", "1"), ("lang", "en"), ("id", "2")]
            .map(|(k, v)| (k.to_owned(), v.to_owned()))
    );
    assert_eq!(found.texts, ["Dune", "Herbert", "Emma"]);
    assert_eq!(found.comments, 1);
    assert_eq!(found.max_depth, 3);
}

#[test]
fn a_structured_error_handler_typed_with_the_generated_xml_error() {
    xmlInitParser();
    let mut errors = Vec::new();
    let handler = Callback::new(|_ctx: *mut c_void, e: *mut xmlError| {
        // SAFETY: libxml2 passes the error it raised, alive for the call.
        let e: &xmlError = unsafe { &*e };
        // SAFETY: the message is NUL-terminated, or null.
        let message = unsafe { c_string(e.message) }.unwrap_or_default();
        errors.push((e.domain, e.code, e.level, e.line, message));
    })
    .unwrap();
    let bad = "<a>\n<b></a>";
    // SAFETY: the handler has `xmlStructuredErrorFunc`'s type and is unset before it drops;
    // the buffer and length describe `bad`.
    let doc = unsafe {
        xmlSetStructuredErrorFunc(null_mut(), Some(handler.code()));
        let doc = xmlReadMemory(bad.as_ptr().cast(), bad.len() as c_int, null(), null(), 0);
        xmlSetStructuredErrorFunc(null_mut(), None);
        doc
    };
    drop(handler);
    assert!(doc.is_null());
    let (domain, code, level, line, message) = &errors[0];
    assert_eq!(*domain, XML_FROM_PARSER);
    assert_eq!(*code, XML_ERR_TAG_NAME_MISMATCH);
    assert_eq!(*level, XML_ERR_FATAL);
    assert_eq!(*line, 2);
    assert!(message.contains("mismatch"), "{message}");
}
