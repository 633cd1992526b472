//! Shared code of the fuzz targets: what every loaded workflow must survive, the
//! invariants checked after every engine step, and the token-level RON mutator of
//! `load_mutated`, `scenario` and `follow_up` ([`mutate_ron`]).

pub mod mutate;

use directrix_core::{Diagnostic, Effect, render::GraphFormat, render::Graph, Instance, Span, Timestamp, Workflow, check, load, render::render_graph};
use std::sync::Arc;

/// How many timers `exercise_workflow` fires at most, so a workflow with a timer every
/// second cannot turn one input into a timeout.
const MAX_TIMERS: usize = 200;

/// Loads `source` and, when it loads, runs the workflow. Panics (the fuzzer's finding)
/// when loading panics, when `check` and `load` disagree, when a diagnostic points
/// outside the text, or when anything `exercise_workflow` checks fails.
pub fn exercise_source(source: &str) {
    let diagnostics = check(source);
    for diagnostic in &diagnostics {
        check_diagnostic(source, diagnostic);
    }
    match load(source) {
        Ok(loaded) => {
            assert!(!diagnostics.iter().any(Diagnostic::is_error));
            assert_eq!(diagnostics, loaded.warnings, "check and load disagree");
            exercise_workflow(Arc::new(loaded.workflow));
        }
        Err(error) => {
            assert!(error.diagnostics.iter().any(Diagnostic::is_error));
            assert_eq!(diagnostics, error.diagnostics, "check and load disagree");
            let _ = error.to_string();
        }
    }
}

/// A diagnostic's span lies inside the text on character boundaries (the CLI slices the
/// text with it), and it renders.
pub fn check_diagnostic(source: &str, diagnostic: &Diagnostic) {
    if let Some(span) = &diagnostic.span {
        assert!(span.start <= span.end, "span {span:?} is reversed");
        assert!(span.end <= source.len(), "span {span:?} past the end");
        assert!(source.is_char_boundary(span.start) && source.is_char_boundary(span.end));
    }
    let _ = diagnostic.to_string();
}

/// Everything a host does with a freshly loaded workflow: inspect, render, start, fire a
/// bounded number of timers, read every view, snapshot and restore.
pub fn exercise_workflow(workflow: Arc<Workflow>) {
    let _ = workflow.inspection();
    for view in [Graph::Tasks, Graph::Agencies, Graph::Documents] {
        for format in [GraphFormat::Dot, GraphFormat::Mermaid] {
            let _ = render_graph(&workflow, view, format);
        }
    }
    let (mut instance, effects) = Instance::start(workflow.clone(), workflow.directive().issued_at).expect("a parsed time is in range");
    for effect in &effects {
        let _ = workflow.effect_record(effect);
    }
    check_instance(&instance);
    for _ in 0..MAX_TIMERS {
        let Some(next) = instance.next_timer() else {
            break;
        };
        let before = instance.clone();
        match instance.advance(next.at) {
            Ok(effects) => check_effects(before.now(), &instance, &effects),
            Err(_) => assert!(instance == before, "a failed advance changed the instance"),
        }
        check_step(&before, &instance);
    }
    check_views(&instance);
    check_round_trips(&instance);
}

/// The effects of one successful input: in time order between the time before it and
/// the time after it, on existing task instances, and each renders as a record.
pub fn check_effects(before: Timestamp, after: &Instance, effects: &[Effect]) {
    let workflow = after.workflow();
    let mut last = before;
    for effect in effects {
        assert!(
            last <= effect.at && effect.at <= after.now(),
            "effect {effect:?} outside [{last:?}, {:?}] or out of order",
            after.now()
        );
        last = effect.at;
        assert!(effect.task.index() < workflow.task_slots().len());
        let _ = workflow.effect_record(effect);
    }
}

/// The invariants that hold between any two consecutive states of an instance.
pub fn check_step(before: &Instance, after: &Instance) {
    assert!(after.now() >= before.now(), "time went backwards");
    let workflow = after.workflow();
    for (index, slot) in workflow.task_slots().iter().enumerate() {
        let id = directrix_core::workflow::TaskRef::from_index(index as u32);
        let (Some(old), Some(new)) = (before.task_state(id), after.task_state(id)) else {
            panic!("task instance {} has no state", slot.name);
        };
        let terminal = workflow.machine_of(id).states[old.state.index()].is_terminal();
        if !terminal {
            assert!(
                new.level >= old.level,
                "escalation level of {} went from {} to {}",
                slot.name,
                old.level,
                new.level
            );
        }
    }
    check_instance(after);
}

