use ffi_auto::defcfuns;

defcfuns! {
    #![ffi_auto(header = "../fixture/c/fixture.h")]
    fn fx_inline_twice;
    fn FX_SQUARE;
}

fn main() {}
