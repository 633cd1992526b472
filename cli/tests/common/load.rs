//! A load of acts that survives crashes: client threads act as the seed's agencies over
//! one or more servers, each act with an Idempotency-Key, and keep what was acknowledged;
//! then the journals are read to check each acknowledged act is there exactly once and
//! each timer fired once.

use super::serve::{Rng, Server, request};
use directrix_core::{Timestamp, time::UtcOffset};
use serde_json::{Value, json};
use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Mutex, RwLock};
use std::thread;
use std::time::Duration;

/// Agencies of the seed that hold roles; the clients act as them.
pub const AGENCIES: [&str; 12] = [
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
pub struct Shared {
    /// The servers' addresses: each request goes to one of them, at random.
    pub addrs: RwLock<Vec<String>>,
    pub stop: AtomicBool,
    /// Idempotency keys of the acts the server answered 200.
    pub acknowledged: Mutex<Vec<String>>,
    /// Requests whose answer was lost (a broken connection or a 5xx), sent again with
    /// their key until answered.
    pub uncertain: AtomicU64,
    /// Answers to such a retry that were the stored first answer: the act had been
    /// committed before its answer was lost.
    pub replayed: AtomicU64,
    /// Answers no correct server gives (e.g. a key refused as reused by its own retry).
    pub wrong: Mutex<Vec<String>>,
}

pub fn client(shared: &Shared, tokens: &[(String, String)], seed: u64, index: u64) {
    let mut rng = Rng::new(seed ^ (index + 1).wrapping_mul(0x9e37_79b9_7f4a_7c15));
    let mut sent = 0u64;
    // A request whose answer was lost: sent again, with its key, until answered.
    let mut uncertain: Option<(String, String, String, String)> = None;
    while !shared.stop.load(Ordering::Relaxed) {
        let addr = {
            let addrs = shared.addrs.read().expect("addrs");
            addrs[rng.below(addrs.len() as u64) as usize].clone()
        };
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

pub fn parse_time(text: &str) -> Timestamp {
    Timestamp::parse(text, UtcOffset::UTC).unwrap_or_else(|e| panic!("{text}: {e}"))
}

/// Every instance's journal: how often each act's key occurs, how many acts and how
/// many timer firings (`advance`) it holds.
pub fn journals(
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
pub fn wait_for_due_timers(server: &Server, admin: &str, instances: i64, clock: Timestamp) {
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

pub fn start_instances(server: &Server, admin: &str, workflow: &str, count: usize) {
    for _ in 0..count {
        let answer = server.post("/v1/instances", admin, &json!({ "workflow": workflow }));
        assert_eq!(answer.status, 201, "{}", answer.body);
    }
}
