//! What the web view starts with: the newest requests kept before, by `--save` or `--store`.

use std::collections::VecDeque;
use std::fs::File;
use std::io::{BufRead, BufReader, ErrorKind};
use std::path::Path;

use chrono::{DateTime, Utc};
use clinchpad_webhook_inbox::Inbox;

use crate::capture::{InboxRow, KeyCheck, KeySeen, Record};

/// The newest `keep` requests of the capture `file`, oldest first, and how many of its lines
/// could not be read as one. No file yet is no request.
pub fn from_capture(file: &Path, keep: usize) -> Result<(Vec<Record>, usize), String> {
    let opened = match File::open(file) {
        Ok(opened) => opened,
        Err(err) if err.kind() == ErrorKind::NotFound => return Ok((Vec::new(), 0)),
        Err(err) => return Err(err.to_string()),
    };
    let mut newest = VecDeque::with_capacity(keep.min(4096));
    let mut unread = 0;
    for line in BufReader::new(opened).split(b'\n') {
        let line = line.map_err(|err| err.to_string())?;
        if line.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        match serde_json::from_slice::<Record>(&line) {
            Ok(record) => {
                newest.push_back(record);
                if newest.len() > keep {
                    newest.pop_front();
                }
            }
            Err(_) => unread += 1,
        }
    }
    Ok((newest.into(), unread))
}

/// The newest `keep` deliveries of the inbox, oldest first, as requests to `path` that were
/// accepted (typed, or drifted with their error).
pub async fn from_inbox(inbox: &Inbox, keep: usize, path: &str) -> Result<Vec<Record>, String> {
    let limit = u32::try_from(keep).unwrap_or(u32::MAX);
    let mut entries = inbox
        .list(None, limit)
        .await
        .map_err(|err| err.to_string())?;
    entries.reverse();
    Ok(entries
        .into_iter()
        .map(|entry| Record {
            received_at: DateTime::<Utc>::from_timestamp_millis(entry.received_at)
                .unwrap_or_default(),
            method: "POST".to_owned(),
            path: path.to_owned(),
            query: String::new(),
            body_length: Some(entry.body.len() as u64),
            body: Some(entry.body),
            declared_length: None,
            body_withheld: None,
            // The inbox keeps no trace of the key, only whether the receiver checked one: a
            // verified delivery's key matched (where it was is not kept, so the page puts it
            // back in the body, as ClinchPad's example has it); any other is not checked, and
            // is sent again without a key.
            key: KeySeen {
                check: match entry.verified {
                    Some(true) => KeyCheck::Matched,
                    _ => KeyCheck::Unchecked,
                },
                ..KeySeen::default()
            },
            verdict: if entry.typed { "accepted" } else { "drifted" }.to_owned(),
            status: 204,
            error: entry.drift,
            activity_type: entry.activity_type,
            forwarded: None,
            stored: None,
            headers: Vec::new(),
            inbox: Some(InboxRow {
                state: entry.state.as_str().to_owned(),
                attempts: entry.attempts,
                last_error: entry.last_error,
                conflict_of: entry.conflict_of,
                verified: entry.verified,
            }),
        })
        .collect())
}
