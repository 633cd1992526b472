//! Follow-up documents applied to a running instance of the seed 114-CV/HU: each
//! operation, each error located in the document (with a case that must not trigger it),
//! failure changing nothing, replay, snapshots and the grid after a cancellation.

use directrix_core::{
    EffectKind, Input, Instance, Scenario, SimulateError, Timestamp, Workflow,
    instance::FollowUpError, instance::Phase, instance::ReplayError, instance::RestoreError, load,
    render::Graph, render::GraphFormat, render::render_graph, simulate,
};
use std::collections::BTreeMap;
use std::sync::Arc;

const SEED: &str = include_str!("../../workflows/kien-xuong-114-cv-hu.ron");
const LETTER: &str = include_str!("../../workflows/kien-xuong-114-cv-hu.120.followup.ron");

fn at(text: &str) -> Timestamp {
    Timestamp::parse(
        text,
        directrix_core::time::UtcOffset::from_hms(7, 0, 0).unwrap(),
    )
    .unwrap()
}

fn seed() -> Arc<Workflow> {
    Arc::new(load(SEED).unwrap().workflow)
}

/// The seed running until `when`, nobody acting.
fn running(when: &str) -> Instance {
    let workflow = seed();
    let (mut instance, _) =
        Instance::start(workflow.clone(), workflow.directive().issued_at).unwrap();
    instance.advance(at(when)).unwrap();
    instance
}

/// A follow-up 120-CV/HU of 12 May 08:00 with `body` as its lists.
fn doc(body: &str) -> String {
    doc_to("114-CV/HU", "120-CV/HU", body)
}

fn doc_to(further_to: &str, number: &str, body: &str) -> String {
    format!(
        "(\n    format: 1,\n    number: \"{number}\",\n    kind: \"Công văn\",\n    issuer: \"district_standing\",\n    issued_at: \"2021-05-12 08:00\",\n    further_to: \"{further_to}\",\n    subject: \"s\",\n{body}\n)\n"
    )
}

fn task(instance: &Instance, name: &str) -> directrix_core::instance::TaskState {
    let id = instance.workflow().task_ref(name).unwrap();
    instance.task_state(id).unwrap().clone()
}

fn state_name(instance: &Instance, name: &str) -> String {
    let workflow = instance.workflow();
    let id = workflow.task_ref(name).unwrap();
    let ts = instance.task_state(id).unwrap();
    workflow.machine_of(id).states[ts.state.index()].id.clone()
}

/// Applies `text` expecting a refusal; checks that nothing changed and returns the
/// (code, line, column) of every error.
fn refused(instance: &mut Instance, when: &str, text: &str) -> Vec<(String, usize, usize)> {
    let before = instance.clone();
    let error = instance.apply_follow_up(at(when), text).unwrap_err();
    assert_eq!(
        *instance, before,
        "a refused follow-up changed the instance"
    );
    assert_eq!(error.code(), "invalid_follow_up", "{error}");
    error
        .diagnostics()
        .iter()
        .filter(|d| d.is_error())
        .map(|d| {
            let location = d.location.expect("located in the follow-up");
            (d.code.as_str().to_owned(), location.line, location.column)
        })
        .collect()
}

/// The 1-based line and column of the first `needle` in `text`.
fn position(text: &str, needle: &str) -> (usize, usize) {
    let offset = text
        .find(needle)
        .unwrap_or_else(|| panic!("{needle} not in text"));
    let before = &text[..offset];
    let line = before.matches('\n').count() + 1;
    let column = before[before.rfind('\n').map_or(0, |i| i + 1)..]
        .chars()
        .count()
        + 1;
    (line, column)
}

fn one(code: &str, text: &str, needle: &str) -> Vec<(String, usize, usize)> {
    let (line, column) = position(text, needle);
    vec![(code.to_owned(), line, column)]
}

