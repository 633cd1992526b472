//! Versioned snapshots, migration between workflow versions, and the timer policy of a
//! restore at a later time. Fixtures are the seed 114-CV/HU with edits.

use directrix_core::{
    EffectKind, Input, Instance, Snapshot, Timestamp, Workflow, instance::MigrateError,
    instance::MigrationProblem, instance::ReplayError, instance::RestoreError,
    instance::SNAPSHOT_FORMAT, instance::TimerPolicy, load,
};
use std::sync::Arc;

const SEED: &str = include_str!("../../workflows/kien-xuong-114-cv-hu.ron");

fn load_arc(source: &str) -> Arc<Workflow> {
    Arc::new(load(source).expect("fixture loads").workflow)
}

fn at(text: &str) -> Timestamp {
    Timestamp::parse(
        text,
        directrix_core::time::UtcOffset::from_hms(7, 0, 0).unwrap(),
    )
    .unwrap()
}

fn replace(source: &str, from: &str, to: &str) -> String {
    assert!(source.contains(from), "fixture edit not found: {from}");
    source.replacen(from, to, 1)
}

/// Version 2 of the seed: gained `hotline`, lost `vaccination` and Lê Lợi's share of
/// item 5, and the propaganda report is due a day later.
fn v2() -> String {
    let start = SEED
        .find("        (\n            id: \"vaccination\",")
        .unwrap();
    let end = SEED
        .find("        // ---------------------------------------------------------------- item 4")
        .unwrap();
    let mut s = format!("{}{}", &SEED[..start], &SEED[end..]);
    s = replace(
        &s,
        "\"contingency_plan\", \"vaccination\",",
        "\"contingency_plan\",",
    );
    s = replace(
        &s,
        "\"xa_thanh_tan\", \"xa_le_loi\",\n                \"party_tt",
        "\"xa_thanh_tan\",\n                \"party_tt",
    );
    s = replace(&s, "due: Days(3),", "due: Days(4),");
    replace(
        &s,
        "        // ---------------------------------------------------------------- item 3 (three parts)",
        r#"        (
            id: "hotline",
            title: "Đường dây nóng",
            lead: ["health"],
            due: Days(2),
            policy: "standard",
        ),
        // ---------------------------------------------------------------- item 3 (three parts)"#,
    )
}

/// The seed run to Saturday 08 May 12:00 with some work done.
fn running(workflow: &Arc<Workflow>) -> Instance {
    let (mut i, _) = Instance::start(workflow.clone(), workflow.directive().issued_at).unwrap();
    let t = at("2021-05-07 09:00");
    i.advance(t).unwrap();
    i.act_by_name(t, "radio_tv", "propaganda", "acknowledge", None)
        .unwrap();
    i.act_by_name(t, "health", "vaccination", "acknowledge", None)
        .unwrap();
    i.act_by_name(t, "party_office", "monitor_report", "report", None)
        .unwrap();
    i.act_by_name(t, "xa_le_loi", "activate_prevention", "start", None)
        .unwrap();
    i.advance(at("2021-05-08 12:00")).unwrap();
    i
}

// ------------------------------------------------------------------------ content hash

#[test]
fn the_hash_ignores_layout_comments_and_display_text() {
    let seed = load_arc(SEED);
    let edited = SEED
        .replace("    format: 1,", "// a new comment\n      format:   1 ,")
        .replace(
            "gloss: \"District Police\"",
            "gloss: \"The district police\"",
        )
        .replace("title: \"Đẩy mạnh", "title: \"Tiếp tục đẩy mạnh");
    assert_ne!(edited, SEED);
    assert_eq!(load_arc(&edited).content_hash(), seed.content_hash());
}

