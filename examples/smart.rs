//! The smart layer: a policy for calls whose names come from outside the program, a
//! tracked scope and its advice, and a diagnosis. `cargo run --example smart`.

use ffi_auto::policy::{self, Preset};
use ffi_auto::{Value, diagnostics, ffi_call, track};

fn main() {
    // Names from a script or a config file may reach any C function: a conservative policy
    // refuses process control and privilege functions (allowable by name), and `lock` makes
    // sure nothing later loosens it.
    policy::set_preset(Preset::Conservative).unwrap();
    policy::deny("getenv").unwrap();
    policy::lock();
    for name in ["system", "getenv", "strlen"] {
        match ffi_call::<i64>(name, "echo hi") {
            Ok(n) => println!("{name}: {n}"),
            Err(e) => println!("{name}: {e}"),
        }
    }

    // What ran in a scope, and how to make the hot calls compile-time calls.
    let ((), report) = track::scope(|| {
        for i in 0..5000 {
            let _: f64 = ffi_call("cbrt", f64::from(i)).unwrap();
            let _: usize = ffi_call("strlen", c"hello").unwrap();
        }
        let _ = ffi_call::<i32>("abs", -3i64).unwrap();
    });
    print!("\n{report}");

    // Everything a call would do, without making it.
    println!();
    print!("{}", diagnostics::diagnose("abs", &[Value::I64(1 << 40)]));
}
