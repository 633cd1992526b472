//! Shared agency registries (`agencies: (use: ["vn-provinces"], ...)`): the bundled
//! registry's units and groups on dates either side of its changes, a national fan-out
//! with no list, every located diagnostic (unknown registry, a unit not in force on the
//! issue date, an id declared twice, problems inside a registry), and follow-ups that add
//! agencies, groups and members: applied, refused where they would change running work,
//! replayed from the journal and restored from a snapshot.

use directrix_core::{Instance, LoadOptions, Timestamp, Workflow, load_with};
use std::sync::Arc;

const VN_PROVINCES: &str = include_str!("../../workflows/registries/vn-provinces.ron");
const VN_HOLIDAYS: &str = include_str!("../../workflows/calendars/vn-public-holidays.ron");
const TELEGRAM: &str = include_str!("../../workflows/cd-143-ttg-2025.ron");
const FOLLOW_UP: &str = include_str!("../../workflows/cd-143-ttg-2025.146.followup.ron");

fn options() -> LoadOptions {
    LoadOptions::default()
        .with_registry("vn-provinces", VN_PROVINCES)
        .with_calendar("vn-public-holidays", VN_HOLIDAYS)
}

fn at(text: &str) -> Timestamp {
    Timestamp::parse(
        text,
        directrix_core::time::UtcOffset::from_hms(7, 0, 0).unwrap(),
    )
    .unwrap()
}

/// A national telegram issued at `issued_at` with `agencies` and `tasks` as written.
fn national(issued_at: &str, agencies: &str, tasks: &str) -> String {
    format!(
        r#"(
    format: 1,
    directive: (number: "1/CĐ-TTg", kind: "Công điện", issuer: "pm", issued_at: "{issued_at}", subject: "s"),
    calendar: (utc_offset: "+07:00"),
    agencies: {agencies},
    tasks: {tasks},
)
"#
    )
}

fn with_registry(issued_at: &str, tasks: &str) -> String {
    national(
        issued_at,
        r#"(use: ["vn-provinces"], list: [(id: "pm", name: "Thủ tướng Chính phủ")])"#,
        tasks,
    )
}

fn loaded(source: &str) -> Workflow {
    load_with(source, &options())
        .unwrap_or_else(|e| panic!("{:#?}", e.diagnostics))
        .workflow
}

/// The members of `group` in `workflow`, by id.
fn members(workflow: &Workflow, group: &str) -> Vec<String> {
    let group = workflow
        .groups()
        .iter()
        .find(|g| g.id == group)
        .unwrap_or_else(|| panic!("no group {group}"));
    group
        .members
        .iter()
        .map(|&a| workflow.agency(a).id.clone())
        .collect()
}

