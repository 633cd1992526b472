//! Cascades: templates expanded per member into implementing directives; completion and
//! reports flowing up; escalation crossing the directive boundary; validation.

use directrix_core::{
    Diagnostic, EffectKind, Instance, Severity, Timestamp, Workflow, check, load, render::Graph,
    render::GraphFormat, render::render_graph,
};

/// A province directs two districts; each district directs its communes (its children in
/// the agency forest). Thursday 13 May 2021 is a holiday, to show dues counted on the
/// calendar.
const CASCADE: &str = r#"(
    format: 1,
    directive: (
        number: "1/KH-UBND",
        kind: "Kế hoạch",
        issuer: "province",
        issued_at: "2021-05-03 08:00",
        subject: "Test",
    ),
    calendar: (utc_offset: "+07:00", holidays: ["2021-05-13"]),
    agencies: [
        (id: "ministry", name: "Ministry"),
        (id: "province", name: "Province", parent: "ministry"),
        (id: "dept", name: "Department", parent: "province"),
        (id: "d1", name: "District One", parent: "province"),
        (id: "d2", name: "District Two", parent: "province"),
        (id: "c1", name: "Commune One", parent: "d1"),
        (id: "c2", name: "Commune Two", parent: "d1"),
        (id: "c3", name: "Commune Three", parent: "d2"),
    ],
    groups: [(id: "districts", name: "Districts", members: ["d1", "d2"])],
    policies: [
        (id: "climb", levels: [
            (after: "0h", action: Remind, target: Lead),
            (after: "1d", action: Escalate, target: ParentIssuer),
            (after: "2d", action: Escalate, target: Issuer),
        ]),
    ],
    tasks: [
        (id: "top", title: "Districts carry out the plan", lead: ["dept"],
         cascade: (template: "district", for_each: "districts"),
         due: At("2021-05-14 17:00"), supervisor: "province", policy: "climb"),
    ],
    templates: [
        (id: "district", number: "{member}/KH", kind: "Kế hoạch", subject: "District plan",
         tasks: [
            (id: "plan", title: "Issue the plan", lead: ["{member}"], supervisor: "{parent}", due: WorkingDays(2)),
            (id: "report", title: "Report up", lead: ["{member}"], depends_on: ["plan"],
             cascade: (template: "commune", for_each: "{children}"), due: BeforeParent(2)),
         ]),
        (id: "commune", number: "{member}/KH-{index}", kind: "Kế hoạch",
         tasks: [
            (id: "report", title: "Commune report", lead: ["{member}"], due: BeforeParent(1), policy: "climb"),
         ]),
    ],
)"#;

fn workflow() -> Workflow {
    let loaded = load(CASCADE).unwrap_or_else(|e| panic!("{e:#?}"));
    assert!(loaded.warnings.is_empty(), "{:#?}", loaded.warnings);
    loaded.workflow
}

fn time(text: &str) -> Timestamp {
    Timestamp::parse(
        text,
        directrix_core::time::UtcOffset::from_hms(7, 0, 0).unwrap(),
    )
    .unwrap()
}

fn short(workflow: &Workflow, at: Timestamp) -> String {
    at.to_short(workflow.calendar().offset())
}

