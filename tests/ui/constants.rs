use ffi_auto::defcfuns;

defcfuns! {
    #![ffi_auto(header = "../fixture/c/fixture.h")]
    const FX_NEGATIVE: u32;
    const FX_LIMIT: &std::ffi::CStr;
    const FX_NAME: u8;
    const O_RDONL;
    const strlen;
}

fn main() {}