#[test]
fn the_hash_changes_with_what_the_engine_acts_on() {
    let seed = load_arc(SEED);
    for (from, to) in [
        ("due: Days(3),", "due: Days(4),"),
        ("\"2021-09-03\", // National Day, extra day", ""),
        (
            "(after: \"6h\", action: Escalate",
            "(after: \"7h\", action: Escalate",
        ),
        ("lead: [\"radio_tv\"],", "lead: [\"dept_culture\"],"),
    ] {
        let changed = load_arc(&replace(SEED, from, to));
        assert_ne!(changed.content_hash(), seed.content_hash(), "{from} → {to}");
    }
    assert_ne!(load_arc(&v2()).content_hash(), seed.content_hash());
}

#[test]
fn the_hash_is_pinned() {
    // Platform-independent by construction (FNV-1a over postcard bytes); pinned so an
    // accidental change (a new field, a serialiser upgrade) is noticed: it would make
    // every stored snapshot need a migration.
    assert_eq!(load_arc(SEED).content_hash(), "05ac53891074463c");
}

// ------------------------------------------------------------------------ restore

#[test]
fn snapshots_record_format_directive_and_version() {
    let seed = load_arc(SEED);
    let snapshot = running(&seed).snapshot();
    assert_eq!(snapshot.format, SNAPSHOT_FORMAT);
    assert_eq!(SNAPSHOT_FORMAT, 2);
    assert_eq!(snapshot.directive, "114-CV/HU");
    assert_eq!(snapshot.workflow_hash.as_deref(), Some(seed.content_hash()));
    let json = serde_json::to_value(&snapshot).unwrap();
    assert_eq!(json["workflow_hash"], seed.content_hash());
}

#[test]
fn restore_refuses_another_version_and_says_to_migrate() {
    let seed = load_arc(SEED);
    let snapshot = running(&seed).snapshot();
    let error = Instance::restore(load_arc(&v2()), snapshot.clone()).unwrap_err();
    assert!(
        matches!(error, RestoreError::OtherVersion { .. }),
        "{error:?}"
    );
    assert!(error.to_string().contains("directrix migrate"), "{error}");
    // The same version, loaded from an edited-only-in-layout file, restores.
    let relaid = load_arc(&SEED.replace("    format: 1,", "// relaid\n    format: 1,"));
    assert!(Instance::restore(relaid, snapshot).is_ok());
}

#[test]
fn a_format_1_snapshot_must_be_migrated() {
    let seed = load_arc(SEED);
    let instance = running(&seed);
    let mut json = serde_json::to_value(instance.snapshot()).unwrap();
    json["format"] = 1.into();
    json.as_object_mut().unwrap().remove("workflow_hash");
    let old: Snapshot = serde_json::from_value(json).unwrap();
    let error = Instance::restore(seed.clone(), old.clone()).unwrap_err();
    assert_eq!(error, RestoreError::NeedsMigration { found: 1 });
    assert!(error.to_string().contains("migrate"), "{error}");
    // Migrating onto the same version upgrades it.
    let (migrated, report) = Instance::migrate(&seed, seed.clone(), old).unwrap();
    assert!(report.added.is_empty() && report.removed.is_empty() && report.changed.is_empty());
    assert_eq!(migrated.snapshot().format, SNAPSHOT_FORMAT);
    assert_eq!(migrated.status(), instance.status());
    // An unknown format is still a plain format error.
    let mut future = instance.snapshot();
    future.format = 3;
    assert!(matches!(
        Instance::restore(seed, future),
        Err(RestoreError::Format {
            found: 3,
            expected: 2
        })
    ));
}

// ------------------------------------------------------------------------ migrate