#[test]
fn expansion_names_leads_and_derived_dues() {
    let w = workflow();
    let ids: Vec<&str> = w.tasks().iter().map(|t| t.id.as_str()).collect();
    assert_eq!(
        ids,
        [
            "top",
            "top/d1/plan",
            "top/d1/report",
            "top/d1/report/c1/report",
            "top/d1/report/c2/report",
            "top/d2/plan",
            "top/d2/report",
            "top/d2/report/c3/report",
        ]
    );
    let task = |id: &str| w.task(w.task_id(id).unwrap());
    let agency = |id: &str| w.agency_id(id).unwrap();
    assert_eq!(task("top/d1/plan").leads, [agency("d1")]);
    assert_eq!(task("top/d2/report/c3/report").leads, [agency("c3")]);
    // `{parent}` is the cascading task's lead; the report task reports to it; other
    // tasks default to the member, who issues the implementing plan.
    assert_eq!(task("top/d1/plan").supervisor, agency("dept"));
    assert_eq!(task("top/d1/report").supervisor, agency("dept"));
    assert_eq!(task("top/d1/report/c2/report").supervisor, agency("d1"));
    // The issuer of the directive each one's own directive implements.
    assert_eq!(task("top").parent_issuer, None);
    assert_eq!(
        task("top/d1/report").parent_issuer,
        Some(agency("province"))
    );
    assert_eq!(
        task("top/d1/report/c1/report").parent_issuer,
        Some(agency("d1"))
    );

    // Completion flows up: each cascading task depends on its children's tasks.
    let deps = |id: &str| -> Vec<&str> {
        task(id)
            .depends_on
            .iter()
            .map(|d| w.task(*d).id.as_str())
            .collect()
    };
    assert_eq!(
        deps("top"),
        [
            "top/d1/plan",
            "top/d1/report",
            "top/d2/plan",
            "top/d2/report"
        ]
    );
    assert_eq!(
        deps("top/d1/report"),
        [
            "top/d1/plan",
            "top/d1/report/c1/report",
            "top/d1/report/c2/report"
        ]
    );

    // Dues count back on the calendar: the parent is due Fri 14 May 17:00; two working
    // days before skips the Thursday holiday (Tue 11), and one more is Mon 10.
    let plan = w.plan();
    let due = |id: &str| short(&w, plan[w.task_id(id).unwrap().index()].due.unwrap());
    assert_eq!(due("top"), "2021-05-14 17:00");
    assert_eq!(due("top/d1/report"), "2021-05-11 17:00");
    assert_eq!(due("top/d1/report/c1/report"), "2021-05-10 17:00");
    assert_eq!(due("top/d1/plan"), "2021-05-05 17:00");

    // One implementing document per member, each implementing its parent's.
    let docs: Vec<(&str, &str, &str)> = w
        .documents()
        .iter()
        .map(|d| {
            (
                d.number.as_str(),
                d.issuer.as_str(),
                d.implements[0].as_str(),
            )
        })
        .collect();
    assert_eq!(
        docs,
        [
            ("d1/KH", "District One", "1/KH-UBND"),
            ("c1/KH-1", "Commune One", "d1/KH"),
            ("c2/KH-2", "Commune Two", "d1/KH"),
            ("d2/KH", "District Two", "1/KH-UBND"),
            ("c3/KH-1", "Commune Three", "d2/KH"),
        ]
    );
    assert!(w.documents().iter().all(|d| d.issued_on == "2021-05-03"));
}

/// Runs `action` on `task` as `actor` at `at`.
fn act(
    instance: &mut Instance,
    at: &str,
    actor: &str,
    task: &str,
    action: &str,
) -> Result<Vec<directrix_core::Effect>, directrix_core::ActError> {
    let w = instance.workflow().clone();
    let at = time(at);
    instance.advance(at).unwrap();
    instance.act(
        at,
        w.agency_id(actor).unwrap(),
        w.task_ref(task).unwrap_or_else(|| panic!("no task {task}")),
        w.action_id(action).unwrap(),
        None,
    )
}

/// Acknowledges, starts, reports and has accepted one task instance.
fn complete(instance: &mut Instance, at: &str, task: &str) {
    let w = instance.workflow().clone();
    let def = w.task(w.task_id(task).unwrap());
    let lead = w.agency(def.leads[0]).id.clone();
    let supervisor = w.agency(def.supervisor).id.clone();
    for (actor, action) in [
        (&lead, "acknowledge"),
        (&lead, "start"),
        (&lead, "report"),
        (&supervisor, "accept"),
    ] {
        act(instance, at, actor, task, action)
            .unwrap_or_else(|e| panic!("{task} {action} by {actor}: {e}"));
    }
}

