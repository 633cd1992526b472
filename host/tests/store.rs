//! The store on a real SQLite file: concurrent requests share transactions, and one
//! refused request does not take the others of its batch with it.

use directrix_host::metrics::Metrics;
use directrix_host::store::{Append, Idempotency, JournalRow, Store, StoreError, Write, read};
use std::path::PathBuf;
use std::sync::Arc;

fn data_dir(name: &str) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(name);
    let _ = std::fs::remove_dir_all(&dir);
    dir
}

fn row(text: &str) -> JournalRow {
    JournalRow {
        input: text.to_owned(),
        actor: None,
        idempotency_key: None,
    }
}

fn append(instance: i64, first_seq: i64, rows: usize) -> Append {
    Append {
        instance,
        create: (first_seq == 0).then(|| "w".to_owned()),
        first_seq,
        rows: (0..rows).map(|i| row(&format!("input {i}"))).collect(),
        effects: vec!["effect".to_owned()],
        next_timer: Some(100 + instance),
        snapshot: None,
        idempotency: None,
    }
}

fn keyed(mut append: Append, key: &str) -> Append {
    append.idempotency = Some(Idempotency {
        agency: "health".to_owned(),
        key: key.to_owned(),
        request_hash: "h".to_owned(),
        response: "{}".to_owned(),
        status: 200,
    });
    append
}

async fn open(name: &str) -> Store {
    let store = Store::open(&data_dir(name), Arc::new(Metrics::default()))
        .await
        .expect("open");
    store
        .commit(Write::Workflow {
            hash: "w".to_owned(),
            source: "(...)".to_owned(),
            compiled: b"DRXW".to_vec(),
        })
        .await
        .expect("workflow");
    store
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_appends_commit_and_a_refused_one_fails_alone() {
    let store = open("store-concurrent").await;
    store
        .commit(Write::Append(append(1, 0, 1)))
        .await
        .expect("create 1");
    let mut requests = tokio::task::JoinSet::new();
    for id in 2..=64 {
        let store = store.clone();
        requests.spawn(async move { (id, store.commit(Write::Append(append(id, 0, 1))).await) });
    }
    // Computed from a stale version: refused, whatever it is batched with.
    let stale = store.clone();
    requests.spawn(async move { (-1, stale.commit(Write::Append(append(1, 7, 1))).await) });
    let fresh = store.clone();
    requests.spawn(async move { (1, fresh.commit(Write::Append(append(1, 1, 2))).await) });
    let mut outcomes = Vec::new();
    while let Some(joined) = requests.join_next().await {
        outcomes.push(joined.expect("task"));
    }
    for (id, outcome) in &outcomes {
        if *id == -1 {
            assert_eq!(outcome, &Err(StoreError::Conflict { instance: 1 }));
        } else {
            assert_eq!(outcome, &Ok(()), "instance {id}");
        }
    }
    let instances = read::instances(store.pool()).await.expect("instances");
    assert_eq!(instances.len(), 64);
    assert_eq!((instances[0].id, instances[0].version), (1, 3));
    let journal = read::journal(store.pool(), 1, 0).await.expect("journal");
    let seqs: Vec<i64> = journal.iter().map(|r| r.seq).collect();
    assert_eq!(seqs, [0, 1, 2]);
    assert_eq!(
        read::effects_of(store.pool(), 1)
            .await
            .expect("effects")
            .len(),
        2
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_idempotency_key_is_committed_once() {
    let store = open("store-idempotency").await;
    for id in [1, 2] {
        store
            .commit(Write::Append(append(id, 0, 1)))
            .await
            .expect("create");
    }
    let (a, b) = tokio::join!(
        store.commit(Write::Append(keyed(append(1, 1, 1), "k"))),
        store.commit(Write::Append(keyed(append(2, 1, 1), "k"))),
    );
    assert!(a.is_ok() != b.is_ok(), "{a:?} {b:?}");
    // The one refused is told why.
    assert!(
        a == Err(StoreError::KeyReused) || b == Err(StoreError::KeyReused),
        "{a:?} {b:?}"
    );
    // The refused append left nothing behind: its instance is at version 1.
    let versions: Vec<i64> = read::instances(store.pool())
        .await
        .expect("instances")
        .iter()
        .map(|i| i.version)
        .collect();
    assert_eq!(versions.iter().sum::<i64>(), 3);
    let first = read::idempotency(store.pool(), "health", "k")
        .await
        .expect("read");
    assert!(first.is_some());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn what_was_committed_is_there_after_reopening() {
    let name = "store-reopen";
    let store = open(name).await;
    let mut snapshot = append(1, 0, 2);
    snapshot.snapshot = Some(vec![1, 2, 3]);
    store.commit(Write::Append(snapshot)).await.expect("commit");
    drop(store);
    let pool =
        directrix_host::store::open_pool(&PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(name))
            .await
            .expect("reopen");
    assert_eq!(
        read::snapshot(&pool, 1).await.expect("snapshot"),
        Some((2, vec![1, 2, 3]))
    );
    assert_eq!(read::journal(&pool, 1, 1).await.expect("tail").len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn appends_queued_back_to_back_commit_in_order_and_a_failed_one_fails_those_after_it() {
    let store = open("store-chained").await;
    for id in [1, 2] {
        store
            .commit(Write::Append(append(id, 0, 1)))
            .await
            .expect("create");
    }
    // Queued before any is durable (as the host does once an instance's lock is
    // released): they share batches and keep their order.
    let tickets: Vec<_> = (1..=50)
        .map(|seq| {
            store
                .queue(Write::Append(append(1, seq, 1)))
                .expect("queue")
        })
        .collect();
    for ticket in tickets {
        assert_eq!(ticket.wait().await, Ok(()));
    }
    let journal = read::journal(store.pool(), 1, 0).await.expect("journal");
    assert_eq!(
        journal.iter().map(|r| r.seq).collect::<Vec<_>>(),
        (0..=50).collect::<Vec<i64>>()
    );
    // A stale append, then one computed after it: both fail; the other instance's
    // appends queued between them commit, and a settled ticket tells any later waiter.
    let stale = store.queue(Write::Append(append(1, 7, 1))).expect("queue");
    let other = store.queue(Write::Append(append(2, 1, 1))).expect("queue");
    let after = store.queue(Write::Append(append(1, 8, 1))).expect("queue");
    assert_eq!(
        stale.clone().wait().await,
        Err(StoreError::Conflict { instance: 1 })
    );
    assert_eq!(other.wait().await, Ok(()));
    assert_eq!(
        after.wait().await,
        Err(StoreError::Conflict { instance: 1 })
    );
    assert_eq!(
        stale.settled(),
        Some(Err(StoreError::Conflict { instance: 1 }))
    );
    let versions: Vec<(i64, i64)> = read::instances(store.pool())
        .await
        .expect("instances")
        .iter()
        .map(|i| (i.id, i.version))
        .collect();
    assert_eq!(versions, [(1, 51), (2, 2)]);
    // An append that only remembers a refusal's answer checks the version and writes
    // no journal row.
    let mut refusal = keyed(append(1, 51, 0), "refused");
    refusal.effects.clear();
    if let Some(first) = refusal.idempotency.as_mut() {
        first.status = 409;
    }
    store.commit(Write::Append(refusal)).await.expect("refusal");
    let first = read::idempotency(store.pool(), "health", "refused")
        .await
        .expect("read")
        .expect("stored");
    assert_eq!((first.instance, first.status), (1, 409));
    assert_eq!(
        read::journal(store.pool(), 1, 0)
            .await
            .expect("journal")
            .len(),
        51
    );
}
