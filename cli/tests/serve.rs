//! `directrix serve` as a real process on a real SQLite file: restarts, authentication
//! and authority, limits, idempotency. (The crash test is in serve_crash.rs.)

mod common;

use common::serve::{SEED, Server, both, check, data_dir, events, request, token};
use serde_json::{Value, json};
use std::io::Write;
use std::net::TcpStream;
use std::time::Duration;

const CLOCK: [&str; 4] = ["--clock", "2021-05-07T08:00:00+07:00", "--speed", "60"];
const FOLLOW_UP: &str = "workflows/kien-xuong-114-cv-hu.120.followup.ron";

fn task<'a>(view: &'a Value, name: &str) -> &'a Value {
    view["tasks"]
        .as_array()
        .expect("tasks")
        .iter()
        .find(|t| t["task"] == name)
        .unwrap_or_else(|| panic!("no task {name} in {view}"))
}

fn clock_of(server: &Server) -> String {
    let health = server.request("GET", "/healthz", None, &[], b"");
    assert_eq!(health.status, 200, "{}", health.body);
    health.json()["clock"].as_str().expect("clock").to_owned()
}

#[test]
fn a_restart_keeps_every_instance_and_continues_the_virtual_clock() {
    both(|| {
        let data = data_dir("restart");
        let admin = token(&data, None);
        let health = token(&data, Some("health"));
        let server = Server::start(&data, &[&["--load", SEED][..], &CLOCK].concat());
        let hash = server.workflows[0].clone();
        let started = server.post("/v1/instances", &admin, &json!({ "workflow": hash }));
        assert_eq!(started.status, 201, "{}", started.body);
        let id = started.json()["id"].as_i64().expect("id");
        let acted = server.post(
            &format!("/v1/instances/{id}/acts"),
            &health,
            &json!({ "task": "health_readiness", "action": "acknowledge" }),
        );
        assert_eq!(acted.status, 200, "{}", acted.body);
        let before = server.get(&format!("/v1/instances/{id}"), &admin).json();
        // The tracking grid: now, and a week later (a projection that journals nothing).
        let grid = server.get(&format!("/v1/instances/{id}/grid"), &health);
        assert_eq!(grid.status, 200, "{}", grid.body);
        assert_eq!(grid.json()["total"]["open_overdue"], 0);
        let later = server
            .get(
                &format!("/v1/instances/{id}/grid?at=2021-05-14T12:00:00%2B07:00"),
                &health,
            )
            .json();
        assert_eq!(later["at"], "2021-05-14T12:00:00+07:00");
        assert!(later["total"]["open_overdue"].as_u64() > Some(0), "{later}");
        let early = server.get(
            &format!("/v1/instances/{id}/grid?at=2021-05-01T00:00:00Z"),
            &health,
        );
        assert_eq!((early.status, early.code().as_str()), (422, "before_start"));
        assert_eq!(
            server.get(&format!("/v1/instances/{id}"), &admin).json()["version"],
            before["version"]
        );
        let clock_before = clock_of(&server);
        drop(server);

        // Started again without --clock: the data directory's clock continues; with another
        // --clock it still continues (that flag only starts a new one).
        for args in [
            &[][..],
            &["--clock", "2000-01-01T00:00:00Z", "--speed", "1"][..],
        ] {
            let server = Server::start(&data, args);
            let after = server.get(&format!("/v1/instances/{id}"), &admin);
            assert_eq!(after.status, 200, "{}", after.body);
            let after = after.json();
            assert_eq!(task(&after, "health_readiness")["state"], "acknowledged");
            assert!(after["version"].as_i64() >= before["version"].as_i64());
            assert_eq!(after["workflow"], before["workflow"]);
            // RFC 3339 in UTC with the same width compares as text.
            let clock_after = clock_of(&server);
            assert!(
                clock_after >= clock_before,
                "{clock_after} < {clock_before}"
            );
            assert!(clock_after.starts_with("2021-05-"), "{clock_after}");
            drop(server);
        }
        let (passed, report) = check(&data);
        assert!(passed, "{report}");
        assert!(
            report.contains("1 instances checked, 0 mismatched"),
            "{report}"
        );
    });
}