#[test]
fn completion_flows_up() {
    let w = workflow();
    let (mut instance, _) =
        Instance::start(std::sync::Arc::new(w.clone()), w.directive().issued_at).unwrap();
    // The district cannot start its report while its communes' plans are open, nor can
    // the province's department.
    act(
        &mut instance,
        "2021-05-03 09:00",
        "d1",
        "top/d1/report",
        "acknowledge",
    )
    .unwrap();
    let blocked = act(
        &mut instance,
        "2021-05-03 09:10",
        "d1",
        "top/d1/report",
        "start",
    );
    assert_eq!(blocked.unwrap_err().code(), "blocked");
    act(
        &mut instance,
        "2021-05-03 09:20",
        "dept",
        "top",
        "acknowledge",
    )
    .unwrap();
    assert_eq!(
        act(&mut instance, "2021-05-03 09:30", "dept", "top", "start")
            .unwrap_err()
            .code(),
        "blocked"
    );

    complete(&mut instance, "2021-05-04 09:00", "top/d1/plan");
    complete(&mut instance, "2021-05-04 10:00", "top/d1/report/c1/report");
    // One commune still open: the district still waits.
    assert!(
        act(
            &mut instance,
            "2021-05-04 11:00",
            "d1",
            "top/d1/report",
            "start"
        )
        .is_err()
    );
    complete(&mut instance, "2021-05-04 12:00", "top/d1/report/c2/report");
    // Now the district reports up, to the department (the cascading task's lead).
    act(
        &mut instance,
        "2021-05-04 13:00",
        "d1",
        "top/d1/report",
        "start",
    )
    .unwrap();
    act(
        &mut instance,
        "2021-05-04 13:10",
        "d1",
        "top/d1/report",
        "report",
    )
    .unwrap();
    assert!(
        act(
            &mut instance,
            "2021-05-04 13:20",
            "province",
            "top/d1/report",
            "accept"
        )
        .is_err()
    );
    act(
        &mut instance,
        "2021-05-04 13:30",
        "dept",
        "top/d1/report",
        "accept",
    )
    .unwrap();

    // District two's directive is still open: the province level waits.
    assert!(act(&mut instance, "2021-05-04 14:00", "dept", "top", "start").is_err());
    complete(&mut instance, "2021-05-04 15:00", "top/d2/plan");
    complete(&mut instance, "2021-05-04 15:30", "top/d2/report/c3/report");
    complete(&mut instance, "2021-05-04 16:00", "top/d2/report");
    act(&mut instance, "2021-05-04 16:30", "dept", "top", "start").unwrap();
    act(&mut instance, "2021-05-04 16:40", "dept", "top", "report").unwrap();
    let effects = act(
        &mut instance,
        "2021-05-04 16:50",
        "province",
        "top",
        "accept",
    )
    .unwrap();
    assert!(
        effects
            .iter()
            .any(|e| matches!(e.kind, EffectKind::Completed { .. }))
    );
}

#[test]
fn escalation_climbs_to_the_parent_issuer_then_the_issuer() {
    let w = workflow();
    let (mut instance, _) =
        Instance::start(std::sync::Arc::new(w.clone()), w.directive().issued_at).unwrap();
    let effects = instance.advance(time("2021-05-13 18:00")).unwrap();
    let c1 = w.task_ref("top/d1/report/c1/report").unwrap();
    let targets: Vec<(String, &str)> = effects
        .iter()
        .filter(|e| e.task == c1)
        .filter_map(|e| match e.kind {
            EffectKind::Reminded { target, .. } => {
                Some((short(&w, e.at), w.agency(target).id.as_str()))
            }
            EffectKind::Escalated { target, .. } => {
                Some((short(&w, e.at), w.agency(target).id.as_str()))
            }
            _ => None,
        })
        .collect();
    // Due Mon 10 May 17:00: the commune is reminded, then the district that issued the
    // plan it implements hears of it, then the province.
    assert_eq!(
        targets,
        [
            ("2021-05-10 17:00".to_owned(), "c1"),
            ("2021-05-11 17:00".to_owned(), "d1"),
            ("2021-05-12 17:00".to_owned(), "province"),
        ]
    );
    // A task of the directive itself has no parent directive: `ParentIssuer` is its issuer.
    let effects = instance.advance(time("2021-05-15 18:00")).unwrap();
    let top = w.task_ref("top").unwrap();
    assert!(effects.iter().any(|e| e.task == top
        && matches!(e.kind, EffectKind::Escalated { level: 2, target } if target == w.agency_id("province").unwrap())));
}

