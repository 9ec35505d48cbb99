//! A body with the configured keys masked where it can be stored without them: in its free
//! text, and nowhere that would change how it reads.
//!
//! A key can arrive quoted in a body (a note that says it, a lead named after it), spelled as
//! it is or with JSON's escapes (`"g\u0066hkd1asfsa"`). What is stored must not hold it, and
//! must still be the delivery that came: the same type, ids, times and fields. So the key is
//! masked inside string values whose text is free text, and only the key itself, never a
//! piece of it: `"the key is gfhkd1asfsa"` is kept as `"the key is ***"`. Ids, the type, the
//! time, numbers, booleans, dates and times are read by their format and kept exactly; a key
//! that collides with them (a key like `2014`, found in every date of that year) stays there,
//! which is why such a key is warned about ([`Receiver::key_warnings`]). Everything outside
//! the strings masked is kept byte for byte.
//!
//! [`Receiver::key_warnings`]: crate::Receiver::key_warnings

use std::borrow::Cow;

use crate::key::redact::MASK;
use crate::ActivityType;

/// `body` with every one of `keys` masked where it is free text (see the module's docs).
/// Borrowed when there is nothing to mask. A body that is not JSON has every copy of a key's
/// text replaced, as text.
pub(crate) fn mask_body<'b>(body: &'b [u8], keys: &[&str]) -> Cow<'b, [u8]> {
    let mut keys: Vec<&str> = keys.iter().copied().filter(|key| !key.is_empty()).collect();
    if keys.is_empty() {
        return Cow::Borrowed(body);
    }
    // Longest first, so that a key holding another is masked whole.
    keys.sort_by_key(|key| std::cmp::Reverse(key.len()));
    keys.dedup();
    // Only an escape can spell a key whose text is nowhere in the bytes.
    if !body.contains(&b'\\') && !keys.iter().any(|key| contains(body, key.as_bytes())) {
        return Cow::Borrowed(body);
    }
    let Some(scan) = Scan::of(body, &keys) else {
        return Cow::Owned(mask_as_text(body, &keys));
    };
    let documented = scan
        .activity_type
        .as_deref()
        .and_then(ActivityType::from_wire);
    let values: Vec<&Found> = scan
        .found
        .iter()
        .filter(|found| !found.is_name && value_is_free_text(&found.path, documented))
        .collect();
    let names: Vec<&Found> = scan
        .found
        .iter()
        .filter(|found| found.is_name && !name_is_modeled(&found.path, documented))
        .collect();
    let masked = rewrite(body, values.iter().chain(&names).copied(), &keys);
    if names.is_empty() || crate::read::body::read_value(&masked).is_ok() {
        return Cow::Owned(masked);
    }
    // Two names of one object masked alike would make the body refused (a key twice): keep
    // the names, mask the values.
    Cow::Owned(rewrite(body, values.into_iter(), &keys))
}

/// `body` with each string `found` holds written again with its keys masked.
fn rewrite<'f>(body: &[u8], found: impl Iterator<Item = &'f Found>, keys: &[&str]) -> Vec<u8> {
    let mut found: Vec<&Found> = found.collect();
    found.sort_by_key(|found| found.start);
    let mut out = Vec::with_capacity(body.len());
    let mut at = 0;
    for found in found {
        out.extend_from_slice(&body[at..found.start]);
        let mut text = found.text.clone();
        for key in keys {
            if text.contains(key) {
                text = text.replace(key, MASK);
            }
        }
        let quoted = serde_json::to_string(&text).unwrap_or_else(|_| format!("\"{MASK}\""));
        out.extend_from_slice(quoted.as_bytes());
        at = found.end;
    }
    out.extend_from_slice(&body[at..]);
    out
}

/// Every copy of each key's text replaced, for a body that cannot be read as JSON.
fn mask_as_text(body: &[u8], keys: &[&str]) -> Vec<u8> {
    let mut out = body.to_vec();
    for key in keys {
        let key = key.as_bytes();
        let mut masked = Vec::with_capacity(out.len());
        let mut at = 0;
        while let Some(found) = find(&out[at..], key) {
            masked.extend_from_slice(&out[at..at + found]);
            masked.extend_from_slice(MASK.as_bytes());
            at += found + key.len();
        }
        masked.extend_from_slice(&out[at..]);
        out = masked;
    }
    out
}

/// Whether a string value at `path` is free text: not one of the values the payload reads by
/// their format (ids, the type, the time, numbers, booleans, dates, times).
fn value_is_free_text(path: &[Step], documented: Option<ActivityType>) -> bool {
    let names: Vec<&str> = path.iter().map(Step::name).collect();
    match names.as_slice() {
        // Identities: the delivery's key, the lead's, the user's, the stage's, the pipe's.
        [.., "_id"] if modeled_object(&names[..names.len() - 1]) => false,
        ["activity", "type" | "created_at"] | ["lead", "size" | "archived"] => false,
        ["activity", field] => match documented {
            Some(activity_type) => activity_type.field_is_free_text(field).unwrap_or(true),
            None => true,
        },
        _ => true,
    }
}