#[test]
fn every_endpoint_refuses_a_caller_without_authority() {
    both(|| {
        let data = data_dir("security");
        let admin = token(&data, None);
        let health = token(&data, Some("health"));
        let police = token(&data, Some("police"));
        let stranger = token(&data, Some("ministry_of_elsewhere"));
        let server = Server::start(
            &data,
            &[
                &[
                    "--load",
                    SEED,
                    "--max-body",
                    "65536",
                    "--request-timeout",
                    "2",
                ][..],
                &CLOCK,
            ]
            .concat(),
        );
        let hash = server.workflows[0].clone();
        let id = server
            .post("/v1/instances", &admin, &json!({ "workflow": hash }))
            .json()["id"]
            .as_i64()
            .expect("id");
        let act_path = format!("/v1/instances/{id}/acts");
        let act = json!({ "task": "health_readiness", "action": "acknowledge" });
        let endpoints: Vec<(&str, String, Vec<u8>)> = vec![
            ("POST", "/v1/workflows".to_owned(), b"(format: 1)".to_vec()),
            (
                "POST",
                "/v1/instances".to_owned(),
                json!({ "workflow": hash }).to_string().into_bytes(),
            ),
            ("GET", format!("/v1/instances/{id}"), Vec::new()),
            ("POST", act_path.clone(), act.to_string().into_bytes()),
            ("GET", format!("/v1/instances/{id}/journal"), Vec::new()),
            ("GET", "/v1/inbox".to_owned(), Vec::new()),
            (
                "POST",
                format!("/v1/instances/{id}/follow-ups"),
                common::read(FOLLOW_UP).into_bytes(),
            ),
            ("GET", "/v1/events".to_owned(), Vec::new()),
            ("GET", format!("/v1/instances/{id}/timeline"), Vec::new()),
            ("GET", format!("/v1/instances/{id}/grid"), Vec::new()),
            ("GET", "/v1/workflows".to_owned(), Vec::new()),
            ("GET", format!("/v1/workflows/{hash}"), Vec::new()),
        ];
        let forged = format!("dxt_{}", "0".repeat(64));
        for (method, path, body) in &endpoints {
            for bearer in [None, Some(forged.as_str()), Some("")] {
                let answer = server.request(method, path, bearer, &[], body);
                assert_eq!(
                    answer.status, 401,
                    "{method} {path} {bearer:?}: {}",
                    answer.body
                );
                assert_eq!(answer.code(), "unauthorized");
            }
            // A scheme other than Bearer is no token either.
            let basic =
                server.request(method, path, None, &[("authorization", "Basic YTpi")], body);
            assert_eq!(basic.status, 401, "{method} {path}: {}", basic.body);
        }

        // Admin-only endpoints refuse an agency; the agency endpoints refuse the admin.
        for (method, path, body) in [&endpoints[0], &endpoints[1], &endpoints[6]] {
            let answer = server.request(method, path, Some(&health), &[], body);
            assert_eq!((answer.status, answer.code().as_str()), (403, "admin_only"));
        }
        let answer = server.post(&act_path, &admin, &act);
        assert_eq!(
            (answer.status, answer.code().as_str()),
            (403, "agency_only")
        );
        assert_eq!(server.get("/v1/inbox", &admin).code(), "agency_only");

        // An agency foreign to the directive reads and does nothing.
        for (method, path, body) in &endpoints[2..5] {
            let answer = server.request(method, path, Some(&stranger), &[], body);
            assert_eq!(answer.status, 403, "{method} {path}: {}", answer.body);
            assert_eq!(answer.code(), "not_a_party");
        }
        assert_eq!(server.get("/v1/inbox", &stranger).json(), json!([]));

        // Another agency's task: the core's role check refuses, nothing changes.
        let version = |server: &Server| {
            server.get(&format!("/v1/instances/{id}"), &admin).json()["version"]
                .as_i64()
                .expect("version")
        };
        let start_version = version(&server);
        let answer = server.post(&act_path, &police, &act);
        assert_eq!(
            (answer.status, answer.code().as_str()),
            (403, "not_allowed"),
            "{}",
            answer.body
        );
        // A request cannot name its actor.
        let answer = server.post(
            &act_path,
            &police,
            &json!({ "task": "health_readiness", "action": "acknowledge", "actor": "health" }),
        );
        assert_eq!(
            (answer.status, answer.code().as_str()),
            (400, "invalid_request")
        );
        assert_eq!(version(&server), start_version);

        // Too large a body: refused before it is read.
        let large = vec![b' '; 200_000];
        let answer = request(
            &server.addr,
            "POST",
            "/v1/workflows",
            Some(&admin),
            &[],
            &large,
        )
        .expect("answer to a large body");
        assert_eq!(
            (answer.status, answer.code().as_str()),
            (413, "body_too_large")
        );

        // A client that stops sending its body is cut off by the request timeout.
        let mut slow = TcpStream::connect(&server.addr).expect("connect");
        slow.set_read_timeout(Some(Duration::from_secs(60)))
            .expect("timeout");
        write!(
        slow,
        "POST {act_path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\nAuthorization: Bearer {health}\r\nContent-Length: 100\r\n\r\n{{\"task\""
    )
    .expect("write");
        let answer = common::serve::read_response(&mut slow).expect("answer to a slow client");
        assert_eq!(answer.status, 408, "{}", answer.body);
        assert_eq!(version(&server), start_version);

        // The same Idempotency-Key: the same request gets the first answer and changes
        // nothing; another request is refused.
        let keyed = |body: &Value| {
            server.request(
                "POST",
                &act_path,
                Some(&health),
                &[("idempotency-key", "k-1")],
                body.to_string().as_bytes(),
            )
        };
        let first = keyed(&act);
        assert_eq!(first.status, 200, "{}", first.body);
        let after_first = version(&server);
        assert_eq!(after_first, start_version + 1);
        let again = keyed(&act);
        assert_eq!(
            (again.status, again.body.as_str()),
            (200, first.body.as_str())
        );
        assert_eq!(again.header("idempotent-replayed"), Some("true"));
        let other = keyed(&json!({ "task": "health_readiness", "action": "start" }));
        assert_eq!(
            (other.status, other.code().as_str()),
            (422, "idempotency_key_reused")
        );
        assert_eq!(version(&server), after_first);
        // Keys are per agency: police's "k-1" is its own (and police may not start it).
        let police_key = server.request(
            "POST",
            &act_path,
            Some(&police),
            &[("idempotency-key", "k-1")],
            json!({ "task": "health_readiness", "action": "start" })
                .to_string()
                .as_bytes(),
        );
        assert_eq!(police_key.code(), "not_allowed");

        // An invalid workflow: every diagnostic, located.
        let broken = common::read(SEED).replacen("lead: [\"health\"]", "lead: [\"heath\"]", 1);
        let answer = server.request(
            "POST",
            "/v1/workflows",
            Some(&admin),
            &[],
            broken.as_bytes(),
        );
        assert_eq!(
            (answer.status, answer.code().as_str()),
            (422, "invalid_workflow")
        );
        let diagnostics = answer.json()["diagnostics"].clone();
        let unknown = diagnostics
            .as_array()
            .expect("diagnostics")
            .iter()
            .find(|d| d["code"] == "unknown-agency")
            .unwrap_or_else(|| panic!("no unknown-agency in {diagnostics}"));
        assert!(unknown["location"]["line"].as_u64().is_some(), "{unknown}");

        // What needs no token.
        assert_eq!(
            server.request("GET", "/healthz", None, &[], b"").status,
            200
        );
        let metrics = server.request("GET", "/metrics", None, &[], b"");
        assert!(
            metrics.body.contains("directrix_acts_total 1"),
            "{}",
            metrics.body
        );
        drop(server);
        let (passed, report) = check(&data);
        assert!(passed, "{report}");
    });
}