#[test]
fn the_seed_letter_adds_retimes_cancels_and_tightens() {
    let mut instance = running("2021-05-12 08:00");
    let vaccination_before = task(&instance, "vaccination");
    let (effects, report) = instance
        .apply_follow_up(at("2021-05-12 08:00"), LETTER)
        .unwrap();
    let workflow = instance.workflow().clone();

    // Added: both tasks exist and start at the next advance, due from then.
    assert_eq!(
        report.migration.added,
        ["checkpoints", "district_response_plan"]
    );
    assert_eq!(task(&instance, "checkpoints").phase, Phase::Waiting);
    let started = instance.advance(at("2021-05-12 08:00")).unwrap();
    assert_eq!(
        started
            .iter()
            .filter(|e| e.kind == EffectKind::Started)
            .count(),
        2
    );
    assert_eq!(
        task(&instance, "checkpoints").due,
        Some(at("2021-05-13 08:00"))
    );

    // Re-timed: the new due time, the original kept for reporting.
    let vaccination = task(&instance, "vaccination");
    assert_eq!(vaccination.due, Some(at("2021-05-18 17:00")));
    assert_eq!(vaccination.first_due, vaccination_before.first_due);
    assert_eq!(vaccination.first_due, Some(at("2021-05-20 17:00")));
    assert_eq!(report.due_changed.len(), 1);
    let vaccination_id = workflow.task_ref("vaccination").unwrap();
    assert!(effects.iter().any(|e| e.task == vaccination_id
        && e.kind
            == EffectKind::DueChanged {
                due: at("2021-05-18 17:00")
            }));

    // Cancelled: the machine's `cancelled` state, an effect, and `mobilise` no longer
    // waits for it.
    assert_eq!(report.cancelled, ["contingency_plan"]);
    assert_eq!(state_name(&instance, "contingency_plan"), "cancelled");
    let cancelled_id = workflow.task_ref("contingency_plan").unwrap();
    assert!(
        effects
            .iter()
            .any(|e| e.task == cancelled_id && e.kind == EffectKind::Cancelled)
    );
    let mobilise = workflow.task(workflow.task_id("mobilise").unwrap());
    assert!(
        !mobilise
            .depends_on
            .contains(&workflow.task_id("contingency_plan").unwrap())
    );

    // Tightened: vaccination escalates under `urgent` (6h after the due time to the
    // Standing Committee), not `standard` (1d).
    assert_eq!(report.tightened, ["vaccination"]);
    let effects = instance.advance(at("2021-05-18 23:00")).unwrap();
    let escalated: Vec<_> = effects
        .iter()
        .filter(|e| e.task == vaccination_id && matches!(e.kind, EffectKind::Escalated { .. }))
        .collect();
    assert_eq!(escalated.len(), 1);
    assert_eq!(escalated[0].at, at("2021-05-18 23:00"));

    // The chain of documents shows 114-CV/HU → 120-CV/HU.
    let graph = render_graph(&workflow, Graph::Documents, GraphFormat::Mermaid);
    assert!(graph.contains("120-CV/HU"), "{graph}");
    assert!(workflow.documents().iter().any(|d| d.number == "120-CV/HU"
        && d.implements == ["114-CV/HU"]
        && d.issued_on == "2021-05-12"));
    assert!(matches!(instance.journal()[2], Input::FollowUp { .. }));
}

#[test]
fn levels_already_reached_are_not_fired_again_after_tightening() {
    // Tracing (due 9 May 08:00, `urgent`) has reached its daily province level by 11 May.
    // Put under `standard` at 09:00, its levels whose time has passed (0h, 4h after
    // `assigned`, 1d) do not fire again; its province level (3d, every 2d) comes on
    // 12 May 08:00, and the `urgent` daily repeat is gone.
    let mut instance = running("2021-05-11 09:00");
    assert_eq!(task(&instance, "tracing").level, 4);
    let text = doc("    tighten: [(task: \"tracing\", policy: \"standard\")],")
        .replace("2021-05-12 08:00", "2021-05-11 09:00");
    instance
        .apply_follow_up(at("2021-05-11 09:00"), &text)
        .unwrap();
    let tracing = instance.workflow().task_ref("tracing").unwrap();
    let ours = |effects: Vec<directrix_core::Effect>| -> Vec<_> {
        effects.into_iter().filter(|e| e.task == tracing).collect()
    };
    assert_eq!(ours(instance.advance(at("2021-05-12 07:59")).unwrap()), []);
    let fired = ours(instance.advance(at("2021-05-12 08:00")).unwrap());
    assert_eq!(fired.len(), 1, "{fired:?}");
    assert!(matches!(
        fired[0].kind,
        EffectKind::Escalated { level: 4, .. }
    ));
    assert_eq!(ours(instance.advance(at("2021-05-14 07:59")).unwrap()), []);
}

