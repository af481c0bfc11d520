use ffi_auto::{Callback, ffi_call};

fn main() {
    let half = Callback::new(|x: f64| x / 2.0).unwrap();
    // C may keep a callback beyond the call: only `ffi_call_raw` (unsafe) passes one.
    let _ = ffi_call::<f64>("fx_apply", (&half, 1.0));
}