/// The invariants of one instance state.
pub fn check_instance(instance: &Instance) {
    let grid = instance.grid();
    let instances = instance.workflow().task_slots().len() as u32;
    assert_eq!(
        grid.total.tracked() + grid.total.cancelled,
        instances,
        "grid counts do not add up to the task instances"
    );
    assert!(grid.total.due_soon <= grid.total.open_in_time);
    for row in &grid.agencies {
        assert!(row.counts.due_soon <= row.counts.open_in_time);
    }
    if let Some(next) = instance.next_timer() {
        // A live timer before `now` would fire in the past.
        assert!(
            next.at >= instance.now(),
            "a pending timer lies in the past"
        );
    }
}

/// Every read-only view runs on the instance without panicking.
pub fn check_views(instance: &Instance) {
    let workflow = instance.workflow();
    let _ = instance.status_records();
    let _ = instance.overdue();
    let _ = instance.critical_path();
    for (index, _) in workflow.agencies().iter().enumerate().take(64) {
        let _ = instance.inbox(directrix_core::workflow::AgencyId::from_index(index as u32));
    }
    let _ = instance
        .now()
        .saturating_add(Span::from_seconds(1))
        .to_rfc3339(workflow.calendar().offset());
}

/// A snapshot survives JSON and restores to an equal instance; the journal replays to an
/// equal instance.
pub fn check_round_trips(instance: &Instance) {
    let workflow = instance.workflow().clone();
    let json = serde_json::to_string(&instance.snapshot()).expect("a snapshot serialises");
    let snapshot = serde_json::from_str(&json).expect("a snapshot deserialises");
    let restored = Instance::restore(workflow.clone(), snapshot).expect("own snapshot restores");
    assert!(
        restored == *instance,
        "restore(snapshot) differs from the instance"
    );
    let replayed = Instance::replay(workflow, instance.journal()).expect("own journal replays");
    assert!(
        replayed == *instance,
        "replay(journal) differs from the instance"
    );
}

/// The custom mutator of the RON targets: mostly one token-level mutation
/// ([`mutate::mutate`]), now and then libFuzzer's own byte-level one so the lexer's edges
/// are not left out. Comments are never edited, so a `//@` header line (see [`header`])
/// survives; `header_chance` in 256 replaces it with random numbers instead.
pub fn mutate_ron(
    data: &mut [u8],
    size: usize,
    max_size: usize,
    seed: u32,
    header_chance: u8,
) -> usize {
    let mut rng = mutate::Rng::new(u64::from(seed));
    if rng.below(16) == 0 {
        return libfuzzer_sys::fuzzer_mutate(data, size, max_size);
    }
    let text = String::from_utf8_lossy(&data[..size]).into_owned();
    let mutant = if rng.below(256) < usize::from(header_chance) {
        let body = match text.strip_prefix("//@") {
            Some(rest) => rest.split_once('\n').map_or("", |(_, body)| body),
            None => text.as_str(),
        };
        let numbers: Vec<String> = (0..4)
            .map(|_| {
                let n = rng.next_u64();
                // Mostly small numbers, sometimes anything.
                if rng.below(4) == 0 {
                    n.to_string()
                } else {
                    (n % 64).to_string()
                }
            })
            .collect();
        Some(format!("//@ {}\n{body}", numbers.join(" ")))
    } else {
        (0..4).find_map(|_| mutate::mutate(&text, &mut rng).filter(|m| m.len() <= max_size))
    };
    match mutant {
        Some(mutant) if mutant.len() <= max_size => {
            data[..mutant.len()].copy_from_slice(mutant.as_bytes());
            mutant.len()
        }
        _ => libfuzzer_sys::fuzzer_mutate(data, size, max_size),
    }
}

/// The numbers of a first line `//@ N N ...` (a RON comment, so the text still parses):
/// the parameters a target draws besides the text. Missing or unreadable numbers are 0.
pub fn header(text: &str) -> [u64; 4] {
    let mut numbers = [0; 4];
    if let Some(rest) = text.strip_prefix("//@") {
        let line = rest.split('\n').next().unwrap_or("");
        for (slot, word) in numbers.iter_mut().zip(line.split_whitespace()) {
            *slot = word.parse().unwrap_or(0);
        }
    }
    numbers
}
