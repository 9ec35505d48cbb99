//! What the page shows of one request: the capture's [`Record`], with what can be read from
//! its body again (the typed payload, the lead and user, where an error is).

use clinchpad_webhook::{Error, Payload, Receiver};
use serde_json::{json, Map, Value};

use super::Source;
use crate::capture::{KeyCheck, Record, ResentKey, Unchecked};
use crate::show;

/// The activity's members that every type has; the others are the type's own fields.
const ENVELOPE: [&str; 4] = ["_id", "created_at", "type", "user"];

/// The entry for the request `record`, with id `id`. Its body is read again, without a key
/// and with no limit (it was within the receiver's when it came), for what the record does
/// not keep: the typed view, and the error's path, line and column in the body as kept.
pub fn entry(id: u64, source: Source, record: &Record, keys: &[&str]) -> Value {
    let body = record.body.as_deref();
    let reread = body.map(|body| {
        Receiver::unverified()
            .with_body_limit(usize::MAX)
            .accept(Some(&record.query), body.as_bytes())
    });
    let (payload, problem): (Option<&Payload>, Option<&Error>) = match &reread {
        Some(Ok(delivery)) => (delivery.payload(), delivery.error()),
        Some(Err(rejection)) => (None, rejection.error()),
        None => (None, None),
    };
    let value: Option<Value> = body.and_then(|body| serde_json::from_str(body).ok());
    let text_at = |path: &[&str]| -> Option<Value> {
        let mut at = value.as_ref()?;
        for step in path {
            at = at.get(step)?;
        }
        match at {
            Value::String(_) => Some(at.clone()),
            Value::Number(n) => Some(Value::String(n.to_string())),
            _ => None,
        }
    };
    json!({
        "id": id,
        "source": source,
        "received_at": record.received_at,
        "method": record.method,
        "path": record.path,
        "query": record.query,
        "headers": record.headers,
        "body": record.body,
        "body_length": record.body_length.or(record.declared_length),
        "body_withheld": record.body_withheld,
        "key": record.key,
        "verdict": record.verdict,
        "status": record.status,
        "error": error(record, problem, keys),
        "activity_type": record.activity_type.clone().map(Value::String)
            .or_else(|| text_at(&["activity", "type"])),
        "activity_id": text_at(&["activity", "_id"]),
        "lead": text_at(&["lead", "name"]),
        "lead_id": text_at(&["lead", "_id"]),
        "user": text_at(&["activity", "user", "name"]),
        "typed": payload.map(typed),
        "forwarded": record.forwarded,
        "stored": record.stored,
        "inbox": record.inbox,
        // How the page's replay sends it (by the rule the send itself follows), and whether
        // it may be sent as ClinchPad would, signed with the configured key.
        "replay": {
            "key": ResentKey::of(record.key, Unchecked::WithoutAKey),
            "as_clinchpad": record.key.check == KeyCheck::Matched && !keys.is_empty(),
        },
    })
}

/// What went wrong, for a request not plainly accepted: the record's message, and where the
/// body is wrong when its reading again says (never for a key's refusal, which is about the
/// key alone).
fn error(record: &Record, problem: Option<&Error>, keys: &[&str]) -> Value {
    if record.verdict == "accepted" {
        return Value::Null;
    }
    let message = record.error.clone();
    let kind = match record.key.check {
        KeyCheck::Wrong => Some("wrong_key"),
        KeyCheck::Missing => Some("missing_key"),
        _ => None,
    };
    match (kind, problem, &record.body) {
        (None, Some(err), Some(body))
            if matches!(record.verdict.as_str(), "drifted" | "refused") =>
        {
            let mut shown = show::error_json(err);
            if let Some(message) = message {
                shown["message"] = Value::String(message);
            }
            let caret = show::caret(body.as_bytes(), keys, err, 0, "");
            shown["caret"] = match caret.is_empty() {
                true => Value::Null,
                false => Value::String(caret),
            };
            shown
        }
        _ => match message {
            Some(message) => json!({
                "kind": kind.unwrap_or("request"),
                "message": message,
                "path": null,
                "line": null,
                "column": null,
                "caret": null,
            }),
            None => Value::Null,
        },
    }
}

/// The typed payload as the page shows it: the type and what it means, its own fields by
/// name, then the lead and user as they were read.
fn typed(payload: &Payload) -> Value {
    let wire = serde_json::to_value(payload.clone().without_handshake_key()).unwrap_or_default();
    let activity = wire.get("activity").and_then(Value::as_object);
    let fields: Map<String, Value> = activity
        .map(|members| {
            members
                .iter()
                .filter(|(name, _)| !ENVELOPE.contains(&name.as_str()))
                .map(|(name, value)| (name.clone(), value.clone()))
                .collect()
        })
        .unwrap_or_default();
    let kind = &payload.activity.kind;
    json!({
        "type": kind.type_name(),
        "description": kind.activity_type().map(|t| t.description()),
        "id": payload.activity.id.as_str(),
        "created_at": activity.and_then(|a| a.get("created_at")),
        "user": activity.and_then(|a| a.get("user")),
        "lead": wire.get("lead"),
        "fields": fields,
    })
}
