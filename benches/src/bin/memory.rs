//! Heap bytes per task instance, counted by a wrapping global allocator: what a host
//! keeps in memory for a running instance (at its start and mid-run, when every task has
//! been acknowledged and started), what the workflow holds, and a snapshot's size per
//! task instance as JSON and as CBOR (the host's stored form). For the seed and for the
//! national cascade (63/700/10,000, 21,528 task instances).
//!
//! Run: `cargo run --release -p directrix-benches --bin memory` (figures in
//! `benches/RESULTS.md`). Deterministic: the same build prints the same bytes.

use directrix_benches::{SEED_WORKFLOW, national_text};
use directrix_core::{Instance, Workflow, load};
use stats_alloc::{INSTRUMENTED_SYSTEM, Region, StatsAlloc};
use std::alloc::System;
use std::sync::Arc;

#[global_allocator]
static GLOBAL: &StatsAlloc<System> = &INSTRUMENTED_SYSTEM;

/// Heap bytes still held from what `make` allocated, and its result.
fn retained<T>(make: impl FnOnce() -> T) -> (T, isize) {
    let region = Region::new(GLOBAL);
    let value = make();
    let change = region.change();
    let held = change.bytes_allocated as isize - change.bytes_deallocated as isize
        + change.bytes_reallocated;
    (value, held)
}

fn report(name: &str, text: &str) {
    let (workflow, workflow_bytes) =
        retained(|| Arc::new(load(text).expect("the workflow loads").workflow));
    let slots = workflow.task_slots().len();
    let per = |bytes: isize| bytes as f64 / slots as f64;
    let at = workflow.directive().issued_at;
    let (instance, start_bytes) = retained(|| start(&workflow, at));
    let (busy, busy_bytes) = retained(|| mid_run(&workflow, at));
    let snapshot = busy.snapshot();
    let json = serde_json::to_vec(&snapshot).expect("serialises").len();
    let mut cbor = Vec::new();
    ciborium::into_writer(&snapshot, &mut cbor).expect("serialises");
    println!(
        "{name}: {slots} task instances, {} inputs journaled mid-run",
        busy.journal().len()
    );
    println!(
        "  workflow (shared by every instance): {workflow_bytes} B, {:.0} B per task instance",
        per(workflow_bytes)
    );
    println!(
        "  instance at its start:               {start_bytes} B, {:.0} B per task instance",
        per(start_bytes)
    );
    println!(
        "  instance mid-run (journal included): {busy_bytes} B, {:.0} B per task instance",
        per(busy_bytes)
    );
    println!(
        "  snapshot mid-run: JSON {json} B ({:.0} B per task instance), CBOR {} B ({:.0} B per task instance)",
        json as f64 / slots as f64,
        cbor.len(),
        cbor.len() as f64 / slots as f64
    );
    drop((instance, busy));
}

fn start(workflow: &Arc<Workflow>, at: directrix_core::Timestamp) -> Instance {
    Instance::start(Arc::clone(workflow), at)
        .expect("the issue time is in range")
        .0
}

/// Every running task instance acknowledged and started by its first lead, in order.
fn mid_run(workflow: &Arc<Workflow>, at: directrix_core::Timestamp) -> Instance {
    let mut instance = start(workflow, at);
    for action in ["acknowledge", "start"] {
        for slot in 0..workflow.task_slots().len() {
            let task = directrix_core::workflow::TaskRef::from_index(slot as u32);
            let Some(&lead) = instance.leads(task).first() else {
                continue;
            };
            let name = &workflow.task_slot(task).name;
            let agency = workflow.agency(lead).id.clone();
            // Tasks whose machine has no such action, or that wait for others, stay.
            let _ = instance.act_by_name(at, &agency, name, action, None);
        }
    }
    instance
}

fn main() {
    report("seed 114/CV-HU", SEED_WORKFLOW);
    report("national cascade 63/700/10,000", &national_text().workflow);
}