#[test]
fn unknown_tasks_are_located_in_each_list() {
    let mut instance = running("2021-05-12 08:00");
    for list in [
        "    change_due: [(task: \"vacination\", due: At(\"2021-05-18 17:00\"))],",
        "    cancel: [(task: \"vacination\")],",
        "    tighten: [(task: \"vacination\", policy: \"urgent\")],",
    ] {
        let text = doc(list);
        assert_eq!(
            refused(&mut instance, "2021-05-12 08:00", &text),
            one("unknown-task", &text, "\"vacination\"")
        );
        let error = instance
            .clone()
            .apply_follow_up(at("2021-05-12 08:00"), &text)
            .unwrap_err();
        assert_eq!(
            error.diagnostics()[0].hint.as_deref(),
            Some("did you mean `vaccination`?")
        );
        let good = text.replace("vacination", "vaccination");
        instance
            .clone()
            .apply_follow_up(at("2021-05-12 08:00"), &good)
            .unwrap();
    }
}

#[test]
fn further_to_must_be_this_directive_or_an_applied_follow_up() {
    let mut instance = running("2021-05-12 08:00");
    let text = doc_to("113-CV/HU", "120-CV/HU", "");
    assert_eq!(
        refused(&mut instance, "2021-05-12 08:00", &text),
        one("further-to-mismatch", &text, "\"113-CV/HU\"")
    );
    instance
        .apply_follow_up(
            at("2021-05-12 08:00"),
            &doc_to("114-CV/HU", "120-CV/HU", ""),
        )
        .unwrap();
    // A second follow-up may follow the first.
    instance
        .apply_follow_up(
            at("2021-05-12 08:00"),
            &doc_to("120-CV/HU", "125-CV/HU", ""),
        )
        .unwrap();
    let numbers: Vec<_> = instance
        .workflow()
        .documents()
        .iter()
        .map(|d| d.number.as_str())
        .collect();
    assert!(
        numbers.ends_with(&["120-CV/HU", "125-CV/HU"]),
        "{numbers:?}"
    );
    // Applying one again is refused.
    let again = doc_to("114-CV/HU", "120-CV/HU", "");
    assert_eq!(
        refused(&mut instance, "2021-05-12 08:00", &again),
        one("duplicate-id", &again, "\"120-CV/HU\"")
    );
}

#[test]
fn added_ids_must_not_clash_with_running_ones() {
    let mut instance = running("2021-05-12 08:00");
    let text = doc(
        "    add_policies: [(id: \"urgent\", levels: [])],\n    add_tasks: [(id: \"vaccination\", title: \"t\", lead: [\"health\"])],",
    );
    let errors = refused(&mut instance, "2021-05-12 08:00", &text);
    let (pl, pc) = position(&text, "\"urgent\"");
    let (tl, tc) = position(&text, "\"vaccination\"");
    assert_eq!(
        errors,
        [
            ("duplicate-id".to_owned(), pl, pc),
            ("duplicate-id".to_owned(), tl, tc)
        ]
    );
    let fine = text
        .replace("\"urgent\"", "\"fast\"")
        .replace("\"vaccination\"", "\"hotline\"");
    instance
        .apply_follow_up(at("2021-05-12 08:00"), &fine)
        .unwrap();
}

