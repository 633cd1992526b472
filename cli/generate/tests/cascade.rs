//! The synthetic national cascade: valid at every size, deterministic, and runnable.

use directrix_core::{Scenario, Severity, Workflow, load, simulate};
use directrix_generate::{CascadeParams, GeneratedCascade, generate_cascade};
use std::collections::HashMap;
use std::sync::Arc;
use std::time::Instant;

fn params(provinces: u32, districts: u32, communes: u32, seed: u64) -> CascadeParams {
    CascadeParams {
        provinces,
        districts,
        communes,
        seed,
    }
}

/// Loads both texts, failing on any error (the workflow must also be warning-free).
fn load_both(generated: &GeneratedCascade) -> Workflow {
    let loaded = match load(&generated.workflow) {
        Ok(loaded) => loaded,
        Err(error) => panic!("workflow does not load: {:#?}", error.diagnostics),
    };
    assert!(
        loaded.warnings.is_empty(),
        "workflow warnings: {:#?}",
        loaded.warnings
    );
    let workflow = loaded.workflow;
    match Scenario::load(&generated.scenario, &workflow) {
        Ok((_, warnings)) => assert!(
            warnings.iter().all(|d| d.severity != Severity::Error),
            "scenario errors: {warnings:#?}"
        ),
        Err(error) => panic!("scenario does not load: {:#?}", error.diagnostics),
    }
    workflow
}

fn instances_per_task(workflow: &Workflow) -> HashMap<&str, usize> {
    let mut counts = HashMap::new();
    for slot in workflow.task_slots() {
        *counts
            .entry(workflow.task(slot.task).id.as_str())
            .or_insert(0) += 1;
    }
    counts
}

fn group_members<'a>(workflow: &'a Workflow, id: &str) -> Vec<&'a str> {
    let group = workflow
        .groups()
        .iter()
        .find(|g| g.id == id)
        .unwrap_or_else(|| panic!("no group `{id}`"));
    group
        .members
        .iter()
        .map(|&m| workflow.agency(m).id.as_str())
        .collect()
}

#[test]
fn small_cascade_loads_with_the_expected_shape() {
    let workflow = load_both(&generate_cascade(params(3, 7, 20, 1)));
    assert_eq!(workflow.directive().number, "99/CT-TTg");
    assert_eq!(
        workflow.agency(workflow.directive().issuer).id,
        "government"
    );

    let provinces = group_members(&workflow, "provinces");
    let districts = group_members(&workflow, "districts");
    let communes = group_members(&workflow, "communes");
    assert_eq!(
        (provinces.len(), districts.len(), communes.len()),
        (3, 7, 20)
    );
    assert_eq!(provinces, ["p001", "p002", "p003"]);
    assert_eq!(districts[..3], ["p001_d001", "p001_d002", "p001_d003"]);
    assert_eq!(communes[0], "p001_d001_c001");

    let counts = instances_per_task(&workflow);
    for (task, expected) in [
        ("national_plan", 1),
        ("province_plan", 3),
        ("district_plan", 7),
        ("commune_action", 20),
        ("commune_report", 20),
        ("district_report", 7),
        ("province_report", 3),
        ("national_summary", 1),
    ] {
        assert_eq!(counts.get(task), Some(&expected), "instances of {task}");
    }
    assert_eq!(counts.values().sum::<usize>(), workflow.task_slots().len());

    let parent_of = |id: &str| {
        let agency = workflow.agency(workflow.agency_id(id).unwrap());
        agency.parent.map(|p| workflow.agency(p).id.as_str())
    };
    for province in &provinces {
        assert_eq!(parent_of(province), Some("government"));
    }
    for district in &districts {
        let parent = parent_of(district).unwrap();
        assert!(provinces.contains(&parent), "{district} under {parent}");
        assert!(district.starts_with(parent));
    }
    for commune in &communes {
        let parent = parent_of(commune).unwrap();
        assert!(districts.contains(&parent), "{commune} under {parent}");
        assert!(commune.starts_with(parent));
    }
    // Spread evenly: 7 districts over 3 provinces is 3, 2, 2; 20 communes over 7 is 3 or 2.
    let mut per_province = HashMap::<&str, usize>::new();
    for district in &districts {
        *per_province
            .entry(parent_of(district).unwrap())
            .or_default() += 1;
    }
    assert_eq!(
        [
            per_province["p001"],
            per_province["p002"],
            per_province["p003"]
        ],
        [3, 2, 2]
    );
    let mut per_district = HashMap::<&str, usize>::new();
    for commune in &communes {
        *per_district.entry(parent_of(commune).unwrap()).or_default() += 1;
    }
    assert!(per_district.values().all(|&n| n == 2 || n == 3));

    // The forest: government at the root, communes four levels down.
    let depth = |id: &str| workflow.ancestors(workflow.agency_id(id).unwrap()).count();
    assert_eq!(depth("government"), 0);
    assert_eq!(depth("moh"), 1);
    assert_eq!(depth("p002"), 1);
    assert_eq!(depth(districts[6]), 2);
    assert!(communes.iter().all(|c| depth(c) == 3));
    let max_depth = workflow
        .agencies()
        .iter()
        .map(|a| depth(&a.id))
        .max()
        .unwrap();
    assert_eq!(max_depth, 3);
    let roots: Vec<_> = workflow
        .agencies()
        .iter()
        .filter(|a| a.parent.is_none())
        .map(|a| a.id.as_str())
        .collect();
    assert_eq!(roots, ["government"]);
}

