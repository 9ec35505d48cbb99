//! The database under the inbox: the pool, which database it is, the tables' names, whose
//! clock tells the time, and, on SQLite, which file it opened; its schema ([`schema`]) and
//! every statement on the deliveries ([`deliveries`]), and the operator's ([`operations`]). The inbox and the workers both reach
//! the database through this, and it knows neither.

use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use sqlx::any::AnyPoolOptions;
use sqlx::{AnyPool, Executor};

#[cfg(feature = "backfill")]
pub(crate) mod backfills;
pub(crate) mod deliveries;
mod intake;
pub(crate) mod operations;
pub(crate) mod schema;

use crate::clock::Clock;
use crate::error::InboxError;
use schema::Tables;

/// Which database the inbox is on: the statements are the same but for how a worker claims
/// and how the database tells the time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    /// The database's clock, in milliseconds since the epoch, as SQL: on PostgreSQL the
    /// server's, whichever machine a worker runs on (`now()`, the time its statement began:
    /// one value for the statement, so that an index serves the comparisons with it); on
    /// SQLite the one machine's.
    fn clock_sql(self) -> &'static str {
        match self {
            Backend::Postgres => "CAST(EXTRACT(EPOCH FROM now()) * 1000 AS BIGINT)",
            Backend::Sqlite => "CAST((julianday('now') - 2440587.5) * 86400000.0 AS INTEGER)",
        }
    }
}

/// How long a store may take before it is given up (answered 503): the waits for a
/// connection, for a lock and for the statement together.
pub(crate) const STORE_BOUND: Duration = Duration::from_millis(4500);

/// How long a statement waits for a lock before it fails: within [`STORE_BOUND`], so that the
/// database gives up on a store that the receiver has given up on too.
const LOCK_WAIT_MS: u64 = 4000;

/// The database, as the inbox and its workers use it.
#[derive(Clone)]
pub(crate) struct Db {
    pub pool: AnyPool,
    pub backend: Backend,
    pub tables: Tables,
    /// The time, when not the database's: for tests.
    pub clock: Option<Arc<dyn Clock>>,
    /// The SQLite file opened, to notice it removed or replaced under a running receiver.
    pub file: Option<FileIdentity>,
    /// When a worker of this process last began removing old done deliveries (ms since the
    /// epoch, this machine's clock; 0 for never): one at a time, about once an hour.
    pub pruned_at: Arc<AtomicI64>,
    /// When a worker of this process last sampled the gauges (as `pruned_at`).
    pub sampled_at: Arc<AtomicI64>,
    /// On SQLite, the one writer's turn, taken in order by this process's writes (see
    /// [`write_turn`](Db::write_turn)); `None` on PostgreSQL, whose writers do not queue.
    pub writer: Option<Arc<tokio::sync::Mutex<()>>>,
    /// The stores of this process waiting to share a statement ([`intake`]).
    intake: Arc<intake::Intake>,
    /// Wakes the workers of this process waiting for a delivery: a store or a retry rings it.
    pub wake: Arc<tokio::sync::Notify>,
    /// On PostgreSQL, where to listen for the stores of other processes. Holds the
    /// database's credentials: never shown.
    #[cfg_attr(not(feature = "postgres"), allow(dead_code))]
    listen_url: Option<Arc<str>>,
}

