//! Arbitrary bytes as a compiled workflow (seeded with every bundled workflow compiled,
//! see `fuzz/run`): refused with a typed error, or loaded into a workflow that compiles
//! back to the same model and runs like any other (see `directrix_fuzz::exercise_workflow`).
#![no_main]

use directrix_core::{Limits, Workflow};
use libfuzzer_sys::fuzz_target;
use std::sync::Arc;

fuzz_target!(|data: &[u8]| {
    match Workflow::from_compiled(data, &Limits::default()) {
        Ok(workflow) => {
            let again = Workflow::from_compiled(&workflow.to_compiled(), &Limits::default())
                .expect("a loaded workflow's own bytes load");
            assert_eq!(again.content_hash(), workflow.content_hash());
            directrix_fuzz::exercise_workflow(Arc::new(workflow));
        }
        Err(error) => {
            assert!(!error.code().is_empty());
            let _ = error.to_string();
        }
    }
});
