//! Child documents attached to a running instance of Directive 16/CT-TTg: the Ministry of
//! Health's guidance issued days later (workflows/ct-16-ttg-2020.moh.child.ron). Its
//! tasks run and escalate to the parent's issuer, the documents chain and the grid show
//! it, replay and snapshots carry it, and each way of getting it wrong is located.
//! Also the authority rule for follow-ups: the issuer, or an agency it delegates to.

use directrix_core::{
    EffectKind, Input, Instance, Timestamp, Workflow, instance::RestoreError, render::Graph,
    render::GraphFormat, render::render_graph,
};
use std::sync::Arc;

const PARENT: &str = include_str!("../../workflows/ct-16-ttg-2020.ron");
const CHILD: &str = include_str!("../../workflows/ct-16-ttg-2020.moh.child.ron");
const ATTACH: &str = "2020-04-03 09:00";

fn at(text: &str) -> Timestamp {
    Timestamp::parse(
        text,
        directrix_core::time::UtcOffset::from_hms(7, 0, 0).unwrap(),
    )
    .unwrap()
}

fn parent() -> Arc<Workflow> {
    let options = directrix_core::LoadOptions::default().with_calendar(
        "vn-public-holidays",
        include_str!("../../workflows/calendars/vn-public-holidays.ron"),
    );
    Arc::new(
        directrix_core::load_with(PARENT, &options)
            .unwrap()
            .workflow,
    )
}

/// The parent running until `when`, nobody acting.
fn running(when: &str) -> Instance {
    let workflow = parent();
    let (mut instance, _) =
        Instance::start(workflow.clone(), workflow.directive().issued_at).unwrap();
    instance.advance(at(when)).unwrap();
    instance
}

