//! Arbitrary bytes into the loader: it must never panic, and a workflow that loads must
//! start and run (see `directrix_fuzz::exercise_source`).
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    // The CLI reports non-UTF-8 input itself; the core takes `&str`.
    if let Ok(source) = std::str::from_utf8(data) {
        directrix_fuzz::exercise_source(source);
    }
});