#[test]
fn migration_maps_by_id_and_reports_added_removed_and_changed() {
    let seed = load_arc(SEED);
    let new = load_arc(&v2());
    let before = running(&seed);
    let (mut migrated, report) = Instance::migrate(&seed, new.clone(), before.snapshot()).unwrap();
    assert_eq!(report.added, ["hotline"]);
    let removed: Vec<_> = report
        .removed
        .iter()
        .map(|r| (r.task.as_str(), r.state.as_str()))
        .collect();
    assert_eq!(
        removed,
        [
            ("vaccination", "acknowledged"),
            ("activate_prevention[xa_le_loi]", "in_progress")
        ]
    );
    let changed: Vec<_> = report
        .changed
        .iter()
        .map(|c| (c.task.as_str(), c.what))
        .collect();
    assert_eq!(
        changed,
        [
            ("propaganda", "due_changed"),
            ("propaganda", "timers_rebuilt")
        ]
    );
    assert_eq!(report.kept, before.workflow().task_slots().len() - 2);
    assert_eq!(migrated.now(), before.now());
    // States carried by id.
    let state_of = |i: &Instance, task: &str| {
        let id = i.workflow().task_ref(task).unwrap();
        let machine = i.workflow().machine_of(id);
        machine.states[i.task_state(id).unwrap().state.index()]
            .id
            .clone()
    };
    for task in [
        "propaganda",
        "monitor_report",
        "health_readiness",
        "activate_prevention[xa_vu_quy]",
    ] {
        assert_eq!(state_of(&migrated, task), state_of(&before, task), "{task}");
    }
    // The new due time: four days after the letter, Tue 11 May 17:00.
    let propaganda = new.task_ref("propaganda").unwrap();
    assert_eq!(
        migrated.task_state(propaganda).unwrap().due,
        Some(at("2021-05-11 17:00"))
    );
    // The added task starts at the next advance, due two days from then.
    let hotline = new.task_ref("hotline").unwrap();
    assert_eq!(migrated.next_timer().unwrap().task, hotline);
    let effects = migrated.advance(migrated.now()).unwrap();
    assert!(
        effects
            .iter()
            .any(|e| e.task == hotline && e.kind == EffectKind::Started)
    );
    assert_eq!(
        migrated.task_state(hotline).unwrap().due,
        Some(at("2021-05-10 17:00"))
    );
    // The journal keeps the history and records the migration.
    assert_eq!(
        migrated.journal()[before.journal().len()],
        Input::Migrate {
            at: before.now(),
            from: seed.content_hash().to_owned(),
            to: new.content_hash().to_owned()
        }
    );
}

#[test]
fn the_migrated_instance_runs_on_under_the_new_rules() {
    let seed = load_arc(SEED);
    let new = load_arc(&v2());
    let (mut migrated, _) =
        Instance::migrate(&seed, new.clone(), running(&seed).snapshot()).unwrap();
    // Mobilise no longer waits for vaccination: finishing everything else unblocks it.
    let end = at("2021-05-25 17:00");
    while let Some(next) = migrated.next_timer().filter(|t| t.at <= end) {
        migrated.advance(next.at).unwrap();
    }
    let t = migrated.now();
    migrated
        .act_by_name(t, "radio_tv", "propaganda", "start", None)
        .unwrap();
    let effects = migrated
        .act_by_name(t, "radio_tv", "propaganda", "report", None)
        .unwrap();
    assert!(!effects.is_empty());
    assert!(
        migrated
            .act_by_name(t, "health", "vaccination", "start", None)
            .is_err()
    );
}

#[test]
fn migrating_onto_the_same_version_changes_no_behaviour() {
    let seed = load_arc(SEED);
    let mut original = running(&seed);
    let (mut migrated, report) =
        Instance::migrate(&seed, seed.clone(), original.snapshot()).unwrap();
    assert!(report.changed.is_empty());
    assert_eq!(migrated.next_timer(), original.next_timer());
    let end = at("2021-05-30 00:00");
    assert_eq!(
        migrated.advance(end).unwrap(),
        original.advance(end).unwrap()
    );
    assert_eq!(migrated.status(), original.status());
}