/// Attaches `text` expecting a refusal; checks that nothing changed and returns the
/// (code, line, column) of every error.
fn refused(instance: &mut Instance, text: &str) -> Vec<(String, usize, usize)> {
    let before = instance.clone();
    let error = instance.attach_child(at(ATTACH), text).unwrap_err();
    assert_eq!(*instance, before, "a refused child changed the instance");
    error
        .diagnostics()
        .iter()
        .filter(|d| d.is_error())
        .map(|d| {
            let location = d.location.expect("located in the child");
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
fn the_ministry_s_guidance_runs_in_the_parent_instance() {
    let mut instance = running(ATTACH);
    let tasks_before = instance.workflow().task_slots().len();
    let (effects, report) = instance.attach_child(at(ATTACH), CHILD).unwrap();
    assert!(effects.is_empty(), "{effects:?}");
    assert_eq!(
        (
            report.number.as_str(),
            report.issuer.as_str(),
            report.further_to.as_str()
        ),
        ("HD-16/BYT", "moh", "16/CT-TTg")
    );
    let workflow = instance.workflow().clone();
    // Three provinces' quarantine sites, the screening, the ministry's report.
    assert_eq!(workflow.task_slots().len(), tasks_before + 5);
    let children = workflow.children();
    assert_eq!(children.len(), 1);
    assert_eq!(
        children[0].tasks,
        ["quarantine_sites", "hospital_screening", "moh_report"]
    );
    // The agency the child brings in; the ones it shares are the parent's.
    assert!(workflow.agency_id("medical_services").is_some());
    assert_eq!(
        workflow.agencies().len(),
        parent().agencies().len() + 1,
        "shared agencies are not added twice"
    );
    // Supervised by the ministry, unless the task says otherwise.
    let supervisor = |task: &str| {
        let id = workflow.task_id(task).unwrap();
        workflow.agency(workflow.task(id).supervisor).id.clone()
    };
    assert_eq!(supervisor("hospital_screening"), "moh");
    assert_eq!(supervisor("moh_report"), "prime_minister");
    assert_eq!(supervisor("isolation"), "steering_committee");

    // The tasks start now; a day after its due time, an unfinished one reaches the
    // Prime Minister, the parent's issuer.
    instance.advance(at("2020-04-03 09:00")).unwrap();
    let screening = workflow.task_ref("hospital_screening").unwrap();
    assert_eq!(
        instance.task_state(screening).unwrap().due,
        Some(at("2020-04-05 09:00"))
    );
    let effects = instance.advance(at("2020-04-06 10:00")).unwrap();
    let pm = workflow.agency_id("prime_minister").unwrap();
    assert!(
        effects.iter().any(|e| e.task == screening
            && matches!(e.kind, EffectKind::Escalated { target, .. } if target == pm)),
        "{effects:?}"
    );
    // Acted on by name like any task.
    let t = at("2020-04-06 11:00");
    instance
        .act_by_name(
            t,
            "medical_services",
            "hospital_screening",
            "acknowledge",
            None,
        )
        .unwrap();
}

#[test]
fn the_documents_chain_and_the_grid_show_the_child() {
    let mut instance = running(ATTACH);
    instance.attach_child(at(ATTACH), CHILD).unwrap();
    let workflow = instance.workflow();
    let documents = workflow.documents();
    let child = documents.iter().find(|d| d.number == "HD-16/BYT").unwrap();
    assert_eq!(child.issuer, "Bộ Y tế");
    assert_eq!(child.implements, ["16/CT-TTg"]);
    let dot = render_graph(workflow, Graph::Documents, GraphFormat::Dot);
    assert!(dot.contains("HD-16/BYT"), "{dot}");

    instance.advance(at("2020-04-07 09:00")).unwrap();
    let grid = instance.grid();
    let rows: Vec<(&str, u32)> = grid
        .documents
        .iter()
        .map(|d| (d.number.as_str(), d.counts.tracked()))
        .collect();
    // The directive's own six instances (three provinces' isolation, the guidance, the
    // enforcement, the information), then the child's five.
    assert_eq!(rows, [("16/CT-TTg", 6), ("HD-16/BYT", 5)]);
    assert_eq!(grid.documents[1].issuer, "moh");
    // The quarantine sites (due 6 April) and the screening (5 April) are overdue; the
    // report waits for them.
    assert_eq!(grid.documents[1].counts.open_overdue, 4);
    assert_eq!(grid.documents[1].counts.open_in_time, 1);
    assert_eq!(grid.documents[0].counts.open_overdue, 2);
    assert_eq!(
        grid.documents
            .iter()
            .map(|d| d.counts.tracked())
            .sum::<u32>(),
        grid.total.tracked()
    );
    // Without a child the grid has no document rows.
    assert!(running(ATTACH).grid().documents.is_empty());
}

#[test]
fn replay_and_snapshots_carry_an_attached_child() {
    let mut instance = running(ATTACH);
    instance.attach_child(at(ATTACH), CHILD).unwrap();
    let t = at("2020-04-03 10:00");
    instance.advance(t).unwrap();
    instance
        .act_by_name(t, "ha_noi", "quarantine_sites[ha_noi]", "acknowledge", None)
        .unwrap();
    instance.advance(at("2020-04-08 08:00")).unwrap();
    // Journaled as a follow-up input carrying the child's text.
    assert!(
        instance
            .journal()
            .iter()
            .any(|i| matches!(i, Input::FollowUp { text, .. } if text == CHILD))
    );
    let replayed = Instance::replay(parent(), instance.journal()).unwrap();
    assert_eq!(replayed, instance);
    assert_eq!(replayed.state_hash(), instance.state_hash());

    let json = serde_json::to_string(&instance.snapshot()).unwrap();
    assert!(matches!(
        Instance::restore(parent(), serde_json::from_str(&json).unwrap()),
        Err(RestoreError::OtherVersion { .. })
    ));
    // The workflow amended with the child's text (kept in the journal) restores it.
    let amended = Arc::new(parent().amend(CHILD).unwrap().workflow);
    assert_eq!(amended.children().len(), 1);
    let restored = Instance::restore(amended, serde_json::from_str(&json).unwrap()).unwrap();
    assert_eq!(restored, instance);
}

#[test]
fn a_child_implementing_another_document_is_located() {
    let mut instance = running(ATTACH);
    let text = CHILD.replace("implements: [\"16/CT-TTg\"]", "implements: [\"15/CT-TTg\"]");
    assert_eq!(
        refused(&mut instance, &text),
        one("implements-mismatch", &text, "\"15/CT-TTg\"]")
    );
    // Several numbers: one of them the running directive is enough.
    let text = CHILD.replace(
        "implements: [\"16/CT-TTg\"]",
        "implements: [\"15/CT-TTg\", \"16/CT-TTg\"]",
    );
    instance.attach_child(at(ATTACH), &text).unwrap();
}

#[test]
fn a_child_implementing_nothing_has_no_parent() {
    let mut instance = running(ATTACH);
    let text = CHILD.replace("implements: [\"16/CT-TTg\"]", "implements: []");
    assert_eq!(
        refused(&mut instance, &text),
        one("unknown-parent", &text, "\"HD-16/BYT\"")
    );
    // A follow-up's text is not a child.
    let follow_up = include_str!("../../workflows/ct-16-ttg-2020.extension.followup.ron");
    let error = instance
        .attach_child(at("2020-04-15 20:00"), follow_up)
        .unwrap_err();
    assert_eq!(error.diagnostics()[0].code.as_str(), "unknown-parent");
}

#[test]
fn a_child_issued_before_its_parent_is_located() {
    let mut instance = running(ATTACH);
    let text = CHILD.replace("\"2020-04-03 09:00\"", "\"2020-03-30 09:00\"");
    assert_eq!(
        refused(&mut instance, &text),
        one("child-before-parent", &text, "\"2020-03-30 09:00\"")
    );
    // Attached before its own issue time: the follow-up rule.
    let mut early = running("2020-04-02 09:00");
    let error = early
        .attach_child(at("2020-04-02 09:00"), CHILD)
        .unwrap_err();
    assert_eq!(
        error.diagnostics()[0].code.as_str(),
        "follow-up-before-issue"
    );
}

#[test]
fn a_child_clashing_with_the_running_directive_is_located() {
    let mut instance = running(ATTACH);
    // A task id the parent has.
    let text = CHILD.replace("id: \"moh_report\"", "id: \"guidance\"");
    assert_eq!(
        refused(&mut instance, &text),
        one("duplicate-id", &text, "\"guidance\"")
    );
    // A group of the parent's id with other members.
    let text = CHILD.replace(
        "members: [\"ha_noi\", \"hcmc\", \"thai_binh\"]",
        "members: [\"ha_noi\", \"hcmc\"]",
    );
    assert_eq!(
        refused(&mut instance, &text),
        one("duplicate-id", &text, "\"provinces\", name")
    );
    // Attached twice.
    instance.attach_child(at(ATTACH), CHILD).unwrap();
    instance.advance(at(ATTACH)).unwrap();
    let codes = refused(&mut instance, CHILD);
    assert!(
        codes.iter().any(|(code, ..)| code == "duplicate-id"),
        "{codes:?}"
    );
}

#[test]
fn a_child_s_own_problems_are_located_in_its_text() {
    let mut instance = running(ATTACH);
    let text = CHILD.replace(
        "lead: [\"medical_services\"]",
        "lead: [\"medical_service\"]",
    );
    assert_eq!(
        refused(&mut instance, &text),
        one("unknown-agency", &text, "\"medical_service\"")
    );
}

#[test]
fn a_child_of_a_child_attaches_to_it() {
    let mut instance = running(ATTACH);
    instance.attach_child(at(ATTACH), CHILD).unwrap();
    instance.advance(at(ATTACH)).unwrap();
    let grandchild = CHILD
        .replace("number: \"HD-16/BYT\"", "number: \"HN-01/SYT\"")
        .replace("implements: [\"16/CT-TTg\"]", "implements: [\"HD-16/BYT\"]")
        .replace("id: \"quarantine_sites\"", "id: \"ha_noi_sites\"")
        .replace("id: \"hospital_screening\"", "id: \"ha_noi_screening\"")
        .replace("id: \"moh_report\"", "id: \"ha_noi_report\"")
        .replace(
            "depends_on: [\"quarantine_sites\", \"hospital_screening\"]",
            "depends_on: [\"ha_noi_sites\", \"ha_noi_screening\"]",
        );
    let (_, report) = instance.attach_child(at(ATTACH), &grandchild).unwrap();
    assert_eq!(report.further_to, "HD-16/BYT");
    assert_eq!(instance.workflow().children().len(), 2);
}

const FOLLOW_UP: &str = include_str!("../../workflows/ct-16-ttg-2020.extension.followup.ron");

#[test]
fn a_follow_up_comes_from_the_issuer_or_a_delegate() {
    // The Ministry of Health may not amend the Prime Minister's directive ...
    let text = FOLLOW_UP.replace("issuer: \"prime_minister\"", "issuer: \"moh\"");
    let error = parent().amend(&text).unwrap_err();
    let d = &error.diagnostics()[0];
    assert_eq!(d.code.as_str(), "issuer-mismatch");
    let location = d.location.unwrap();
    assert_eq!((location.line, location.column), position(&text, "\"moh\""));
    assert!(
        d.message.contains("delegates to no agency"),
        "{}",
        d.message
    );
    // ... unless the directive delegates to it.
    let delegating = PARENT.replace(
        "addressees: [\"ministries\", \"provinces\"],",
        "addressees: [\"ministries\", \"provinces\"],\n        delegates: [\"steering_committee\", \"moh\"],",
    );
    let options = directrix_core::LoadOptions::default().with_calendar(
        "vn-public-holidays",
        include_str!("../../workflows/calendars/vn-public-holidays.ron"),
    );
    let workflow = Arc::new(
        directrix_core::load_with(&delegating, &options)
            .unwrap()
            .workflow,
    );
    assert_eq!(workflow.directive().delegates.len(), 2);
    assert_ne!(workflow.content_hash(), parent().content_hash());
    let (mut instance, _) =
        Instance::start(workflow.clone(), workflow.directive().issued_at).unwrap();
    instance.advance(at("2020-04-15 20:00")).unwrap();
    let (_, report) = instance
        .apply_follow_up(at("2020-04-15 20:00"), &text)
        .unwrap();
    assert_eq!(report.issuer, "moh");
    // Another agency is still refused, naming who may write.
    let other = FOLLOW_UP.replace("issuer: \"prime_minister\"", "issuer: \"mps\"");
    let error = workflow.amend(&other).unwrap_err();
    let d = &error.diagnostics()[0];
    assert_eq!(d.code.as_str(), "issuer-mismatch");
    assert!(
        d.message.contains("`steering_committee`, `moh`"),
        "{}",
        d.message
    );
}

#[test]
fn an_unknown_delegate_is_located() {
    let text = PARENT.replace(
        "addressees: [\"ministries\", \"provinces\"],",
        "addressees: [\"ministries\", \"provinces\"],\n        delegates: [\"mho\"],",
    );
    let options = directrix_core::LoadOptions::default().with_calendar(
        "vn-public-holidays",
        include_str!("../../workflows/calendars/vn-public-holidays.ron"),
    );
    let error = directrix_core::load_with(&text, &options).unwrap_err();
    let d = error.diagnostics.iter().find(|d| d.is_error()).unwrap();
    assert_eq!(d.code.as_str(), "unknown-agency");
    let location = d.location.unwrap();
    assert_eq!((location.line, location.column), position(&text, "\"mho\""));
}

const SCENARIO: &str = include_str!("../../workflows/ct-16-ttg-2020.moh.scenario.ron");
const CHILD_NAME: &str = "ct-16-ttg-2020.moh.child.ron";

#[test]
fn a_scenario_attaches_a_child_and_replays() {
    let workflow = parent();
    let texts = std::collections::BTreeMap::from([(CHILD_NAME.to_owned(), CHILD.to_owned())]);
    let (scenario, warnings) =
        directrix_core::Scenario::load_with(SCENARIO, &workflow, &texts).unwrap();
    assert!(warnings.is_empty(), "{warnings:?}");
    assert_eq!(scenario.follow_ups[0].at, at(ATTACH));
    let run = directrix_core::simulate(workflow.clone(), &scenario, 0, None).unwrap();
    let report = run.report();
    assert_eq!(report.summary.rejected, 0);
    let report_task = report
        .status
        .iter()
        .find(|s| s.task == "moh_report")
        .unwrap();
    assert_eq!(report_task.state, "accepted");
    assert_eq!(
        Instance::replay(workflow.clone(), run.instance.journal()).unwrap(),
        run.instance
    );

    // A name the host does not supply is located at the event.
    let error =
        directrix_core::Scenario::load_with(SCENARIO, &workflow, &Default::default()).unwrap_err();
    let d = error.diagnostics.iter().find(|d| d.is_error()).unwrap();
    assert_eq!(d.code.as_str(), "unknown-follow-up");
    assert_eq!(
        d.location.unwrap().line,
        position(SCENARIO, "attach: \"ct-16").0
    );
}

#[test]
fn a_child_s_cascade_rolls_up_in_the_child_s_row() {
    // The screening cascades: each province issues its own plan under the guidance.
    let text = CHILD
        .replace(
            "lead: [\"medical_services\"],",
            "lead: [\"medical_services\"],\n            cascade: (template: \"plan\", for_each: \"provinces\"),",
        )
        .replace(
            "    tasks: [\n        (\n            id: \"quarantine_sites\"",
            "    templates: [(id: \"plan\", number: \"{member}/KH\", kind: \"Kế hoạch\", tasks: [\n        (id: \"plan\", title: \"Issue the plan\", lead: [\"{member}\"], due: After(\"1d\")),\n    ])],\n    tasks: [\n        (\n            id: \"quarantine_sites\"",
        );
    let mut instance = running(ATTACH);
    instance.attach_child(at(ATTACH), &text).unwrap();
    instance.advance(at("2020-04-07 09:00")).unwrap();
    let workflow = instance.workflow();
    assert!(workflow.task_id("hospital_screening/ha_noi/plan").is_some());
    let grid = instance.grid();
    // The child's five instances and its three provinces' plans.
    assert_eq!(grid.documents[1].counts.tracked(), 8);
    assert_eq!(grid.documents[0].counts.tracked(), 6);
}
