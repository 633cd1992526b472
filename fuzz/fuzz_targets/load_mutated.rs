//! Structure-aware: the corpus is RON workflows (seeded from `workflows/*.ron`) and the
//! custom mutator edits them token by token (`directrix_fuzz::mutate`), so most inputs
//! parse and the fuzzer explores validation, compilation and the engine.
#![no_main]

use directrix_fuzz::mutate::{Rng, mutate};
use libfuzzer_sys::{fuzz_mutator, fuzz_target, fuzzer_mutate};

fuzz_target!(|data: &[u8]| {
    if let Ok(source) = std::str::from_utf8(data) {
        directrix_fuzz::exercise_source(source);
    }
});

fuzz_mutator!(|data: &mut [u8], size: usize, max_size: usize, seed: u32| {
    let mut rng = Rng::new(u64::from(seed));
    // Now and then a byte-level mutation, so the lexer's edges are not left out.
    if rng.below(16) == 0 {
        return fuzzer_mutate(data, size, max_size);
    }
    let text = String::from_utf8_lossy(&data[..size]).into_owned();
    for _ in 0..4 {
        if let Some(mutant) = mutate(&text, &mut rng)
            && mutant.len() <= max_size
        {
            data[..mutant.len()].copy_from_slice(mutant.as_bytes());
            return mutant.len();
        }
    }
    fuzzer_mutate(data, size, max_size)
});
