//! Tampered snapshots (issue "Robustness", item 3): a snapshot whose every index is in
//! range but whose state no sequence of inputs could have produced is refused with a
//! coded error by every way in (`restore`, `restore_at`, `migrate`); a snapshot that is
//! accepted runs (advance far, act, snapshot, restore) without panic.

use directrix_core::{
    Instance, Snapshot, Span, Timestamp, Workflow, instance::MigrateError, instance::RestoreError,
    instance::TimerPolicy, load,
};
use proptest::prelude::*;
use serde_json::{Value, json};
use std::sync::{Arc, LazyLock};

static WORKFLOW: LazyLock<Arc<Workflow>> = LazyLock::new(|| {
    Arc::new(
        load(include_str!("../../workflows/kien-xuong-114-cv-hu.ron"))
            .unwrap()
            .workflow,
    )
});

/// Acts on the first thing each agency may do that needs no note or due time.
fn act_once(instance: &mut Instance) {
    let workflow = Arc::clone(instance.workflow());
    let at = instance.now();
    for agency in 0..workflow.agencies().len() {
        let agency = directrix_core::workflow::AgencyId::from_index(agency as u32);
        if let Some(item) = instance
            .inbox(agency)
            .into_iter()
            .find(|i| !i.needs_note && !i.needs_until)
        {
            instance
                .act(at, agency, item.task, item.action, None)
                .expect("an inbox item can be acted on");
        }
    }
}

/// The seed after a busy day: tasks done and late, escalations fired, timers pending,
/// acts in the journal.
static BUSY: LazyLock<Instance> = LazyLock::new(|| {
    let workflow = Arc::clone(&WORKFLOW);
    let (mut instance, _) =
        Instance::start(workflow.clone(), workflow.directive().issued_at).unwrap();
    for hour in 1..=30 {
        let to = workflow
            .directive()
            .issued_at
            .saturating_add(Span::from_seconds(hour * 3600));
        instance.advance(to).unwrap();
        if hour % 5 == 0 {
            act_once(&mut instance);
        }
    }
    instance
});

fn snapshot_json() -> Value {
    serde_json::to_value(BUSY.snapshot()).unwrap()
}

/// The index of the first task instance whose status satisfies `pick`.
fn task_where(pick: impl Fn(&directrix_core::instance::TaskStatus) -> bool) -> usize {
    BUSY.status()
        .iter()
        .position(pick)
        .expect("the busy instance has such a task")
}

/// Every way a snapshot comes back, each with its error code, or `None` when accepted.
fn codes(snapshot: &Snapshot) -> [Option<&'static str>; 3] {
    let workflow = Arc::clone(&WORKFLOW);
    [
        Instance::restore(workflow.clone(), snapshot.clone())
            .err()
            .map(|e: RestoreError| e.code()),
        Instance::restore_at(
            workflow.clone(),
            snapshot.clone(),
            BUSY.now().saturating_add(Span::from_seconds(86_400)),
            TimerPolicy::Skip,
        )
        .err()
        .map(|e| e.code()),
        Instance::migrate(&workflow, workflow.clone(), snapshot.clone())
            .err()
            .map(|e: MigrateError| e.code()),
    ]
}

#[test]
fn the_untampered_snapshot_restores_every_way() {
    let snapshot: Snapshot = serde_json::from_value(snapshot_json()).unwrap();
    assert_eq!(codes(&snapshot), [None, None, None]);
    // The busy instance has what the cases below tamper with.
    assert!(BUSY.status().iter().any(|s| s.done));
    assert!(BUSY.status().iter().any(|s| s.level > 0));
    assert!(BUSY.next_timer().is_some());
}

/// An edit of a snapshot's JSON.
type Edit = Box<dyn Fn(&mut Value)>;

