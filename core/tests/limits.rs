//! Resource limits: each one triggers at N + 1 and not at N, and each bomb (a 10^7
//! fan-out, 100,000 nested brackets, a 1 MB name, a timer every second for a year) is a
//! typed error, never an out-of-memory or a stack overflow.

use directrix_core::{
    ActError, Diagnostic, Instance, Limits, LoadOptions, Span, Workflow, instance::RestoreError,
    instance::TimerPolicy, load, load_with,
};
use directrix_generate::{CascadeParams, generate_cascade};
use std::fmt::Write;
use std::sync::Arc;

const SEED: &str = include_str!("../../workflows/kien-xuong-114-cv-hu.ron");

fn with(name: &str, value: u64) -> LoadOptions {
    let mut limits = Limits::default();
    limits.set(name, value).unwrap();
    LoadOptions::default().with_limits(limits)
}

/// The diagnostics of loading `source` with the limit `name` set to `value`.
fn diagnostics(source: &str, name: &str, value: u64) -> Vec<Diagnostic> {
    match load_with(source, &with(name, value)) {
        Ok(loaded) => loaded.warnings,
        Err(error) => error.diagnostics,
    }
}

/// Asserts the one error is a located `limit-exceeded` naming the limit, the value found
/// and the flag that raises it.
fn assert_exceeded(diagnostics: &[Diagnostic], name: &str, found: u64) {
    let errors: Vec<_> = diagnostics.iter().filter(|d| d.is_error()).collect();
    assert_eq!(errors.len(), 1, "{errors:#?}");
    let error = errors[0];
    assert_eq!(error.code.as_str(), "limit-exceeded", "{error}");
    assert!(error.location.is_some(), "{error}");
    assert!(error.message.contains(&format!("`{name}`")), "{error}");
    assert!(error.message.contains(&found.to_string()), "{error}");
    let hint = error.hint.as_deref().unwrap();
    assert!(hint.contains(&format!("--limit {name}={found}")), "{hint}");
}

fn assert_no_limit(diagnostics: &[Diagnostic]) {
    assert!(
        diagnostics.iter().all(|d| !d.is_error()),
        "{diagnostics:#?}"
    );
}

/// The bytes between the quotes of the longest string literal of `source`.
fn longest_string(source: &str) -> u64 {
    let (mut longest, mut inside, mut len, mut escaped) = (0, false, 0, false);
    for b in source.bytes() {
        if !inside {
            inside = b == b'"';
            len = 0;
        } else if escaped {
            escaped = false;
            len += 1;
        } else if b == b'\\' {
            escaped = true;
            len += 1;
        } else if b == b'"' {
            inside = false;
            longest = longest.max(len);
        } else {
            len += 1;
        }
    }
    longest
}

#[test]
fn the_national_cascade_loads_with_the_defaults() {
    let cascade = generate_cascade(CascadeParams {
        provinces: 63,
        districts: 700,
        communes: 10_000,
        seed: 1,
    });
    let workflow = load(&cascade.workflow).unwrap().workflow;
    let limits = Limits::default();
    assert!(workflow.agencies().len() as u64 * 5 < limits.agencies);
    assert!(workflow.task_slots().len() as u64 * 10 < limits.instances);
    assert!(cascade.workflow.len() as u64 * 10 < limits.input_bytes);
    assert!(longest_string(&cascade.workflow) * 100 < limits.string_bytes);
}

#[test]
fn input_bytes() {
    let size = SEED.len() as u64;
    assert_no_limit(&diagnostics(SEED, "input-bytes", size));
    assert_exceeded(
        &diagnostics(SEED, "input-bytes", size - 1),
        "input-bytes",
        size,
    );
}

#[test]
fn agencies() {
    let n = load(SEED).unwrap().workflow.agencies().len() as u64;
    assert_no_limit(&diagnostics(SEED, "agencies", n));
    let found = diagnostics(SEED, "agencies", n - 1);
    assert_exceeded(&found, "agencies", n);
    // It points at the `agencies` section.
    let span = found[0].span.clone().unwrap();
    assert_eq!(&SEED[span], "agencies");
}

#[test]
fn instances() {
    let n = load(SEED).unwrap().workflow.task_slots().len() as u64;
    assert_no_limit(&diagnostics(SEED, "instances", n));
    assert_exceeded(&diagnostics(SEED, "instances", n - 1), "instances", n);
}

