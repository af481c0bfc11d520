use ffi_auto::defcfuns;

defcfuns! {
    #![ffi_auto(header = "../fixture/c/fixture.h")]
    // Bitfields in a hand-written struct: refused, with how to have it generated.
    #[repr(C)]
    struct fx_bits {
        a: u32,
    }
    // No such struct.
    struct fx_pointt;
    // A struct returned by value, whose type is not declared in the block.
    fn fx_point_add;
}

fn main() {}