#[test]
fn replay_crosses_a_migration_with_every_version_given() {
    let seed = load_arc(SEED);
    let new = load_arc(&v2());
    let (mut migrated, _) =
        Instance::migrate(&seed, new.clone(), running(&seed).snapshot()).unwrap();
    let t = at("2021-05-08 13:00");
    migrated.advance(t).unwrap();
    migrated
        .act_by_name(t, "health", "hotline", "acknowledge", None)
        .unwrap();
    migrated.advance(at("2021-05-12 00:00")).unwrap();
    let replayed =
        Instance::replay_versions(&[seed.clone(), new.clone()], migrated.journal()).unwrap();
    assert_eq!(replayed, migrated);
    // One version is not enough.
    let error = Instance::replay(seed, migrated.journal()).unwrap_err();
    assert!(
        matches!(error, ReplayError::UnknownVersion { hash, .. } if hash == new.content_hash())
    );
}

#[test]
fn a_state_the_new_machine_lacks_is_refused_with_every_problem_listed() {
    let seed = load_arc(SEED);
    let mut instance = running(&seed);
    let t = instance.now();
    instance
        .act_by_name(t, "police", "force_alert", "start", None)
        .unwrap();
    // monitor_report is in `reporting`, force_alert in `in_progress`: neither exists in
    // the machine each moves to.
    let mut new = replace(SEED, "machine: \"recurring\",", "machine: \"default\",");
    new = replace(
        &new,
        "            policy: \"urgent\",\n        ),\n        (\n            id: \"tracing\"",
        "            policy: \"urgent\",\n            machine: \"recurring\",\n        ),\n        (\n            id: \"tracing\"",
    );
    let new = load_arc(&new);
    let error = Instance::migrate(&seed, new, instance.snapshot()).unwrap_err();
    let MigrateError::Refused(problems) = &error else {
        panic!("{error:?}")
    };
    assert_eq!(
        problems,
        &[
            MigrationProblem::StateRemoved {
                task: "force_alert".into(),
                state: "in_progress".into(),
                machine: "recurring".into()
            },
            MigrationProblem::StateRemoved {
                task: "monitor_report".into(),
                state: "reporting".into(),
                machine: "default".into()
            },
        ]
    );
    let text = error.to_string();
    assert!(
        text.contains("force_alert") && text.contains("monitor_report"),
        "{text}"
    );
}

#[test]
fn a_task_whose_pending_dependencies_were_removed_starts() {
    let old = replace(
        SEED,
        "depends_on: [\"health_readiness\"],",
        "depends_on: [\"health_readiness\"],\n            start: AfterDependencies,",
    );
    let new = replace(&old, "depends_on: [\"health_readiness\"],", "");
    let (old, new) = (load_arc(&old), load_arc(&new));
    let (instance, _) = Instance::start(old.clone(), old.directive().issued_at).unwrap();
    let plan = old.task_ref("contingency_plan").unwrap();
    assert_eq!(
        instance.task_state(plan).unwrap().phase,
        directrix_core::instance::Phase::Blocked
    );
    let (mut migrated, report) = Instance::migrate(&old, new.clone(), instance.snapshot()).unwrap();
    let changed: Vec<_> = report
        .changed
        .iter()
        .map(|c| (c.task.as_str(), c.what))
        .collect();
    assert_eq!(changed, [("contingency_plan", "unblocked")]);
    let effects = migrated.advance(migrated.now()).unwrap();
    let plan = new.task_ref("contingency_plan").unwrap();
    assert!(
        effects
            .iter()
            .any(|e| e.task == plan && e.kind == EffectKind::Started)
    );
}

#[test]
fn migrate_checks_the_old_version_and_the_directive() {
    let seed = load_arc(SEED);
    let new = load_arc(&v2());
    let snapshot = running(&seed).snapshot();
    assert!(matches!(
        Instance::migrate(&new, seed.clone(), snapshot.clone()),
        Err(MigrateError::NotTheOldVersion { .. })
    ));
    let other = load_arc(&replace(
        SEED,
        "number: \"114-CV/HU\"",
        "number: \"115-CV/HU\"",
    ));
    assert!(matches!(
        Instance::migrate(&seed, other, snapshot),
        Err(MigrateError::OtherDirective { .. })
    ));
}

