//! `directrix serve`'s read API for portals, against a real server on a real SQLite
//! file: an instance's timeline, its grid and status at an earlier time (replayed from the
//! journal), and the stored workflows' texts.

mod common;

use common::serve::{SEED, Server, both, check, data_dir, events, token};
use directrix_core::time::UtcOffset;
use directrix_core::{Instance, Timestamp};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use std::sync::Arc;

/// The clock is on 12 May; the instances start on 7 May, so the timers in between fire
/// (catch-up) and the journal holds timer inputs as well as acts.
const LATE_CLOCK: [&str; 4] = ["--clock", "2021-05-12T08:30:00+07:00", "--speed", "60"];
const START: &str = "2021-05-07T08:00:00+07:00";
const TASK: &str = "health_readiness";

fn start(server: &Server, admin: &str, workflow: &str) -> i64 {
    let started = server.post(
        "/v1/instances",
        admin,
        &json!({ "workflow": workflow, "start": START }),
    );
    assert_eq!(started.status, 201, "{}", started.body);
    started.json()["id"].as_i64().expect("id")
}

fn act(server: &Server, id: i64, token: &str, action: &str) -> Value {
    let answer = server.post(
        &format!("/v1/instances/{id}/acts"),
        token,
        &json!({ "task": TASK, "action": action }),
    );
    assert_eq!(answer.status, 200, "{}", answer.body);
    answer.json()
}

fn time(text: &str) -> Timestamp {
    Timestamp::parse(text, UtcOffset::UTC).expect("an RFC 3339 time")
}

/// An instant for a query string (`+` would read as a space).
fn query_time(at: Timestamp) -> String {
    at.to_rfc3339(UtcOffset::UTC).replace('+', "%2B")
}

fn seed() -> Arc<directrix_core::Workflow> {
    Arc::new(
        directrix_core::load(&common::read(SEED))
            .expect("the seed loads")
            .workflow,
    )
}

#[test]
fn the_timeline_pages_every_journaled_input_with_its_effects_and_their_event_ids() {
    both(|| {
        let data = data_dir("read-timeline");
        let admin = token(&data, None);
        let health = token(&data, Some("health"));
        let stranger = token(&data, Some("ministry_of_elsewhere"));
        let server = Server::start(&data, &[&["--load", SEED][..], &LATE_CLOCK].concat());
        let id = start(&server, &admin, &server.workflows[0]);
        let acknowledged = act(&server, id, &health, "acknowledge");
        let path = format!("/v1/instances/{id}/timeline");

        let whole = server.get(&format!("{path}?limit=1000"), &health);
        assert_eq!(whole.status, 200, "{}", whole.body);
        let whole = whole.json();
        assert_eq!(whole["instance"], id);
        assert!(whole.get("next").is_none(), "{whole}");
        let entries = whole["entries"].as_array().expect("entries").clone();
        let journal = server
            .get(&format!("/v1/instances/{id}/journal"), &health)
            .json();
        let journal = journal.as_array().expect("rows");
        assert_eq!(entries.len(), journal.len());
        for (index, (entry, row)) in entries.iter().zip(journal).enumerate() {
            assert_eq!(entry["version"], index as i64 + 1, "{entry}");
            assert_eq!(entry["kind"], row["input"]["input"], "{entry} vs {row}");
        }

        // The start, named: the directive's issuer; then the timers of the five days between
        // the start and the clock, each at its own time; then the act, named.
        let first = &entries[0];
        assert_eq!(
            (first["kind"].as_str(), first["at"].as_str()),
            (Some("start"), Some(START))
        );
        assert_eq!(first["agency"], "district_standing");
        assert!(first["effects"].as_array().is_some_and(|e| !e.is_empty()));
        let timers: Vec<&Value> = entries.iter().filter(|e| e["kind"] == "advance").collect();
        assert!(!timers.is_empty(), "no timer fired: {whole}");
        assert!(timers.iter().all(|e| e["agency"] == "system"));
        assert!(
            timers
                .iter()
                .flat_map(|e| e["effects"].as_array().expect("effects"))
                .any(|e| e["kind"] == "overdue"),
            "{whole}"
        );
        let last = entries.last().expect("entries");
        assert_eq!(
            (
                last["kind"].as_str(),
                last["agency"].as_str(),
                last["task"].as_str(),
                last["action"].as_str(),
                last["at"].as_str()
            ),
            (
                Some("act"),
                Some("health"),
                Some(TASK),
                Some("acknowledge"),
                acknowledged["at"].as_str()
            )
        );
        assert_eq!(last["version"], acknowledged["version"]);
        let transition = last["effects"]
            .as_array()
            .expect("effects")
            .iter()
            .find(|e| e["kind"] == "transitioned")
            .expect("the act's transition");
        assert_eq!(transition["to"], "acknowledged");

        // Every effect, in order, with the event stream's id and data: nothing left out,
        // nothing twice.
        let shown: Vec<(i64, Value)> = entries
            .iter()
            .flat_map(|e| e["effects"].as_array().expect("effects").clone())
            .map(|mut effect| {
                let id = effect["id"].as_i64().expect("an event id");
                effect.as_object_mut().expect("an object").remove("id");
                (id, effect)
            })
            .collect();
        let streamed = events(&server.addr, &admin, None, shown.len());
        assert_eq!(shown, streamed);

        // Pages of two, followed by `next`, give the same entries.
        let mut paged = Vec::new();
        let mut after = 0;
        loop {
            let page = server
                .get(&format!("{path}?after={after}&limit=2"), &health)
                .json();
            let got = page["entries"].as_array().expect("entries");
            assert!(got.len() <= 2);
            paged.extend(got.iter().cloned());
            match page["next"].as_i64() {
                Some(next) => {
                    assert_eq!(Some(next), got.last().and_then(|e| e["version"].as_i64()));
                    after = next;
                }
                None => break,
            }
        }
        assert_eq!(paged, entries);
        let end = server.get(&format!("{path}?after={}", entries.len()), &admin);
        assert_eq!(end.json(), json!({ "instance": id, "entries": [] }));

        // Refused: bad paging, no token, an agency with no part in it.
        for query in ["limit=0", "limit=1001", "after=-1", "after=x"] {
            let answer = server.get(&format!("{path}?{query}"), &health);
            assert_eq!(
                (answer.status, answer.code().as_str()),
                (400, "invalid_request"),
                "{query}: {}",
                answer.body
            );
        }
        assert_eq!(server.request("GET", &path, None, &[], b"").status, 401);
        let foreign = server.get(&path, &stranger);
        assert_eq!(
            (foreign.status, foreign.code().as_str()),
            (403, "not_a_party")
        );
        let missing = server.get("/v1/instances/999/timeline", &admin);
        assert_eq!(
            (missing.status, missing.code().as_str()),
            (404, "unknown_instance")
        );
        drop(server);
        let (passed, report) = check(&data);
        assert!(passed, "{report}");
    });
}