#[test]
fn impossible_states_are_refused_by_restore_restore_at_and_migrate() {
    let done = task_where(|s| s.done);
    let escalated = task_where(|s| s.level > 0 && !s.done);
    let waiting = task_where(|s| s.finished_at.is_none() && s.due.is_some());
    let cases: Vec<(&str, Edit)> = vec![
        (
            "a done task without finished_at",
            Box::new(move |v| v["state"]["tasks"][done]["finished_at"] = Value::Null),
        ),
        (
            "an unfinished task with finished_at",
            Box::new(move |v| {
                v["state"]["tasks"][waiting]["finished_at"] = v["state"]["now"].clone()
            }),
        ),
        (
            "escalation level 99 on a policy of 4 levels",
            Box::new(move |v| v["state"]["tasks"][escalated]["level"] = json!(99)),
        ),
        (
            "a timer before now",
            Box::new(|v| v["state"]["timers"][0]["at"] = json!(0)),
        ),
        (
            "a timer past the end of time",
            Box::new(|v| v["state"]["timers"][0]["at"] = json!(i64::MAX)),
        ),
        (
            "a journal act by agency 999",
            Box::new(|v| {
                let journal = v["state"]["journal"].as_array_mut().unwrap();
                let act = journal.iter_mut().find(|i| i["input"] == "act").unwrap();
                act["actor"] = json!(999);
            }),
        ),
        (
            "a journal act on task instance 99999",
            Box::new(|v| {
                let journal = v["state"]["journal"].as_array_mut().unwrap();
                let act = journal.iter_mut().find(|i| i["input"] == "act").unwrap();
                act["task"] = json!(99_999);
            }),
        ),
        (
            "a journal act of action 999",
            Box::new(|v| {
                let journal = v["state"]["journal"].as_array_mut().unwrap();
                let act = journal.iter_mut().find(|i| i["input"] == "act").unwrap();
                act["action"] = json!(999);
            }),
        ),
        (
            "a journal without its start",
            Box::new(|v| drop(v["state"]["journal"].as_array_mut().unwrap().remove(0))),
        ),
        (
            "a journal input after now",
            Box::new(|v| {
                let journal = v["state"]["journal"].as_array_mut().unwrap();
                journal.push(json!({"input": "advance", "to": 4_000_000_000i64}));
            }),
        ),
        (
            "now at i64::MAX",
            Box::new(|v| v["state"]["now"] = json!(i64::MAX)),
        ),
        (
            "a due time at i64::MIN",
            Box::new(move |v| v["state"]["tasks"][waiting]["due"] = json!(i64::MIN)),
        ),
        (
            "a due time at i64::MAX",
            Box::new(move |v| v["state"]["tasks"][waiting]["first_due"] = json!(i64::MAX)),
        ),
        (
            "a done counter that counts no done task",
            Box::new(|v| {
                let done = v["state"]["done"].as_array_mut().unwrap();
                let counter = done.iter_mut().find(|d| d == &&json!(0)).unwrap();
                *counter = json!(1);
            }),
        ),
        (
            "a done counter short of the done tasks",
            Box::new(|v| {
                let done = v["state"]["done"].as_array_mut().unwrap();
                let counter = done.iter_mut().find(|d| d != &&json!(0)).unwrap();
                *counter = json!(0);
            }),
        ),
        (
            "overdue with no due time passed",
            Box::new(move |v| {
                let task = &mut v["state"]["tasks"][waiting];
                task["overdue"] = json!(true);
                task["ever_overdue"] = json!(true);
                task["due"] = json!(4_000_000_000i64);
            }),
        ),
        (
            "a task not started yet with a due time",
            Box::new(|v| {
                let tasks = v["state"]["tasks"].as_array_mut().unwrap();
                let task = tasks.iter_mut().find(|t| t["phase"] == "running").unwrap();
                task["phase"] = json!("waiting");
            }),
        ),
    ];
    let mut failures = Vec::new();
    for (what, edit) in &cases {
        let mut value = snapshot_json();
        edit(&mut value);
        assert_ne!(value, snapshot_json(), "{what}: the edit changed nothing");
        let snapshot: Snapshot = match serde_json::from_value(value) {
            Ok(snapshot) => snapshot,
            Err(e) => {
                failures.push(format!("{what}: does not even parse ({e})"));
                continue;
            }
        };
        let codes = codes(&snapshot);
        if codes != [Some("invalid_snapshot"); 3] {
            failures.push(format!("{what}: {codes:?}"));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn negative_counters_do_not_read_as_a_snapshot() {
    for field in ["level", "extensions", "returns", "state_epoch"] {
        let mut value = snapshot_json();
        value["state"]["tasks"][0][field] = json!(-1);
        assert!(
            serde_json::from_value::<Snapshot>(value).is_err(),
            "{field}"
        );
    }
    let mut value = snapshot_json();
    value["state"]["done"][0] = json!(-1);
    assert!(serde_json::from_value::<Snapshot>(value).is_err());
}

/// An accepted instance runs: advance far, act, snapshot and restore its own snapshot.
fn runs(mut instance: Instance) {
    let end = instance
        .now()
        .saturating_add(Span::from_seconds(400 * 86_400));
    for _ in 0..50 {
        act_once(&mut instance);
        match instance.next_timer() {
            Some(next) if next.at <= end => {
                assert!(next.at >= instance.now() && next.at <= Timestamp::MAX);
                let _ = instance.advance(next.at);
            }
            _ => break,
        }
    }
    let _ = instance.advance(end);
    act_once(&mut instance);
    let _ = instance.grid();
    let _ = instance.status_records();
    let json = serde_json::to_string(&instance.snapshot()).unwrap();
    let again = Instance::restore(
        Arc::clone(instance.workflow()),
        serde_json::from_str(&json).unwrap(),
    )
    .expect("an accepted instance's own snapshot restores");
    assert_eq!(again, instance);
}

/// One leaf of the snapshot's JSON: its path.
fn leaves(value: &Value, path: &mut Vec<Value>, out: &mut Vec<Vec<Value>>) {
    match value {
        Value::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                path.push(json!(i));
                leaves(item, path, out);
                path.pop();
            }
        }
        Value::Object(fields) => {
            for (name, item) in fields {
                path.push(json!(name));
                leaves(item, path, out);
                path.pop();
            }
        }
        _ => out.push(path.clone()),
    }
}

fn at_path<'v>(value: &'v mut Value, path: &[Value]) -> &'v mut Value {
    path.iter().fold(value, |v, key| match key {
        Value::Number(i) => &mut v[i.as_u64().unwrap() as usize],
        Value::String(name) => &mut v[name.as_str()],
        _ => unreachable!(),
    })
}

