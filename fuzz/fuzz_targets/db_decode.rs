#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| ffi_auto_fuzz::db_decode(data));