#[test]
fn a_follow_up_is_journaled_with_its_text_and_survives_a_restart() {
    both(|| {
        let data = data_dir("follow-up");
        let admin = token(&data, None);
        let police = token(&data, Some("police"));
        // The clock is on 12 May, the follow-up's day; the instance started on 7 May, so the
        // five days of timers in between fire first (catch-up). A snapshot after every row:
        // the amended instance's snapshot names the amended workflow, so loading replays.
        let server = Server::start(
            &data,
            &[
                "--load",
                SEED,
                "--clock",
                "2021-05-12T08:30:00+07:00",
                "--speed",
                "60",
                "--snapshot-every",
                "1",
            ],
        );
        let hash = server.workflows[0].clone();
        let started = server.post(
            "/v1/instances",
            &admin,
            &json!({ "workflow": hash, "start": "2021-05-07T08:00:00+07:00" }),
        );
        assert_eq!(started.status, 201, "{}", started.body);
        let id = started.json()["id"].as_i64().expect("id");
        let path = format!("/v1/instances/{id}/follow-ups");
        let text = common::read(FOLLOW_UP);
        let answer = server.request("POST", &path, Some(&admin), &[], text.as_bytes());
        assert_eq!(answer.status, 200, "{}", answer.body);
        let answer = answer.json();
        assert_eq!(answer["report"]["cancelled"], json!(["contingency_plan"]));
        assert_ne!(answer["workflow"], json!(hash));
        // Applying it again is refused with the core's code, and changes nothing.
        let again = server.request("POST", &path, Some(&admin), &[], text.as_bytes());
        assert_eq!(again.status, 422, "{}", again.body);
        assert_eq!(again.code(), "invalid_follow_up");
        let view = server.get(&format!("/v1/instances/{id}"), &admin).json();
        drop(server);

        let server = Server::start(&data, &[]);
        let after = server.get(&format!("/v1/instances/{id}"), &admin).json();
        assert_eq!(after["workflow"], answer["workflow"]);
        assert_eq!(
            task(&after, "contingency_plan"),
            task(&view, "contingency_plan")
        );
        assert_eq!(task(&after, "contingency_plan")["state"], "cancelled");
        let journal = server
            .get(&format!("/v1/instances/{id}/journal"), &police)
            .json();
        let follow_up = journal
            .as_array()
            .expect("rows")
            .iter()
            .find(|row| row["input"]["input"] == "follow_up")
            .expect("a follow_up row");
        assert_eq!(follow_up["input"]["text"], json!(text));
        // The timeline names it, with what it caused; replayed across it, the task it
        // cancels is still running the day before.
        let timeline = server
            .get(&format!("/v1/instances/{id}/timeline?limit=1000"), &police)
            .json();
        let entries = timeline["entries"].as_array().expect("entries");
        assert_eq!(entries.len(), journal.as_array().expect("rows").len());
        let entry = entries
            .iter()
            .find(|e| e["kind"] == "follow_up")
            .expect("a follow_up entry");
        assert_eq!(entry["note"], "120-CV/HU");
        // The answer also carries the effects of the timers the follow-up fired first
        // (those the scheduler had not fired yet: journaled as rows of their own); the
        // entry's effects are the answer's last ones, with their event ids.
        let own: Vec<Value> = entry["effects"]
            .as_array()
            .expect("effects")
            .iter()
            .map(|effect| {
                let mut effect = effect.clone();
                effect.as_object_mut().expect("an object").remove("id");
                effect
            })
            .collect();
        let answered = answer["effects"].as_array().expect("effects");
        assert!(!own.is_empty() && answered.len() >= own.len());
        assert_eq!(own, answered[answered.len() - own.len()..]);
        let before = server
            .get(
                &format!("/v1/instances/{id}?at=2021-05-11T12:00:00%2B07:00"),
                &police,
            )
            .json();
        assert_eq!(before["workflow"], json!(hash));
        assert_ne!(task(&before, "contingency_plan")["state"], "cancelled");
        drop(server);
        let (passed, report) = check(&data);
        assert!(passed, "{report}");
    });
}

