//! Behaviour models and Monte Carlo statistics on cases with known answers.

use directrix_core::{
    Scenario, Workflow, load, simulate, simulation::monte_carlo, simulation::run_outcome,
    simulation::run_seed,
};
use std::sync::Arc;

const WORKFLOW: &str = r#"(
    format: 1,
    directive: (number: "7-CV", kind: "Công văn", issuer: "district", issued_at: "2021-05-07 08:00", subject: "Test"),
    calendar: (utc_offset: "+07:00"),
    agencies: [
        (id: "district", name: "Huyện"),
        (id: "health", name: "Y tế", parent: "district"),
        (id: "commune_a", name: "Xã A", parent: "district"),
        (id: "commune_b", name: "Xã B", parent: "district"),
    ],
    groups: [(id: "communes", name: "Các xã", members: ["commune_a", "commune_b"])],
    policies: [(id: "p", levels: [
        (after: "0h", action: Remind, target: Lead),
        (after: "1d", action: Escalate, target: Supervisor),
    ])],
    tasks: [
        (id: "prepare", title: "Chuẩn bị", lead: ["health"], due: WorkingDays(2), policy: "p"),
        (id: "apply", title: "Thực hiện", for_each: "communes", depends_on: ["prepare"], start: AfterDependencies, due: WorkingDays(2), policy: "p"),
    ],
)"#;

fn workflow() -> Arc<Workflow> {
    Arc::new(load(WORKFLOW).expect("valid").workflow)
}

fn scenario(workflow: &Workflow, behaviours: &str) -> Scenario {
    let source = format!(
        r#"(format: 1, name: "test", until: "2021-05-31 17:00", behaviours: [{behaviours}])"#
    );
    Scenario::load(&source, workflow)
        .unwrap_or_else(|e| panic!("scenario: {e}"))
        .0
}

fn task<'r>(
    report: &'r directrix_core::simulation::MonteCarloReport,
    id: &str,
) -> &'r directrix_core::simulation::TaskStats {
    report
        .tasks
        .iter()
        .find(|t| t.task == id)
        .expect("task in report")
}

#[test]
fn an_agency_that_always_misses_is_never_on_time() {
    let workflow = workflow();
    let scenario = scenario(
        &workflow,
        r#"(who: ["health"], work: Fixed("1h"), miss: 1.0), (who: ["all"], work: Fixed("1h"))"#,
    );
    let report = monte_carlo(&workflow, &scenario, 50, 1).unwrap();
    assert_eq!(task(&report, "prepare").on_time_probability, 0.0);
    assert_eq!(task(&report, "prepare").completed_probability, 1.0);
    assert!(
        report.bottlenecks.first().is_some_and(|b| b == "health"),
        "{:?}",
        report.bottlenecks
    );
    // Missing by at least a day fires the level-2 escalation in every run.
    assert!(task(&report, "prepare").escalations_by_level[1] >= 1.0);
    assert_eq!(report.top_level_probability, 1.0);
    // The agency × level view: every escalation about health's task, by level.
    let health = report
        .agencies
        .iter()
        .find(|a| a.agency == "health")
        .expect("health row");
    assert!(health.escalations_caused_by_level[1] >= 1.0);
    let by_level: f64 = health.escalations_caused_by_level.iter().sum();
    assert!((by_level - health.escalations_caused).abs() < 1e-9);
}

#[test]
fn agencies_that_never_miss_and_work_fast_are_always_on_time() {
    let workflow = workflow();
    let scenario = scenario(
        &workflow,
        r#"(who: ["all"], acknowledge: Fixed("10m"), work: Fixed("2h"), review: Fixed("1h"))"#,
    );
    let report = monte_carlo(&workflow, &scenario, 30, 5).unwrap();
    for stats in &report.tasks {
        assert_eq!(stats.on_time_probability, 1.0, "{}", stats.task);
        assert!(stats.escalations_by_level.iter().all(|l| *l == 0.0));
    }
    assert_eq!(report.top_level_probability, 0.0);
    assert!(report.bottlenecks.is_empty());
}

#[test]
fn a_deterministic_scenario_gives_identical_percentiles() {
    let workflow = workflow();
    let scenario = scenario(
        &workflow,
        r#"(who: ["all"], acknowledge: Fixed("1h"), work: Fixed("5h"), review: Fixed("1h"))"#,
    );
    let report = monte_carlo(&workflow, &scenario, 40, 9).unwrap();
    for stats in &report.tasks {
        let p = stats.completion_hours.expect("completed");
        assert_eq!((p.p50, p.p50), (p.p90, p.p99), "{}", stats.task);
    }
    // prepare: acknowledged 09:00, started at once, reported 14:00, accepted 15:00.
    assert_eq!(
        task(&report, "prepare").completion_hours.expect("done").p50,
        7.0
    );
}