/// The errors of loading `source`: (code, line, column, origin).
fn errors(source: &str) -> Vec<(String, usize, usize, Option<String>)> {
    load_with(source, &options())
        .unwrap_err()
        .diagnostics
        .iter()
        .filter(|d| d.is_error())
        .map(|d| {
            let l = d.location.expect("located");
            (
                d.code.as_str().to_owned(),
                l.line,
                l.column,
                d.origin.as_deref().map(str::to_owned),
            )
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

const ONE_TASK: &str = r#"[(id: "t", title: "T", lead: ["pm"], due: After("1d"))]"#;

#[test]
fn the_bundled_registry_is_valid() {
    assert_eq!(
        directrix_core::diagnostic::check_registry(VN_PROVINCES),
        vec![]
    );
}

#[test]
fn a_directive_gets_the_units_in_force_on_its_issue_date() {
    // (issue date, units, coastal units)
    for (date, units, coastal) in [
        ("2024-09-07 08:00", 63, 28),
        // Huế is a centrally-run city from 1 January 2025; still 63 units.
        ("2025-03-01 08:00", 63, 28),
        ("2025-06-30 23:00", 63, 28),
        ("2025-07-01 00:00", 34, 21),
        ("2025-08-23 20:00", 34, 21),
    ] {
        let workflow = loaded(&with_registry(date, ONE_TASK));
        // The registry's units come first, then the workflow's own `pm`.
        assert_eq!(workflow.agencies().len(), units + 1, "{date}");
        assert_eq!(members(&workflow, "provinces").len(), units, "{date}");
        assert_eq!(
            members(&workflow, "coastal_provinces").len(),
            coastal,
            "{date}"
        );
        assert_eq!(workflow.agencies().last().unwrap().id, "pm");
    }
    let before = loaded(&with_registry("2024-09-07 08:00", ONE_TASK));
    assert!(before.agency_id("thua_thien_hue").is_some());
    assert!(before.agency_id("hue").is_none());
    let after = loaded(&with_registry("2025-08-23 20:00", ONE_TASK));
    assert!(after.agency_id("ha_giang").is_none());
    assert_eq!(
        after.agency(after.agency_id("hue").unwrap()).name,
        "Thành phố Huế"
    );
    // Hưng Yên took in the coastal Thái Bình: coastal from 1 July 2025.
    assert!(members(&after, "coastal_provinces").contains(&"hung_yen".to_owned()));
    assert!(!members(&before, "coastal_provinces").contains(&"hung_yen".to_owned()));
    assert_eq!(
        members(&after, "centrally_run_cities"),
        [
            "ha_noi",
            "hai_phong",
            "hue",
            "da_nang",
            "ho_chi_minh",
            "can_tho"
        ]
    );
}

#[test]
fn a_national_fan_out_needs_no_list() {
    let tasks = r#"[(id: "report", title: "Báo cáo", for_each: "provinces", due: After("2d"))]"#;
    let workflow = loaded(&with_registry("2025-08-23 20:00", tasks));
    assert_eq!(workflow.tasks()[0].instances.len(), 34);
    let (instance, _) = Instance::start(Arc::new(workflow), at("2025-08-23 20:00")).unwrap();
    let id = instance.workflow().task_ref("report[ca_mau]").unwrap();
    assert!(instance.task_state(id).is_some());
    let workflow = loaded(&with_registry("2024-09-07 08:00", tasks));
    assert_eq!(workflow.tasks()[0].instances.len(), 63);
}

#[test]
fn the_plain_list_and_the_registry_form_compile_alike() {
    let own = r#"[(id: "pm", name: "Thủ tướng Chính phủ")]"#;
    let plain = loaded(&national("2025-08-23 20:00", own, ONE_TASK));
    let with_list = loaded(&national(
        "2025-08-23 20:00",
        &format!("(list: {own})"),
        ONE_TASK,
    ));
    assert_eq!(plain.content_hash(), with_list.content_hash());
}

#[test]
fn an_unknown_registry_is_located_with_a_suggestion() {
    let source = national(
        "2025-08-23 20:00",
        r#"(use: ["vn-province"], list: [(id: "pm", name: "PM")])"#,
        ONE_TASK,
    );
    let (line, column) = position(&source, "\"vn-province\"");
    assert_eq!(
        errors(&source),
        [("unknown-registry".to_owned(), line, column, None)]
    );
    let error = load_with(&source, &options()).unwrap_err();
    let hint = error.diagnostics[0].hint.as_deref().unwrap();
    assert!(hint.contains("`vn-provinces`"), "{hint}");
    // Without any registry supplied, the hint says how to supply one.
    let error = load_with(&source, &LoadOptions::default()).unwrap_err();
    let hint = error.diagnostics[0].hint.as_deref().unwrap();
    assert!(hint.contains("registries/NAME.ron"), "{hint}");
}

#[test]
fn a_unit_not_in_force_says_when_it_was_and_what_replaced_it() {
    let tasks =
        r#"[(id: "t", title: "T", lead: ["ha_giang"], support: ["thai_binh"], due: After("1d"))]"#;
    let source = with_registry("2025-08-23 20:00", tasks);
    let error = load_with(&source, &options()).unwrap_err();
    let found: Vec<_> = error
        .diagnostics
        .iter()
        .map(|d| {
            let l = d.location.unwrap();
            (
                d.code.as_str(),
                l.line,
                l.column,
                d.message.clone(),
                d.hint.clone().unwrap(),
            )
        })
        .collect();
    let (line, column) = position(&source, "\"ha_giang\"");
    assert_eq!(found[0].0, "not-in-force");
    assert_eq!((found[0].1, found[0].2), (line, column));
    assert!(
        found[0].3.contains(
            "`ha_giang` (Tỉnh Hà Giang, registry `vn-provinces`) is not in force on 2025-08-23"
        ),
        "{}",
        found[0].3
    );
    assert!(
        found[0].4.contains("until 2025-06-30")
            && found[0].4.contains("name `tuyen_quang` instead"),
        "{}",
        found[0].4
    );
    let (line, column) = position(&source, "\"thai_binh\"");
    assert_eq!(found[1].0, "not-in-force");
    assert_eq!((found[1].1, found[1].2), (line, column));
    assert!(found[1].4.contains("`hung_yen`"), "{}", found[1].4);
    assert_eq!(found.len(), 2);

    // A unit not in force yet: its predecessor is named.
    let source = with_registry(
        "2024-09-07 08:00",
        r#"[(id: "t", title: "T", lead: ["hue"], due: After("1d"))]"#,
    );
    let error = load_with(&source, &options()).unwrap_err();
    let d = &error.diagnostics[0];
    assert_eq!(d.code.as_str(), "not-in-force");
    let hint = d.hint.as_deref().unwrap();
    assert!(
        hint.contains("in force from 2025-01-01") && hint.contains("`thua_thien_hue`"),
        "{hint}"
    );
    // A typo stays an unknown agency with a suggestion.
    let source = with_registry(
        "2025-08-23 20:00",
        r#"[(id: "t", title: "T", lead: ["nghe_ann"], due: After("1d"))]"#,
    );
    let error = load_with(&source, &options()).unwrap_err();
    assert_eq!(error.diagnostics[0].code.as_str(), "unknown-agency");
    assert!(
        error.diagnostics[0]
            .hint
            .as_deref()
            .unwrap()
            .contains("`nghe_an`")
    );
}

#[test]
fn a_local_id_that_a_registry_has_is_a_duplicate() {
    let source = national(
        "2025-08-23 20:00",
        r#"(use: ["vn-provinces"], list: [(id: "pm", name: "PM"), (id: "nghe_an", name: "UBND tỉnh Nghệ An")])"#,
        ONE_TASK,
    )
    .replace("tasks: [", "groups: [(id: \"provinces\", name: \"x\", members: [\"pm\"])],\n    tasks: [");
    let (a_line, a_column) = position(&source, "\"nghe_an\"");
    let (g_line, g_column) = position(&source, "\"provinces\"");
    assert_eq!(
        errors(&source),
        [
            ("duplicate-id".to_owned(), a_line, a_column, None),
            ("duplicate-id".to_owned(), g_line, g_column, None),
        ]
    );
    let error = load_with(&source, &options()).unwrap_err();
    assert!(
        error.diagnostics[0]
            .message
            .contains("also a unit or group of the registry `vn-provinces`"),
        "{}",
        error.diagnostics[0].message
    );
}

#[test]
fn problems_inside_a_registry_are_located_in_it() {
    let registry = r#"(
    format: 1,
    agencies: [
        (id: "a", name: "A", until: "2025-06-30", replaced_by: ["c"]),
        (id: "b", name: "B", from: "2025-07-01", until: "2025-01-01"),
        (id: "b", name: "B again", from: "2025-13-01"),
    ],
    groups: [
        (id: "g", name: "G", members: ["a", "x"], until: "2025-06-30"),
        (id: "g", name: "G", members: ["b"], from: "2025-06-01"),
    ],
)"#;
    let expected: Vec<(String, (usize, usize))> = [
        ("unknown-agency", "\"c\""),
        ("period-ends-before-start", "\"2025-01-01\""),
        ("duplicate-id", "\"b\", name: \"B again\""),
        ("invalid-date", "\"2025-13-01\""),
        ("unknown-agency", "\"x\""),
        ("duplicate-id", "\"g\", name: \"G\", members: [\"b\"]"),
    ]
    .iter()
    .map(|(code, needle)| ((*code).to_owned(), position(registry, needle)))
    .collect();
    let found: Vec<(String, (usize, usize))> = directrix_core::diagnostic::check_registry(registry)
        .iter()
        .map(|d| {
            let l = d.location.unwrap();
            (d.code.as_str().to_owned(), (l.line, l.column))
        })
        .collect();
    assert_eq!(found, expected);
    // Loaded through a workflow, they carry the registry's name as their origin.
    let options = LoadOptions::default().with_registry("mine", registry);
    let source = national(
        "2025-08-23 20:00",
        r#"(use: ["mine"], list: [(id: "pm", name: "PM")])"#,
        ONE_TASK,
    );
    let error = load_with(&source, &options).unwrap_err();
    assert_eq!(error.diagnostics.len(), expected.len());
    assert!(
        error
            .diagnostics
            .iter()
            .all(|d| d.origin.as_deref() == Some("registries/mine"))
    );
    // What the broken registry holds is still used: naming its units adds no error.
    let source = national(
        "2025-06-15 08:00",
        r#"(use: ["mine"], list: [(id: "pm", name: "PM")])"#,
        r#"[(id: "t", title: "T", for_each: "g", support: ["a", "b"], due: After("1d"))]"#,
    );
    let error = load_with(&source, &options).unwrap_err();
    assert_eq!(
        error.diagnostics.len(),
        expected.len(),
        "{:#?}",
        error.diagnostics
    );
    // A registry that does not parse: its syntax error, and no unknown agency after it.
    let options = LoadOptions::default().with_registry("mine", "(format: 1, agencies: [");
    let error = load_with(&source, &options).unwrap_err();
    let codes: Vec<_> = error
        .diagnostics
        .iter()
        .map(|d| (d.code.as_str(), d.origin.as_deref()))
        .collect();
    assert!(
        codes.contains(&("syntax", Some("registries/mine"))),
        "{codes:?}"
    );
    assert!(
        !codes.iter().any(|(code, _)| *code == "unknown-agency"),
        "{codes:?}"
    );
}

#[test]
fn the_agencies_limit_counts_the_registries_units() {
    let source = with_registry("2025-08-23 20:00", ONE_TASK);
    let mut limits = directrix_core::Limits::default();
    limits.agencies = 34;
    let error = load_with(&source, &options().with_limits(limits)).unwrap_err();
    let d = &error.diagnostics[0];
    assert_eq!(d.code.as_str(), "limit-exceeded");
    assert!(d.message.contains("35 agencies"), "{}", d.message);
    assert_eq!(d.location.unwrap().line, position(&source, "agencies:").0);
    limits.agencies = 35;
    assert!(load_with(&source, &options().with_limits(limits)).is_ok());
}

#[test]
fn registry_and_local_agencies_work_together() {
    // A local department under a registry province, and a local group of registry units.
    let source = national(
        "2025-08-23 20:00",
        r#"(use: ["vn-provinces"], list: [
            (id: "pm", name: "PM"),
            (id: "nghe_an_police", name: "Công an tỉnh Nghệ An", kind: Force, parent: "nghe_an"),
        ])"#,
        r#"[(id: "t", title: "T", for_each: "two", support: ["nghe_an_police"], due: After("1d"))]"#,
    )
    .replace(
        "tasks: [",
        "groups: [(id: \"two\", name: \"Hai tỉnh\", members: [\"nghe_an\", \"ha_tinh\"])],\n    tasks: [",
    );
    let workflow = loaded(&source);
    let police = workflow.agency_id("nghe_an_police").unwrap();
    let parent = workflow.agency(police).parent.unwrap();
    assert_eq!(workflow.agency(parent).id, "nghe_an");
    assert_eq!(members(&workflow, "two"), ["nghe_an", "ha_tinh"]);
}

