//! Generated workflows, not only generated events: random agency forests (of random
//! depth), groups, tasks with fan-out (`for_each`), dependencies, every kind of due rule,
//! escalation policies with levels, targets and repeats, measures in force for a period
//! (`in_force`), and now and then a custom lifecycle machine, written as RON text the way
//! a person writes it.
//!
//! Each one must load with no error and only the warnings a valid workflow may carry
//! (`WARNINGS`). The dependencies are acyclic by construction; now and then a cycle is
//! added on purpose, and then the only errors are `dependency-cycle`. A loaded workflow is
//! then run by the random `act` / `advance` sequences of `invariants.rs` (actions from
//! the inboxes and arbitrary ones), checking the engine's invariants at every step
//! (`common/mod.rs`), replay, and snapshot → restore → continue; its compiled bytes load
//! back to the same workflow, and its silent scenario simulates.
//!
//! The default case count keeps `cargo test` quick; for a longer search:
//! `PROPTEST_CASES=2000 cargo test -p directrix-core --test generated_workflows`.

mod common;

use common::{Step, replay_equals_state, restore_continues, steps};
use directrix_core::{
    Limits, Scenario, Severity, Workflow, check, load, render::Graph, render::GraphFormat,
    render::render_graph, simulate,
};
use proptest::prelude::*;
use std::fmt::Write as _;
use std::sync::Arc;

/// Warnings a valid generated workflow may carry: the generator writes times, offsets and
/// targets freely, so tasks may start before the directive, be due before they start or
/// before a dependency can be done, have too little time for their expected effort, have
/// levels that cannot fire or address someone outside the lead's reporting line.
const WARNINGS: &[&str] = &[
    "starts-before-issue",
    "due-before-start",
    "due-before-dependency",
    "deadline-unreachable",
    "level-never-fires",
    "target-outside-reporting-line",
    "addressee-without-task",
];

#[derive(Debug, Clone)]
struct Agency {
    /// The parent among the agencies before this one (agency 0 is a root), so a forest
    /// by construction: half the draws pick one of the last two (long chains), the others
    /// any (bushy trees).
    parent: Option<usize>,
    kind: usize,
}

#[derive(Debug, Clone)]
enum Due {
    /// Hours after the issue time.
    At(i64),
    After(u32),
    Days(u32),
    WorkingDays(u32),
    ClockTime {
        hour: u8,
        minute: u8,
        days: u32,
    },
    Every {
        hours: u32,
        at: Option<u8>,
        days: u32,
    },
    Periodic {
        period: usize,
        cutoff: u8,
        working: bool,
        within: u32,
        months: u32,
    },
    /// A measure in force (`in_force`, no `due`): from hours after the issue time (or the
    /// task's start), for `length` hours, the final report `report` hours after its end.
    InForce {
        from: Option<i64>,
        length: u32,
        report: u32,
    },
}

impl Due {
    fn recurring(&self) -> bool {
        matches!(self, Due::Every { .. } | Due::Periodic { .. })
    }
}

#[derive(Debug, Clone)]
enum Lead {
    /// Indices of agencies (modulo their count, duplicates dropped).
    Agencies(Vec<usize>),
    /// One instance per member of a group (modulo the groups; agencies when none).
    ForEach(usize),
}

#[derive(Debug, Clone)]
enum Start {
    AtIssue,
    AfterDependencies,
    /// Hours after the issue time.
    At(i64),
}

#[derive(Debug, Clone)]
enum Effort {
    WorkingDays(u32),
    Hours(u32),
}

#[derive(Debug, Clone)]
struct Task {
    lead: Lead,
    support: Vec<usize>,
    /// Indices of earlier tasks (modulo this task's index): acyclic by construction.
    depends_on: Vec<usize>,
    start: Start,
    due: Option<Due>,
    /// Under the custom machine (when there is one and the due is not recurring).
    custom: bool,
    policy: Option<usize>,
    supervisor: Option<usize>,
    expected: Option<Effort>,
}

#[derive(Debug, Clone)]
enum Target {
    Lead,
    Parent,
    Supervisor,
    SupervisorParent,
    Issuer,
    ParentIssuer,
    Agency(usize),
}

