//! `directrix serve` restarted over a database holding 10,000 instances: it serves its
//! first request and every instance comes back as stored. The instances are written
//! through the host's store directly (the same rows the API writes), which is quicker
//! than 10,000 HTTP requests. No timing is asserted: the time to the first request is a
//! benchmark figure (benches/RESULTS.md).

mod common;

use common::serve::{SEED, Server, data_dir, token};
use directrix_core::{Instance, Timestamp, Workflow};
use directrix_host::metrics::Metrics;
use directrix_host::replay::{effect_json, encode_snapshot};
use directrix_host::store::{Append, JournalRow, Store, Write};
use std::sync::Arc;

const INSTANCES: i64 = 10_000;
/// One more instance, with acts: one under its snapshot, one in the tail.
const ACTED: i64 = INSTANCES + 1;

fn at(text: &str) -> Timestamp {
    Timestamp::parse(
        text,
        directrix_core::time::UtcOffset::from_hms(7, 0, 0).unwrap(),
    )
    .unwrap()
}

/// The append of what `instance` journaled from `first_seq` on, with `effects`.
fn append(
    id: i64,
    instance: &Instance,
    first_seq: usize,
    effects: &[directrix_core::Effect],
    snapshot: bool,
) -> Append {
    Append {
        instance: id,
        create: (first_seq == 0).then(|| instance.workflow().content_hash().to_owned()),
        first_seq: first_seq as i64,
        rows: instance.journal()[first_seq..]
            .iter()
            .map(|input| JournalRow {
                input: serde_json::to_string(input).unwrap(),
                actor: matches!(input, directrix_core::Input::Act { .. })
                    .then(|| "health".to_owned()),
                idempotency_key: None,
            })
            .collect(),
        effects: effects
            .iter()
            .map(|e| effect_json(id, instance, e))
            .collect(),
        next_timer: instance.next_timer().map(|t| t.at.as_seconds()),
        snapshot: snapshot.then(|| encode_snapshot(instance)),
        idempotency: None,
        lineage: 0,
    }
}

/// Writes the seed workflow and `INSTANCES` instances of it; returns the acted one.
fn populate(data: &common::serve::Data, source: &str, workflow: &Arc<Workflow>) -> Instance {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    runtime.block_on(async {
        let store = Store::open(&data.location(), Arc::new(Metrics::default()))
            .await
            .unwrap();
        store
            .commit(Write::Workflow {
                hash: workflow.content_hash().to_owned(),
                source: source.to_owned(),
                shared: "{}".to_owned(),
                compiled: workflow.to_compiled(),
            })
            .await
            .unwrap();
        // Instance 1 through the store; the others are copies of its rows under their
        // own ids (one statement per table: 10,000 appends one by one take minutes in a
        // debug build).
        let (instance, effects) =
            Instance::start(Arc::clone(workflow), workflow.directive().issued_at).unwrap();
        store
            .commit(Write::Append(append(1, &instance, 0, &effects, false)))
            .await
            .unwrap();
        let ids = "WITH RECURSIVE ids (id) AS (SELECT 2 UNION ALL SELECT id + 1 FROM ids WHERE id < ?) ";
        for copy in [
            "INSERT INTO instances (id, workflow, next_timer, version) \
             SELECT ids.id, workflow, next_timer, version FROM ids, instances WHERE instances.id = 1",
            "INSERT INTO journal (instance, seq, input, actor, idempotency_key) \
             SELECT ids.id, seq, input, actor, idempotency_key FROM ids, journal WHERE instance = 1",
            // The outbox record begins with its instance: `{"instance":1,...`.
            "INSERT INTO effects (instance, seq, record) \
             SELECT ids.id, seq, '{\"instance\":' || ids.id || substr(record, 14) \
             FROM ids, effects WHERE instance = 1 ORDER BY ids.id, effects.id",
        ] {
            sqlx::query(&format!("{ids}{copy}"))
                .bind(INSTANCES)
                .execute(store.pool())
                .await
                .unwrap();
        }
        // One more with acts: one under its snapshot, one in the tail.
        let (mut instance, mut effects) =
            Instance::start(Arc::clone(workflow), workflow.directive().issued_at).unwrap();
        let t = at("2021-05-07 09:00");
        let mut stored = 0;
        for (action, snapshot) in [("acknowledge", true), ("start", false)] {
            effects.extend(instance.advance(t).unwrap());
            effects.extend(
                instance
                    .act_by_name(t, "health", "health_readiness", action, None)
                    .unwrap(),
            );
            let appended = append(ACTED, &instance, stored, &effects, snapshot);
            store.commit(Write::Append(appended)).await.unwrap();
            stored = instance.journal_len();
            effects.clear();
        }
        instance
    })
}

#[test]
fn a_restart_over_ten_thousand_instances_serves_them_as_stored() {
    let data = data_dir("many");
    let admin = token(&data, None);
    let source = common::read(SEED);
    let workflow = Arc::new(directrix_core::load(&source).unwrap().workflow);
    let acted = populate(&data, &source, &workflow);

    let server = Server::start(
        &data,
        &["--clock", "2021-05-07T08:00:00+07:00", "--speed", "1"],
    );
    // The first request served is an instance's view (it loads from snapshot + tail).
    let view = server.get(&format!("/v1/instances/{ACTED}"), &admin);
    assert_eq!(view.status, 200, "{}", view.body);
    let view = view.json();
    assert_eq!(view["version"], acted.journal_len() as i64);
    assert_eq!(
        view["tasks"],
        serde_json::to_value(acted.status_records()).unwrap()
    );

    // Every other instance is there, as started.
    let (fresh, _) =
        Instance::start(Arc::clone(&workflow), workflow.directive().issued_at).unwrap();
    for id in [1, INSTANCES / 2, INSTANCES] {
        let view = server.get(&format!("/v1/instances/{id}"), &admin);
        assert_eq!(view.status, 200, "{}", view.body);
        assert_eq!(
            view.json()["tasks"],
            serde_json::to_value(fresh.status_records()).unwrap()
        );
    }
    let unknown = server.get(&format!("/v1/instances/{}", ACTED + 1), &admin);
    assert_eq!(unknown.status, 404);
    drop(server);
    // (`serve check` over these instances replays 10,001 journals: minutes in a debug
    // build; serve.rs and serve_crash.rs check what the API wrote.)
}
