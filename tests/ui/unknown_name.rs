use ffi_auto::defcfuns;

defcfuns! {
    #![ffi_auto(header = "../fixture/c/fixture.h")]
    fn add_i23;
}

fn main() {}