#[test]
fn added_tasks_are_validated_in_the_follow_up_text() {
    let mut instance = running("2021-05-12 08:00");
    let text = doc(
        "    add_tasks: [\n        (id: \"hotline\", title: \"t\", lead: [\"polise\"], due: Days(1), depends_on: [\"tracing\"], policy: \"swift\"),\n    ],",
    );
    let errors = refused(&mut instance, "2021-05-12 08:00", &text);
    let codes: Vec<_> = errors.iter().map(|e| e.0.as_str()).collect();
    assert_eq!(codes, ["unknown-agency", "unknown-policy"], "{errors:?}");
    assert_eq!((errors[0].1, errors[0].2), position(&text, "\"polise\""));
    assert_eq!((errors[1].1, errors[1].2), position(&text, "\"swift\""));
    instance
        .apply_follow_up(
            at("2021-05-12 08:00"),
            &text.replace("polise", "police").replace("swift", "urgent"),
        )
        .unwrap();
}

#[test]
fn a_finished_task_cannot_be_cancelled_or_retimed() {
    let workflow = seed();
    let (mut instance, _) =
        Instance::start(workflow.clone(), workflow.directive().issued_at).unwrap();
    let t = at("2021-05-07 08:10");
    instance.advance(t).unwrap();
    for (actor, action) in [
        ("police", "acknowledge"),
        ("police", "start"),
        ("police", "report"),
    ] {
        instance
            .act_by_name(t, actor, "force_alert", action, None)
            .unwrap();
    }
    instance
        .act_by_name(t, "district_standing", "force_alert", "accept", None)
        .unwrap();
    instance.advance(at("2021-05-12 08:00")).unwrap();
    for list in [
        "    cancel: [(task: \"force_alert\")],",
        "    change_due: [(task: \"force_alert\", due: At(\"2021-05-13 17:00\"))],",
    ] {
        let text = doc(list);
        assert_eq!(
            refused(&mut instance, "2021-05-12 08:00", &text),
            one("task-finished", &text, "\"force_alert\"")
        );
    }
    // An unfinished one can.
    let (effects, report) = instance
        .apply_follow_up(
            at("2021-05-12 08:00"),
            &doc("    cancel: [(task: \"propaganda\")],"),
        )
        .unwrap();
    assert_eq!(report.cancelled, ["propaganda"]);
    assert_eq!(effects.len(), 1);
}

#[test]
fn a_new_due_time_must_be_ahead() {
    let mut instance = running("2021-05-12 08:00");
    let text = doc("    change_due: [(task: \"vaccination\", due: At(\"2021-05-11 17:00\"))],");
    assert_eq!(
        refused(&mut instance, "2021-05-12 08:00", &text),
        one("due-before-follow-up", &text, "\"vaccination\"")
    );
    // A relative rule counts from the task's start (7 May): two days is long past.
    let text = doc("    change_due: [(task: \"vaccination\", due: Days(2))],");
    assert_eq!(
        refused(&mut instance, "2021-05-12 08:00", &text),
        one("due-before-follow-up", &text, "\"vaccination\"")
    );
    let text = doc("    change_due: [(task: \"vaccination\", due: Days(7))],");
    let (_, report) = instance
        .apply_follow_up(at("2021-05-12 08:00"), &text)
        .unwrap();
    assert_eq!(
        report.due_changed[0].to.as_deref(),
        Some("2021-05-14T17:00:00+07:00")
    );
}

#[test]
fn an_invalid_new_due_is_located() {
    let mut instance = running("2021-05-12 08:00");
    let text = doc("    change_due: [(task: \"vaccination\", due: At(\"2021-05-32 17:00\"))],");
    let errors = refused(&mut instance, "2021-05-12 08:00", &text);
    assert_eq!(errors.len(), 1);
    assert_eq!(
        (errors[0].1, errors[0].2),
        position(&text, "\"2021-05-32 17:00\"")
    );
}

