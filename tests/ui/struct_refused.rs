use ffi_auto::defcfuns;

defcfuns! {
    #![ffi_auto(header = "../fixture/c/fixture.h")]
    // Bitfields: refused rather than laid out wrong.
    struct fx_flags;
    // No such struct.
    struct fx_pointt;
    // A struct returned by value, whose type is not declared in the block.
    fn fx_point_add;
}

fn main() {}