#[test]
fn documents_view_lists_the_chain() {
    let w = workflow();
    let dot = render_graph(&w, Graph::Documents, GraphFormat::Dot);
    // d0 = d1/KH implements this plan; d1, d2 = the communes' plans implement d1/KH.
    for line in [
        "d0 [label=\"Kế hoạch d1/KH\\nDistrict One\"];",
        "d_this -> d0;",
        "d0 -> d1;",
        "d0 -> d2;",
        "d_this -> d3;",
        "d3 -> d4;",
    ] {
        assert!(dot.contains(line), "missing `{line}` in\n{dot}");
    }
    let mermaid = render_graph(&w, Graph::Documents, GraphFormat::Mermaid);
    assert!(mermaid.contains("d_this --> d0"), "{mermaid}");
}

// ---------------------------------------------------------------------- validation

fn edit(source: &str, from: &str, to: &str) -> String {
    let count = source.matches(from).count();
    assert_eq!(count, 1, "`{from}` occurs {count} times, expected once");
    source.replacen(from, to, 1)
}

/// The 1-based line:column where the only occurrence of `marker` starts.
fn at(source: &str, marker: &str) -> (usize, usize) {
    assert_eq!(source.matches(marker).count(), 1, "marker `{marker}`");
    let offset = source.find(marker).unwrap();
    let before = &source[..offset];
    let line = before.matches('\n').count() + 1;
    let start = before.rfind('\n').map_or(0, |i| i + 1);
    (line, before[start..].chars().count() + 1)
}

/// Asserts the exact (code, line:column) list of diagnostics of one severity.
#[track_caller]
fn expect(source: &str, severity: Severity, expected: &[(&str, (usize, usize))]) {
    let diagnostics = check(source);
    let actual: Vec<(&str, (usize, usize))> = diagnostics
        .iter()
        .filter(|d| d.severity == severity)
        .map(|d| {
            let l = d.location.expect("located");
            (d.code.as_str(), (l.line, l.column))
        })
        .collect();
    assert_eq!(actual, expected, "\n{}", render(&diagnostics));
}

