//! `FFI_AUTO_TRACE=1` logs every dynamic call, with its arguments and result, through
//! `tracing`. One test: the variable is read once, at first use.
#![cfg(feature = "discovery")]

use std::sync::{Arc, Mutex};

use ffi_auto_runtime::{Value, ffi_call, prepare};
use tracing::field::{Field, Visit};
use tracing::span::{Attributes, Id, Record};
use tracing::{Event, Metadata, Subscriber};

/// Keeps the message of every `ffi_auto::call` event.
struct Capture(Arc<Mutex<Vec<String>>>);

struct Message(String);

impl Visit for Message {
    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        if field.name() == "message" {
            self.0 = format!("{value:?}");
        }
    }
}

impl Subscriber for Capture {
    fn enabled(&self, _: &Metadata<'_>) -> bool {
        true
    }
    fn new_span(&self, _: &Attributes<'_>) -> Id {
        Id::from_u64(1)
    }
    fn record(&self, _: &Id, _: &Record<'_>) {}
    fn record_follows_from(&self, _: &Id, _: &Id) {}
    fn event(&self, event: &Event<'_>) {
        if event.metadata().target() == "ffi_auto::call" {
            let mut m = Message(String::new());
            event.record(&mut m);
            self.0.lock().unwrap().push(m.0);
        }
    }
    fn enter(&self, _: &Id) {}
    fn exit(&self, _: &Id) {}
}

#[test]
fn every_dynamic_call_is_logged_with_its_arguments_and_result() {
    // SAFETY: set before this process's only test uses ffi-auto or starts a thread.
    unsafe { std::env::set_var("FFI_AUTO_TRACE", "1") };
    let lines = Arc::new(Mutex::new(Vec::new()));
    tracing::subscriber::set_global_default(Capture(lines.clone())).unwrap();

    assert_eq!(ffi_call::<usize>("strlen", c"hello").unwrap(), 5);
    let abs = prepare("abs").unwrap();
    assert_eq!(abs.call::<i32>(-3).unwrap(), 3);
    assert_eq!(abs.call_values(&[Value::I32(-4)]).unwrap(), Value::I32(4));
    let refused = abs.call::<i32>(u64::MAX).unwrap_err().to_string();

    let lines = lines.lock().unwrap().clone();
    assert_eq!(
        *lines,
        [
            "strlen(a string (\"hello\")) = 5",
            "abs(`-3` (i32)) = 3",
            "abs(`-4` (Value::I32)) = 4",
            format!("abs(`{}` (u64)) = error: {refused}", u64::MAX).as_str(),
        ],
    );
}