/// Whether the member name at `path` (its object's path, then the name) is one the payload
/// reads: renaming it would change the delivery.
fn name_is_modeled(path: &[Step], documented: Option<ActivityType>) -> bool {
    let names: Vec<&str> = path.iter().map(Step::name).collect();
    let Some((name, object)) = names.split_last() else {
        return false;
    };
    match object {
        [] => matches!(*name, "activity" | "lead" | "handshake_key"),
        ["activity"] => {
            matches!(*name, "_id" | "created_at" | "type" | "user")
                || documented.is_some_and(|t| t.field_is_free_text(name).is_some())
        }
        ["lead"] => matches!(
            *name,
            "_id" | "name" | "size" | "archived" | "user" | "stage" | "pipe"
        ),
        ["activity" | "lead", "user"] => matches!(*name, "_id" | "name" | "photo_url"),
        ["lead", "stage" | "pipe"] => matches!(*name, "_id" | "name"),
        _ => false,
    }
}

/// Whether the object at `path` is one the payload models (and whose `_id` is an identity).
fn modeled_object(path: &[&str]) -> bool {
    matches!(
        path,
        ["activity"] | ["lead"] | ["activity" | "lead", "user"] | ["lead", "stage" | "pipe"]
    )
}

/// One step of a path into the body.
#[derive(Clone)]
enum Step {
    Name(String),
    Index,
}

impl Step {
    /// The member's name; an array's element has none a rule names.
    fn name(&self) -> &str {
        match self {
            Step::Name(name) => name,
            Step::Index => "[]",
        }
    }
}

/// A string of the body that holds a key once its escapes are read.
struct Found {
    /// Where the string is, quotes included.
    start: usize,
    end: usize,
    /// Its text, escapes read.
    text: String,
    /// A member's name rather than a value.
    is_name: bool,
    /// Where it is: for a value, the path to it; for a name, its object's path and the name.
    path: Vec<Step>,
}

/// What a walk through the body found: the strings that hold a key, and the activity's type.
struct Scan {
    found: Vec<Found>,
    activity_type: Option<String>,
}

/// Where the walk is: in an object (before a member's name, or after it) or in an array.
enum Container {
    Object { expects_name: bool },
    Array,
}

impl Scan {
    /// Walks `body`, which must be JSON (what a receiver accepted, or a payload serialized);
    /// `None` when it is not. Iterative: a body's depth costs no stack.
    fn of(body: &[u8], keys: &[&str]) -> Option<Scan> {
        let mut scan = Scan {
            found: Vec::new(),
            activity_type: None,
        };
        let mut stack: Vec<Container> = Vec::new();
        let mut path: Vec<Step> = Vec::new();
        let mut at = 0;
        let mut done = false;
        loop {
            while body.get(at).is_some_and(u8::is_ascii_whitespace) {
                at += 1;
            }
            let Some(&byte) = body.get(at) else {
                return (done && stack.is_empty()).then_some(scan);
            };
            if done {
                return None;
            }
            match byte {
                b'"' => {
                    let end = string_end(body, at)?;
                    let token = &body[at..end];
                    if let Some(Container::Object { expects_name }) = stack.last_mut() {
                        if *expects_name {
                            *expects_name = false;
                            let name = decode(token)?;
                            path.push(Step::Name(name.clone()));
                            if holds_key(token, &name, keys) {
                                scan.found.push(Found {
                                    start: at,
                                    end,
                                    text: name,
                                    is_name: true,
                                    path: path.clone(),
                                });
                            }
                            at = end;
                            continue;
                        }
                    }
                    begin_value(&stack, &mut path);
                    let in_activity_type =
                        path.len() == 2 && path[0].name() == "activity" && path[1].name() == "type";
                    let may_hold = token.contains(&b'\\')
                        || keys.iter().any(|key| contains(token, key.as_bytes()));
                    if may_hold || in_activity_type {
                        let text = decode(token)?;
                        if in_activity_type {
                            scan.activity_type = Some(text.clone());
                        }
                        if holds_key(token, &text, keys) {
                            scan.found.push(Found {
                                start: at,
                                end,
                                text,
                                is_name: false,
                                path: path.clone(),
                            });
                        }
                    }
                    at = end;
                    done = end_value(&mut stack, &mut path);
                }
                b'{' | b'[' => {
                    begin_value(&stack, &mut path);
                    stack.push(match byte {
                        b'{' => Container::Object { expects_name: true },
                        _ => Container::Array,
                    });
                    at += 1;
                }
                b'}' | b']' => {
                    stack.pop()?;
                    at += 1;
                    done = end_value(&mut stack, &mut path);
                }
                b':' => at += 1,
                b',' => {
                    if let Some(Container::Object { expects_name }) = stack.last_mut() {
                        *expects_name = true;
                    }
                    at += 1;
                }
                _ => {
                    // A number, `true`, `false` or `null`: up to the next delimiter.
                    begin_value(&stack, &mut path);
                    let length = body[at..]
                        .iter()
                        .position(|b| b",]}".contains(b) || b.is_ascii_whitespace())
                        .unwrap_or(body.len() - at);
                    if length == 0 {
                        return None;
                    }
                    at += length;
                    done = end_value(&mut stack, &mut path);
                }
            }
        }
    }
}