#[derive(Debug, Clone)]
struct Level {
    /// Hours after the anchor (negative: before the due time).
    after: i64,
    /// `Entered` one of the states every machine here has, instead of the due time.
    entered: Option<bool>,
    action: usize,
    target: Target,
    repeat: Option<u32>,
}

#[derive(Debug, Clone)]
struct Machine {
    /// The roles that may start the work: lead only, or lead and support.
    support_works: bool,
    /// Guards on handing in: dependencies done, before the due time.
    guards: (bool, bool),
    /// A timed transition: acknowledged work starts by itself after this many hours.
    timed: Option<u32>,
    /// Extension steps (request, approve, refuse).
    extension: bool,
    /// Who accepts: the supervisor, or the issuer.
    issuer_accepts: bool,
}

#[derive(Debug, Clone)]
struct Model {
    /// Issue time: year, month, day, hour; and the UTC offset (index into `OFFSETS`).
    issued: (i32, u32, u32, u32),
    offset: usize,
    /// Weekend days (indices into `DAYS`, at most five kept) and holidays (days after issue).
    weekend: Vec<usize>,
    holidays: Vec<u32>,
    issuer: usize,
    addressees: Vec<usize>,
    agencies: Vec<Agency>,
    groups: Vec<Vec<usize>>,
    policies: Vec<Vec<Level>>,
    machine: Option<Machine>,
    tasks: Vec<Task>,
    /// Adds a dependency cycle through these two tasks (the same one: a self-dependency).
    cycle: Option<(usize, usize)>,
}

