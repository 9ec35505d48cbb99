//! [`InboxError`]: what can go wrong with the inbox's database.

/// The inbox could not do what was asked: the database is unreachable or refused a statement,
/// its URL is not one the inbox speaks, there is no inbox there, or its schema could not be
/// brought up to date.
///
/// Its `Display` is one line of at most a few hundred bytes, escaped, that holds no key (no
/// statement of the inbox quotes a value) and no credential of the database's URL: safe to
/// log. To answer a request that could not be stored, answer [`UNSTORED`](crate::UNSTORED)
/// instead: the sender has no business with the database's troubles.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum InboxError {
    /// The database refused or could not run a statement (it is down, full, locked...).
    #[error("the inbox's database failed: {}", one_line(&.0.to_string(), 300))]
    Database(#[from] sqlx::Error),
    /// The database could not be reached or opened: why, with any credential of its URL
    /// masked.
    #[error("the inbox's database could not be opened: {0}")]
    Connect(String),
    /// The URL names a database the inbox does not speak: it takes `sqlite://FILE` and
    /// `postgres://…` (or `postgresql://…`). Holds the URL's scheme only: the rest may hold
    /// a password.
    #[error("not an inbox URL ({0}): use sqlite://FILE or postgres://USER@HOST/DATABASE")]
    Url(String),
    /// The URL names a database this build was made without: the inbox's feature of its
    /// name (`sqlite`, `postgres`; both on by default) builds it in.
    #[error("this build has no {0}: turn on the feature `{0}` of clinchpad-webhook-inbox")]
    NotBuilt(&'static str),
    /// There is no inbox at the URL (no file, or no inbox's tables in the database), and it
    /// was opened only to look ([`Inbox::connect`](crate::Inbox::connect)), which creates
    /// nothing.
    #[error("no inbox there: nothing has been stored at this URL yet")]
    NoInbox,
    /// The inbox's schema is older than this version's, and it was opened only to look:
    /// [`Inbox::open`](crate::Inbox::open) migrates it.
    #[error("the inbox's schema is older than this version's: open it to store (which migrates it) first")]
    Outdated,
    /// The table prefix is not one that can stand in a statement.
    #[error(
        "the table prefix {0} is not letters, digits and _ (at most 40, not starting with a digit)"
    )]
    Prefix(String),
    /// The SQLite file the inbox opened was removed or replaced since: what is written now
    /// would be read by no one who opens the path. Holds the path.
    #[error("the inbox's file {0} was removed or replaced while open: deliveries stored now would be lost; put it back, or restart to open the file now at that path")]
    FileGone(String),
    /// Storing took longer than its bound (the database is slow, or a lock is held): the
    /// delivery may or may not be stored.
    #[error("the inbox's database took longer than {0} ms to store the delivery")]
    Timeout(u64),
    /// A statement for several deliveries at once (storing those that came at the same
    /// moment, recording those done together) failed: why, as
    /// [`Database`](InboxError::Database) says it.
    #[error("{0}")]
    Shared(String),
    /// A delivery was asked for by a key the inbox does not have.
    #[error("no delivery {0} in the inbox")]
    NotFound(String),
}

/// `text` as one escaped line of at most `max` characters (and `…`).
pub(crate) fn one_line(text: &str, max: usize) -> String {
    let text = clinchpad_webhook::escape_text(text).into_owned();
    match text.char_indices().nth(max) {
        Some((cut, _)) => format!("{}…", &text[..cut]),
        None => text,
    }
}
