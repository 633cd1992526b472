//! The compiled form: every bundled workflow survives the round trip and behaves the
//! same; damaged, foreign or corrupted bytes are refused with a typed error, never a
//! panic, and whatever a corruption lets through still runs without one.

use directrix_core::{
    Instance, Limits, LoadOptions, Span, Workflow, compiled::COMPILED_FORMAT,
    compiled::CompiledError, load, load_with,
};
use proptest::prelude::*;
use std::sync::Arc;

const SEED: &str = include_str!("../../workflows/kien-xuong-114-cv-hu.ron");
const VN_HOLIDAYS: &str = include_str!("../../workflows/calendars/vn-public-holidays.ron");
const VN_PROVINCES: &str = include_str!("../../workflows/registries/vn-provinces.ron");

/// Every workflow in `workflows/` (not scenarios or follow-ups), loaded.
fn bundled() -> Vec<(String, Workflow)> {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../workflows");
    let options = LoadOptions::default()
        .with_calendar("vn-public-holidays", VN_HOLIDAYS)
        .with_registry("vn-provinces", VN_PROVINCES);
    let mut names: Vec<_> = std::fs::read_dir(dir)
        .expect("workflows/ is readable")
        .map(|entry| {
            entry
                .expect("entry")
                .file_name()
                .into_string()
                .expect("utf-8")
        })
        .filter(|name| {
            name.ends_with(".ron")
                && !name.ends_with(".scenario.ron")
                && !name.ends_with(".followup.ron")
        })
        .collect();
    names.sort();
    assert!(names.len() >= 3, "bundled workflows found: {names:?}");
    names
        .into_iter()
        .map(|name| {
            let source = std::fs::read_to_string(format!("{dir}/{name}")).expect("readable");
            let workflow = load_with(&source, &options)
                .unwrap_or_else(|e| panic!("{name}: {e}"))
                .workflow;
            (name, workflow)
        })
        .collect()
}

/// Runs `workflow` for `days` days from its issue: each step every agency takes the
/// first thing in its inbox (with a note, and a later date where one is asked), then the
/// clock moves to the next timer or a day on. Returns the snapshot as JSON.
fn drive(workflow: Arc<Workflow>, days: i64) -> String {
    let mut now = workflow.directive().issued_at;
    let end = now.saturating_add(Span::from_seconds(days * 86_400));
    let (mut instance, _) = Instance::start(workflow.clone(), now).unwrap();
    let mut effects = Vec::new();
    while now < end {
        for a in 0..workflow.agencies().len() {
            let agency = directrix_core::workflow::AgencyId::from_index(a as u32);
            if let Some(item) = instance.inbox(agency).first().cloned() {
                let until = now.saturating_add(Span::from_seconds(7 * 86_400));
                let args = directrix_core::instance::ActArgs {
                    note: Some("ghi chú"),
                    until: item.needs_until.then_some(until),
                };
                let _ = instance.act_with(now, agency, item.task, item.action, args, &mut effects);
            }
        }
        let day_on = now.saturating_add(Span::from_seconds(86_400));
        now = instance
            .next_timer()
            .map_or(day_on, |t| t.at.min(day_on))
            .max(now.saturating_add(Span::from_seconds(3600)));
        instance.advance(now).expect("within the timer limit");
    }
    serde_json::to_string(&instance.snapshot()).expect("snapshots serialise")
}

#[test]
fn every_bundled_workflow_round_trips_and_behaves_the_same() {
    for (name, workflow) in bundled() {
        let bytes = workflow.to_compiled();
        let again = Workflow::from_compiled(&bytes, &Limits::default())
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(again.to_compiled(), bytes, "{name}: bytes are stable");
        assert_eq!(again.content_hash(), workflow.content_hash(), "{name}");
        assert_eq!(
            again.task_slots(),
            workflow.task_slots(),
            "{name}: same fan-out"
        );
        assert_eq!(again.directive(), workflow.directive(), "{name}");
        assert_eq!(
            drive(Arc::new(again), 40),
            drive(Arc::new(workflow), 40),
            "{name}: the same run"
        );
    }
}

#[test]
fn a_snapshot_moves_between_the_text_and_the_compiled_workflow() {
    let text = Arc::new(load(SEED).unwrap().workflow);
    let compiled =
        Arc::new(Workflow::from_compiled(&text.to_compiled(), &Limits::default()).unwrap());
    let at = text.directive().issued_at;
    let (mut instance, _) = Instance::start(text.clone(), at).unwrap();
    let later = at.saturating_add(Span::from_seconds(6 * 86_400));
    instance.advance(later).unwrap();
    let restored = Instance::restore(compiled, instance.snapshot()).expect("same content hash");
    assert_eq!(restored.status(), instance.status());
}