impl Db {
    /// Connects to the database at `url`. With `create`, a SQLite file is created when
    /// missing and the schema created or migrated; without, nothing is created: there must be
    /// an inbox there, its schema up to date ([`InboxError::NoInbox`] otherwise).
    pub async fn connect(url: &str, tables: Tables, create: bool) -> Result<Db, InboxError> {
        let scheme = url.split(':').next().unwrap_or_default();
        let backend = match scheme {
            "sqlite" => Backend::Sqlite,
            "postgres" | "postgresql" => Backend::Postgres,
            _ => {
                return Err(InboxError::Url(
                    clinchpad_webhook::escape_text(scheme).into_owned(),
                ))
            }
        };
        match backend {
            #[cfg(not(feature = "sqlite"))]
            Backend::Sqlite => return Err(InboxError::NotBuilt("sqlite")),
            #[cfg(not(feature = "postgres"))]
            Backend::Postgres => return Err(InboxError::NotBuilt("postgres")),
            #[allow(unreachable_patterns)]
            _ => {}
        }
        let file = match backend {
            Backend::Sqlite => sqlite_file(url),
            Backend::Postgres => None,
        };
        let url = match (&file, create) {
            (Some(path), false) if !path.exists() => return Err(InboxError::NoInbox),
            (Some(_), true) if !url.contains('?') => format!("{url}?mode=rwc"),
            (Some(_), false) if !url.contains('?') => format!("{url}?mode=rw"),
            _ => url.to_owned(),
        };
        sqlx::any::install_default_drivers();
        // A database that does not answer makes a request fail in seconds (503), not hang.
        let mut options = AnyPoolOptions::new().acquire_timeout(Duration::from_secs(4));
        options = match backend {
            Backend::Sqlite => options.after_connect(|connection, _| {
                Box::pin(async move {
                    // A reader never waits for the writer; a writer waits its turn, within the
                    // bound of a store.
                    connection.execute("PRAGMA journal_mode = WAL").await?;
                    connection
                        .execute(format!("PRAGMA busy_timeout = {LOCK_WAIT_MS}").as_str())
                        .await?;
                    Ok(())
                })
            }),
            Backend::Postgres => options.after_connect(|connection, _| {
                Box::pin(async move {
                    // A statement waiting on a lock (a table locked by a migration or by
                    // hand) fails rather than holding a request past its bound.
                    connection
                        .execute(format!("SET lock_timeout = {LOCK_WAIT_MS}").as_str())
                        .await?;
                    Ok(())
                })
            }),
        };
        if url.contains(":memory:") || url.contains("mode=memory") {
            // Each connection would have a database of its own.
            options = options.max_connections(1);
        }
        let pool = options.connect(&url).await?;
        match create {
            true => schema::migrate(&pool, backend, &tables).await?,
            false => schema::check(&pool, backend, &tables).await?,
        }
        let file = match file {
            Some(path) => Some(FileIdentity::of(path)?),
            None => None,
        };
        Ok(Db {
            pool,
            backend,
            tables,
            clock: None,
            file,
            pruned_at: Arc::new(AtomicI64::new(0)),
            sampled_at: Arc::new(AtomicI64::new(0)),
            writer: match backend {
                Backend::Sqlite => Some(Arc::new(tokio::sync::Mutex::new(()))),
                Backend::Postgres => None,
            },
            intake: Arc::default(),
            wake: Arc::default(),
            listen_url: match backend {
                Backend::Postgres => Some(url.into()),
                Backend::Sqlite => None,
            },
        })
    }

    /// The time as a statement's parameter: the clock's, when there is one; `None` for the
    /// database's own, which [`now`](Db::now) then reads.
    pub fn now_param(&self) -> Option<i64> {
        self.clock.as_ref().map(|clock| clock.now_ms())
    }

    /// SQL for "now", in milliseconds since the epoch: the parameter `$n` (bound to
    /// [`now_param`](Db::now_param)) when it is not null, else the database's clock, so that
    /// every worker, on whatever machine, reads one clock.
    pub fn now(&self, n: usize) -> String {
        format!(
            "COALESCE(CAST(${n} AS BIGINT), {})",
            self.backend.clock_sql()
        )
    }

