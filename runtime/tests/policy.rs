//! The policy and the audit hooks, end to end. Both are process-wide and only tighten once
//! locked, so this file holds one test that walks through them in order.
#![cfg(feature = "discovery")]

use std::sync::{Arc, Mutex};

use ffi_auto_runtime::policy::{self, PolicyError, Preset};
use ffi_auto_runtime::{Error, Function, Library, audit, ffi_call, find_symbol, prepare};

fn refused(r: Result<impl std::fmt::Debug, Error>) -> (String, String) {
    match r {
        Err(Error::Refused { rule, hint, .. }) => (rule, hint),
        other => panic!("expected a refusal, got {other:?}"),
    }
}

#[test]
fn the_policy_refuses_before_anything_runs_and_only_tightens_once_locked() {
    // The test runs with no FFI_AUTO_* policy variables (make test sets none).
    assert_eq!(policy::preset(), Preset::Permissive);

    let events = Arc::new(Mutex::new(Vec::<String>::new()));
    let log = events.clone();
    audit::add_hook(move |e| {
        log.lock().unwrap().push(e.to_string());
        match e {
            audit::Event::Resolve {
                function: "getppid",
                ..
            } => Err("no parent lookups".into()),
            _ => Ok(()),
        }
    });

    // A deny rule: `system` is refused before it is resolved, and nothing ran.
    let marker = std::env::temp_dir().join(format!("ffi-auto-policy-{}", std::process::id()));
    let command = format!("touch {}", marker.display());
    policy::deny("system").unwrap();
    let (rule, _) = refused(ffi_call::<i32>("system", command.as_str()));
    assert_eq!(rule, "deny rule `system` (policy::deny)");
    assert!(!marker.exists(), "system ran");
    assert!(
        events
            .lock()
            .unwrap()
            .iter()
            .any(|e| e == "refused system: deny rule `system` (policy::deny)"),
        "{events:?}"
    );
    assert!(
        !events
            .lock()
            .unwrap()
            .iter()
            .any(|e| e.starts_with("resolve system"))
    );

    // The audit hook saw a resolution and vetoed it.
    let (rule, _) = refused(ffi_call::<i32>("getppid", ()));
    assert_eq!(rule, "the audit hook (no parent lookups)");
    let _: usize = ffi_call("strlen", "abc").unwrap();
    assert!(
        events
            .lock()
            .unwrap()
            .iter()
            .any(|e| e.starts_with("resolve strlen in ") && e.contains("libc.so")),
        "{events:?}"
    );

    // A handle prepared before a rule is refused after it: tightening reaches it.
    let labs = prepare("labs").unwrap();
    assert_eq!(labs.call::<i64>(-4i64).unwrap(), 4);
    policy::deny("labs").unwrap();
    refused(labs.call::<i64>(-4i64));
    refused(ffi_call::<i64>("labs", -4i64));

    // Rules scoped by library: the library a function is found in, also through the default
    // search (`cbrt` lives in libm).
    policy::deny("m:cbrt").unwrap();
    let (rule, _) = refused(ffi_call::<f64>(("cbrt", "m"), 8.0));
    assert_eq!(rule, "deny rule `m:cbrt` (policy::deny)");
    refused(ffi_call::<f64>("cbrt", 8.0));
    assert_eq!(ffi_call::<f64>("sqrt", 9.0).unwrap(), 3.0);

    // Loading and calling are decided separately: `z:` refuses loading libz; `m:*` would
    // refuse calls into libm but still load it.
    policy::deny("z:").unwrap();
    let e = Library::open("z").unwrap_err();
    assert!(
        matches!(&e, Error::Refused { rule, .. } if rule == "deny rule `z:` (policy::deny)"),
        "{e}"
    );
    assert!(e.to_string().contains("loading library z"), "{e}");

    // The conservative preset: process control and privileges refused, each allowable by name.
    policy::allow("popen").unwrap();
    policy::set_preset(Preset::Conservative).unwrap();
    let (rule, hint) = refused(ffi_call::<i32>("execv", ("/bin/true", 0usize)));
    assert!(
        rule.starts_with("preset `conservative` (policy::set_preset)"),
        "{rule}"
    );
    assert!(rule.contains("built-in rule `exec*`"), "{rule}");
    assert!(hint.contains("FFI_AUTO_ALLOW=execv"), "{hint}");
    refused(ffi_call::<i32>("setuid", 0u32));
    // `popen` is allowed by name: the policy lets it through to the call (whose own checks
    // then apply: its `FILE *` return is read as a pointer).
    let p = prepare("popen");
    assert!(p.is_ok(), "{p:?}");
    // Explicit signatures pass; functions outside the list too.
    assert_eq!(ffi_call::<usize>("strlen", "hello").unwrap(), 5);
    let sig = "int (int)".parse().unwrap();
    // SAFETY: `int abs(int)` in <stdlib.h>.
    let abs = unsafe { Function::new(find_symbol("abs", None).unwrap(), "abs", sig) }.unwrap();
    assert_eq!(abs.call::<i32>(-2).unwrap(), 2);

    // Locked: the program may tighten, not loosen.
    policy::lock();
    assert!(matches!(
        policy::allow("system"),
        Err(PolicyError::Locked(_))
    ));
    assert!(matches!(
        policy::set_preset(Preset::Permissive),
        Err(PolicyError::Locked(_))
    ));
    assert!(matches!(
        policy::only("strlen"),
        Err(PolicyError::Locked(_))
    ));
    policy::deny("abs").unwrap();
    refused(abs.call::<i32>(-2));

    // Disabled: every dynamic call and load refused, with what to do.
    policy::set_preset(Preset::Disabled).unwrap();
    let (rule, hint) = refused(ffi_call::<usize>("strlen", "x"));
    assert_eq!(
        rule,
        "preset `disabled` (policy::set_preset): the dynamic engine is off"
    );
    assert!(hint.contains("compile-time wrappers"), "{hint}");
    refused(Library::open("m"));
    assert!(
        policy::describe().contains(
            "program: preset disabled; allow popen; deny system,labs,m:cbrt,z:,abs (locked)"
        ),
        "{}",
        policy::describe()
    );
}