#[test]
fn the_grid_and_the_status_before_now_are_the_journal_replayed_to_then() {
    both(|| {
        let data = data_dir("read-past");
        let admin = token(&data, None);
        let health = token(&data, Some("health"));
        let server = Server::start(&data, &[&["--load", SEED][..], &LATE_CLOCK].concat());
        let id = start(&server, &admin, &server.workflows[0]);
        let acknowledged = act(&server, id, &health, "acknowledge");
        let t1 = time(acknowledged["at"].as_str().expect("at"));
        // A virtual minute or more later (60 virtual seconds a real one), the next act.
        std::thread::sleep(std::time::Duration::from_millis(1500));
        let started = act(&server, id, &health, "start");
        let t2 = time(started["at"].as_str().expect("at"));
        assert!(t2.as_seconds() > t1.as_seconds() + 30, "{t1:?} {t2:?}");
        let live = server.get(&format!("/v1/instances/{id}"), &admin).json();
        assert_eq!(live["version"], started["version"]);
        // Its state hash is the core's for its journal replayed.
        let journal: Vec<directrix_core::Input> = server
            .get(&format!("/v1/instances/{id}/journal"), &admin)
            .json()
            .as_array()
            .expect("rows")
            .iter()
            .map(|row| serde_json::from_value(row["input"].clone()).expect("an input"))
            .collect();
        let replayed = Instance::replay(seed(), &journal).expect("the journal replays");
        assert_eq!(live["state_hash"], replayed.state_hash());

        // What the instance was at each instant, computed here by the core alone.
        let workflow = seed();
        let (mut expected, _) = Instance::start(Arc::clone(&workflow), time(START)).expect("start");
        let early = time("2021-05-10T12:00:00+07:00");
        expected.advance(early).expect("advance");
        let at_early = (expected.grid(), expected.status_records());
        expected.advance(t1).expect("advance");
        expected
            .act_by_name(t1, "health", TASK, "acknowledge", None)
            .expect("act");
        let between = Timestamp::from_seconds(t1.as_seconds() + 30);
        expected.advance(between).expect("advance");
        let at_between = (expected.grid(), expected.status_records());

        for (at, (grid, status), state) in [
            (early, at_early, "assigned"),
            (between, at_between, "acknowledged"),
        ] {
            let text = query_time(at);
            let answer = server.get(&format!("/v1/instances/{id}/grid?at={text}"), &health);
            assert_eq!(answer.status, 200, "{}", answer.body);
            assert_eq!(
                answer.json(),
                serde_json::to_value(&grid).expect("JSON"),
                "grid at {text}"
            );
            let view = server.get(&format!("/v1/instances/{id}?at={text}"), &health);
            assert_eq!(view.status, 200, "{}", view.body);
            let view = view.json();
            assert_eq!(view["tasks"], serde_json::to_value(&status).expect("JSON"));
            assert_eq!(view["now"], workflow.format_time(at));
            let task = view["tasks"]
                .as_array()
                .expect("tasks")
                .iter()
                .find(|t| t["task"] == TASK)
                .expect("the task");
            assert_eq!(task["state"], state, "at {text}");
            assert!(
                view["version"].as_i64() < live["version"].as_i64(),
                "{view}"
            );
        }
        // The status at the start is the start's alone.
        let at_start = server
            .get(
                &format!("/v1/instances/{id}?at={}", query_time(time(START))),
                &admin,
            )
            .json();
        assert_eq!(at_start["version"], 1);

        // Before the start: refused with its own code; not a time: invalid_time.
        for path in [
            format!("/v1/instances/{id}/grid?at=2021-05-07T07:59:59%2B07:00"),
            format!("/v1/instances/{id}?at=2021-05-01T00:00:00Z"),
        ] {
            let answer = server.get(&path, &health);
            assert_eq!(
                (answer.status, answer.code().as_str()),
                (422, "before_start"),
                "{path}: {}",
                answer.body
            );
            assert!(
                answer.json()["message"]
                    .as_str()
                    .is_some_and(|m| m.contains(START))
            );
        }
        let garbage = server.get(&format!("/v1/instances/{id}/grid?at=soon"), &health);
        assert_eq!(
            (garbage.status, garbage.code().as_str()),
            (422, "invalid_time")
        );

        // From the instance's time on: a projection, as before (the timers due by then fire
        // in a copy; nothing is journaled).
        let later = "2021-05-21T12:00:00%2B07:00";
        let grid = server
            .get(&format!("/v1/instances/{id}/grid?at={later}"), &health)
            .json();
        assert_eq!(grid["at"], "2021-05-21T12:00:00+07:00");
        let projected = server
            .get(&format!("/v1/instances/{id}?at={later}"), &health)
            .json();
        assert_eq!(projected["now"], "2021-05-21T12:00:00+07:00");
        assert_eq!(projected["version"], live["version"]);

        // None of it touched the instance.
        let after = server.get(&format!("/v1/instances/{id}"), &admin).json();
        assert_eq!(after["version"], live["version"]);
        assert_eq!(after["tasks"], live["tasks"]);
        drop(server);
        let (passed, report) = check(&data);
        assert!(passed, "{report}");
    });
}