// ------------------------------------------------------------------------ timer policy

/// The seed at Friday 07 May 18:00 with the daily report handed in once; restored five
/// days later, on Wednesday 12 May 18:00.
fn paused() -> (Arc<Workflow>, Instance, Timestamp) {
    let seed = load_arc(SEED);
    let (mut i, _) = Instance::start(seed.clone(), seed.directive().issued_at).unwrap();
    let t = at("2021-05-07 09:00");
    i.advance(t).unwrap();
    i.act_by_name(t, "party_office", "monitor_report", "report", None)
        .unwrap();
    i.advance(at("2021-05-07 18:00")).unwrap();
    (seed, i, at("2021-05-12 18:00"))
}

fn count(effects: &[directrix_core::Effect], task: &str, w: &Workflow, name: &str) -> usize {
    let id = w.task_ref(task).unwrap();
    effects
        .iter()
        .filter(|e| e.task == id && e.kind.name() == name)
        .count()
}

#[test]
fn catch_up_fires_every_missed_timer_in_order() {
    let (seed, mut live, later) = paused();
    let snapshot = live.snapshot();
    let expected = live.advance(later).unwrap();
    let (restored, effects) =
        Instance::restore_at(seed.clone(), snapshot, later, TimerPolicy::CatchUp).unwrap();
    assert_eq!(effects, expected);
    assert_eq!(restored, live);
    // The daily report: overdue at Sat 16:00, both leads reminded then, the supervisor's
    // warning a day later; once, not once a day (a recurring due does not pile up).
    assert_eq!(count(&effects, "monitor_report", &seed, "overdue"), 1);
    assert_eq!(count(&effects, "monitor_report", &seed, "reminded"), 2);
    assert_eq!(count(&effects, "monitor_report", &seed, "warned"), 1);
    // force_alert's daily escalation to the province fired once per missed day.
    assert!(count(&effects, "force_alert", &seed, "escalated") > 3);
    assert!(effects.windows(2).all(|w| w[0].at <= w[1].at));
}

#[test]
fn skip_journals_and_reports_each_skipped_escalation() {
    let (seed, live, later) = paused();
    let (restored, effects) =
        Instance::restore_at(seed.clone(), live.snapshot(), later, TimerPolicy::Skip).unwrap();
    // Facts still happen: the daily report is overdue; messages before `later` do not fire.
    assert_eq!(count(&effects, "monitor_report", &seed, "overdue"), 1);
    for kind in ["reminded", "warned", "escalated", "reassigned"] {
        assert!(
            effects
                .iter()
                .all(|e| e.kind.name() != kind || e.at == later),
            "{kind}"
        );
    }
    let monitor = seed.task_ref("monitor_report").unwrap();
    let skipped: Vec<_> = effects
        .iter()
        .filter_map(|e| match e.kind {
            EffectKind::Skipped { level } if e.task == monitor => Some((e.at, level)),
            _ => None,
        })
        .collect();
    assert_eq!(
        skipped,
        [(at("2021-05-08 16:00"), 1), (at("2021-05-09 16:00"), 3)]
    );
    let Some(Input::Resume {
        to,
        policy,
        skipped: journaled,
    }) = restored.journal().last()
    else {
        panic!("no resume record")
    };
    assert_eq!((*to, *policy), (later, TimerPolicy::Skip));
    assert_eq!(
        journaled.len(),
        effects
            .iter()
            .filter(|e| e.kind.name() == "skipped")
            .count()
    );
    // A repeating level resumes after `later`, not never.
    let force_alert = seed.task_ref("force_alert").unwrap();
    let mut again = restored.clone();
    let effects = again.advance(at("2021-05-14 00:00")).unwrap();
    assert!(
        effects
            .iter()
            .any(|e| e.task == force_alert && e.kind.name() == "escalated")
    );
    // Replay reproduces it exactly.
    assert_eq!(
        Instance::replay(seed, restored.journal()).unwrap(),
        restored
    );
}