#[test]
fn same_seed_same_text_other_seed_still_valid() {
    let a = generate_cascade(params(4, 9, 31, 42));
    let b = generate_cascade(params(4, 9, 31, 42));
    assert_eq!(a, b);
    let c = generate_cascade(params(4, 9, 31, 43));
    assert_ne!(a.workflow, c.workflow, "the seed varies names");
    assert_ne!(a.scenario, c.scenario, "the seed varies behaviours");
    load_both(&c);
}

#[test]
fn odd_sizes_stay_valid() {
    for (p, d, c) in [
        (0, 0, 0),
        (1, 1, 1),
        (5, 2, 3),
        (2, 3, 1),
        (70, 70, 70),
        (1, 1_200, 1_500),
    ] {
        for seed in [0, u64::MAX] {
            let workflow = load_both(&generate_cascade(params(p, d, c, seed)));
            let counts = instances_per_task(&workflow);
            assert_eq!(counts["province_plan"], p.max(1) as usize);
            assert_eq!(counts["district_plan"], d.max(1) as usize);
            assert_eq!(counts["commune_action"], c.max(1) as usize);
        }
    }
    // Beyond the 63 real provinces, names cycle with a suffix; ids stay unique.
    let text = generate_cascade(params(70, 70, 70, 0)).workflow;
    assert!(text.contains("Ủy ban nhân dân tỉnh An Giang 2"));
    // Wider levels get wider ids.
    let text = generate_cascade(params(1, 1_200, 1_500, 0)).workflow;
    assert!(text.contains("\"p001_d1200\""));
}

#[test]
fn silent_run_of_a_small_cascade_goes_overdue() {
    let workflow = Arc::new(load_both(&generate_cascade(params(3, 7, 20, 5))));
    let silence = Scenario::silent(&workflow);
    let report = simulate(workflow, &silence, 0, None).unwrap().report();
    let overdue: Vec<_> = report
        .events
        .iter()
        .filter(|e| e.kind == "overdue")
        .map(|e| e.task.as_str())
        .collect();
    assert!(overdue.contains(&"national_plan"), "{overdue:?}");
    assert!(overdue.iter().any(|t| t.starts_with("province_plan[")));
    assert!(overdue.iter().any(|t| t.starts_with("commune_report[")));
    assert!(report.events.iter().any(|e| e.kind == "escalated"));
}

#[test]
fn national_scale_loads() {
    let started = Instant::now();
    let generated = generate_cascade(params(63, 700, 10_000, 2021));
    let generated_in = started.elapsed();
    let workflow = load_both(&generated);
    let loaded_in = started.elapsed() - generated_in;
    eprintln!(
        "63/700/10000: workflow {} bytes, scenario {} bytes; generated in {generated_in:?}, loaded in {loaded_in:?}",
        generated.workflow.len(),
        generated.scenario.len()
    );
    assert_eq!(workflow.agencies().len(), 1 + 5 + 63 + 700 + 10_000);
    let counts = instances_per_task(&workflow);
    assert_eq!(counts["province_plan"], 63);
    assert_eq!(counts["district_plan"], 700);
    assert_eq!(counts["commune_action"], 10_000);
    assert_eq!(counts["commune_report"], 10_000);
    assert!(generated.workflow.len() < 4_000_000);
}