#[test]
fn the_stored_workflows_are_listed_and_their_texts_served_to_those_they_name() {
    both(|| {
        let data = data_dir("read-workflows");
        let admin = token(&data, None);
        let health = token(&data, Some("health"));
        let stranger = token(&data, Some("ministry_of_elsewhere"));
        let server = Server::start(&data, &["--load", SEED, "--no-portal"]);
        let seed_hash = server.workflows[0].clone();
        // Another version of the seed: a due rule changed, so another content hash.
        let text = common::read(SEED);
        let changed = text.replacen("due: WorkingDays(2),", "due: WorkingDays(3),", 1);
        assert_ne!(changed, text);
        let stored = server.request(
            "POST",
            "/v1/workflows",
            Some(&admin),
            &[],
            changed.as_bytes(),
        );
        assert_eq!(stored.status, 201, "{}", stored.body);
        let hash = stored.json()["hash"].as_str().expect("hash").to_owned();
        assert_ne!(hash, seed_hash);

        let list = server.get("/v1/workflows", &admin);
        assert_eq!(list.status, 200, "{}", list.body);
        let list = list.json();
        let hashes: Vec<&str> = list
            .as_array()
            .expect("a list")
            .iter()
            .map(|w| w["hash"].as_str().expect("hash"))
            .collect();
        assert_eq!(hashes, [seed_hash.as_str(), hash.as_str()]);
        let workflow = seed();
        for entry in list.as_array().expect("a list") {
            assert_eq!(entry["directive"], workflow.directive().number);
            assert_eq!(entry["title"], workflow.directive().subject);
            let loaded = entry["loaded_at"].as_str().expect("loaded_at");
            assert!(Timestamp::parse(loaded, UtcOffset::UTC).is_ok(), "{loaded}");
        }
        assert_eq!(server.get("/v1/workflows", &health).json(), list);
        assert_eq!(server.get("/v1/workflows", &stranger).json(), json!([]));

        // One workflow: its text as stored, and the hash of the bytes compiling it gives.
        let one = server.get(&format!("/v1/workflows/{hash}"), &health);
        assert_eq!(one.status, 200, "{}", one.body);
        let one = one.json();
        assert_eq!(one["hash"], hash);
        assert_eq!(one["source"], changed);
        assert_eq!(one["calendars"], json!({}));
        let compiled = directrix_core::load(&changed)
            .expect("loads")
            .workflow
            .to_compiled();
        assert_eq!(
            one["compiled_sha256"],
            format!("{:x}", Sha256::digest(&compiled))
        );
        assert_eq!(one["compiled_bytes"], compiled.len());
        assert_eq!(one["loaded_at"], list[1]["loaded_at"]);

        let unknown = server.get("/v1/workflows/0000000000000000", &admin);
        assert_eq!(
            (unknown.status, unknown.code().as_str()),
            (404, "unknown_workflow")
        );
        let foreign = server.get(&format!("/v1/workflows/{hash}"), &stranger);
        assert_eq!(
            (foreign.status, foreign.code().as_str()),
            (403, "not_a_party")
        );
        for path in ["/v1/workflows".to_owned(), format!("/v1/workflows/{hash}")] {
            assert_eq!(server.request("GET", &path, None, &[], b"").status, 401);
        }

        // Kept across a restart, in the same order and with the same times.
        drop(server);
        let server = Server::start(&data, &["--no-portal"]);
        assert_eq!(server.get("/v1/workflows", &admin).json(), list);
    });
}

