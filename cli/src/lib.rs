//! The `ffi-auto` command's library half: what the command does with its words, kept apart
//! from `main` so that it is tested (and fuzzed) without starting a process.

pub mod args;
pub mod reference;
