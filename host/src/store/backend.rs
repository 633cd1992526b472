//! Where the store lives, and every difference between its two databases.
//!
//! The store talks to both through sqlx's `Any` driver with `$N` placeholders, which
//! SQLite accepts too, so every query of [`super`] is one text for both. What cannot be
//! one text is here: how to connect, the migrations (one folder per dialect), how an
//! instance id is chosen, how the outbox keeps its ids in commit order, and how due
//! timers are claimed when several nodes share the database (PostgreSQL only: a SQLite
//! file is one node's).

use super::StoreError;
use sqlx::any::{AnyConnectOptions, AnyPoolOptions};
use sqlx::migrate::Migrator;
use sqlx::{AnyConnection, AnyPool, Connection, Executor, Row};
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::sync::atomic::{AtomicI64, Ordering};

static SQLITE: Migrator = sqlx::migrate!("./migrations/sqlite");
static POSTGRES: Migrator = sqlx::migrate!("./migrations/postgres");

/// Where the database is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Location {
    /// `DIR/directrix.db`: SQLite, one node.
    Sqlite(PathBuf),
    /// A `postgres://` URL: any number of nodes.
    Postgres(String),
}

impl Location {
    /// `--database URL` if given, else `--data DIR`.
    pub fn choose(data: Option<PathBuf>, database: Option<String>) -> Result<Self, String> {
        match (data, database) {
            (_, Some(url))
                if url.starts_with("postgres://") || url.starts_with("postgresql://") =>
            {
                Ok(Self::Postgres(url))
            }
            (_, Some(url)) => Err(format!(
                "--database takes a postgres:// URL (got `{}`); for SQLite give --data DIR",
                directrix_core::diagnostic::excerpt(&url)
            )),
            (Some(dir), None) => Ok(Self::Sqlite(dir)),
            (None, None) => Err("give --data DIR (SQLite) or --database postgres://...".to_owned()),
        }
    }

    /// The database's dialect.
    pub fn dialect(&self) -> Dialect {
        match self {
            Self::Sqlite(_) => Dialect::Sqlite,
            Self::Postgres(_) => Dialect::Postgres,
        }
    }

    /// Refuses a SQLite data directory that holds no database (for the offline commands,
    /// which should not create one). A PostgreSQL database is the operator's to create.
    pub fn must_exist(&self) -> Result<(), String> {
        match self {
            Self::Sqlite(dir) if !super::database_path(dir).exists() => {
                Err(format!("no directrix.db in {}", dir.display()))
            }
            _ => Ok(()),
        }
    }
}

/// The SQL dialect of a [`Location`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dialect {
    /// SQLite (WAL, `synchronous=FULL`).
    Sqlite,
    /// PostgreSQL.
    Postgres,
}

impl Dialect {
    /// Whether several nodes may share the database (and so an instance in one node's
    /// memory may be behind the journal).
    pub fn shared(self) -> bool {
        self == Self::Postgres
    }

    fn migrator(self) -> &'static Migrator {
        match self {
            Self::Sqlite => &SQLITE,
            Self::Postgres => &POSTGRES,
        }
    }
}

fn connect_options(location: &Location) -> Result<AnyConnectOptions, StoreError> {
    sqlx::any::install_default_drivers();
    let url = match location {
        Location::Sqlite(dir) => {
            std::fs::create_dir_all(dir).map_err(|e| {
                StoreError::Database(format!("cannot create {}: {e}", dir.display()))
            })?;
            sqlite_url(&super::database_path(dir))
        }
        Location::Postgres(url) => url.clone(),
    };
    AnyConnectOptions::from_str(&url).map_err(StoreError::from)
}

/// A `sqlite://` URL for a file path (`mode=rwc`: created if missing).
fn sqlite_url(path: &Path) -> String {
    let mut text = String::new();
    for byte in path.to_string_lossy().bytes() {
        // Percent-encode what a URL would read otherwise.
        if byte.is_ascii_alphanumeric() || b"/-_.~".contains(&byte) {
            text.push(char::from(byte));
        } else {
            text.push_str(&format!("%{byte:02X}"));
        }
    }
    format!("sqlite://{text}?mode=rwc")
}

/// What every new connection is set to.
async fn prepare(connection: &mut AnyConnection, dialect: Dialect) -> Result<(), sqlx::Error> {
    if dialect == Dialect::Sqlite {
        // Every commit reaches the disk before it is acknowledged.
        connection
            .execute(
                "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; \
                 PRAGMA busy_timeout = 10000; PRAGMA foreign_keys = ON;",
            )
            .await?;
    }
    Ok(())
}

/// Opens a pool on `location` and brings its schema to this binary's version; refuses a
/// database that a newer binary migrated.
pub(super) async fn open_pool(location: &Location) -> Result<AnyPool, StoreError> {
    let options = connect_options(location)?;
    let dialect = location.dialect();
    let pool = AnyPoolOptions::new()
        .max_connections(if dialect.shared() { 8 } else { 4 })
        .after_connect(move |connection, _| Box::pin(prepare(connection, dialect)))
        .connect_with(options)
        .await?;
    refuse_newer(&pool, dialect).await?;
    dialect.migrator().run(&pool).await?;
    Ok(pool)
}