// ---- Follow-ups that add agencies, groups and members

fn telegram() -> Arc<Workflow> {
    Arc::new(loaded(TELEGRAM))
}

/// The telegram running until `when`, nobody acting.
fn running(when: &str) -> Instance {
    let workflow = telegram();
    let (mut instance, _) =
        Instance::start(workflow.clone(), workflow.directive().issued_at).unwrap();
    instance.advance(at(when)).unwrap();
    instance
}

/// A follow-up of 25 August 11:00 to 143/CĐ-TTg with `body` as its lists.
fn doc(body: &str) -> String {
    format!(
        "(\n    format: 1,\n    number: \"146/CĐ-TTg\",\n    kind: \"Công điện\",\n    issuer: \"prime_minister\",\n    issued_at: \"2025-08-25 11:00\",\n    further_to: \"143/CĐ-TTg\",\n    subject: \"s\",\n{body}\n)\n"
    )
}

/// Applies `text` expecting a refusal; checks that nothing changed and returns the
/// (code, line, column) of every error.
fn refused(text: &str) -> Vec<(String, usize, usize)> {
    let mut instance = running("2025-08-25 11:00");
    let before = instance.clone();
    let error = instance
        .apply_follow_up(at("2025-08-25 11:00"), text)
        .unwrap_err();
    assert_eq!(instance, before, "a refused follow-up changed the instance");
    error
        .diagnostics()
        .iter()
        .filter(|d| d.is_error())
        .map(|d| {
            let l = d.location.expect("located in the follow-up");
            (d.code.as_str().to_owned(), l.line, l.column)
        })
        .collect()
}

