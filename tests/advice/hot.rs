// Written by `track::Report::advice` (tests/advice.rs checks it still is).
ffi_auto::defcfuns! {
    #![ffi_auto(lib = "m")]
    pub fn cbrt;  // double cbrt(double __x)
}
ffi_auto::defcfuns! {
    pub unsafe fn strlen;  // size_t strlen(const char *__s)
    pub fn toupper;  // int toupper(int __c)
}