#[test]
fn the_event_stream_delivers_every_effect_with_a_stable_id_and_resumes() {
    both(|| {
        let data = data_dir("events");
        let admin = token(&data, None);
        let health = token(&data, Some("health"));
        let server = Server::start(&data, &[&["--load", SEED][..], &CLOCK].concat());
        let hash = server.workflows[0].clone();
        let started = server.post("/v1/instances", &admin, &json!({ "workflow": hash }));
        assert_eq!(started.status, 201, "{}", started.body);
        let id = started.json()["id"].as_i64().expect("id");

        let first = events(&server.addr, &admin, None, 6);
        let ids: Vec<i64> = first.iter().map(|(id, _)| *id).collect();
        assert_eq!(ids, [1, 2, 3, 4, 5, 6]);
        assert!(
            first
                .iter()
                .all(|(_, e)| e["instance"] == id && e["kind"] == "started")
        );
        // Resuming after id 3 gives 4, 5, 6 again: the same events, the same ids.
        let resumed = events(&server.addr, &admin, Some(3), 3);
        assert_eq!(resumed, first[3..].to_vec());

        // Live: the stream waits at its end and delivers the next commit's effects.
        let (tail, _) = *first.last().expect("events");
        let total = server
            .get(&format!("/v1/instances/{id}/journal"), &admin)
            .json();
        assert!(total.as_array().is_some_and(|rows| !rows.is_empty()));
        let addr = server.addr.clone();
        let health_token = health.clone();
        let reader = std::thread::spawn(move || {
            // Everything after the start's effects, until the act's transition shows up.
            let mut transition = None;
            common::serve::events_until(&addr, &health_token, Some(tail), |(_, event)| {
                let found = event["kind"] == "transitioned";
                if found {
                    transition = Some(event.clone());
                }
                found
            });
            transition.expect("a transition")
        });
        let acted = server.post(
            &format!("/v1/instances/{id}/acts"),
            &health,
            &json!({ "task": "health_readiness", "action": "acknowledge" }),
        );
        assert_eq!(acted.status, 200, "{}", acted.body);
        let event = reader.join().expect("reader");
        assert_eq!(event["task"], "health_readiness");
        assert_eq!(event["agency"], "health");
    });
}

