//! Crash safety of `directrix serve`: client threads act concurrently while the server
//! is killed with SIGKILL at random moments. After every kill the stored data must pass
//! `serve check` (each journal replays to what is stored, each effect in the outbox
//! exactly once); after every restart every acknowledged act is in the journal exactly
//! once, and every timer that fell due while the server was down has fired.

mod common;

use common::serve::{Rng, SEED, Server, check, data_dir, request, token};
use directrix_core::{Timestamp, time::UtcOffset};
use serde_json::{Value, json};
use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use std::thread;
use std::time::Duration;

const KILLS: usize = 20;
const CLIENTS: u64 = 4;
/// Agencies of the seed that hold roles; the clients act as them.
const AGENCIES: [&str; 12] = [
    "district_standing",
    "district_pc",
    "radio_tv",
    "health",
    "police",
    "military",
    "covid_steering",
    "dept_culture",
    "dept_education",
    "fatherland_front",
    "youth_union",
    "xa_vu_quy",
];

/// What the clients and the test share.
struct Shared {
    addr: RwLock<String>,
    stop: AtomicBool,
    /// Idempotency keys of the acts the server answered 200.
    acknowledged: Mutex<Vec<String>>,
    /// Requests whose answer was lost (a broken connection or a 5xx), sent again with
    /// their key until answered.
    uncertain: AtomicU64,
    /// Answers to such a retry that were the stored first answer: the act had been
    /// committed before its answer was lost.
    replayed: AtomicU64,
    /// Answers no correct server gives (e.g. a key refused as reused by its own retry).
    wrong: Mutex<Vec<String>>,
}

fn client(shared: &Shared, tokens: &[(String, String)], seed: u64, index: u64) {
    let mut rng = Rng::new(seed ^ (index + 1).wrapping_mul(0x9e37_79b9_7f4a_7c15));
    let mut sent = 0u64;
    // A request whose answer was lost: sent again, with its key, until answered.
    let mut uncertain: Option<(String, String, String, String)> = None;
    while !shared.stop.load(Ordering::Relaxed) {
        let addr = shared.addr.read().expect("addr").clone();
        let retrying = uncertain.is_some();
        let (token, path, body, key) = match uncertain.take() {
            Some(pending) => pending,
            None => {
                let (_, token) = &tokens[rng.below(tokens.len() as u64) as usize];
                let Ok(inbox) = request(&addr, "GET", "/v1/inbox", Some(token), &[], b"") else {
                    thread::sleep(Duration::from_millis(10));
                    continue;
                };
                let Ok(Value::Array(entries)) = serde_json::from_str::<Value>(&inbox.body) else {
                    thread::sleep(Duration::from_millis(10));
                    continue;
                };
                let choices: Vec<(i64, &Value)> = entries
                    .iter()
                    .flat_map(|entry| {
                        let id = entry["instance"].as_i64().unwrap_or_default();
                        entry["items"]
                            .as_array()
                            .into_iter()
                            .flatten()
                            .filter(|item| item["needs_until"] == false)
                            .map(move |item| (id, item))
                    })
                    .collect();
                if choices.is_empty() {
                    thread::sleep(Duration::from_millis(10));
                    continue;
                }
                let (id, item) = choices[rng.below(choices.len() as u64) as usize];
                let mut body = json!({ "task": item["task"], "action": item["action"] });
                if item["needs_note"] == true {
                    body["note"] = json!("crash test");
                }
                sent += 1;
                (
                    token.clone(),
                    format!("/v1/instances/{id}/acts"),
                    body.to_string(),
                    format!("c{index}-{sent}"),
                )
            }
        };
        let answer = request(
            &addr,
            "POST",
            &path,
            Some(&token),
            &[("idempotency-key", &key)],
            body.as_bytes(),
        );
        match answer {
            Ok(answer) if answer.status == 200 => {
                if answer.header("idempotent-replayed").is_some() {
                    shared.replayed.fetch_add(1, Ordering::Relaxed);
                }
                shared.acknowledged.lock().expect("acks").push(key);
            }
            Ok(answer) if answer.status >= 500 || answer.status == 408 => {
                if !retrying {
                    shared.uncertain.fetch_add(1, Ordering::Relaxed);
                }
                uncertain = Some((token, path, body, key));
                thread::sleep(Duration::from_millis(10));
            }
            Ok(answer) => {
                // The engine refused (the state moved on): nothing was applied. Its own
                // retry being called a reuse would be a bug.
                if answer.body.contains("idempotency_key_reused") {
                    shared.wrong.lock().expect("wrong").push(answer.body);
                }
            }
            Err(_) => {
                if !retrying {
                    shared.uncertain.fetch_add(1, Ordering::Relaxed);
                }
                uncertain = Some((token, path, body, key));
                thread::sleep(Duration::from_millis(10));
            }
        }
    }
}

fn parse_time(text: &str) -> Timestamp {
    Timestamp::parse(text, UtcOffset::UTC).unwrap_or_else(|e| panic!("{text}: {e}"))
}