#[test]
fn a_follow_up_applies_only_after_its_issue() {
    let mut instance = running("2021-05-11 08:00");
    let text = doc("");
    assert_eq!(
        refused(&mut instance, "2021-05-11 08:00", &text),
        one("follow-up-before-issue", &text, "\"2021-05-12 08:00\"")
    );
    instance.advance(at("2021-05-12 08:00")).unwrap();
    instance
        .apply_follow_up(at("2021-05-12 08:00"), &text)
        .unwrap();
}

#[test]
fn tighten_names_a_known_policy() {
    let mut instance = running("2021-05-12 08:00");
    let text = doc("    tighten: [(task: \"vaccination\", policy: \"urgnet\")],");
    assert_eq!(
        refused(&mut instance, "2021-05-12 08:00", &text),
        one("unknown-policy", &text, "\"urgnet\"")
    );
    instance
        .apply_follow_up(at("2021-05-12 08:00"), &text.replace("urgnet", "urgent"))
        .unwrap();
}

#[test]
fn cancelling_needs_a_cancelled_state() {
    let source = r#"(
        format: 1,
        directive: (number: "1/T", kind: "Test", issuer: "boss", issued_at: "2024-04-17 08:00", subject: "s"),
        calendar: (utc_offset: "+07:00"),
        agencies: [(id: "boss", name: "Boss")],
        machines: [(id: "simple", states: [(id: "open", kind: Initial), (id: "done", kind: Done)],
            transitions: [(on: "finish", from: ["open"], to: "done", by: [Lead])])],
        tasks: [
            (id: "t", title: "T", lead: ["boss"], machine: "simple"),
            (id: "u", title: "U", lead: ["boss"]),
        ],
    )"#;
    let workflow = Arc::new(load(source).unwrap().workflow);
    let (mut instance, _) = Instance::start(workflow, at("2024-04-17 08:00")).unwrap();
    let header = "(format: 1, number: \"2/T\", kind: \"Test\", issuer: \"boss\", issued_at: \"2024-04-17 08:00\", further_to: \"1/T\", subject: \"s\",\n";
    let text = format!("{header}    cancel: [(task: \"t\")],\n)");
    assert_eq!(
        refused(&mut instance, "2024-04-18 08:00", &text),
        one("no-cancelled-state", &text, "\"t\"")
    );
    instance
        .apply_follow_up(at("2024-04-18 08:00"), &text.replace("\"t\"", "\"u\""))
        .unwrap();
}

#[test]
fn time_errors_change_nothing() {
    let mut instance = running("2021-05-12 08:00");
    let before = instance.clone();
    let error = instance
        .apply_follow_up(at("2021-05-11 08:00"), LETTER)
        .unwrap_err();
    assert_eq!(error.code(), "time_went_backwards");
    // The checkpoints' timers are not there yet, but tracing's daily escalation is due.
    let error = instance
        .apply_follow_up(at("2021-05-20 08:00"), LETTER)
        .unwrap_err();
    assert!(matches!(error, FollowUpError::Time(_)), "{error}");
    assert_eq!(error.code(), "timers_pending");
    assert_eq!(instance, before);
}

#[test]
fn syntax_errors_are_located() {
    let mut instance = running("2021-05-12 08:00");
    let text = doc("    cancel: [(task: \"propaganda\", raison: \"x\")],");
    let errors = refused(&mut instance, "2021-05-12 08:00", &text);
    assert_eq!(errors[0].0, "syntax");
    assert_eq!(errors[0].1, position(&text, "raison").0);
}

#[test]
fn replay_reproduces_a_follow_up_and_what_follows() {
    let mut instance = running("2021-05-12 08:00");
    instance
        .apply_follow_up(at("2021-05-12 08:00"), LETTER)
        .unwrap();
    let t = at("2021-05-12 09:00");
    instance.advance(t).unwrap();
    instance
        .act_by_name(t, "police", "checkpoints", "acknowledge", None)
        .unwrap();
    instance.advance(at("2021-05-19 08:00")).unwrap();
    let replayed = Instance::replay(seed(), instance.journal()).unwrap();
    assert_eq!(replayed, instance);
    assert_eq!(
        replayed.workflow().content_hash(),
        instance.workflow().content_hash()
    );

    // An edited text that no longer applies is a replay error at its index.
    let mut journal = instance.journal().to_vec();
    journal[2] = Input::FollowUp {
        at: at("2021-05-12 08:00"),
        text: LETTER.replace("contingency_plan", "contingency"),
    };
    assert!(matches!(
        Instance::replay(seed(), &journal),
        Err(ReplayError::FollowUp { index: 2, .. })
    ));
}

