//! Inputs the fuzz targets (`fuzz/`) found crashing, each kept as a test of the fix.

use directrix_core::{Instance, Timestamp, load, time::UtcOffset};
use std::sync::Arc;

const SEED: &str = include_str!("../../workflows/kien-xuong-114-cv-hu.ron");

fn hanoi() -> UtcOffset {
    UtcOffset::from_hms(7, 0, 0).unwrap()
}

/// An instant whose UTC date is in year 9999 but whose local date is in year 10000 made
/// `OffsetDateTime::to_offset` panic while formatting (found through `load_mutated`'s
/// harness: the seed issued at the last second of year 9999, Hanoi time).
#[test]
fn formatting_an_instant_past_year_9999_locally_does_not_panic() {
    // Past `Timestamp::MAX` now (no text parses to it), but formatting must still not panic.
    let utc_in_range = Timestamp::from_seconds(253_402_286_400);
    // Local 10000-01-01T03:00: beyond what RFC 3339 can print, so the raw seconds.
    let raw = format!("@{}", utc_in_range.as_seconds());
    assert_eq!(utc_in_range.to_rfc3339(hanoi()), raw);
    assert_eq!(utc_in_range.to_short(hanoi()), raw);
    // Still formats normally where the local date is in range.
    assert_eq!(
        utc_in_range.to_rfc3339(UtcOffset::UTC),
        "9999-12-31T20:00:00Z"
    );
}

/// The fuzzer's seed issued at the last second of year 9999, Hanoi time, is past
/// `Timestamp::MAX` (9999-12-31T09:59:59Z) now: a located `invalid-time`. Issued a week
/// earlier, it runs to the end of time without panic, every time formatting as a date.
#[test]
fn seed_issued_at_the_end_of_year_9999_runs_without_panic() {
    let late = SEED.replace("2021-05-07T08:00:00+07:00", "9999-12-31T23:59:59+07:00");
    let errors = load(&late).unwrap_err().diagnostics;
    assert!(errors.iter().all(|d| d.location.is_some()), "{errors:?}");
    assert!(
        errors
            .iter()
            .any(|d| d.code == directrix_core::Code::InvalidTime),
        "{errors:?}"
    );
    let source = SEED.replace("2021-05-07T08:00:00+07:00", "9999-12-20T08:00:00+07:00");
    assert_ne!(source, SEED);
    let workflow = Arc::new(load(&source).unwrap().workflow);
    let (mut instance, effects) =
        Instance::start(workflow.clone(), workflow.directive().issued_at).unwrap();
    let mut records: Vec<_> = effects.iter().map(|e| workflow.effect_record(e)).collect();
    for _ in 0..200 {
        let Some(next) = instance.next_timer() else {
            break;
        };
        let effects = instance.advance(next.at).unwrap();
        records.extend(effects.iter().map(|e| workflow.effect_record(e)));
    }
    assert!(!records.is_empty());
    assert!(
        records.iter().all(|r| r.at.starts_with("9999-12-")),
        "{records:?}"
    );
    assert!(!instance.grid().at.is_empty());
}