    /// Waits for this process's turn to write, on SQLite: its writes take turns in the order
    /// they came, rather than each retrying SQLite's lock on a timer of its own, which
    /// leaves a store waiting tens of milliseconds behind a long write (a purge's batch) that
    /// ended long before. Held for one statement. Nothing to wait for on PostgreSQL.
    pub async fn write_turn(&self) -> Option<tokio::sync::MutexGuard<'_, ()>> {
        match &self.writer {
            Some(writer) => Some(writer.lock().await),
            None => None,
        }
    }

    /// Wakes the workers waiting for a delivery: those of this process at once, and on
    /// PostgreSQL those listening in any process (see [`listen`](Db::listen)). A wake-up that
    /// fails is left to the workers' poll.
    pub async fn wake_workers(&self) {
        self.wake.notify_waiters();
        if self.backend == Backend::Postgres {
            let _ = sqlx::query("SELECT pg_notify($1, '')")
                .bind(&self.tables.deliveries)
                .execute(&self.pool)
                .await;
        }
    }

    /// On PostgreSQL, a task that listens for the stores of every process and wakes this
    /// process's workers, on a connection of its own (reconnected when lost; wake-ups missed
    /// meanwhile are left to the poll); aborted when dropped. `None` on SQLite, whose other
    /// processes' stores the poll finds.
    #[cfg(feature = "postgres")]
    pub fn listen(&self) -> Option<tokio::task::JoinHandle<()>> {
        let url = self.listen_url.clone()?;
        let channel = self.tables.deliveries.clone();
        let wake = self.wake.clone();
        Some(tokio::spawn(async move {
            let again = Duration::from_secs(1);
            loop {
                let lost = async {
                    let mut listener = sqlx::postgres::PgListener::connect(&url).await?;
                    listener.listen(&channel).await?;
                    loop {
                        listener.recv().await?;
                        wake.notify_waiters();
                    }
                };
                let lost: sqlx::Error = match lost.await {
                    Ok(never) => never,
                    Err(err) => err,
                };
                let why = crate::url::scrub(&lost.to_string(), &crate::url::secrets(&url));
                crate::signal::not_listening(&crate::error::one_line(&why, 300), again);
                tokio::time::sleep(again).await;
            }
        }))
    }

    /// Without PostgreSQL built in, there is nothing to listen to.
    #[cfg(not(feature = "postgres"))]
    pub fn listen(&self) -> Option<tokio::task::JoinHandle<()>> {
        None
    }

    /// Whether it is time to remove old done deliveries, `every` after the last time: true for
    /// one caller only, which takes the turn.
    pub fn prune_due(&self, every: Duration) -> bool {
        turn(&self.pruned_at, every)
    }

    /// Whether it is time to sample the gauges, as [`prune_due`](Db::prune_due).
    pub fn sample_due(&self, every: Duration) -> bool {
        turn(&self.sampled_at, every)
    }

    /// Fails unless the inbox's schema is there and this version's, or the database does not
    /// answer.
    pub async fn check_schema(&self) -> Result<(), InboxError> {
        schema::check(&self.pool, self.backend, &self.tables).await
    }

    /// Fails when the SQLite file opened is no longer at its path (removed, or replaced):
    /// what is written then could not be read by anyone opening the path.
    pub fn check_file(&self) -> Result<(), InboxError> {
        match &self.file {
            Some(file) => file.check(),
            None => Ok(()),
        }
    }
}

/// Whether `every` has passed since `last` (ms since the epoch, 0 for never): true for one
/// caller only, which takes the turn and sets `last` to now.
fn turn(last: &AtomicI64, every: Duration) -> bool {
    let now = crate::clock::system_now_ms();
    let then = last.load(Ordering::Relaxed);
    now.saturating_sub(then) >= crate::clock::millis(every)
        && last
            .compare_exchange(then, now, Ordering::Relaxed, Ordering::Relaxed)
            .is_ok()
}

/// The path of the file a `sqlite:` URL names, unless the database is in memory.
fn sqlite_file(url: &str) -> Option<std::path::PathBuf> {
    let rest = url.strip_prefix("sqlite:")?;
    let rest = rest.strip_prefix("//").unwrap_or(rest);
    let (path, query) = rest.split_once('?').unwrap_or((rest, ""));
    if path.is_empty() || path == ":memory:" || query.contains("mode=memory") {
        return None;
    }
    Some(std::path::PathBuf::from(path))
}

/// A file as it was when opened: its path, and what tells it apart from another file put at
/// that path later.
#[derive(Clone)]
pub(crate) struct FileIdentity {
    path: std::path::PathBuf,
    id: (u64, u64),
}

impl FileIdentity {
    fn of(path: std::path::PathBuf) -> Result<FileIdentity, InboxError> {
        let id = file_id(&path).map_err(|_| InboxError::FileGone(shown_path(&path)))?;
        Ok(FileIdentity { path, id })
    }

    fn check(&self) -> Result<(), InboxError> {
        match file_id(&self.path) {
            Ok(id) if id == self.id => Ok(()),
            _ => Err(InboxError::FileGone(shown_path(&self.path))),
        }
    }
}

fn shown_path(path: &std::path::Path) -> String {
    crate::error::one_line(&path.display().to_string(), 200)
}

#[cfg(unix)]
fn file_id(path: &std::path::Path) -> std::io::Result<(u64, u64)> {
    use std::os::unix::fs::MetadataExt;
    let metadata = std::fs::metadata(path)?;
    Ok((metadata.dev(), metadata.ino()))
}

/// Elsewhere, the file's creation time stands for its identity.
#[cfg(not(unix))]
fn file_id(path: &std::path::Path) -> std::io::Result<(u64, u64)> {
    let metadata = std::fs::metadata(path)?;
    let created = metadata
        .created()
        .ok()
        .and_then(|at| at.duration_since(std::time::UNIX_EPOCH).ok())
        .map_or(0, |at| at.as_nanos() as u64);
    Ok((created, 0))
}
