//! ffi-auto