const OFFSETS: &[&str] = &["+07:00", "+00:00", "-03:30", "+14:00"];
const DAYS: &[&str] = &["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];
const KINDS: &[&str] = &["Party", "State", "Force", "Mass", "Service", "Committee"];
const ACTIONS: &[&str] = &["Remind", "Warn", "Escalate", "Reassign"];
const PERIODS: &[&str] = &["Monthly", "Quarterly", "HalfYearly", "Yearly"];

fn due() -> impl Strategy<Value = Due> {
    // Small counts: a due past year 9999 (`Days(3000000)`) is a located `out-of-range`
    // error, covered by core/tests/diagnostics.rs; generated workflows must load.
    prop_oneof![
        (-24i64..400).prop_map(Due::At),
        (proptest::option::of(-48i64..200), 1u32..400, 1u32..48).prop_map(
            |(from, length, report)| Due::InForce {
                from,
                length,
                report
            }
        ),
        (1u32..200).prop_map(Due::After),
        (0u32..30).prop_map(Due::Days),
        (0u32..20).prop_map(Due::WorkingDays),
        (0u8..24, prop_oneof![Just(0u8), Just(30)], 0u32..5)
            .prop_map(|(hour, minute, days)| Due::ClockTime { hour, minute, days }),
        (
            prop_oneof![Just(24u32), 1u32..72, Just(168)],
            proptest::option::of(0u8..24),
            0u32..30
        )
            .prop_map(|(hours, at, days)| Due::Every { hours, at, days }),
        (0usize..4, 1u8..=31, any::<bool>(), 0u32..10, 0u32..15).prop_map(
            |(period, cutoff, working, within, months)| Due::Periodic {
                period,
                cutoff,
                working,
                within,
                months
            }
        ),
    ]
}

fn task() -> impl Strategy<Value = Task> {
    let lead = prop_oneof![
        3 => prop::collection::vec(any::<usize>(), 1..3).prop_map(Lead::Agencies),
        1 => any::<usize>().prop_map(Lead::ForEach),
    ];
    let start = prop_oneof![
        4 => Just(Start::AtIssue),
        2 => Just(Start::AfterDependencies),
        1 => (-48i64..100).prop_map(Start::At),
    ];
    let effort = prop_oneof![
        (0u32..5).prop_map(Effort::WorkingDays),
        (1u32..72).prop_map(Effort::Hours),
    ];
    (
        lead,
        prop::collection::vec(any::<usize>(), 0..3),
        prop::collection::vec(any::<usize>(), 0..3),
        start,
        proptest::option::weighted(0.85, due()),
        any::<bool>(),
        proptest::option::weighted(0.7, any::<usize>()),
        proptest::option::weighted(0.3, any::<usize>()),
        proptest::option::of(effort),
    )
        .prop_map(
            |(lead, support, depends_on, start, due, custom, policy, supervisor, expected)| Task {
                lead,
                support,
                depends_on,
                start,
                due,
                custom,
                policy,
                supervisor,
                expected,
            },
        )
}

fn level() -> impl Strategy<Value = Level> {
    let target = prop_oneof![
        Just(Target::Lead),
        Just(Target::Parent),
        Just(Target::Supervisor),
        Just(Target::SupervisorParent),
        Just(Target::Issuer),
        Just(Target::ParentIssuer),
        any::<usize>().prop_map(Target::Agency),
    ];
    (
        -48i64..96,
        proptest::option::weighted(0.25, any::<bool>()),
        0usize..ACTIONS.len(),
        target,
        proptest::option::weighted(0.3, 1u32..48),
    )
        .prop_map(|(after, entered, action, target, repeat)| Level {
            after,
            entered,
            action,
            target,
            repeat,
        })
}

fn machine() -> impl Strategy<Value = Machine> {
    (
        any::<bool>(),
        (any::<bool>(), any::<bool>()),
        proptest::option::of(1u32..72),
        any::<bool>(),
        any::<bool>(),
    )
        .prop_map(
            |(support_works, guards, timed, extension, issuer_accepts)| Machine {
                support_works,
                guards,
                timed,
                extension,
                issuer_accepts,
            },
        )
}

fn model() -> impl Strategy<Value = Model> {
    (
        (2020i32..=2026, 1u32..=12, 1u32..=28, 0u32..24),
        0..OFFSETS.len(),
        prop::collection::vec(0..DAYS.len(), 0..3),
        prop::collection::vec(0u32..30, 0..4),
        any::<usize>(),
        prop::collection::vec(any::<usize>(), 0..3),
        prop::collection::vec(
            (
                proptest::option::weighted(0.85, any::<usize>()),
                0..KINDS.len(),
            )
                .prop_map(|(parent, kind)| Agency { parent, kind }),
            1..10,
        ),
        prop::collection::vec(prop::collection::vec(any::<usize>(), 1..5), 0..3),
        prop::collection::vec(prop::collection::vec(level(), 1..5), 0..3),
        proptest::option::weighted(0.3, machine()),
        prop::collection::vec(task(), 1..7),
        proptest::option::weighted(0.15, (any::<usize>(), any::<usize>())),
    )
        .prop_map(
            |(
                issued,
                offset,
                weekend,
                holidays,
                issuer,
                addressees,
                agencies,
                groups,
                policies,
                machine,
                tasks,
                cycle,
            )| Model {
                issued,
                offset,
                weekend,
                holidays,
                issuer,
                addressees,
                agencies,
                groups,
                policies,
                machine,
                tasks,
                cycle,
            },
        )
}

/// Distinct values of `indices` modulo `n`, in first-seen order.
fn distinct(indices: &[usize], n: usize) -> Vec<usize> {
    let mut out = Vec::new();
    for &i in indices {
        if !out.contains(&(i % n)) {
            out.push(i % n);
        }
    }
    out
}

fn list(items: impl IntoIterator<Item = String>) -> String {
    let items: Vec<String> = items.into_iter().map(|i| format!("\"{i}\"")).collect();
    format!("[{}]", items.join(", "))
}

/// A generated workflow: its RON text (printed as is when a case fails) and whether a
/// dependency cycle was written into it.
struct Generated {
    text: String,
    cycle: bool,
}

impl std::fmt::Debug for Generated {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        writeln!(f, "cycle: {}, workflow:", self.cycle)?;
        f.write_str(&self.text)
    }
}

