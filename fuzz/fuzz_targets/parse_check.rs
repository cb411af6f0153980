//! Fuzz target: any bytes become a project (raw text in any file, or long lines grown from a
//! few bytes) that goes through parse, check, both renderers and, when it checks clean, the
//! whole build, without panicking, overflowing the stack or hanging. The shapes live in
//! `src/one_input.rs`, which `tests/robust.rs` runs too.
#![no_main]

#[path = "../src/one_input.rs"]
mod one_input;

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    one_input::run(&one_input::project(data));
});
