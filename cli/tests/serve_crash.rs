//! Crash safety of `directrix serve`: client threads act concurrently while the server
//! is killed with SIGKILL at random moments. After every kill the stored data must pass
//! `serve check` (each journal replays to what is stored, each effect in the outbox
//! exactly once); after every restart every acknowledged act is in the journal exactly
//! once, and every timer that fell due while the server was down has fired.

mod common;

use common::load::{
    AGENCIES, Shared, client, journals, parse_time, start_instances, wait_for_due_timers,
};
use common::serve::{Rng, SEED, Server, both, check, data_dir, token};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use std::thread;
use std::time::Duration;

const KILLS: usize = 20;
const CLIENTS: u64 = 4;

#[test]
fn killed_at_random_moments_the_host_loses_and_repeats_nothing() {
    both(|| {
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
            addrs: RwLock::new(vec![server.addr.clone()]),
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
            *shared.addrs.write().expect("addrs") = vec![server.addr.clone()];

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
    });
}