fn render(diagnostics: &[Diagnostic]) -> String {
    diagnostics
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn valid_cascade_has_no_diagnostics() {
    assert!(check(CASCADE).is_empty(), "{}", render(&check(CASCADE)));
}

#[test]
fn unknown_template() {
    let source = edit(CASCADE, "template: \"district\"", "template: \"distric\"");
    expect(
        &source,
        Severity::Error,
        &[("unknown-template", at(&source, "\"distric\""))],
    );
    let d = check(&source);
    assert_eq!(d[0].hint.as_deref(), Some("did you mean `district`?"));
}

#[test]
fn template_cycle() {
    let source = edit(
        CASCADE,
        "title: \"Commune report\", lead: [\"{member}\"],",
        "title: \"Commune report\", lead: [\"{member}\"], cascade: (template: \"district\", for_each: \"districts\"),",
    );
    expect(
        &source,
        Severity::Error,
        &[("template-cycle", at(&source, "\"district\", number"))],
    );
    assert!(
        check(&source)[0]
            .message
            .contains("`district` → `commune` → `district`")
    );

    let source = edit(
        CASCADE,
        "title: \"Commune report\", lead: [\"{member}\"],",
        "title: \"Commune report\", lead: [\"{member}\"], cascade: (template: \"commune\", for_each: \"{children}\"),",
    );
    expect(
        &source,
        Severity::Error,
        &[("template-cycle", at(&source, "\"commune\", number"))],
    );
}

#[test]
fn cascade_too_deep() {
    // Ten templates in a chain, each fanning out to the one agency under the last.
    let mut agencies = String::from("(id: \"a0\", name: \"A0\"),");
    let mut templates = String::new();
    for i in 1..=10 {
        agencies.push_str(&format!(
            "(id: \"a{i}\", name: \"A{i}\", parent: \"a{}\"),",
            i - 1
        ));
        let cascade = if i < 10 {
            format!(
                ", cascade: (template: \"t{}\", for_each: \"{{children}}\")",
                i + 1
            )
        } else {
            String::new()
        };
        templates.push_str(&format!(
            "(id: \"t{i}\", number: \"{{member}}/{i}\", kind: \"K\", tasks: [(id: \"x\", title: \"X\", lead: [\"{{member}}\"]{cascade})]),"
        ));
    }
    let source = format!(
        r#"(format: 1,
    directive: (number: "1", kind: "K", issuer: "a0", issued_at: "2021-05-03 08:00", subject: "S"),
    calendar: (utc_offset: "+07:00"),
    agencies: [{agencies}],
    tasks: [(id: "top", title: "Top", lead: ["a0"], cascade: (template: "t1", for_each: "{{children}}"))],
    templates: [{templates}],
)"#
    );
    expect(
        &source,
        Severity::Error,
        &[("cascade-too-deep", at(&source, "\"t9\", for_each"))],
    );
}

#[test]
fn cascade_too_large() {
    let members: Vec<String> = (0..1000).map(|i| format!("\"m{i}\"")).collect();
    let agencies: String = (0..1000)
        .map(|i| format!("(id: \"m{i}\", name: \"M\", parent: \"p\"),"))
        .collect();
    let tasks: String = (0..251)
        .map(|i| format!("(id: \"t{i}\", title: \"T\", lead: [\"{{member}}\"]),"))
        .collect();
    let source = format!(
        r#"(format: 1,
    directive: (number: "1", kind: "K", issuer: "p", issued_at: "2021-05-03 08:00", subject: "S"),
    calendar: (utc_offset: "+07:00"),
    agencies: [(id: "p", name: "P"), {agencies}],
    groups: [(id: "all", name: "All", members: [{}])],
    tasks: [(id: "top", title: "Top", lead: ["p"], cascade: (template: "big", for_each: "all"))],
    templates: [(id: "big", number: "{{member}}", kind: "K", tasks: [{tasks}])],
)"#,
        members.join(",")
    );
    expect(
        &source,
        Severity::Error,
        &[("cascade-too-large", at(&source, "\"big\", for_each"))],
    );
}

#[test]
fn bad_placeholders() {
    // `{member}` outside a template.
    let source = edit(CASCADE, "lead: [\"dept\"]", "lead: [\"{member}\"]");
    expect(
        &source,
        Severity::Error,
        &[(
            "bad-placeholder",
            at(&source, "\"{member}\"],\n         cascade"),
        )],
    );
    // `{children}` is a set, not a lead.
    let source = edit(
        CASCADE,
        "title: \"Commune report\", lead: [\"{member}\"]",
        "title: \"Commune report\", lead: [\"{children}\"]",
    );
    expect(
        &source,
        Severity::Error,
        &[("bad-placeholder", at(&source, "\"{children}\"]"))],
    );
    // A misspelt placeholder: reported once, not once per member.
    let source = edit(
        CASCADE,
        "supervisor: \"{parent}\"",
        "supervisor: \"{parnt}\"",
    );
    expect(
        &source,
        Severity::Error,
        &[("bad-placeholder", at(&source, "\"{parnt}\""))],
    );
    // A cascade fans out over a group or `{children}`.
    let source = edit(
        CASCADE,
        "for_each: \"{children}\"",
        "for_each: \"{member}\"",
    );
    expect(
        &source,
        Severity::Error,
        &[("bad-placeholder", at(&source, "\"{member}\")"))],
    );
}