#[test]
fn the_same_seed_gives_the_same_report_and_runs_differ() {
    let workflow = workflow();
    let scenario = scenario(
        &workflow,
        r#"(who: ["all"], work: LogNormal(median: "2d", sigma: 0.8), miss: 0.3)"#,
    );
    assert_eq!(
        monte_carlo(&workflow, &scenario, 25, 4).unwrap(),
        monte_carlo(&workflow, &scenario, 25, 4).unwrap()
    );
    let a = run_outcome(&workflow, &scenario, run_seed(4, 0)).unwrap();
    let differs = (1..20).any(|i| run_outcome(&workflow, &scenario, run_seed(4, i)).unwrap() != a);
    assert!(differs, "random behaviour should vary between runs");
}

#[test]
fn reacting_to_escalation_finishes_sooner() {
    let workflow = workflow();
    let slow = r#"(who: ["all"], work: Fixed("6d"), review: Fixed("1h"), hours: AroundTheClock)"#;
    let reactive = r#"(who: ["all"], work: Fixed("6d"), review: Fixed("1h"), hours: AroundTheClock, on_escalation: (speed_up: 4.0))"#;
    let p50 = |behaviours: &str| {
        let report = monte_carlo(&workflow, &scenario(&workflow, behaviours), 5, 1).unwrap();
        task(&report, "prepare").completion_hours.expect("done").p50
    };
    assert!(
        p50(reactive) < p50(slow),
        "{} vs {}",
        p50(reactive),
        p50(slow)
    );
}

#[test]
fn office_hours_move_actions_to_the_next_working_morning() {
    let workflow = workflow();
    // Issued Friday 08:00; acknowledging takes 12 hours: 20:00 is after hours, so the
    // acknowledgement comes on Monday 07:30.
    let scenario = scenario(
        &workflow,
        r#"(who: ["health"], acknowledge: Fixed("12h"), work: Fixed("1h"))"#,
    );
    let report = simulate(Arc::clone(&workflow), &scenario, 0, None)
        .unwrap()
        .report();
    let ack = report
        .events
        .iter()
        .find(|e| {
            e.kind == "transitioned"
                && e.task == "prepare"
                && e.action.as_deref() == Some("acknowledge")
        })
        .expect("acknowledged");
    assert_eq!(ack.at, "2021-05-10T07:30:00+07:00");
}