#[test]
fn a_snapshot_after_a_follow_up_restores_against_the_amended_workflow() {
    let mut instance = running("2021-05-12 08:00");
    instance
        .apply_follow_up(at("2021-05-12 08:00"), LETTER)
        .unwrap();
    instance.advance(at("2021-05-14 08:00")).unwrap();
    let json = serde_json::to_string(&instance.snapshot()).unwrap();
    // With the workflow as loaded, the version differs ...
    let snapshot = serde_json::from_str(&json).unwrap();
    assert!(matches!(
        Instance::restore(seed(), snapshot),
        Err(RestoreError::OtherVersion { .. })
    ));
    // ... amended with the same text (kept in the journal), it restores.
    let amended = Arc::new(seed().amend(LETTER).unwrap().workflow);
    let restored = Instance::restore(amended, serde_json::from_str(&json).unwrap()).unwrap();
    assert_eq!(restored, instance);
}

#[test]
fn the_grid_counts_a_cancellation() {
    let mut instance = running("2021-05-12 08:00");
    let before = instance.grid().total;
    instance
        .apply_follow_up(at("2021-05-12 08:00"), LETTER)
        .unwrap();
    instance.advance(at("2021-05-12 08:00")).unwrap();
    let after = instance.grid().total;
    assert_eq!(before.cancelled, 0);
    assert_eq!(after.cancelled, 1);
    // Two tasks added, one cancelled: one more tracked.
    assert_eq!(after.tracked(), before.tracked() + 1);
    let health = instance
        .grid()
        .agencies
        .into_iter()
        .find(|row| row.agency == "health")
        .unwrap();
    assert_eq!(health.counts.cancelled, 1);
}

#[test]
fn the_seed_letter_raises_no_warnings() {
    let amended = seed().amend(LETTER).unwrap();
    assert!(amended.warnings.is_empty(), "{:?}", amended.warnings);
    assert_eq!(amended.spec.number, "120-CV/HU");
}

// ------------------------------------------------------------------------- scenarios

const SCENARIO: &str = include_str!("../../workflows/kien-xuong-114-cv-hu.followup.scenario.ron");
const NAME: &str = "kien-xuong-114-cv-hu.120.followup.ron";

fn texts() -> BTreeMap<String, String> {
    BTreeMap::from([(NAME.to_owned(), LETTER.to_owned())])
}

fn scenario_codes(source: &str, texts: &BTreeMap<String, String>) -> Vec<(String, usize)> {
    let error = Scenario::load_with(source, &seed(), texts).unwrap_err();
    error
        .diagnostics
        .iter()
        .filter(|d| d.is_error())
        .map(|d| (d.code.as_str().to_owned(), d.location.unwrap().line))
        .collect()
}