#[test]
fn a_compiled_workflow_refuses_follow_ups_with_a_reason() {
    let text = load(SEED).unwrap().workflow;
    let compiled = Workflow::from_compiled(&text.to_compiled(), &Limits::default()).unwrap();
    let error = compiled.amend("(further_to: \"114-CV/HU\")").unwrap_err();
    assert!(
        error.to_string().contains("not loaded from text"),
        "{error}"
    );
}

#[test]
fn foreign_and_damaged_bytes_are_refused_with_their_code() {
    let bytes = load(SEED).unwrap().workflow.to_compiled();
    let limits = Limits::default();
    let code = |b: &[u8]| Workflow::from_compiled(b, &limits).unwrap_err().code();
    assert_eq!(code(b""), "not-compiled");
    assert_eq!(code(SEED.as_bytes()), "not-compiled");
    assert_eq!(code(b"DRXW"), "damaged-compiled");
    let mut other_format = bytes.clone();
    other_format[4..6].copy_from_slice(&(COMPILED_FORMAT + 1).to_le_bytes());
    assert_eq!(
        Workflow::from_compiled(&other_format, &limits).unwrap_err(),
        CompiledError::Format {
            found: COMPILED_FORMAT + 1,
            expected: COMPILED_FORMAT
        }
    );
    let mut trailing = bytes.clone();
    trailing.push(0);
    assert_eq!(code(&trailing), "damaged-compiled");
    // Every truncation, at every length.
    for len in 6..bytes.len() {
        assert_eq!(
            code(&bytes[..len]),
            "damaged-compiled",
            "truncated at {len}"
        );
    }
}

#[test]
fn the_hosts_limits_apply_to_compiled_bytes() {
    let bytes = load(SEED).unwrap().workflow.to_compiled();
    let mut limits = Limits::default();
    limits.agencies = 3;
    let error = Workflow::from_compiled(&bytes, &limits).unwrap_err();
    assert_eq!(error.code(), "limit-exceeded");
    assert!(
        error.to_string().contains("`agencies` limit of 3"),
        "{error}"
    );
    let mut limits = Limits::default();
    limits.instances = 5;
    assert!(
        Workflow::from_compiled(&bytes, &limits)
            .unwrap_err()
            .to_string()
            .contains("task instances")
    );
    let mut limits = Limits::default();
    limits.input_bytes = 100;
    assert_eq!(
        Workflow::from_compiled(&bytes, &limits).unwrap_err().code(),
        "limit-exceeded"
    );
}

fn seed_bytes() -> &'static [u8] {
    static BYTES: std::sync::OnceLock<Vec<u8>> = std::sync::OnceLock::new();
    BYTES.get_or_init(|| load(SEED).unwrap().workflow.to_compiled())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 300, ..ProptestConfig::default() })]

    /// Corruption anywhere is refused or, when it still forms a consistent workflow,
    /// runs: never a panic or a hang.
    #[test]
    fn corrupted_bytes_never_panic(
        flips in prop::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..6)
    ) {
        let mut bytes = seed_bytes().to_vec();
        for (at, byte) in flips {
            let i = 6 + at.index(bytes.len() - 6);
            bytes[i] = byte;
        }
        if let Ok(workflow) = Workflow::from_compiled(&bytes, &Limits::default()) {
            drive(Arc::new(workflow), 20);
        }
    }
}

/// FNV-1a, 64 bits: a fingerprint of the bytes for the pin below.
fn fingerprint(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |hash, &byte| {
        (hash ^ u64::from(byte)).wrapping_mul(0x0000_0100_0000_01b3)
    })
}

#[test]
fn the_compiled_form_of_the_seed_is_pinned() {
    // A change here means the bytes changed. If a serialised type changed shape, raise
    // COMPILED_FORMAT (older bytes must then be refused, not misread) before updating the
    // pin; if only the seed's content changed, update the pin.
    let bytes = load(SEED).unwrap().workflow.to_compiled();
    assert_eq!(
        (
            COMPILED_FORMAT,
            bytes.len(),
            format!("{:016x}", fingerprint(&bytes))
        ),
        (2, 9010, "1dc3b2c594a55eff".to_owned())
    );
}