/// A workflow that names a shared calendar or registry is stored with their texts: it
/// loads again after a restart, `serve check` replays it, and a portal gets the texts.
#[test]
fn a_workflow_is_stored_with_the_shared_calendars_and_registries_it_names() {
    both(|| {
        let data = data_dir("read-shared");
        let admin = token(&data, None);
        let storm = "workflows/cd-143-ttg-2025.ron";
        let registry = common::read("workflows/registries/vn-provinces.ron");
        let calendar = common::read("workflows/calendars/vn-public-holidays.ron");
        let server = Server::start(&data, &LATE_CLOCK);

        // As plain text the registry is missing: refused, located, nothing stored.
        let plain = server.request(
            "POST",
            "/v1/workflows",
            Some(&admin),
            &[("content-type", "text/plain")],
            common::read(storm).as_bytes(),
        );
        assert_eq!(plain.status, 422, "{}", plain.body);
        assert!(plain.body.contains("unknown-registry"), "{}", plain.body);
        assert_eq!(server.get("/v1/workflows", &admin).json(), json!([]));

        // An unknown field is a client's mistake, not silently dropped.
        let typo = server.post(
            "/v1/workflows",
            &admin,
            &json!({ "source": common::read(storm), "registry": {} }),
        );
        assert_eq!(typo.status, 400, "{}", typo.body);

        let stored = server.post(
            "/v1/workflows",
            &admin,
            &json!({
                "source": common::read(storm),
                "calendars": { "vn-public-holidays": calendar },
                "registries": { "vn-provinces": registry },
            }),
        );
        assert_eq!(stored.status, 201, "{}", stored.body);
        let hash = stored.json()["hash"].as_str().expect("hash").to_owned();
        let started = server.post(
            "/v1/instances",
            &admin,
            &json!({ "workflow": hash, "start": "2025-08-23T12:00:00+07:00" }),
        );
        assert_eq!(started.status, 201, "{}", started.body);
        let id = started.json()["id"].as_i64().expect("id");
        let before = server.get(&format!("/v1/instances/{id}"), &admin).json();
        drop(server);

        // A restart loads it from the store with its registry, and so does a portal.
        let server = Server::start(&data, &LATE_CLOCK);
        let after = server.get(&format!("/v1/instances/{id}"), &admin);
        assert_eq!(after.status, 200, "{}", after.body);
        assert_eq!(after.json()["state_hash"], before["state_hash"]);
        let document = server.get(&format!("/v1/workflows/{hash}"), &admin).json();
        assert_eq!(document["registries"]["vn-provinces"], json!(registry));
        assert_eq!(document["calendars"]["vn-public-holidays"], json!(calendar));
        let options = directrix_core::LoadOptions::default()
            .with_calendar("vn-public-holidays", calendar)
            .with_registry("vn-provinces", registry);
        let loaded =
            directrix_core::load_with(document["source"].as_str().expect("source"), &options)
                .expect("the document's texts load");
        assert_eq!(loaded.workflow.content_hash(), hash);
        drop(server);
        let (ok, report) = check(&data);
        assert!(ok, "{report}");
    });
}

