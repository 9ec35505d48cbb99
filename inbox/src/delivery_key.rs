//! What a delivery is stored under: its activity id (or a hash of it, when an index could not
//! hold it), and, to tell a duplicate from a conflict, the hash of its body as JSON reads it.

use sha2::{Digest, Sha256};

/// The longest id kept as the row's key: well within what a database index holds (PostgreSQL
/// refuses an index entry over about 2,700 bytes).
const LONGEST_KEY: usize = 200;

/// The key a delivery with activity id `id` is stored under: the id itself, or for an id an
/// index cannot hold or a text column cannot (too long, a control character such as NUL,
/// which PostgreSQL refuses in text), `id-sha256:` and the hash of the id, which is as unique.
pub(crate) fn row_key(id: &str) -> String {
    if id.len() <= LONGEST_KEY && !id.chars().any(char::is_control) {
        return id.to_owned();
    }
    format!("id-sha256:{}", hex(&Sha256::digest(id.as_bytes())))
}

/// The hash of a body as JSON reads it (members in order of name, no spacing), so that two
/// bodies are the same delivery when they say the same; of its bytes when it is not JSON.
pub(crate) fn canonical_hash(body: &str) -> String {
    let canonical = match serde_json::from_str::<serde_json::Value>(body) {
        Ok(value) => {
            let mut text = String::with_capacity(body.len());
            write_canonical(&value, &mut text);
            text
        }
        Err(_) => body.to_owned(),
    };
    hex(&Sha256::digest(canonical.as_bytes()))
}

/// `value` as JSON with every object's members in order of name, whatever order the map
/// keeps them in.
fn write_canonical(value: &serde_json::Value, out: &mut String) {
    use serde_json::Value;
    match value {
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_canonical(item, out);
            }
            out.push(']');
        }
        Value::Object(members) => {
            let mut members: Vec<_> = members.iter().collect();
            members.sort_by(|a, b| a.0.cmp(b.0));
            out.push('{');
            for (i, (name, item)) in members.into_iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                out.push_str(&Value::String(name.clone()).to_string());
                out.push(':');
                write_canonical(item, out);
            }
            out.push('}');
        }
        other => out.push_str(&other.to_string()),
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|byte| format!("{byte:02x}")).collect()
}

/// The key of a delivery with no readable activity id: the hash of its body (as stored,
/// without its key).
pub(crate) fn body_key(body: &str) -> String {
    format!("sha256:{}", hex(&Sha256::digest(body.as_bytes())))
}

/// The key of a conflict: the key it conflicts with, and the start of its body's hash, so
/// that each other body is kept once.
pub(crate) fn conflict_key(key: &str, canonical_hash: &str) -> String {
    format!("{key}~{}", &canonical_hash[..16])
}