#[test]
fn a_stop_signal_ends_open_event_streams_and_the_server() {
    both(|| {
        let data = data_dir("stop");
        let admin = token(&data, None);
        let server = Server::start(&data, &CLOCK);
        let mut stream = TcpStream::connect(&server.addr).expect("connect");
        stream
            .set_read_timeout(Some(Duration::from_secs(30)))
            .expect("timeout");
        write!(
            stream,
            "GET /v1/events HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {admin}\r\n\r\n"
        )
        .expect("write");
        let mut head = [0u8; 12];
        std::io::Read::read_exact(&mut stream, &mut head).expect("the stream's head");
        assert_eq!(&head, b"HTTP/1.1 200");
        let status = server.terminate().expect("the server exits on SIGTERM");
        assert!(status.success(), "{status:?}");
        // The stream was ended, not cut: the rest reads to its end.
        let mut rest = Vec::new();
        std::io::Read::read_to_end(&mut stream, &mut rest).expect("read to the end");
    });
}

/// `directrix serve token --data DIR ARGS`: (succeeded, stdout, stderr).
fn token_command(data: &common::serve::Data, args: &[&str]) -> (bool, String, String) {
    let output = std::process::Command::new(common::BIN)
        .args(["serve", "token"])
        .args(data.args())
        .args(args)
        .output()
        .expect("run serve token");
    (
        output.status.success(),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

#[test]
fn a_revoked_token_is_refused_by_the_running_server_and_after_a_restart() {
    both(|| {
        let data = data_dir("revoke");
        let admin = token(&data, None);
        let health = token(&data, Some("health"));
        let police = token(&data, Some("police"));
        let server = Server::start(&data, &CLOCK);
        for bearer in [&admin, &health, &police] {
            assert_eq!(server.get("/v1/whoami", bearer).status, 200);
        }

        // The list shows who, when, and a short id: never a token (nor its whole hash).
        let (listed, list, _) = token_command(&data, &["--list"]);
        assert!(listed);
        let lines: Vec<&str> = list.lines().collect();
        assert_eq!(lines.len(), 3, "{list}");
        for secret in [&admin, &health, &police] {
            assert!(!list.contains(secret.as_str()), "{list}");
            let hash = directrix_host::api::token_hash(secret);
            assert!(!list.contains(&hash), "{list}");
            assert!(list.contains(&hash[..12]), "{list}");
        }
        let health_line = lines
            .iter()
            .find(|l| l.contains("agency health"))
            .unwrap_or_else(|| panic!("{list}"));
        assert!(health_line.contains("created 20"), "{health_line}");
        assert!(lines.iter().any(|l| l.contains("  admin  ")), "{list}");
        let id = health_line.split_whitespace().next().expect("id");

        // Refused: not hex, too short, unknown.
        for bad in ["zzzzzzzz", "abc", "000000000000"] {
            let (revoked, _, error) = token_command(&data, &["--revoke", bad]);
            assert!(!revoked, "{bad}");
            assert!(!error.is_empty());
        }
        let (revoked, out, error) = token_command(&data, &["--revoke", id]);
        assert!(revoked, "{error}");
        assert_eq!(out.trim(), format!("revoked {id}"));
        // Revoked once: a second revocation finds no unrevoked token.
        assert!(!token_command(&data, &["--revoke", id]).0);

        // The running server refuses it promptly (it looks at most once a second).
        let mut refused = None;
        for _ in 0..100 {
            let answer = server.get("/v1/whoami", &health);
            if answer.status == 401 {
                refused = Some(answer);
                break;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let refused = refused.expect("the revoked token is still accepted after 5 s");
        assert_eq!(refused.code(), "unauthorized");
        // The others still work; the list says it is revoked.
        assert_eq!(server.get("/v1/whoami", &police).status, 200);
        assert_eq!(server.get("/v1/whoami", &admin).status, 200);
        let (_, list, _) = token_command(&data, &["--list"]);
        let health_line = list
            .lines()
            .find(|l| l.contains("agency health"))
            .expect("listed");
        assert!(health_line.contains("revoked 20"), "{health_line}");
        drop(server);

        let server = Server::start(&data, &[]);
        assert_eq!(server.get("/v1/whoami", &health).status, 401);
        assert_eq!(server.get("/v1/whoami", &police).status, 200);
    });
}

#[test]
fn a_refused_act_is_remembered_under_its_key_and_a_key_is_one_request() {
    both(|| {
        let data = data_dir("refusal-key");
        let admin = token(&data, None);
        let health = token(&data, Some("health"));
        let server = Server::start(&data, &[&["--load", SEED][..], &CLOCK].concat());
        let hash = server.workflows[0].clone();
        let start = |server: &Server| {
            server
                .post("/v1/instances", &admin, &json!({ "workflow": hash }))
                .json()["id"]
                .as_i64()
                .expect("id")
        };
        let (a, b) = (start(&server), start(&server));
        let version = |server: &Server, id: i64| {
            server.get(&format!("/v1/instances/{id}"), &admin).json()["version"]
                .as_i64()
                .expect("version")
        };
        let act = |server: &Server, id: i64, key: &str, body: &Value| {
            server.request(
                "POST",
                &format!("/v1/instances/{id}/acts"),
                Some(&health),
                &[("idempotency-key", key)],
                body.to_string().as_bytes(),
            )
        };
        let unknown = json!({ "task": "no_such_task", "action": "acknowledge" });
        let valid = json!({ "task": "health_readiness", "action": "acknowledge" });
        let before = version(&server, a);

        let first = act(&server, a, "r-1", &unknown);
        assert_eq!(first.status, 422, "{}", first.body);
        assert_eq!(first.header("idempotent-replayed"), None);
        // Repeated, while the server remembers it and after a restart (from the table).
        let again = act(&server, a, "r-1", &unknown);
        assert_eq!(
            (again.status, again.body.as_str()),
            (422, first.body.as_str())
        );
        assert_eq!(again.header("idempotent-replayed"), Some("true"));
        // The key now stands for that refusal: another request with it is refused, and
        // changes nothing.
        let other = act(&server, a, "r-1", &valid);
        assert_eq!(
            (other.status, other.code().as_str()),
            (422, "idempotency_key_reused")
        );
        assert_eq!(version(&server, a), before);

        // One key, two instances: the second is another request.
        assert_eq!(act(&server, a, "k-a", &valid).status, 200);
        let on_b = act(&server, b, "k-a", &valid);
        assert_eq!(
            (on_b.status, on_b.code().as_str()),
            (422, "idempotency_key_reused"),
            "{}",
            on_b.body
        );
        let b_version = version(&server, b);
        // b is unharmed: it acts with a new key.
        assert_eq!(act(&server, b, "k-b", &valid).status, 200);
        assert_eq!(version(&server, b), b_version + 1);
        drop(server);

        let server = Server::start(&data, &[]);
        let after = act(&server, a, "r-1", &unknown);
        assert_eq!(
            (after.status, after.body.as_str()),
            (422, first.body.as_str())
        );
        assert_eq!(after.header("idempotent-replayed"), Some("true"));
        assert_eq!(
            act(&server, a, "r-1", &valid).code(),
            "idempotency_key_reused"
        );
        assert_eq!(
            act(&server, b, "k-a", &valid).code(),
            "idempotency_key_reused"
        );
        drop(server);
        let (passed, report) = check(&data);
        assert!(passed, "{report}");
    });
}
