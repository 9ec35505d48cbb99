//! [`InboxError`]: what can go wrong with the inbox's database.

/// The inbox could not do what was asked: the database is unreachable or refused a statement,
/// its URL is not one the inbox speaks, or its schema could not be brought up to date.
///
/// Its `Display` is one line of at most a few hundred bytes, escaped, that holds no key (no
/// statement of the inbox quotes a value): safe to log and to answer with.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum InboxError {
    /// The database refused or could not run a statement (it is down, full, locked...).
    #[error("the inbox's database failed: {}", one_line(&.0.to_string(), 300))]
    Database(#[from] sqlx::Error),
    /// The schema could not be created or migrated.
    #[error("the inbox's schema could not be migrated: {}", one_line(&.0.to_string(), 300))]
    Migrate(#[from] sqlx::migrate::MigrateError),
    /// The URL names a database the inbox does not speak: it takes `sqlite://FILE` and
    /// `postgres://…` (or `postgresql://…`). Holds the URL's scheme only: the rest may hold
    /// a password.
    #[error("not an inbox URL ({0}): use sqlite://FILE or postgres://USER@HOST/DATABASE")]
    Url(String),
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
