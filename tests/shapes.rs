//! The shapes of C that real library headers use everywhere (issue 10), through the macros,
//! on the fixture's copies of them: handles passed as one-element arrays of anonymous structs
//! (gmp's `mpz_t`), typedef names inside function pointers (allocator hooks), self-referential
//! structs used by their typedef name (lists and trees), anonymous members (`struct rusage`),
//! generated types in typed callbacks, enumerators as `int` and pointer constants.

use std::ffi::{c_int, c_long, c_void};
use std::sync::atomic::{AtomicUsize, Ordering};

use ffi_auto::{Callback, defcfuns, sig::RustType};

defcfuns! {
    #![ffi_auto(lib = "ffiauto_fixture", header = "fixture/c/fixture.h")]
    struct fx_big_struct;
    struct fx_node;
    struct fx_event;
    struct fx_handle;
    const FX_RED;
    const FX_STATIC;
    const FX_NO_BUFFER;
    const FX_TRANSIENT: isize;
    unsafe fn fx_big_init;
    unsafe fn fx_big_sum;
    unsafe fn fx_big_clear;
    unsafe fn fx_big_each;
    unsafe fn fx_alloc_probe;
    unsafe fn fx_tree_make;
    unsafe fn fx_tree_sum;
    unsafe fn fx_tree_free;
    unsafe fn fx_event_weight;
    unsafe fn fx_destructor_kind;
    unsafe fn fx_handle_new;
    unsafe fn fx_handle_free;
    fn add_i32;
}

#[test]
fn handles_passed_as_one_element_arrays_of_anonymous_structs() {
    // `typedef struct {...} fx_big_struct; typedef fx_big_struct fx_big[1];`: the parameter
    // is a pointer to the struct, under the typedef's name.
    let mut big = fx_big_struct::default();
    // SAFETY: `big` is a live struct; init allocates its limbs, clear frees them.
    let sum = unsafe {
        fx_big_init(&raw mut big, 4);
        let s = fx_big_sum(&raw const big);
        assert_eq!(big.size, 4);
        s
    };
    assert_eq!(sum, 1 + 2 + 3 + 4);
    // A typed callback whose parameter is the generated type (`fx_big_visit`).
    let seen = AtomicUsize::new(0);
    let visit = Callback::new(|b: *mut fx_big_struct, _ctx: *mut c_void| {
        // SAFETY: C passes the struct given to fx_big_each.
        seen.store(unsafe { (*b).size } as usize, Ordering::Relaxed);
    })
    .unwrap();
    // SAFETY: `visit` has `fx_big_visit`'s signature; `big` is initialized.
    unsafe {
        fx_big_each(&raw mut big, Some(visit.code()), std::ptr::null_mut());
        fx_big_clear(&raw mut big);
    }
    assert_eq!(seen.load(Ordering::Relaxed), 4);
    assert!(big.limbs.is_null());
}

#[test]
fn typedef_names_survive_inside_function_pointers() {
    // `void *(*)(size_t)` and `void (*)(void *, size_t)`: closures written with `usize`.
    let allocated = AtomicUsize::new(0);
    let alloc = Callback::new(|size: usize| -> *mut c_void {
        allocated.store(size, Ordering::Relaxed);
        // SAFETY: plain allocation; released below through `release`.
        unsafe { libc::malloc(size) }
    })
    .unwrap();
    let release = Callback::new(|p: *mut c_void, size: usize| {
        assert_eq!(size, 24);
        // SAFETY: `p` came from `alloc` above.
        unsafe { libc::free(p) }
    })
    .unwrap();
    // SAFETY: the callbacks have the declared signatures.
    let n = unsafe { fx_alloc_probe(Some(alloc.code()), Some(release.code()), 24) };
    assert_eq!(n, 24);
    assert_eq!(allocated.load(Ordering::Relaxed), 24);
}

#[test]
fn a_self_referential_struct_declared_by_its_typedef_name_can_be_walked() {
    // `typedef struct _fx_node { struct _fx_node *next, *child; } fx_node;`: the generated
    // `fx_node`'s own pointers are `*mut fx_node`, the type the functions return.
    // SAFETY: fx_tree_make returns a list it allocated; freed below.
    let root: *mut fx_node = unsafe { fx_tree_make(3) };
    let mut values = Vec::new();
    let mut children = Vec::new();
    let mut n = root;
    while !n.is_null() {
        // SAFETY: every node of the list is live until fx_tree_free.
        let node: &fx_node = unsafe { &*n };
        values.push(node.value);
        let child: *mut fx_node = node.child;
        // SAFETY: as above.
        children.push(unsafe { (*child).value });
        n = node.next;
    }
    assert_eq!(values, [1, 2, 3]);
    assert_eq!(children, [10, 20, 30]);
    // SAFETY: as above.
    unsafe {
        assert_eq!(fx_tree_sum(root), 66);
        fx_tree_free(root);
    }
}

#[test]
fn anonymous_members_are_generated_as_bindgen_does() {
    let mut e = fx_event {
        kind: 1,
        anon_1: fx_event_anon_1 {
            r#move: fx_event_anon_1_move { x: 3, y: 4 },
        },
        stats: fx_event_stats { count: 100 },
    };
    // SAFETY: `e` is a live fx_event.
    assert_eq!(unsafe { fx_event_weight(&raw const e) }, 107);
    e.kind = 2;
    e.anon_1.key = 9;
    // SAFETY: as above.
    assert_eq!(unsafe { fx_event_weight(&raw const e) }, 109);
    assert_eq!(size_of::<fx_event>(), 16);
}

#[test]
fn generated_types_have_c_types() {
    use ffi_auto::sig::CType;
    assert!(matches!(<fx_node as RustType>::c_type(), CType::Record(r) if r.size == 24));
    assert_eq!(
        <*mut fx_handle as RustType>::c_type().to_string(),
        "fx_handle *"
    );
    // An opaque handle in a typed callback.
    let cb = Callback::new(|h: *mut fx_handle| -> c_long { i64::from(h.is_null()) as c_long });
    assert!(cb.is_ok());
}

#[test]
fn enumerators_are_int_and_pointer_constants_are_typed() {
    // `enum fx_color { FX_RED, ... }`: an `int`, passed to an `int` without a cast.
    let red: c_int = FX_RED;
    assert_eq!(add_i32(red, 1), 1);
    // `((fx_destructor)0)` is `None`; `((char *)0)` a null `*mut c_char`.
    assert!(FX_STATIC.is_none());
    assert!(FX_NO_BUFFER.is_null());
    // `((fx_destructor)-1)` points to no function: a Rust `const` takes it as an integer.
    assert_eq!(FX_TRANSIENT, -1);
    // SAFETY: -1 is a non-null address, a valid `Option<fn>` value that C only compares.
    let transient = unsafe {
        std::mem::transmute::<isize, Option<unsafe extern "C" fn(*mut c_void)>>(FX_TRANSIENT)
    };
    // SAFETY: fx_destructor_kind only compares its argument.
    unsafe {
        assert_eq!(fx_destructor_kind(FX_STATIC), 0);
        assert_eq!(fx_destructor_kind(transient), 1);
    }
}