/// The writer task's own connection.
pub(super) async fn connect(location: &Location) -> Result<AnyConnection, StoreError> {
    let mut connection = AnyConnection::connect_with(&connect_options(location)?).await?;
    prepare(&mut connection, location.dialect()).await?;
    Ok(connection)
}

/// Refuses to start on a database whose schema is newer than this binary's migrations:
/// an older binary would misread it.
async fn refuse_newer(pool: &AnyPool, dialect: Dialect) -> Result<(), StoreError> {
    let known = dialect
        .migrator()
        .iter()
        .map(|migration| migration.version)
        .max()
        .unwrap_or(0);
    let exists = match dialect {
        Dialect::Sqlite => {
            "SELECT COUNT(*) AS n FROM sqlite_master WHERE type = 'table' AND name = '_sqlx_migrations'"
        }
        Dialect::Postgres => {
            "SELECT COUNT(*) AS n FROM information_schema.tables \
             WHERE table_schema = current_schema() AND table_name = '_sqlx_migrations'"
        }
    };
    if sqlx::query(exists)
        .fetch_one(pool)
        .await?
        .get::<i64, _>("n")
        == 0
    {
        return Ok(());
    }
    let stored: Option<i64> = sqlx::query("SELECT MAX(version) AS v FROM _sqlx_migrations")
        .fetch_one(pool)
        .await?
        .get("v");
    match stored {
        Some(stored) if stored > known => Err(StoreError::Database(format!(
            "the database's schema is version {stored}, newer than this binary's (version \
             {known}): a newer directrix wrote it (run that one, or a directrix at least as new)"
        ))),
        _ => Ok(()),
    }
}

/// How new instance ids are chosen.
#[derive(Debug)]
pub(super) enum Ids {
    /// SQLite: one node owns the file, so the next id after the largest stored one.
    Counter(AtomicI64),
    /// PostgreSQL: the `instance_ids` sequence, shared by every node.
    Sequence,
}

impl Ids {
    pub(super) async fn new(pool: &AnyPool, dialect: Dialect) -> Result<Self, StoreError> {
        Ok(match dialect {
            Dialect::Sqlite => {
                let max: Option<i64> = sqlx::query("SELECT MAX(id) AS m FROM instances")
                    .fetch_one(pool)
                    .await?
                    .get("m");
                Self::Counter(AtomicI64::new(max.unwrap_or(0) + 1))
            }
            Dialect::Postgres => Self::Sequence,
        })
    }

    pub(super) async fn next(&self, pool: &AnyPool) -> Result<i64, StoreError> {
        match self {
            Self::Counter(next) => Ok(next.fetch_add(1, Ordering::Relaxed)),
            Self::Sequence => Ok(sqlx::query("SELECT nextval('instance_ids') AS id")
                .fetch_one(pool)
                .await?
                .get("id")),
        }
    }
}

/// Run in a write transaction before it adds effects. On PostgreSQL an identity value
/// is taken at insert but seen at commit, so two nodes' transactions could show ids out
/// of order and a reader resuming after the larger one would skip the smaller: this lock
/// (held to the commit) serialises the transactions that add effects. SQLite has one
/// writer already.
pub(super) fn lock_outbox(dialect: Dialect) -> Option<&'static str> {
    match dialect {
        Dialect::Sqlite => None,
        Dialect::Postgres => Some("SELECT pg_advisory_xact_lock(7463501) AS locked"),
    }
}

/// Claims up to `limit` instances whose timers are due by `now` (the host's clock,
/// epoch seconds) and that no live lease covers, leasing each for `lease_seconds` of
/// the database's clock; `SKIP LOCKED` lets nodes claim side by side. A node that dies
/// mid-fire leaves leases that expire, and another node takes the timers over; the
/// version check of the append keeps a timer from being journaled twice whatever the
/// leases do. `None` on SQLite, whose one node keeps its index in memory.
pub(super) async fn claim_due(
    pool: &AnyPool,
    dialect: Dialect,
    now: i64,
    lease_seconds: i64,
    limit: i64,
) -> Result<Option<Vec<i64>>, StoreError> {
    if dialect != Dialect::Postgres {
        return Ok(None);
    }
    let rows = sqlx::query(
        "UPDATE instances SET lease_until = EXTRACT(EPOCH FROM clock_timestamp())::BIGINT + $2 \
         WHERE id IN (SELECT id FROM instances WHERE next_timer <= $1 \
             AND (lease_until IS NULL OR lease_until < EXTRACT(EPOCH FROM clock_timestamp())::BIGINT) \
             ORDER BY next_timer LIMIT $3 FOR UPDATE SKIP LOCKED) \
         RETURNING id",
    )
    .bind(now)
    .bind(lease_seconds)
    .bind(limit)
    .fetch_all(pool)
    .await?;
    Ok(Some(rows.into_iter().map(|row| row.get("id")).collect()))
}

/// Ends this node's lease on an instance's timers (they fired, or were not due).
pub(super) async fn release(pool: &AnyPool, dialect: Dialect, id: i64) -> Result<(), StoreError> {
    if dialect == Dialect::Postgres {
        sqlx::query("UPDATE instances SET lease_until = NULL WHERE id = $1")
            .bind(id)
            .execute(pool)
            .await?;
    }
    Ok(())
}