static LEAVES: LazyLock<Vec<Vec<Value>>> = LazyLock::new(|| {
    let mut out = Vec::new();
    leaves(&snapshot_json(), &mut Vec::new(), &mut out);
    // Leave the identity alone: another format, directive or version is its own error.
    out.retain(|path| path.first() == Some(&json!("state")));
    out
});

fn mutation(original: &Value, choice: u8) -> Value {
    let n = original.as_i64();
    match choice % 10 {
        0 => json!(0),
        1 => json!(-1),
        2 => json!(999),
        3 => json!(i64::MAX),
        4 => json!(i64::MIN),
        5 => json!(n.map_or(1, |n| n.saturating_add(1))),
        6 => json!(n.map_or(-1, |n| n.saturating_sub(86_400))),
        7 => json!(n.map_or(1, |n| n.saturating_add(86_400 * 365))),
        8 => Value::Null,
        _ => match original {
            Value::Bool(b) => json!(!b),
            _ => json!(true),
        },
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 1000, ..ProptestConfig::default() })]

    /// Any one field of the state changed to a hostile value: a coded error every way
    /// in, or an instance that runs.
    #[test]
    fn a_mutated_snapshot_is_a_coded_error_or_runs(
        picks in proptest::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..=3)
    ) {
        let mut value = snapshot_json();
        for (leaf, choice) in &picks {
            let path = leaf.get(&LEAVES);
            let slot = at_path(&mut value, path);
            *slot = mutation(slot, *choice);
        }
        let Ok(snapshot) = serde_json::from_value::<Snapshot>(value) else {
            return Ok(());
        };
        for code in codes(&snapshot).into_iter().flatten() {
            prop_assert!(!code.is_empty());
        }
        if let Ok(instance) = Instance::restore(Arc::clone(&WORKFLOW), snapshot.clone()) {
            runs(instance);
        }
        if let Ok((instance, _)) = Instance::migrate(&WORKFLOW, Arc::clone(&WORKFLOW), snapshot) {
            runs(instance);
        }
    }
}

/// A task after a fan-out over an empty group is blocked from the start (nothing ever
/// completes to release it); its snapshot still restores.
#[test]
fn a_task_blocked_behind_an_empty_fan_out_restores() {
    let source = r#"(
    format: 1,
    directive: (number: "1/T", kind: "Test", issuer: "boss", issued_at: "2021-05-10 08:00", subject: "s"),
    calendar: (utc_offset: "+07:00"),
    agencies: [(id: "boss", name: "Boss"), (id: "unit", name: "Unit", parent: "boss")],
    groups: [(id: "none", name: "None", members: [])],
    tasks: [
        (id: "each", title: "E", for_each: "none", due: Days(1)),
        (id: "after", title: "A", lead: ["unit"], depends_on: ["each"], start: AfterDependencies, due: Days(2)),
    ],
)"#;
    let workflow = Arc::new(load(source).unwrap().workflow);
    let (mut instance, _) =
        Instance::start(workflow.clone(), workflow.directive().issued_at).unwrap();
    instance
        .advance(
            workflow
                .directive()
                .issued_at
                .saturating_add(Span::from_seconds(86_400)),
        )
        .unwrap();
    let json = serde_json::to_string(&instance.snapshot()).unwrap();
    let restored = Instance::restore(workflow, serde_json::from_str(&json).unwrap()).unwrap();
    assert_eq!(restored, instance);
}