#[test]
fn string_bytes() {
    let n = longest_string(SEED);
    assert_no_limit(&diagnostics(SEED, "string-bytes", n));
    let found = diagnostics(SEED, "string-bytes", n - 1);
    assert_exceeded(&found, "string-bytes", n);
    let span = found[0].span.clone().unwrap();
    assert_eq!(span.len() as u64, n + 2, "the span covers the literal");
}

#[test]
fn raw_strings_count_too() {
    let source = SEED.replacen(
        r#"name: "Ban Thường vụ Tỉnh ủy Thái Bình""#,
        &format!(r##"name: r#"{}"#"##, "x".repeat(100)),
        1,
    );
    assert_ne!(source, SEED);
    let found = diagnostics(&source, "string-bytes", 99);
    assert!(found.iter().any(|d| d.code.as_str() == "limit-exceeded"));
}

#[test]
fn depth() {
    // The deepest nesting the seed needs: the smallest depth limit that loads it.
    let needed = (1..=64)
        .find(|&d| load_with(SEED, &with("depth", d)).is_ok())
        .unwrap();
    assert!(needed <= Limits::default().depth / 4);
    let found = diagnostics(SEED, "depth", needed - 1);
    assert!(
        found
            .iter()
            .any(|d| d.code.as_str() == "limit-exceeded" && d.message.contains("`depth`")),
        "{found:#?}"
    );
}

#[test]
fn limits_by_name() {
    let mut limits = Limits::default();
    for name in Limits::NAMES {
        limits.set(name, 7).unwrap();
        assert_eq!(limits.get(name), Some(7));
    }
    let error = limits.set("agency", 1).unwrap_err();
    assert_eq!(
        error.to_string(),
        "unknown limit `agency` (did you mean `agencies`?)"
    );
    assert_eq!(limits.get("nope"), None);
}

/// Agencies `a0`..`a{n}` in one group, and `tasks` tasks each fanning out over it.
fn fan_out(members: usize, tasks: usize) -> String {
    let mut s = String::from(
        r#"(format: 1,
    directive: (number: "1/T", kind: "T", issuer: "a0", issued_at: "2021-05-10 08:00", subject: "s"),
    calendar: (utc_offset: "+07:00"),
    agencies: ["#,
    );
    for i in 0..members {
        let _ = write!(s, r#"(id: "a{i}", name: "A"),"#);
    }
    s.push_str(r#"], groups: [(id: "all", name: "All", members: ["#);
    for i in 0..members {
        let _ = write!(s, r#""a{i}","#);
    }
    s.push_str("])], tasks: [");
    for i in 0..tasks {
        let _ = write!(s, r#"(id: "t{i}", title: "T", for_each: "all"),"#);
    }
    s.push_str("])");
    s
}

#[test]
fn bomb_a_for_each_product_of_ten_million() {
    // 10,000 members × 1,000 tasks: a 0.5 MB file that would fan out to 10^7 instances.
    // It fails on the count, before any instance is allocated.
    let source = fan_out(10_000, 1_000);
    let error = load(&source).unwrap_err();
    assert_exceeded(&error.diagnostics, "instances", 10_000_000);
}

#[test]
fn bomb_a_group_of_ten_million() {
    // One group naming ten million members is too big a text to parse.
    let mut source = fan_out(1, 1);
    let members = r#""a0","#.repeat(10_000_000);
    source = source.replacen(r#"members: ["a0","#, &format!("members: [{members}"), 1);
    let error = load(&source).unwrap_err();
    assert_exceeded(&error.diagnostics, "input-bytes", source.len() as u64);
}

/// Runs `f` on a thread with a small stack: deep recursion would overflow it.
fn on_small_stack<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> T {
    std::thread::Builder::new()
        .stack_size(256 * 1024)
        .spawn(f)
        .unwrap()
        .join()
        .expect("no stack overflow")
}

/// No type of the format is recursive, so the parser stops at the first bracket it does
/// not expect (`syntax`); the `depth` limit (the parser's recursion limit, see `depth`)
/// guards the parser regardless. On a small stack, so an unbounded recursion would show.
#[test]
fn bomb_a_hundred_thousand_nested_brackets() {
    let deep = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
    let sources = [
        deep.clone(),
        SEED.replacen("agencies: [", &format!("agencies: [{deep},"), 1),
        SEED.replacen(
            r#"subject: ""#,
            &format!("subject: {}", "Some(".repeat(100_000)),
            1,
        ),
        format!("{}{}", "(".repeat(100_000), ")".repeat(100_000)),
    ];
    for source in sources {
        let codes = on_small_stack(move || {
            let error = load(&source).unwrap_err();
            error
                .diagnostics
                .iter()
                .map(|d| d.code.as_str())
                .collect::<Vec<_>>()
        });
        assert!(
            codes == ["syntax"] || codes == ["limit-exceeded"],
            "{codes:?}"
        );
    }
    // A scenario too.
    let workflow = load(SEED).unwrap().workflow;
    let scenario = format!("(format: 1, until: \"2021-05-20 08:00\", events: {deep})");
    let error =
        on_small_stack(move || directrix_core::Scenario::load(&scenario, &workflow).unwrap_err());
    assert!(error.diagnostics[0].is_error());
}

#[test]
fn bomb_a_one_megabyte_name() {
    let name = "x".repeat(1 << 20);
    let source = SEED.replacen(
        r#"name: "Ban Thường vụ Tỉnh ủy Thái Bình""#,
        &format!(r#"name: "{name}""#),
        1,
    );
    let error = load(&source).unwrap_err();
    assert_exceeded(&error.diagnostics, "string-bytes", 1 << 20);
}

/// A workflow whose one task is overdue at once and then reminded every `repeat`: each
/// timer fired gives exactly one effect.
fn reminder(repeat: &str) -> String {
    format!(
        r#"(format: 1,
    directive: (number: "1/T", kind: "T", issuer: "boss", issued_at: "2021-05-10 08:00", subject: "s"),
    calendar: (utc_offset: "+07:00"),
    agencies: [(id: "boss", name: "Boss"), (id: "unit", name: "Unit", parent: "boss")],
    policies: [(id: "nag", levels: [(after: "1h", action: Remind, target: Lead, repeat: "{repeat}")])],
    tasks: [(id: "t", title: "T", lead: ["unit"], due: After("1h"), policy: "nag")],
)"#
    )
}

fn start(source: &str, options: &LoadOptions) -> Instance {
    let workflow: Arc<Workflow> = Arc::new(load_with(source, options).unwrap().workflow);
    let at = workflow.directive().issued_at;
    Instance::start(workflow, at).unwrap().0
}

#[test]
fn timers_per_advance() {
    let source = reminder("1m");
    let mut instance = start(&source, &LoadOptions::default());
    let day = instance.now().saturating_add(Span::from_seconds(86_400));
    // Due at 1 h, first reminder at 2 h, then one a minute until the end of the day.
    let fired = instance.clone().advance(day).unwrap().len() as u64;
    assert_eq!(fired, 1 + 1 + 22 * 60);

    let mut at_limit = start(&source, &with("timers-per-advance", fired));
    assert_eq!(at_limit.advance(day).unwrap().len() as u64, fired);

    let mut over = start(&source, &with("timers-per-advance", fired - 1));
    let before = serde_json::to_string(&over.snapshot()).unwrap();
    let error = over.advance(day).unwrap_err();
    assert_eq!(error.code(), "too_many_timers");
    assert!(
        matches!(error, ActError::TooManyTimers { limit, to, .. } if limit == fired - 1 && to == day)
    );
    // A failed call changes nothing.
    assert_eq!(serde_json::to_string(&over.snapshot()).unwrap(), before);
    // Smaller steps get there.
    let half = over.now().saturating_add(Span::from_seconds(43_200));
    let first = over.advance(half).unwrap().len() as u64;
    let second = over.advance(day).unwrap().len() as u64;
    assert_eq!(first + second, fired);
    instance.advance(day).unwrap();
    assert_eq!(over.status(), instance.status());
    assert_eq!(over.next_timer(), instance.next_timer());
}

#[test]
fn restore_at_reports_the_timer_limit_not_a_backwards_clock() {
    let source = reminder("1m");
    let day = |i: &Instance| i.now().saturating_add(Span::from_seconds(86_400));
    let fine = start(&source, &LoadOptions::default());
    let (restored, _) = Instance::restore_at(
        fine.workflow().clone(),
        fine.snapshot(),
        day(&fine),
        TimerPolicy::CatchUp,
    )
    .unwrap();
    assert_eq!(restored.now(), day(&fine));

    let over = start(&source, &with("timers-per-advance", 10));
    let error = Instance::restore_at(
        over.workflow().clone(),
        over.snapshot(),
        day(&over),
        TimerPolicy::CatchUp,
    )
    .unwrap_err();
    assert!(
        matches!(
            &error,
            RestoreError::CatchUp(ActError::TooManyTimers { limit: 10, .. })
        ),
        "{error:?}"
    );
    assert_eq!(error.code(), "too_many_timers");
    let backwards = Instance::restore_at(
        over.workflow().clone(),
        over.snapshot(),
        over.now().saturating_add(Span::from_seconds(-1)),
        TimerPolicy::CatchUp,
    )
    .unwrap_err();
    assert_eq!(backwards.code(), "time_went_backwards");
}

#[test]
fn bomb_a_timer_every_second_for_a_year() {
    let source = reminder("1s");
    let loaded = load(&source).unwrap();
    assert!(
        loaded
            .warnings
            .iter()
            .any(|w| w.code.as_str() == "short-interval"),
        "{:#?}",
        loaded.warnings
    );
    let mut instance = start(&source, &LoadOptions::default());
    let year = instance
        .now()
        .saturating_add(Span::from_seconds(365 * 86_400));
    let journal = instance.journal().len();
    let error = instance.advance(year).unwrap_err();
    assert_eq!(error.code(), "too_many_timers");
    assert_eq!(instance.journal().len(), journal);
    assert!(error.to_string().contains("1000000 timers"), "{error}");
}

#[test]
fn short_intervals_warn() {
    let warned = |source: &str| {
        load(source)
            .unwrap()
            .warnings
            .iter()
            .any(|w| w.code.as_str() == "short-interval")
    };
    assert!(warned(&reminder("59s")));
    assert!(!warned(&reminder("1m")));
    let every = |e: &str| SEED.replacen(r#"every: "1d""#, &format!(r#"every: "{e}""#), 1);
    assert_ne!(every("1s"), SEED, "the seed has an Every due");
    assert!(warned(&every("30s")));
    assert!(!warned(&every("1h")));
}

#[test]
fn a_simulation_fails_at_an_instant_over_the_timer_limit() {
    // Ten instances due at the same instant: ten timers in one advance.
    let source = fan_out(10, 1).replace(
        r#"for_each: "all")"#,
        r#"for_each: "all", due: After("1h"))"#,
    );
    let run = |limit: u64| {
        let options = with("timers-per-advance", limit);
        let workflow = Arc::new(load_with(&source, &options).unwrap().workflow);
        let scenario = directrix_core::Scenario::silent(&workflow);
        let horizon = scenario.until;
        (
            directrix_core::simulate(workflow, &scenario, 0, None),
            horizon,
        )
    };
    let (reached, horizon) = run(10);
    assert_eq!(reached.unwrap().until, horizon);
    // Not a run cut short that looks complete: a coded error naming the limit.
    let (error, _) = run(9);
    let error = error.unwrap_err();
    assert_eq!(error.code(), "too_many_timers");
    assert_eq!(error.limit(), Some(("timers-per-advance", 90)));
    assert!(
        error.to_string().contains("`timers-per-advance`"),
        "{error}"
    );
}

#[test]
fn resuming_keeps_to_the_timer_limit_too() {
    let source = reminder("1m");
    let mut instance = start(&source, &with("timers-per-advance", 1));
    let day = instance.now().saturating_add(Span::from_seconds(86_400));
    let before = instance.clone();
    // The due time and the first reminder: two timers to handle, one allowed.
    for policy in [
        directrix_core::instance::TimerPolicy::Skip,
        directrix_core::instance::TimerPolicy::CollapseRecurring,
    ] {
        let error = instance.resume(day, policy).unwrap_err();
        assert_eq!(error.code(), "too_many_timers", "{policy:?}");
        assert_eq!(
            instance, before,
            "{policy:?}: a refused resume changes nothing"
        );
    }
    // Within the limit it goes through.
    let mut roomy = start(&source, &LoadOptions::default());
    let effects = roomy
        .resume(day, directrix_core::instance::TimerPolicy::Skip)
        .unwrap();
    assert!(
        effects.iter().any(|e| e.kind.name() == "skipped"),
        "{effects:?}"
    );
}