/// A value begins: in an array, it is the next element.
fn begin_value(stack: &[Container], path: &mut Vec<Step>) {
    if let Some(Container::Array) = stack.last() {
        path.push(Step::Index);
    }
}

/// A value ended: its step leaves the path. Whether it was the whole body.
fn end_value(stack: &mut [Container], path: &mut Vec<Step>) -> bool {
    if stack.is_empty() {
        return true;
    }
    path.pop();
    false
}

/// Whether a string (its token as written, and its text) holds one of `keys`.
fn holds_key(token: &[u8], text: &str, keys: &[&str]) -> bool {
    keys.iter()
        .any(|key| text.contains(key) || contains(token, key.as_bytes()))
}

/// The text of the JSON string `token` (quotes included).
fn decode(token: &[u8]) -> Option<String> {
    if !token.contains(&b'\\') {
        return std::str::from_utf8(&token[1..token.len() - 1])
            .ok()
            .map(str::to_owned);
    }
    serde_json::from_slice(token).ok()
}

/// The offset just past the string that starts at `start`; `None` when the body ends first.
fn string_end(body: &[u8], start: usize) -> Option<usize> {
    let mut at = start + 1;
    while at < body.len() {
        match body[at] {
            b'"' => return Some(at + 1),
            b'\\' => at += 2,
            _ => at += 1,
        }
    }
    None
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    find(haystack, needle).is_some()
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    if needle.is_empty() || needle.len() > haystack.len() {
        return None;
    }
    haystack.windows(needle.len()).position(|w| w == needle)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn masked(body: &str, keys: &[&str]) -> String {
        String::from_utf8(mask_body(body.as_bytes(), keys).into_owned()).unwrap()
    }

    #[test]
    fn only_the_key_is_masked_never_a_piece_of_it() {
        let body = r#"{"lead": {"_id": "l1", "name": "salad for the gf… team, gfhkd1asfsa"}}"#;
        assert_eq!(
            masked(body, &["gfhkd1asfsa"]),
            r#"{"lead": {"_id": "l1", "name": "salad for the gf… team, ***"}}"#
        );
    }

    #[test]
    fn a_key_spelled_with_escapes_is_masked_in_its_text() {
        let body = r#"{"activity": {"note_content": "key: g\u0066hkd1asfsa, caf\u00e9"}}"#;
        assert_eq!(
            masked(body, &["gfhkd1asfsa"]),
            r#"{"activity": {"note_content": "key: ***, café"}}"#
        );
    }

    #[test]
    fn ids_types_times_and_numbers_keep_a_key_that_collides_with_them() {
        let body = r#"{"activity": {"_id": "a2014", "type": "lead:size_changed",
            "created_at": "2014-01-10T09:37:58Z", "lead_size": "2014", "user": {"_id": "2014"}},
            "lead": {"_id": "2014", "name": "Q1 2014", "size": 2014}}"#;
        let out = masked(body, &["2014"]);
        assert!(
            out.contains(r#""created_at": "2014-01-10T09:37:58Z""#),
            "{out}"
        );
        assert!(out.contains(r#""lead_size": "2014""#), "{out}");
        assert!(out.contains(r#""_id": "a2014""#) && out.contains(r#""size": 2014"#));
        assert!(out.contains(r#""name": "Q1 ***""#), "{out}");
    }

    #[test]
    fn unknown_names_are_masked_unless_two_would_become_one() {
        assert_eq!(
            masked(r#"{"lead": {"extra": {"k-s3cr3t": 1}}}"#, &["s3cr3t"]),
            r#"{"lead": {"extra": {"k-***": 1}}}"#
        );
        let alike = r#"{"x": {"a-s3cr3t": 1, "a-t0k3n": 2}}"#;
        assert_eq!(masked(alike, &["s3cr3t", "t0k3n"]), alike);
        // A modeled name is never renamed.
        let note = r#"{"activity": {"type": "note:created", "note_content": "x"}}"#;
        assert_eq!(masked(note, &["note"]), note);
    }

    #[test]
    fn nothing_to_mask_is_borrowed_and_broken_json_is_masked_as_text() {
        let body = br#"{"a": "b"}"#;
        assert!(matches!(mask_body(body, &["zzz"]), Cow::Borrowed(_)));
        assert_eq!(masked(r#"{"a": "s3cr3t"#, &["s3cr3t"]), r#"{"a": "***"#);
    }
}
