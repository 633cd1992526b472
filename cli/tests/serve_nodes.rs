//! Several nodes on one PostgreSQL database: three `directrix serve` processes share it
//! while client threads spread acts over them, and one node is killed with SIGKILL
//! mid-run, again and again, and restarted. Every acknowledged act must be in the
//! journal exactly once, every timer fired exactly once (each instance's `advance` rows
//! only move forward, and none is left due), and replaying each journal must give what
//! is stored (`serve check`). Runs when `DIRECTRIX_TEST_POSTGRES` names a database
//! (`bash host/postgres start`); there is nothing to share without one.

mod common;

use common::load::{
    AGENCIES, Shared, client, journals, parse_time, start_instances, wait_for_due_timers,
};
use common::serve::{Rng, SEED, Server, check, data_dir, on_postgres, token};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use std::thread;
use std::time::Duration;

const NODES: usize = 3;
const KILLS: usize = 4;
const CLIENTS: u64 = 6;

#[test]
fn three_nodes_share_one_database_and_a_killed_one_loses_and_repeats_nothing() {
    on_postgres(|| {
        let seed = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(1, |d| d.as_nanos() as u64);
        println!("seed {seed}");
        let mut rng = Rng::new(seed);
        let data = data_dir("nodes");
        let admin = token(&data, None);
        let tokens: Vec<(String, String)> = AGENCIES
            .iter()
            .map(|agency| (agency.to_string(), token(&data, Some(agency))))
            .collect();
        // The first node stores the workflow and the virtual clock (one real second is
        // two hours); the others find both in the database.
        let first = Server::start(
            &data,
            &[
                "--load",
                SEED,
                "--clock",
                "2021-05-07T08:00:00+07:00",
                "--speed",
                "7200",
                "--snapshot-every",
                "5",
                "--no-portal",
            ],
        );
        let workflow = first.workflows[0].clone();
        let mut nodes = vec![first];
        for _ in 1..NODES {
            nodes.push(Server::start(&data, &["--no-portal"]));
        }
        // Started on every node: ids come from the database, never twice.
        let mut instances = 0;
        for node in &nodes {
            start_instances(node, &admin, &workflow, 3);
            instances += 3;
        }
        let shared = Arc::new(Shared {
            addrs: RwLock::new(nodes.iter().map(|n| n.addr.clone()).collect()),
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
            thread::sleep(Duration::from_millis(300 + rng.below(700)));
            let victim = rng.below(NODES as u64) as usize;
            let killed = nodes.remove(victim);
            killed.kill();
            // The others go on meanwhile (and take over its timers once its leases end).
            thread::sleep(Duration::from_millis(rng.below(500)));
            nodes.insert(victim, Server::start(&data, &["--no-portal"]));
            *shared.addrs.write().expect("addrs") = nodes.iter().map(|n| n.addr.clone()).collect();
            let acknowledged = shared.acknowledged.lock().expect("acks").clone();
            let reader = &nodes[rng.below(NODES as u64) as usize];
            let (keys, _, _) = journals(reader, &admin, instances);
            for key in &acknowledged {
                assert_eq!(
                    keys.get(key),
                    Some(&1),
                    "after kill {round}: acknowledged act {key} is not in the journal exactly once"
                );
            }
            assert!(keys.values().all(|&n| n == 1), "an act was applied twice");
            start_instances(reader, &admin, &workflow, 2);
            instances += 2;
        }

        shared.stop.store(true, Ordering::Relaxed);
        for client in clients {
            client.join().expect("client thread");
        }
        // Every timer due by now fires, whichever node it falls to (a killed node's
        // leases end after a few seconds).
        let health = nodes[0].request("GET", "/healthz", None, &[], b"").json();
        let clock = parse_time(health["clock"].as_str().expect("clock"));
        for node in &nodes {
            wait_for_due_timers(node, &admin, instances, clock);
        }
        let acknowledged = shared.acknowledged.lock().expect("acks").clone();
        let (keys, acts, advances) = journals(&nodes[1], &admin, instances);
        let found = acknowledged
            .iter()
            .filter(|k| keys.get(*k) == Some(&1))
            .count();
        println!(
            "{NODES} nodes, {KILLS} kills, {instances} instances: {} acts acknowledged, {found} \
             of them in the journal exactly once; the journals hold {acts} acts and {advances} \
             timer firings; {} answers were lost and retried with their key, {} of them had \
             been committed",
            acknowledged.len(),
            shared.uncertain.load(Ordering::Relaxed),
            shared.replayed.load(Ordering::Relaxed),
        );
        assert!(advances > 0, "no timer fired");
        for node in nodes {
            node.kill();
        }
        let (passed, report) = check(&data);
        assert!(passed, "{report}");
        assert_eq!(found, acknowledged.len());
        assert!(keys.values().all(|&n| n == 1), "an act was applied twice");
        assert!(acknowledged.len() >= 20, "too few acts to prove anything");
        let wrong = shared.wrong.lock().expect("wrong");
        assert!(wrong.is_empty(), "{wrong:?}");
    });
}