fn one(code: &str, text: &str, needle: &str) -> Vec<(String, usize, usize)> {
    let (line, column) = position(text, needle);
    vec![(code.to_owned(), line, column)]
}

#[test]
fn the_bundled_follow_up_adds_an_agency_groups_and_their_tasks() {
    let mut instance = running("2025-08-25 11:00");
    let agencies = instance.workflow().agencies().len();
    let (_, report) = instance
        .apply_follow_up(at("2025-08-25 11:00"), FOLLOW_UP)
        .unwrap();
    assert_eq!(report.warnings, vec![]);
    let workflow = instance.workflow().clone();
    // The running agencies keep their indices; the new one comes last.
    assert_eq!(workflow.agencies().len(), agencies + 1);
    assert_eq!(workflow.agencies().last().unwrap().id, "deputy_pm_ha");
    assert_eq!(
        members(&workflow, "landfall_146"),
        ["thanh_hoa", "nghe_an", "ha_tinh", "quang_tri"]
    );
    assert_eq!(members(&workflow, "provinces_146").len(), 6);
    let added: Vec<&str> = report.migration.added.iter().map(String::as_str).collect();
    assert!(added.contains(&"restrict_movement[quang_tri]"), "{added:?}");
    assert!(added.contains(&"recover[ninh_binh]"), "{added:?}");
    assert!(added.contains(&"direct"), "{added:?}");
    // The added agency acts on its task.
    let t = at("2025-08-25 11:30");
    instance.advance(t).unwrap();
    instance
        .act_by_name(t, "deputy_pm_ha", "direct", "acknowledge", None)
        .unwrap();
    // A province outside the subset has no instance of the subset's task.
    assert!(workflow.task_ref("restrict_movement[hue]").is_none());
}