#[test]
fn fan_out_waits_for_its_dependency_then_every_member_acts() {
    let workflow = workflow();
    let scenario = scenario(&workflow, r#"(who: ["all"], work: Fixed("3h"))"#);
    let report = simulate(Arc::clone(&workflow), &scenario, 2, None)
        .unwrap()
        .report();
    let completed: Vec<&str> = report
        .events
        .iter()
        .filter(|e| e.kind == "completed")
        .map(|e| e.task.as_str())
        .collect();
    assert_eq!(completed.len(), 3, "{completed:?}");
    assert_eq!(completed[0], "prepare");
}

fn diagnostics(behaviours: &str) -> Vec<(String, usize, usize)> {
    let workflow = workflow();
    let source = format!(
        r#"(format: 1, name: "bad", until: "2021-05-31 17:00", behaviours: [{behaviours}])"#
    );
    let error = Scenario::load(&source, &workflow).expect_err("invalid");
    error
        .diagnostics
        .iter()
        .filter(|d| d.is_error())
        .map(|d| {
            let l = d.location.expect("located");
            (d.code.as_str().to_owned(), l.line, l.column)
        })
        .collect()
}

#[test]
fn bad_behaviours_are_located() {
    // One line: columns are counted from the start of the file.
    let prefix = r#"(format: 1, name: "bad", until: "2021-05-31 17:00", behaviours: ["#
        .chars()
        .count();
    let cases = [
        (r#"(who: ["heath"])"#, "unknown-agency", 7),
        (r#"(who: ["all"], miss: 1.5)"#, "invalid-probability", 15),
        (
            r#"(who: ["all"], work: Triangular(min: "2d", mode: "1d", max: "3d"))"#,
            "invalid-distribution",
            37,
        ),
        (
            r#"(who: ["all"], work: Fixed("soon"))"#,
            "invalid-duration",
            27,
        ),
        (
            r#"(who: ["all"], work: LogNormal(median: "1d", sigma: -1.0))"#,
            "invalid-distribution",
            39,
        ),
        (
            r#"(who: ["all"], on_escalation: (speed_up: 0.5))"#,
            "invalid-distribution",
            31,
        ),
    ];
    for (behaviour, code, column) in cases {
        let found = diagnostics(behaviour);
        assert_eq!(
            found,
            vec![(code.to_owned(), 1, prefix + column + 1)],
            "{behaviour}"
        );
    }
}

#[test]
fn an_unknown_agency_gets_a_suggestion() {
    let workflow = workflow();
    let source =
        r#"(format: 1, name: "bad", until: "2021-05-31 17:00", behaviours: [(who: ["heath"])])"#;
    let error = Scenario::load(source, &workflow).expect_err("invalid");
    assert_eq!(
        error.diagnostics[0].hint.as_deref(),
        Some("did you mean `health`?")
    );
}

#[test]
fn scripted_events_and_behaviours_mix_in_one_scenario() {
    let workflow = workflow();
    // Health is scripted (it acknowledges at 09:00 and never reports); the communes are
    // modelled. Scripted agencies have no behaviour, so nobody reports for health.
    let source = r#"(
        format: 1,
        name: "mixed",
        until: "2021-05-31 17:00",
        events: [(at: "2021-05-07 09:00", actor: "health", task: "prepare", action: "acknowledge")],
        behaviours: [(who: ["communes"], work: Fixed("2h"))],
    )"#;
    let (scenario, _) = Scenario::load(source, &workflow).expect("valid");
    let report = simulate(Arc::clone(&workflow), &scenario, 1, None)
        .unwrap()
        .report();
    let acknowledged = report
        .events
        .iter()
        .find(|e| e.task == "prepare" && e.action.as_deref() == Some("acknowledge"))
        .expect("scripted acknowledgement");
    assert_eq!(acknowledged.at, "2021-05-07T09:00:00+07:00");
    assert!(
        report
            .events
            .iter()
            .any(|e| e.task == "prepare" && e.kind == "escalated")
    );
    // The communes wait for `prepare`, which never completes.
    assert!(
        !report
            .events
            .iter()
            .any(|e| e.task.starts_with("apply") && e.kind == "transitioned")
    );
}

/// The seed workflow with its behaviour scenario, for the shard tests.
fn seed_study() -> (Arc<Workflow>, Scenario) {
    let workflow = Arc::new(
        load(include_str!("../../workflows/kien-xuong-114-cv-hu.ron"))
            .expect("the seed loads")
            .workflow,
    );
    let (scenario, _) = Scenario::load(
        include_str!("../../workflows/kien-xuong-114-cv-hu.behaviour.scenario.ron"),
        &workflow,
    )
    .expect("the seed's behaviour scenario loads");
    (workflow, scenario)
}

#[test]
fn shards_cover_the_runs_in_order_and_merge_to_the_whole_study() {
    use directrix_core::simulation::{Shard, aggregate, merge, shard_runs};
    for (runs, count) in [(0, 1), (1, 3), (10, 3), (10, 10), (7, 12), (u64::MAX, 5)] {
        let ranges: Vec<_> = (0..count)
            .map(|i| shard_runs(runs, i, count).expect("a shard of the study"))
            .collect();
        assert_eq!(ranges[0].start, 0);
        assert_eq!(ranges[count as usize - 1].end, runs);
        assert!(ranges.windows(2).all(|w| w[0].end == w[1].start));
        assert!(ranges.iter().all(|r| r.end - r.start <= runs / count + 1));
        assert_eq!(shard_runs(runs, count, count), None);
    }
    let (workflow, scenario) = seed_study();
    let whole = monte_carlo(&workflow, &scenario, 17, 4).expect("runs");
    for count in [1, 2, 5, 17, 20] {
        let mut shards = (0..count)
            .map(|i| Shard::run(&workflow, &scenario, 4, 17, i, count))
            .collect::<Result<Vec<_>, _>>()
            .expect("shards run");
        shards.reverse();
        let outcomes = merge(&workflow, &scenario, &shards).expect("they merge");
        assert_eq!(aggregate(&workflow, &scenario, 4, &outcomes), whole);
    }
}

#[test]
fn hostile_shard_claims_are_refused_without_work_proportional_to_them() {
    use directrix_core::simulation::{Shard, ShardError, merge};
    let (workflow, scenario) = seed_study();
    let real = Shard::run(&workflow, &scenario, 1, 4, 0, 2).expect("runs");
    let code = |shards: &[Shard]| merge(&workflow, &scenario, shards).unwrap_err().code();
    // A study of 2^64 - 1 shards, of which this is the last but one: shard 0 is missing.
    let mut huge = real.clone();
    (huge.runs, huge.count, huge.index) = (u64::MAX, u64::MAX, u64::MAX - 1);
    huge.outcomes.truncate(1);
    assert_eq!(code(&[huge]), "missing_shard");
    // Its outcome count does not match its runs.
    let mut short = real.clone();
    short.outcomes.pop();
    assert_eq!(code(&[short]), "damaged_shard");
    // An outcome that indexes past the workflow.
    let mut bent: serde_json::Value = serde_json::to_value(&real).expect("serialises");
    bent["outcomes"][0]["critical_tasks"] = serde_json::json!([4_000_000_000u32]);
    let bent: Shard = serde_json::from_value(bent).expect("still a shard");
    assert_eq!(code(&[bent]), "damaged_shard");
    assert_eq!(merge(&workflow, &scenario, &[]), Err(ShardError::Empty));
    let mut future = real;
    future.format += 1;
    assert_eq!(code(&[future]), "shard_format");
}