impl Model {
    /// The issue time plus `hours`, as local time (`YYYY-MM-DD HH:MM`).
    fn time(&self, hours: i64) -> String {
        let (year, month, day, hour) = self.issued;
        let issued = time::PrimitiveDateTime::new(
            time::Date::from_calendar_date(
                year,
                time::Month::try_from(month as u8).unwrap(),
                day as u8,
            )
            .unwrap(),
            time::Time::from_hms(hour as u8, 0, 0).unwrap(),
        );
        let at = issued + time::Duration::hours(hours);
        format!(
            "{:04}-{:02}-{:02} {:02}:{:02}",
            at.year(),
            u8::from(at.month()),
            at.day(),
            at.hour(),
            at.minute()
        )
    }

    fn date(&self, days: i64) -> String {
        self.time(days * 24)[..10].to_owned()
    }

    fn render(&self) -> Generated {
        let n = self.agencies.len();
        let agency = |i: usize| format!("a{}", i % n);
        let groups: Vec<Vec<usize>> = self.groups.iter().map(|g| distinct(g, n)).collect();
        let mut text = String::new();
        let w = &mut text;
        let _ = writeln!(w, "(\n    format: 1,");
        let _ = writeln!(
            w,
            "    directive: (number: \"1/GEN\", kind: \"Công văn\", issuer: \"{}\", issued_at: \"{}\", subject: \"generated\", addressees: {}),",
            agency(self.issuer),
            self.time(0),
            list(distinct(&self.addressees, n).into_iter().map(agency)),
        );
        let mut weekend = distinct(&self.weekend, DAYS.len());
        weekend.sort_unstable();
        let holidays: Vec<String> = {
            let mut days = self.holidays.clone();
            days.sort_unstable();
            days.dedup();
            days.into_iter().map(|d| self.date(i64::from(d))).collect()
        };
        let _ = writeln!(
            w,
            "    calendar: (utc_offset: \"{}\", weekend: [{}], holidays: {}, day_end: \"17:00\"),",
            OFFSETS[self.offset],
            weekend
                .iter()
                .map(|&d| DAYS[d])
                .collect::<Vec<_>>()
                .join(", "),
            list(holidays),
        );
        let _ = writeln!(w, "    agencies: [");
        for (i, a) in self.agencies.iter().enumerate() {
            let parent = match a.parent {
                Some(p) if i > 0 => {
                    let back = if p % 2 == 0 {
                        p / 2 % i.min(2)
                    } else {
                        p / 2 % i
                    };
                    format!(", parent: \"a{}\"", i - 1 - back)
                }
                _ => String::new(),
            };
            let _ = writeln!(
                w,
                "        (id: \"a{i}\", name: \"Cơ quan {i}\", kind: {}{parent}),",
                KINDS[a.kind]
            );
        }
        let _ = writeln!(w, "    ],\n    groups: [");
        for (g, members) in groups.iter().enumerate() {
            let _ = writeln!(
                w,
                "        (id: \"g{g}\", name: \"Nhóm {g}\", members: {}),",
                list(members.iter().map(|&m| agency(m)))
            );
        }
        let _ = writeln!(w, "    ],");
        if let Some(m) = &self.machine {
            let work_by = if m.support_works {
                "[Lead, Support]"
            } else {
                "[Lead]"
            };
            let mut guards = Vec::new();
            if m.guards.0 {
                guards.push("DependenciesDone");
            }
            if m.guards.1 {
                guards.push("BeforeDue");
            }
            let accept_by = if m.issuer_accepts {
                "[Issuer]"
            } else {
                "[Supervisor]"
            };
            let _ = writeln!(
                w,
                r#"    machines: [(
        id: "custom",
        states: [
            (id: "assigned", kind: Initial),
            (id: "acknowledged"),
            (id: "working"),
            (id: "handed_in", submitted: true),
            (id: "done", kind: Done),
            (id: "dropped", kind: Cancelled),
        ],
        transitions: [
            (on: "acknowledge", from: ["assigned"], to: "acknowledged", by: [Lead]),
            (on: "work", from: ["assigned", "acknowledged"], to: "working", by: {work_by}),
            (on: "hand_in", from: ["working"], to: "handed_in", by: [Lead], guards: [{}], reports: true),
            (on: "approve", from: ["handed_in"], to: "done", by: {accept_by}),
            (on: "send_back", from: ["handed_in"], to: "working", by: {accept_by}, guards: [WithNote], returns_report: true),
            (on: "drop", from: ["assigned", "acknowledged", "working", "handed_in"], to: "dropped", by: [Issuer]),"#,
                guards.join(", ")
            );
            if let Some(hours) = m.timed {
                let _ = writeln!(
                    w,
                    "            (on: \"lapse\", from: [\"acknowledged\"], to: \"working\", by: [System], after: \"{hours}h\"),"
                );
            }
            if m.extension {
                let _ = writeln!(
                    w,
                    r#"            (on: "ask_more_time", from: ["assigned", "acknowledged", "working"], by: [Lead], guards: [WithNote], extension: Request),
            (on: "grant_more_time", from: ["assigned", "acknowledged", "working", "handed_in"], by: {accept_by}, extension: Approve),
            (on: "deny_more_time", from: ["assigned", "acknowledged", "working", "handed_in"], by: {accept_by}, extension: Refuse),"#
                );
            }
            let _ = writeln!(w, "        ],\n    )],");
        }
        let _ = writeln!(w, "    policies: [");
        for (p, levels) in self.policies.iter().enumerate() {
            // Offsets are non-decreasing across the whole list (else `escalation-order`);
            // an offset from entering a state is not negative.
            let mut levels = levels.clone();
            for level in &mut levels {
                if level.entered.is_some() {
                    level.after = level.after.abs();
                }
            }
            levels.sort_by_key(|l| l.after);
            let _ = writeln!(w, "        (id: \"p{p}\", levels: [");
            for l in &levels {
                let from = match l.entered {
                    Some(true) => ", from: Entered(\"assigned\")",
                    Some(false) => ", from: Entered(\"acknowledged\")",
                    None => "",
                };
                let target = match &l.target {
                    Target::Lead => "Lead".to_owned(),
                    Target::Parent => "Parent".to_owned(),
                    Target::Supervisor => "Supervisor".to_owned(),
                    Target::SupervisorParent => "SupervisorParent".to_owned(),
                    Target::Issuer => "Issuer".to_owned(),
                    Target::ParentIssuer => "ParentIssuer".to_owned(),
                    Target::Agency(a) => format!("Agency(\"{}\")", agency(*a)),
                };
                let repeat = l
                    .repeat
                    .map(|h| format!(", repeat: \"{h}h\""))
                    .unwrap_or_default();
                let _ = writeln!(
                    w,
                    "            (after: \"{}h\"{from}, action: {}, target: {target}{repeat}),",
                    l.after, ACTIONS[l.action]
                );
            }
            let _ = writeln!(w, "        ]),");
        }
        let _ = writeln!(w, "    ],\n    tasks: [");
        let count = self.tasks.len();
        let mut depends: Vec<Vec<usize>> = self
            .tasks
            .iter()
            .enumerate()
            .map(|(i, t)| {
                if i == 0 {
                    Vec::new()
                } else {
                    distinct(&t.depends_on, i)
                }
            })
            .collect();
        if let Some((a, b)) = self.cycle {
            let (a, b) = (a % count, b % count);
            // b depends on a, and a on b: a cycle (of one task when a == b).
            if !depends[b].contains(&a) {
                depends[b].push(a);
            }
            if !depends[a].contains(&b) {
                depends[a].push(b);
            }
        }
        for (i, t) in self.tasks.iter().enumerate() {
            let _ = write!(w, "        (id: \"t{i}\", title: \"Nhiệm vụ {i}\"");
            match &t.lead {
                Lead::ForEach(g) if !groups.is_empty() => {
                    let _ = write!(w, ", for_each: \"g{}\"", g % groups.len());
                }
                Lead::ForEach(a) => {
                    let _ = write!(w, ", lead: {}", list([agency(*a)]));
                }
                Lead::Agencies(leads) => {
                    let _ = write!(
                        w,
                        ", lead: {}",
                        list(distinct(leads, n).into_iter().map(agency))
                    );
                }
            }
            if !t.support.is_empty() {
                // Agencies, and a group now and then.
                let support = distinct(&t.support, n + groups.len()).into_iter().map(|s| {
                    if s < n {
                        agency(s)
                    } else {
                        format!("g{}", s - n)
                    }
                });
                let _ = write!(w, ", support: {}", list(support));
            }
            if !depends[i].is_empty() {
                let _ = write!(
                    w,
                    ", depends_on: {}",
                    list(depends[i].iter().map(|d| format!("t{d}")))
                );
            }
            match t.start {
                Start::AtIssue => {}
                Start::AfterDependencies => {
                    let _ = write!(w, ", start: AfterDependencies");
                }
                Start::At(hours) => {
                    let _ = write!(w, ", start: At(\"{}\")", self.time(hours));
                }
            }
            if let Some(due) = &t.due {
                let rule = match due {
                    Due::At(hours) => format!("At(\"{}\")", self.time(*hours)),
                    Due::After(hours) => format!("After(\"{hours}h\")"),
                    Due::Days(d) => format!("Days({d})"),
                    Due::WorkingDays(d) => format!("WorkingDays({d})"),
                    Due::ClockTime { hour, minute, days } => {
                        format!("ClockTime(at: \"{hour:02}:{minute:02}\", days: {days})")
                    }
                    Due::Every { hours, at, days } => format!(
                        "Every(every: \"{hours}h\"{}, until: \"{}\")",
                        at.map(|h| format!(", at: \"{h:02}:00\""))
                            .unwrap_or_default(),
                        self.time(i64::from(*days) * 24)
                    ),
                    Due::Periodic {
                        period,
                        cutoff,
                        working,
                        within,
                        months,
                    } => format!(
                        "Periodic(period: {}, cutoff_day: {cutoff}, submit_within: {}({within}), until: \"{}\")",
                        PERIODS[*period],
                        if *working { "WorkingDays" } else { "Days" },
                        self.date(i64::from(*months) * 31),
                    ),
                    Due::InForce {
                        from,
                        length,
                        report,
                    } => {
                        let from = from
                            .map(|h| format!("from: \"{}\", ", self.time(h)))
                            .unwrap_or_default();
                        let _ = write!(
                            w,
                            ", in_force: ({from}length: \"{length}h\", report_within: \"{report}h\")"
                        );
                        String::new()
                    }
                };
                if !rule.is_empty() {
                    let _ = write!(w, ", due: {rule}");
                }
            }
            // The custom machine has no recurring states: only for one-off dues.
            if t.custom && self.machine.is_some() && !t.due.as_ref().is_some_and(Due::recurring) {
                let _ = write!(w, ", machine: \"custom\"");
            }
            if let (Some(p), false) = (t.policy, self.policies.is_empty()) {
                let _ = write!(w, ", policy: \"p{}\"", p % self.policies.len());
            }
            if let Some(s) = t.supervisor {
                let _ = write!(w, ", supervisor: \"{}\"", agency(s));
            }
            match t.expected {
                Some(Effort::WorkingDays(d)) => {
                    let _ = write!(w, ", expected: WorkingDays({d})");
                }
                Some(Effort::Hours(h)) => {
                    let _ = write!(w, ", expected: Elapsed(\"{h}h\")");
                }
                None => {}
            }
            let _ = writeln!(w, "),");
        }
        let _ = writeln!(w, "    ],\n)");
        Generated {
            text,
            cycle: self.cycle.is_some(),
        }
    }
}

fn generated() -> impl Strategy<Value = Generated> {
    model().prop_map(|m| m.render())
}

/// Loads a generated workflow, checking its diagnostics: none but the allowed warnings,
/// or, with a cycle written in, errors that are all `dependency-cycle`. Returns it when
/// it loads.
fn load_generated(generated: &Generated) -> Option<Arc<Workflow>> {
    let text = &generated.text;
    let result = load(text);
    let diagnostics = match &result {
        Ok(loaded) => loaded.warnings.clone(),
        Err(error) => error.diagnostics.clone(),
    };
    assert_eq!(check(text), diagnostics, "check and load disagree\n{text}");
    for d in &diagnostics {
        if let Some(span) = &d.span {
            assert!(span.start <= span.end && span.end <= text.len(), "{d:?}");
        }
        match d.severity {
            Severity::Error => assert!(
                generated.cycle && d.code.as_str() == "dependency-cycle",
                "unexpected error {}: {d}\n{text}",
                d.code.as_str()
            ),
            Severity::Warning => assert!(
                WARNINGS.contains(&d.code.as_str()),
                "unexpected warning {}: {d}\n{text}",
                d.code.as_str()
            ),
        }
    }
    if generated.cycle {
        assert!(
            result.is_err(),
            "a dependency cycle was not reported:\n{text}"
        );
        return None;
    }
    let workflow = Arc::new(result.unwrap_or_else(|e| panic!("{e}\n{text}")).workflow);
    // Everything a host does with a fresh workflow runs.
    let _ = workflow.inspection();
    let _ = workflow.analysis();
    let _ = workflow.critical_path();
    for view in [Graph::Tasks, Graph::Agencies, Graph::Documents] {
        for format in [GraphFormat::Dot, GraphFormat::Mermaid] {
            let _ = render_graph(&workflow, view, format);
        }
    }
    let again = Workflow::from_compiled(&workflow.to_compiled(), &Limits::default())
        .unwrap_or_else(|e| panic!("own compiled bytes refused: {e}\n{text}"));
    assert_eq!(again.content_hash(), workflow.content_hash());
    let silent = simulate(Arc::clone(&workflow), &Scenario::silent(&workflow), 1, None)
        .unwrap_or_else(|e| panic!("a 14-day silent run failed: {e}\n{text}"));
    serde_json::to_string(&silent.report()).unwrap();
    Some(workflow)
}

proptest! {
    // Modest, so `cargo test` stays quick in debug builds; raise with PROPTEST_CASES.
    #![proptest_config(ProptestConfig::with_cases(24))]

    #[test]
    fn generated_workflows_validate_and_keep_the_invariants(
        generated in generated(),
        steps in steps(),
        cut in any::<prop::sample::Index>(),
    ) {
        if let Some(workflow) = load_generated(&generated) {
            replay_equals_state(&workflow, &steps);
            restore_continues(&workflow, &steps, cut.index(steps.len() + 1));
        }
    }
}

/// The generator covers what it claims: cycles reported, fan-out, every due kind, custom
/// machines, policies with repeats, and runs that complete and escalate tasks.
#[test]
fn the_generator_covers_the_format() {
    use proptest::strategy::ValueTree;
    use proptest::test_runner::TestRunner;
    let mut runner = TestRunner::deterministic();
    let mut seen = std::collections::BTreeSet::new();
    let mut reach = common::Reach::default();
    for _ in 0..60 {
        let generated = generated().new_tree(&mut runner).unwrap().current();
        for needle in [
            "for_each",
            "At(\"",
            "After(",
            "Days(",
            "WorkingDays(",
            "ClockTime(",
            "Every(",
            "Periodic(",
            "machine: \"custom\"",
            "repeat:",
            "Entered(",
            "parent:",
        ] {
            if generated.text.contains(needle) {
                seen.insert(needle);
            }
        }
        let Some(workflow) = load_generated(&generated) else {
            seen.insert("cycle reported");
            continue;
        };
        let depth = |mut agency: Option<directrix_core::workflow::AgencyId>| {
            let mut depth = 0;
            while let Some(a) = agency {
                depth += 1;
                agency = workflow.agency(a).parent;
            }
            depth
        };
        let deepest = (0..workflow.agencies().len() as u32)
            .map(|a| depth(Some(directrix_core::workflow::AgencyId::from_index(a))))
            .max()
            .unwrap_or(0);
        if deepest >= 5 {
            seen.insert("a forest five deep");
        }
        let steps: Vec<Step> = prop::collection::vec(common::step(), 60)
            .new_tree(&mut runner)
            .unwrap()
            .current();
        let mut instance = common::fresh(&workflow);
        for step in steps {
            common::apply(&mut instance, step, &mut reach);
        }
    }
    assert_eq!(seen.len(), 14, "{seen:?}");
    assert!(reach.accepted > 300, "{reach:?}");
    assert!(reach.refused > 100, "{reach:?}");
    assert!(reach.completed > 10, "{reach:?}");
    assert!(reach.escalated > 20, "{reach:?}");
}