#[test]
fn replay_and_restore_after_a_follow_up_that_adds_agencies() {
    let mut instance = running("2025-08-25 11:00");
    instance
        .apply_follow_up(at("2025-08-25 11:00"), FOLLOW_UP)
        .unwrap();
    let t = at("2025-08-25 11:30");
    instance.advance(t).unwrap();
    instance
        .act_by_name(t, "deputy_pm_ha", "direct", "acknowledge", None)
        .unwrap();
    instance
        .act_by_name(t, "quang_tri", "restrict_movement", "acknowledge", None)
        .unwrap();
    instance.advance(at("2025-08-26 08:00")).unwrap();

    let replayed = Instance::replay(telegram(), instance.journal()).unwrap();
    assert_eq!(replayed, instance);

    let json = serde_json::to_string(&instance.snapshot()).unwrap();
    let amended = Arc::new(telegram().amend(FOLLOW_UP).unwrap().workflow);
    assert_eq!(amended.content_hash(), instance.workflow().content_hash());
    let restored = Instance::restore(amended, serde_json::from_str(&json).unwrap()).unwrap();
    assert_eq!(restored, instance);
}

#[test]
fn added_ids_must_be_new() {
    let text = doc(r#"    add_agencies: [(id: "mod", name: "Bộ Quốc phòng")],
    add_groups: [(id: "nghe_an", name: "x", members: ["mod"]), (id: "pair", name: "x", members: ["mod"]), (id: "pair", name: "y", members: ["mps"])],"#);
    let mut expected = one("duplicate-id", &text, "\"mod\", name");
    expected.extend(one("duplicate-id", &text, "\"nghe_an\""));
    expected.extend(one("duplicate-id", &text, "\"pair\", name: \"y\""));
    assert_eq!(refused(&text), expected);
}

#[test]
fn added_agencies_and_groups_are_validated_in_the_follow_up_text() {
    let text = doc(
        r#"    add_agencies: [(id: "forward", name: "Ban Chỉ đạo tiền phương", parent: "prime_minster")],
    add_groups: [(id: "pair", name: "x", members: ["nghe_an", "ha_tinhh"])],"#,
    );
    let mut expected = one("unknown-agency", &text, "\"prime_minster\"");
    expected.extend(one("unknown-agency", &text, "\"ha_tinhh\""));
    assert_eq!(refused(&text), expected);
    // A unit the registry had retired by the issue date says so, in the follow-up.
    let text =
        doc(r#"    add_groups: [(id: "pair", name: "x", members: ["nghe_an", "quang_binh"])],"#);
    assert_eq!(refused(&text), one("not-in-force", &text, "\"quang_binh\""));
}

#[test]
fn members_are_added_only_to_a_group_of_the_workflow_s_own_that_nothing_fans_out_over() {
    // `storm_provinces` is fanned out over by `sea_ban`: its running work would change.
    let text = doc(r#"    add_members: [(group: "storm_provinces", members: ["khanh_hoa"])],"#);
    assert_eq!(
        refused(&text),
        one("group-in-use", &text, "\"storm_provinces\"")
    );
    // A registry's group is not the directive's to change.
    let text = doc(r#"    add_members: [(group: "coastal_provinces", members: ["mod"])],"#);
    assert_eq!(
        refused(&text),
        one("group-in-use", &text, "\"coastal_provinces\"")
    );
    // An unknown group, an unknown member.
    let text = doc(r#"    add_members: [(group: "medias", members: ["vtv"])],"#);
    assert_eq!(refused(&text), one("unknown-group", &text, "\"medias\""));
    // `sectors` fans out over `ministries`: adding a ministry there would change it.
    let text = doc(r#"    add_members: [(group: "ministries", members: ["mod"])],"#);
    assert_eq!(refused(&text), one("group-in-use", &text, "\"ministries\""));
    let text = doc(r#"    add_members: [(group: "offices", members: ["mofa"])],"#);
    let mut instance = with_offices("2025-08-25 11:00");
    let before = instance.clone();
    let error = instance
        .apply_follow_up(at("2025-08-25 11:00"), &text)
        .unwrap_err();
    assert_eq!(instance, before);
    let codes: Vec<_> = error
        .diagnostics()
        .iter()
        .map(|d| {
            let l = d.location.unwrap();
            (d.code.as_str().to_owned(), l.line, l.column)
        })
        .collect();
    assert_eq!(codes, one("unknown-agency", &text, "\"mofa\""));
}

/// The telegram with a group no task fans out over (its two offices, which hold the
/// `follow_up` task between them), running until `when`.
fn with_offices_workflow() -> Arc<Workflow> {
    let source = TELEGRAM.replacen(
        "groups: [",
        "groups: [\n        (id: \"offices\", name: \"Các văn phòng\", members: [\"government_office\", \"civil_defence_office\"]),",
        1,
    );
    Arc::new(loaded(&source))
}

fn with_offices(when: &str) -> Instance {
    let workflow = with_offices_workflow();
    let (mut instance, _) =
        Instance::start(workflow.clone(), workflow.directive().issued_at).unwrap();
    instance.advance(at(when)).unwrap();
    instance
}

#[test]
fn members_added_to_a_group_reach_a_new_task_that_fans_out_over_it() {
    // No task fans out over `offices`: the Ministry of Foreign Affairs, added by the same
    // document, joins it, and the new task goes to each member.
    let text = doc(
        r#"    add_agencies: [(id: "mofa", name: "Bộ Ngoại giao", parent: "prime_minister")],
    add_members: [(group: "offices", members: ["mofa"])],
    add_tasks: [(id: "liaison", title: "Thông tin cho các cơ quan đại diện", for_each: "offices", due: After("1d"))],"#,
    );
    let mut instance = with_offices("2025-08-25 11:00");
    let (_, report) = instance
        .apply_follow_up(at("2025-08-25 11:00"), &text)
        .unwrap();
    let added: Vec<&str> = report.migration.added.iter().map(String::as_str).collect();
    assert_eq!(
        added,
        [
            "liaison[government_office]",
            "liaison[civil_defence_office]",
            "liaison[mofa]"
        ]
    );
    let replayed = Instance::replay(with_offices_workflow(), instance.journal()).unwrap();
    assert_eq!(replayed, instance);
}
