#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| ffi_auto_fuzz::cli_args(data));