#[test]
fn the_follow_up_scenario_runs_and_replays() {
    let workflow = seed();
    let (scenario, _) = Scenario::load_with(SCENARIO, &workflow, &texts()).unwrap();
    assert_eq!(scenario.follow_ups[0].at, at("2021-05-12 08:00"));
    let run = simulate(workflow.clone(), &scenario, 0, None).unwrap();
    let report = run.report();
    assert_eq!(report.summary.rejected, 0);
    let kinds = |task: &str| -> Vec<&str> {
        report
            .events
            .iter()
            .filter(|e| e.task == task)
            .map(|e| e.kind)
            .collect()
    };
    assert!(report.events.iter().any(|e| e.kind == "follow_up"
        && e.note.as_deref() == Some("120-CV/HU (kien-xuong-114-cv-hu.120.followup.ron)")));
    assert!(kinds("contingency_plan").contains(&"cancelled"));
    assert!(!kinds("contingency_plan").contains(&"overdue"));
    assert!(kinds("vaccination").contains(&"due_changed"));
    assert_eq!(kinds("checkpoints").last(), Some(&"completed"));
    // Effects before the follow-up are named by the workflow then in force.
    assert_eq!(report.events[0].at, "2021-05-07T08:00:00+07:00");
    assert_eq!(run.versions.len(), 2);
    let mobilise = report.status.iter().find(|s| s.task == "mobilise").unwrap();
    assert_eq!(mobilise.state, "accepted");
    assert_eq!(
        Instance::replay(workflow, run.instance.journal()).unwrap(),
        run.instance
    );
}

#[test]
fn a_scenario_names_follow_ups_it_is_given() {
    let (line, _) = position(SCENARIO, "follow_up: \"kien");
    assert_eq!(
        scenario_codes(SCENARIO, &BTreeMap::new()),
        // The actions on the tasks it would add are unknown too.
        [
            ("unknown-follow-up".to_owned(), line),
            ("unknown-task".to_owned(), line + 1),
            ("unknown-task".to_owned(), line + 2),
            ("unknown-task".to_owned(), line + 3),
            ("unknown-task".to_owned(), line + 4),
            (
                "unknown-task".to_owned(),
                position(
                    SCENARIO,
                    "task: \"district_response_plan\", action: \"report\""
                )
                .0
            ),
            (
                "unknown-task".to_owned(),
                position(
                    SCENARIO,
                    "task: \"district_response_plan\", action: \"accept\""
                )
                .0
            ),
            (
                "unknown-task".to_owned(),
                position(SCENARIO, "task: \"checkpoints\", action: \"report\"").0
            ),
            (
                "unknown-task".to_owned(),
                position(SCENARIO, "task: \"checkpoints\", action: \"accept\"").0
            ),
        ]
        .into_iter()
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .collect::<Vec<_>>()
    );
    // A broken follow-up is reported at its event, with its own code.
    let broken = BTreeMap::from([(
        NAME.to_owned(),
        LETTER.replace("\"114-CV/HU\",\n", "\"113-CV/HU\",\n"),
    )]);
    assert_eq!(
        scenario_codes(SCENARIO, &broken)[0],
        ("further-to-mismatch".to_owned(), line)
    );
}

#[test]
fn an_event_is_an_action_or_a_follow_up() {
    let events = |events: &str| {
        format!("(format: 1, name: \"x\", until: \"2021-05-13 08:00\", events: [\n{events}\n])")
    };
    let both = events(&format!(
        "(at: \"2021-05-12 08:00\", actor: \"police\", task: \"tracing\", action: \"report\", follow_up: \"{NAME}\"),"
    ));
    assert_eq!(
        scenario_codes(&both, &texts()),
        [("incomplete-event".to_owned(), 2)]
    );
    let neither = events("(at: \"2021-05-12 08:00\", actor: \"police\"),");
    assert_eq!(
        scenario_codes(&neither, &texts()),
        [("incomplete-event".to_owned(), 2)]
    );
    let fine = events(&format!(
        "(at: \"2021-05-12 08:00\", follow_up: \"{NAME}\"),"
    ));
    Scenario::load_with(&fine, &seed(), &texts()).unwrap();
    let with_behaviours = fine.replace("events:", "behaviours: [(who: [\"all\"])], events:");
    assert_eq!(
        scenario_codes(&with_behaviours, &texts()),
        [("follow-up-with-behaviours".to_owned(), 2)]
    );
}