#[test]
fn problems_inside_templates_are_reported_once() {
    let source = edit(
        CASCADE,
        "supervisor: \"{parent}\"",
        "supervisor: \"nobody\"",
    );
    expect(
        &source,
        Severity::Error,
        &[("unknown-agency", at(&source, "\"nobody\""))],
    );
}

#[test]
fn no_parent_due() {
    // Outside a template there is no parent to count back from.
    let source = edit(
        CASCADE,
        "due: At(\"2021-05-14 17:00\")",
        "due: BeforeParent(1)",
    );
    expect(
        &source,
        Severity::Error,
        &[(
            "no-parent-due",
            at(&source, "due: BeforeParent(1), supervisor"),
        )],
    );
    // A parent whose due time waits for its dependencies cannot be counted back from
    // (reported once: the commune level, counting back from the district's, is not
    // reported again).
    let source = edit(
        CASCADE,
        "due: At(\"2021-05-14 17:00\")",
        "start: AfterDependencies, due: WorkingDays(5)",
    );
    expect(
        &source,
        Severity::Error,
        &[("no-parent-due", at(&source, "due: BeforeParent(2)"))],
    );
}

#[test]
fn cascade_needs_one_lead() {
    let source = edit(
        CASCADE,
        "lead: [\"dept\"]",
        "lead: [\"dept\", \"province\"]",
    );
    expect(
        &source,
        Severity::Error,
        &[(
            "cascade-lead",
            at(&source, "cascade: (template: \"district\""),
        )],
    );
}

#[test]
fn unknown_group_report_task_and_duplicates_in_templates() {
    let source = edit(
        CASCADE,
        "for_each: \"districts\")",
        "for_each: \"distrcts\")",
    );
    expect(
        &source,
        Severity::Error,
        &[("unknown-group", at(&source, "\"distrcts\""))],
    );

    let source = edit(
        CASCADE,
        "subject: \"District plan\",",
        "subject: \"District plan\", reports: \"reprt\",",
    );
    expect(
        &source,
        Severity::Error,
        &[("unknown-task", at(&source, "\"reprt\""))],
    );

    let source = edit(
        CASCADE,
        "(id: \"report\", title: \"Report up\"",
        "(id: \"plan\", title: \"Report up\"",
    );
    expect(
        &source,
        Severity::Error,
        &[(
            "duplicate-id",
            at(&source, "\"plan\", title: \"Report up\""),
        )],
    );

    // A generated id that a task of the file already has.
    let source = edit(
        CASCADE,
        "    templates: [",
        "    ],\n    templates: [",
    )
    .replacen(
        "supervisor: \"province\", policy: \"climb\"),\n    ],",
        "supervisor: \"province\", policy: \"climb\"),\n        (id: \"top/d1/plan\", title: \"Clash\", lead: [\"dept\"]),",
        1,
    );
    expect(
        &source,
        Severity::Error,
        &[("duplicate-id", at(&source, "\"plan\", title"))],
    );
}

#[test]
fn empty_cascade_warns() {
    // District two's only commune moves to district one: d2 has no children.
    let source = edit(
        CASCADE,
        "(id: \"c3\", name: \"Commune Three\", parent: \"d2\")",
        "(id: \"c3\", name: \"Commune Three\", parent: \"d1\")",
    );
    expect(
        &source,
        Severity::Warning,
        &[("empty-cascade", at(&source, "\"commune\", for_each"))],
    );
    assert!(load(&source).is_ok());
}