/// Every instance's journal: how often each act's key occurs, how many acts and how
/// many timer firings (`advance`) it holds.
fn journals(
    server: &Server,
    admin: &str,
    instances: i64,
) -> (HashMap<String, usize>, usize, usize) {
    let mut keys = HashMap::new();
    let mut acts = 0;
    let mut advances = 0;
    for id in 1..=instances {
        let journal = server.get(&format!("/v1/instances/{id}/journal"), admin);
        assert_eq!(journal.status, 200, "{}", journal.body);
        let mut last_advance = i64::MIN;
        for row in journal.json().as_array().expect("rows") {
            match row["input"]["input"].as_str() {
                Some("act") => {
                    acts += 1;
                    let key = row["idempotency_key"]
                        .as_str()
                        .expect("every act has a key");
                    *keys.entry(key.to_owned()).or_insert(0) += 1;
                }
                Some("advance") => {
                    // Each instant's timers fire once: advances only move forward.
                    let to = row["input"]["to"].as_i64().expect("to");
                    assert!(to > last_advance, "instance {id}: advance to {to} twice");
                    last_advance = to;
                    advances += 1;
                }
                _ => {}
            }
        }
    }
    (keys, acts, advances)
}

/// Waits (bounded) until no instance has a timer due at or before `clock`.
fn wait_for_due_timers(server: &Server, admin: &str, instances: i64, clock: Timestamp) {
    for id in 1..=instances {
        let mut fired = false;
        for _ in 0..400 {
            let view = server.get(&format!("/v1/instances/{id}"), admin).json();
            let next = view["next_timer"]["at"].as_str().map(parse_time);
            if next.is_none_or(|at| at > clock) {
                fired = true;
                break;
            }
            thread::sleep(Duration::from_millis(25));
        }
        assert!(
            fired,
            "instance {id}: a timer due by {clock:?} has not fired"
        );
    }
}

fn start_instances(server: &Server, admin: &str, workflow: &str, count: usize) {
    for _ in 0..count {
        let answer = server.post("/v1/instances", admin, &json!({ "workflow": workflow }));
        assert_eq!(answer.status, 201, "{}", answer.body);
    }
}

#[test]
fn killed_at_random_moments_the_host_loses_and_repeats_nothing() {
    let seed = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(1, |d| d.as_nanos() as u64);
    println!("seed {seed}");
    let mut rng = Rng::new(seed);
    let data = data_dir("crash");
    let admin = token(&data, None);
    let tokens: Vec<(String, String)> = AGENCIES
        .iter()
        .map(|agency| (agency.to_string(), token(&data, Some(agency))))
        .collect();
    // One real second is two hours: the seed's timers (hours to days apart) fall due
    // while the server runs and while it is down. Frequent snapshots make loading go
    // through snapshot + tail as well as whole replays.
    let args = [
        "--load",
        SEED,
        "--clock",
        "2021-05-07T08:00:00+07:00",
        "--speed",
        "7200",
        "--snapshot-every",
        "5",
    ];
    let mut server = Server::start(&data, &args);
    let workflow = server.workflows[0].clone();
    let mut instances = 6;
    start_instances(&server, &admin, &workflow, instances as usize);
    let shared = Arc::new(Shared {
        addr: RwLock::new(server.addr.clone()),
        stop: AtomicBool::new(false),
        acknowledged: Mutex::new(Vec::new()),
        uncertain: AtomicU64::new(0),
        replayed: AtomicU64::new(0),
        wrong: Mutex::new(Vec::new()),
    });
    let clients: Vec<_> = (0..CLIENTS)
        .map(|index| {
            let shared = Arc::clone(&shared);
            let tokens = tokens.clone();
            thread::spawn(move || client(&shared, &tokens, seed, index))
        })
        .collect();

    for round in 1..=KILLS {
        thread::sleep(Duration::from_millis(100 + rng.below(400)));
        server.kill();
        let acknowledged = shared.acknowledged.lock().expect("acks").clone();
        let (passed, report) = check(&data);
        assert!(passed, "after kill {round}: {report}");
        // Down for up to 40 virtual minutes.
        thread::sleep(Duration::from_millis(rng.below(330)));
        server = Server::start(&data, &[]);
        *shared.addr.write().expect("addr") = server.addr.clone();

        let (keys, _, _) = journals(&server, &admin, instances);
        for key in &acknowledged {
            assert_eq!(
                keys.get(key),
                Some(&1),
                "after kill {round}: acknowledged act {key} is not in the journal exactly once"
            );
        }
        assert!(keys.values().all(|&n| n == 1), "an act was applied twice");
        let health = server.request("GET", "/healthz", None, &[], b"").json();
        let clock = parse_time(health["clock"].as_str().expect("clock"));
        wait_for_due_timers(&server, &admin, instances, clock);
        // New work, so the clients always have something to do.
        start_instances(&server, &admin, &workflow, 2);
        instances += 2;
    }

    shared.stop.store(true, Ordering::Relaxed);
    for client in clients {
        client.join().expect("client thread");
    }
    let acknowledged = shared.acknowledged.lock().expect("acks").clone();
    let (keys, acts, advances) = journals(&server, &admin, instances);
    let found = acknowledged
        .iter()
        .filter(|k| keys.get(*k) == Some(&1))
        .count();
    println!(
        "{} kills, {instances} instances: {} acts acknowledged, {found} of them found in the \
         journal exactly once; the journals hold {acts} acts and {advances} timer firings; \
         {} answers were lost in a crash and retried with their key, {} of them had been \
         committed (the first answer came back)",
        KILLS + 1,
        acknowledged.len(),
        shared.uncertain.load(Ordering::Relaxed),
        shared.replayed.load(Ordering::Relaxed),
    );
    assert!(advances > 0, "no timer fired");
    server.kill();
    let (passed, report) = check(&data);
    assert!(passed, "{report}");
    assert_eq!(found, acknowledged.len());
    assert!(acknowledged.len() >= 20, "too few acts to prove anything");
    let wrong = shared.wrong.lock().expect("wrong");
    assert!(wrong.is_empty(), "{wrong:?}");
}