#[test]
fn a_follow_up_refused_at_run_time_fails_the_run() {
    // `force_alert` is done by 12 May: cancelling it then is refused when the run reaches
    // it (loading cannot know). The later events were resolved against the amended
    // workflow, so the run fails, naming the follow-up and why, instead of stopping
    // short with a report that looks complete.
    let source = "(format: 1, name: \"x\", until: \"2021-05-21 08:00\", events: [\n\
         (at: \"2021-05-07 08:10\", actor: \"police\", task: \"force_alert\", action: \"acknowledge\"),\n\
         (at: \"2021-05-07 08:10\", actor: \"police\", task: \"force_alert\", action: \"start\"),\n\
         (at: \"2021-05-07 08:10\", actor: \"police\", task: \"force_alert\", action: \"report\"),\n\
         (at: \"2021-05-07 08:10\", actor: \"district_standing\", task: \"force_alert\", action: \"accept\"),\n\
         (at: \"2021-05-12 08:00\", follow_up: \"late\"),\n\
         (at: \"2021-05-13 08:00\", actor: \"health\", task: \"health_readiness\", action: \"acknowledge\"),\n])";

    let late = BTreeMap::from([(
        "late".to_owned(),
        doc("    cancel: [(task: \"force_alert\")],"),
    )]);
    let (scenario, _) = Scenario::load_with(source, &seed(), &late).unwrap();
    let error = simulate(seed(), &scenario, 0, None).unwrap_err();
    assert_eq!(error.code(), "follow_up_refused");
    let message = error.to_string();
    for part in ["`late`", "2021-05-12T08:00:00+07:00", "force_alert"] {
        assert!(message.contains(part), "{part} not in {message}");
    }
    let SimulateError::FollowUpRefused { error, .. } = &error else {
        panic!("{error:?}")
    };
    assert_eq!(error.code(), "invalid_follow_up");
    assert_eq!(error.diagnostics()[0].code.as_str(), "task-finished");
    // Nor does the grid's run or a Monte Carlo study go on silently.
    assert_eq!(
        directrix_core::simulation::simulate_state(seed(), &scenario, 0, None)
            .unwrap_err()
            .code(),
        "follow_up_refused"
    );
    assert_eq!(
        directrix_core::simulation::monte_carlo(&seed(), &scenario, 3, 1)
            .unwrap_err()
            .code(),
        "follow_up_refused"
    );
}

/// Issue "Robustness", item 5, through follow-ups: a new due rule or an added task whose
/// due time or effort lies past the representable range is a located error, not a task
/// that silently loses its deadline.
#[test]
fn a_due_or_effort_past_the_range_is_refused_and_located() {
    let mut instance = running("2021-05-12 08:00");
    let text = doc("    change_due: [(task: \"vaccination\", due: Days(3000000))],");
    assert_eq!(
        refused(&mut instance, "2021-05-12 08:00", &text),
        one("out-of-range", &text, "\"vaccination\"")
    );
    let text = doc(
        "    add_tasks: [\n        (id: \"hotline\", title: \"t\", lead: [\"police\"], due: WorkingDays(4294967295), expected: Elapsed(\"3000000d\")),\n    ],",
    );
    let errors = refused(&mut instance, "2021-05-12 08:00", &text);
    assert_eq!(
        errors,
        [
            one("out-of-range", &text, "due: WorkingDays")[0].clone(),
            one("out-of-range", &text, "\"3000000d\"")[0].clone(),
        ]
    );
}

#[test]
fn a_follow_up_comes_from_the_directive_s_own_issuer() {
    let mut instance = running("2021-05-12 08:00");
    let text = doc("").replace(
        "issuer: \"district_standing\"",
        "issuer: \"province_standing\"",
    );
    let codes = refused(&mut instance, "2021-05-12 08:00", &text);
    assert_eq!(
        codes,
        one("issuer-mismatch", &text, "\"province_standing\"")
    );
    let error = seed().amend(&text).unwrap_err();
    let diagnostic = &error.diagnostics()[0];
    assert!(
        diagnostic.message.contains("`province_standing`")
            && diagnostic.message.contains("`district_standing`"),
        "{diagnostic:?}"
    );
    // The same body may write again.
    instance
        .apply_follow_up(at("2021-05-12 08:00"), &doc(""))
        .unwrap();
}
