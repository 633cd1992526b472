//! The store on a real SQLite file, and on a real PostgreSQL database when
//! `DIRECTRIX_TEST_POSTGRES` names one (each test in a database of its own): concurrent
//! requests share transactions, one refused request does not take the others of its
//! batch with it, and the schema's version is checked both ways.

use directrix_host::metrics::Metrics;
use directrix_host::store::{
    Append, Idempotency, JournalRow, Location, Store, StoreError, Write, read,
};
use sqlx::{Connection, Executor};
use std::path::PathBuf;
use std::sync::Arc;

fn data_dir(name: &str) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(name);
    let _ = std::fs::remove_dir_all(&dir);
    dir
}

/// One test's database: a fresh SQLite directory, or a fresh PostgreSQL database
/// (`directrix_t_<name>_<pid>`) that [`Scratch::done`] drops.
struct Scratch {
    location: Location,
    server: Option<String>,
}

impl Scratch {
    async fn done(self) {
        if let (Some(server), Location::Postgres(url)) = (self.server, &self.location) {
            let name = url.rsplit('/').next().unwrap_or_default();
            admin(
                &server,
                &format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"),
            )
            .await;
        }
    }
}

async fn admin(server: &str, statement: &str) {
    let mut connection = sqlx::PgConnection::connect(server)
        .await
        .expect("connect to DIRECTRIX_TEST_POSTGRES");
    connection.execute(statement).await.expect(statement);
    let _ = connection.close().await;
}

/// SQLite, then PostgreSQL when `DIRECTRIX_TEST_POSTGRES` is set.
async fn scratches(name: &str) -> Vec<Scratch> {
    let mut all = vec![Scratch {
        location: Location::Sqlite(data_dir(name)),
        server: None,
    }];
    if let Some(server) = std::env::var("DIRECTRIX_TEST_POSTGRES")
        .ok()
        .filter(|url| !url.is_empty())
    {
        let database = format!(
            "directrix_t_{}_{}",
            name.replace('-', "_"),
            std::process::id()
        );
        admin(
            &server,
            &format!("DROP DATABASE IF EXISTS {database} WITH (FORCE)"),
        )
        .await;
        admin(&server, &format!("CREATE DATABASE {database}")).await;
        let (base, _) = server.split_once('?').unwrap_or((&server, ""));
        let (host, _) = base.rsplit_once('/').expect("a URL with a database");
        all.push(Scratch {
            location: Location::Postgres(format!("{host}/{database}")),
            server: Some(server.clone()),
        });
    }
    all
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
        lineage: 0,
    }
}