#[test]
fn collapse_fires_a_repeating_escalation_once_at_its_latest_occurrence() {
    let (seed, live, later) = paused();
    let snapshot = live.snapshot();
    let (_, caught_up) =
        Instance::restore_at(seed.clone(), snapshot.clone(), later, TimerPolicy::CatchUp).unwrap();
    let (restored, effects) = Instance::restore_at(
        seed.clone(),
        snapshot,
        later,
        TimerPolicy::CollapseRecurring,
    )
    .unwrap();
    let province = seed.agency_id("province_standing").unwrap();
    let to_province = |effects: &[directrix_core::Effect], task: &str| -> Vec<Timestamp> {
        let id = seed.task_ref(task).unwrap();
        effects
            .iter()
            .filter(|e| {
                e.task == id
                    && matches!(e.kind, EffectKind::Escalated { target, .. } if target == province)
            })
            .map(|e| e.at)
            .collect()
    };
    // force_alert was due Fri 17:00; the province level (1d, repeat 1d) fell due daily.
    let all = to_province(&caught_up, "force_alert");
    assert!(all.len() > 1);
    assert_eq!(to_province(&effects, "force_alert"), [*all.last().unwrap()]);
    // Non-repeating levels and facts are as in catch-up: the daily report's.
    for kind in ["overdue", "reminded", "warned"] {
        assert_eq!(
            count(&effects, "monitor_report", &seed, kind),
            count(&caught_up, "monitor_report", &seed, kind),
            "{kind}"
        );
    }
    assert!(effects.len() < caught_up.len());
    assert_eq!(
        Instance::replay(seed, restored.journal()).unwrap(),
        restored
    );
}

#[test]
fn restore_at_refuses_an_earlier_time() {
    let (seed, live, _) = paused();
    let error = Instance::restore_at(
        seed,
        live.snapshot(),
        at("2021-05-07 12:00"),
        TimerPolicy::Skip,
    )
    .unwrap_err();
    assert!(
        matches!(error, RestoreError::TimeWentBackwards { .. }),
        "{error:?}"
    );
}

#[test]
fn a_reassignment_to_an_agency_that_is_gone_is_dropped_and_reported() {
    let source = |agencies: &str, action: &str| {
        format!(
            r#"(
    format: 1,
    directive: (number: "1/T", kind: "Test", issuer: "boss", issued_at: "2021-05-10 08:00", subject: "s"),
    calendar: (utc_offset: "+07:00"),
    agencies: [(id: "boss", name: "Boss"), (id: "unit", name: "Unit", parent: "boss"){agencies}],
    policies: [(id: "p", levels: [(after: "0h", action: {action})])],
    tasks: [(id: "t", title: "T", lead: ["unit"], due: After("1d"), policy: "p")],
)"#
        )
    };
    let old = load_arc(&source(
        r#", (id: "backup", name: "Backup", parent: "boss")"#,
        r#"Reassign, target: Agency("backup")"#,
    ));
    let new = load_arc(&source("", "Remind, target: Lead"));
    let (mut instance, _) = Instance::start(old.clone(), old.directive().issued_at).unwrap();
    instance.advance(at("2021-05-12 08:00")).unwrap();
    let t = old.task_ref("t").unwrap();
    assert_eq!(instance.leads(t), [old.agency_id("backup").unwrap()]);
    let (migrated, report) = Instance::migrate(&old, new.clone(), instance.snapshot()).unwrap();
    let changed: Vec<_> = report.changed.iter().map(|c| c.what).collect();
    assert_eq!(changed, ["reassignment_dropped", "timers_rebuilt"]);
    assert_eq!(migrated.leads(t), [new.agency_id("unit").unwrap()]);
    // Level 1 was reached before the migration: its new form does not fire again.
    assert_eq!(migrated.next_timer(), None);
}