/// `--load FILE` reads the shared calendars beside the file, as every other command does.
#[test]
fn serve_load_reads_the_shared_calendars_beside_the_workflow() {
    both(|| {
        let data = data_dir("read-shared-load");
        let admin = token(&data, None);
        let server = Server::start(&data, &["--load", "workflows/ct-16-ttg-2020.ron"]);
        let hash = &server.workflows[0];
        let document = server.get(&format!("/v1/workflows/{hash}"), &admin).json();
        let calendars = document["calendars"].as_object().expect("calendars");
        assert!(!calendars.is_empty(), "{document}");
        let mut options = directrix_core::LoadOptions::default();
        for (name, text) in calendars {
            options = options.with_calendar(name.as_str(), text.as_str().expect("text"));
        }
        let loaded =
            directrix_core::load_with(document["source"].as_str().expect("source"), &options)
                .expect("loads with the stored calendars");
        assert_eq!(loaded.workflow.content_hash(), hash.as_str());
    });
}

/// A child document (issued later by a ministry) is attached through the follow-ups
/// endpoint: journaled with its text, its tasks in the instance's status view, the same
/// after a restart, and `serve check` replays it.
#[test]
fn a_child_document_is_attached_to_a_running_instance_and_survives_a_restart() {
    both(|| {
        let data = data_dir("read-child");
        let admin = token(&data, None);
        let clock = ["--clock", "2020-04-03T10:00:00+07:00", "--speed", "60"];
        let server = Server::start(
            &data,
            &[&["--load", "workflows/ct-16-ttg-2020.ron"][..], &clock].concat(),
        );
        let started = server.post(
            "/v1/instances",
            &admin,
            &json!({ "workflow": server.workflows[0], "start": "2020-03-31T20:00:00+07:00" }),
        );
        assert_eq!(started.status, 201, "{}", started.body);
        let id = started.json()["id"].as_i64().expect("id");
        let has_child_task = |view: &Value| {
            view["tasks"].as_array().expect("tasks").iter().any(|task| {
                task["task"]
                    .as_str()
                    .is_some_and(|t| t.starts_with("quarantine_sites"))
            })
        };
        assert!(!has_child_task(
            &server.get(&format!("/v1/instances/{id}"), &admin).json()
        ));

        let child = common::read("workflows/ct-16-ttg-2020.moh.child.ron");
        let path = format!("/v1/instances/{id}/follow-ups");
        let attached = server.request("POST", &path, Some(&admin), &[], child.as_bytes());
        assert_eq!(attached.status, 200, "{}", attached.body);
        let view = server.get(&format!("/v1/instances/{id}"), &admin).json();
        assert!(has_child_task(&view), "{view}");
        // Attaching the same document twice is refused and changes nothing.
        let again = server.request("POST", &path, Some(&admin), &[], child.as_bytes());
        assert_eq!(again.status, 422, "{}", again.body);
        // (The clock runs, so timers may add rows meanwhile: count the attachments.)
        let attachments = |server: &Server| {
            let journal = server
                .get(&format!("/v1/instances/{id}/journal"), &admin)
                .json();
            journal
                .as_array()
                .expect("rows")
                .iter()
                .filter(|row| row["input"]["input"] == "follow_up")
                .count()
        };
        assert_eq!(attachments(&server), 1);
        drop(server);

        let server = Server::start(&data, &clock);
        let after = server.get(&format!("/v1/instances/{id}"), &admin).json();
        assert_eq!(after["workflow"], view["workflow"]);
        assert!(has_child_task(&after), "{after}");
        assert_eq!(attachments(&server), 1);
        drop(server);
        let (ok, report) = check(&data);
        assert!(ok, "{report}");
    });
}