/// `append` computed from another load of the instance (a stale one).
fn of_lineage(mut append: Append, lineage: u64) -> Append {
    append.lineage = lineage;
    append
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

async fn open(at: &Location) -> Store {
    let store = Store::open(at, Arc::new(Metrics::default()))
        .await
        .expect("open");
    store
        .commit(Write::Workflow {
            hash: "w".to_owned(),
            source: "(...)".to_owned(),
            shared: "{}".to_owned(),
            compiled: b"DRXW".to_vec(),
        })
        .await
        .expect("workflow");
    store
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_appends_commit_and_a_refused_one_fails_alone() {
    for scratch in scratches("concurrent-appends-commit-and-a-refused-").await {
        concurrent_appends_commit_and_a_refused_one_fails_alone_on(&scratch.location).await;
        scratch.done().await;
    }
}

async fn concurrent_appends_commit_and_a_refused_one_fails_alone_on(at: &Location) {
    let store = open(at).await;
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
    requests.spawn(async move {
        (
            -1,
            stale
                .commit(Write::Append(of_lineage(append(1, 7, 1), 99)))
                .await,
        )
    });
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
    for scratch in scratches("an-idempotency-key-is-committed-once").await {
        an_idempotency_key_is_committed_once_on(&scratch.location).await;
        scratch.done().await;
    }
}

async fn an_idempotency_key_is_committed_once_on(at: &Location) {
    let store = open(at).await;
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
    for scratch in scratches("what-was-committed-is-there-after-reopen").await {
        what_was_committed_is_there_after_reopening_on(&scratch.location).await;
        scratch.done().await;
    }
}

async fn what_was_committed_is_there_after_reopening_on(at: &Location) {
    let store = open(at).await;
    let mut snapshot = append(1, 0, 2);
    snapshot.snapshot = Some(vec![1, 2, 3]);
    store.commit(Write::Append(snapshot)).await.expect("commit");
    drop(store);
    let pool = directrix_host::store::open_pool(at).await.expect("reopen");
    assert_eq!(
        read::snapshot(&pool, 1).await.expect("snapshot"),
        Some((2, vec![1, 2, 3]))
    );
    assert_eq!(read::journal(&pool, 1, 1).await.expect("tail").len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn appends_queued_back_to_back_commit_in_order_and_a_failed_one_fails_those_after_it() {
    for scratch in scratches("appends-queued-back-to-back-commit-in-or").await {
        appends_queued_back_to_back_commit_in_order_and_a_failed_one_fails_those_after_it_on(
            &scratch.location,
        )
        .await;
        scratch.done().await;
    }
}

async fn appends_queued_back_to_back_commit_in_order_and_a_failed_one_fails_those_after_it_on(
    at: &Location,
) {
    let store = open(at).await;
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
    let stale = store
        .queue(Write::Append(of_lineage(append(1, 7, 1), 99)))
        .expect("queue");
    let other = store.queue(Write::Append(append(2, 1, 1))).expect("queue");
    let after = store
        .queue(Write::Append(of_lineage(append(1, 8, 1), 99)))
        .expect("queue");
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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_older_binary_refuses_a_database_a_newer_one_migrated() {
    for scratch in scratches("store-newer-schema").await {
        let pool = directrix_host::store::open_pool(&scratch.location)
            .await
            .expect("open");
        // What a later binary's migration would leave: a version this one does not know.
        sqlx::query(
            "INSERT INTO _sqlx_migrations (version, description, success, checksum, execution_time) \
             VALUES (9999, 'from the future', TRUE, $1, 0)",
        )
        .bind(vec![0u8; 48])
        .execute(&pool)
        .await
        .expect("fake a future migration");
        pool.close().await;
        let error = directrix_host::store::open_pool(&scratch.location)
            .await
            .expect_err("an older binary must refuse");
        let message = error.to_string();
        assert!(
            message.contains("version 9999") && message.contains("binary's (version "),
            "{message}"
        );
        // And it changed nothing: the row is still there for the newer binary.
        let refused = Store::open(&scratch.location, Arc::new(Metrics::default())).await;
        assert!(refused.is_err());
        scratch.done().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_newer_binary_upgrades_a_database_an_older_one_made() {
    // SQLite: a database made by a binary that knew only the first migration.
    let dir = data_dir("store-upgrade");
    std::fs::create_dir_all(&dir).expect("dir");
    let first = dir.join("first-migration");
    std::fs::create_dir_all(&first).expect("dir");
    std::fs::copy(
        concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/migrations/sqlite/0001_init.sql"
        ),
        first.join("0001_init.sql"),
    )
    .expect("copy");
    {
        let options = sqlx::sqlite::SqliteConnectOptions::new()
            .filename(directrix_host::store::database_path(&dir))
            .create_if_missing(true);
        let pool = sqlx::SqlitePool::connect_with(options).await.expect("pool");
        sqlx::migrate::Migrator::new(first.as_path())
            .await
            .expect("migrator")
            .run(&pool)
            .await
            .expect("first migration");
        sqlx::query("INSERT INTO tokens (hash, agency, admin) VALUES ('abcdef', 'health', 0)")
            .execute(&pool)
            .await
            .expect("an old token");
        pool.close().await;
    }
    let pool = directrix_host::store::open_pool(&Location::Sqlite(dir))
        .await
        .expect("upgrade");
    let versions: Vec<i64> =
        sqlx::query_scalar("SELECT version FROM _sqlx_migrations ORDER BY version")
            .fetch_all(&pool)
            .await
            .expect("versions");
    // Every migration this binary carries, the first one included.
    let mut carried: Vec<i64> =
        std::fs::read_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/migrations/sqlite"))
            .expect("migrations")
            .filter_map(|entry| {
                let name = entry.ok()?.file_name().into_string().ok()?;
                name.split('_').next()?.parse().ok()
            })
            .collect();
    carried.sort_unstable();
    assert!(carried.len() >= 3, "{carried:?}");
    assert_eq!(versions, carried);
    // The old row reads with the columns the later migrations added.
    let tokens = read::tokens(&pool).await.expect("tokens");
    assert_eq!(tokens.len(), 1);
    assert_eq!((tokens[0].created, tokens[0].revoked), (None, None));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn once_an_append_is_refused_the_later_ones_of_its_lineage_are_too() {
    for scratch in scratches("store-lineage").await {
        let store = open(&scratch.location).await;
        store
            .commit(Write::Append(append(1, 0, 1)))
            .await
            .expect("create");
        // Computed from a state the journal does not have (another node appended first):
        // refused; the next append of the same load would find the version it expects
        // (here 1), but rests on the refused one's state: refused too.
        let mut stale = append(1, 7, 1);
        stale.lineage = 5;
        let mut after = append(1, 1, 1);
        after.lineage = 5;
        assert_eq!(
            store.commit(Write::Append(stale)).await,
            Err(StoreError::Conflict { instance: 1 })
        );
        assert_eq!(
            store.commit(Write::Append(after)).await,
            Err(StoreError::Conflict { instance: 1 })
        );
        // Reloaded (another lineage), the same append commits.
        let mut reloaded = append(1, 1, 1);
        reloaded.lineage = 6;
        assert_eq!(store.commit(Write::Append(reloaded)).await, Ok(()));
        assert_eq!(
            read::journal(store.pool(), 1, 0)
                .await
                .expect("journal")
                .len(),
            2
        );
        scratch.done().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_claimed_timer_is_no_one_elses_until_its_lease_ends() {
    for scratch in scratches("store-lease").await {
        let node = open(&scratch.location).await;
        let other = open(&scratch.location).await;
        node.commit(Write::Append(append(1, 0, 1)))
            .await
            .expect("create");
        // append() sets instance 1's next timer to 101.
        match node.claim_due(100, 1, 10).await.expect("claim") {
            // SQLite: one node, its index in memory; there is nothing to claim.
            None => assert_eq!(
                scratch.location.dialect(),
                directrix_host::store::Dialect::Sqlite
            ),
            Some(none) => {
                assert!(none.is_empty(), "not due yet: {none:?}");
                assert_eq!(
                    node.claim_due(101, 1, 10).await.expect("claim"),
                    Some(vec![1])
                );
                // Leased: the other node does not get it, nor does this one again.
                assert_eq!(
                    other.claim_due(101, 1, 10).await.expect("claim"),
                    Some(vec![])
                );
                assert_eq!(
                    node.claim_due(101, 1, 10).await.expect("claim"),
                    Some(vec![])
                );
                // The node died mid-fire: its lease ends (a second of the database's
                // clock) and the other node takes the timer over.
                tokio::time::sleep(std::time::Duration::from_millis(2100)).await;
                assert_eq!(
                    other.claim_due(101, 1, 10).await.expect("claim"),
                    Some(vec![1])
                );
                // Released once fired: claimable at once (by whoever finds it due).
                other.release(1).await.expect("release");
                assert_eq!(
                    node.claim_due(101, 1, 10).await.expect("claim"),
                    Some(vec![1])
                );
            }
        }
        scratch.done().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_commits_reach_the_disk_before_they_are_acknowledged() {
    let at = Location::Sqlite(data_dir("store-pragmas"));
    let store = open(&at).await;
    let mode: String = sqlx::query_scalar("PRAGMA journal_mode")
        .fetch_one(store.pool())
        .await
        .expect("journal_mode");
    let synchronous: i64 = sqlx::query_scalar("PRAGMA synchronous")
        .fetch_one(store.pool())
        .await
        .expect("synchronous");
    let foreign_keys: i64 = sqlx::query_scalar("PRAGMA foreign_keys")
        .fetch_one(store.pool())
        .await
        .expect("foreign_keys");
    // WAL, synchronous=FULL (2), and the schema's references enforced.
    assert_eq!((mode.as_str(), synchronous, foreign_keys), ("wal", 2, 1));
}
