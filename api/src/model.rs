//! What the API answers: [`RestActivity`] and [`RestLead`], kept as the JSON they came as.
//!
//! The REST shape is documented by two examples only, so nothing of it is thrown away: each
//! answer is kept whole, with accessors for what a backfill reads.

use chrono::{DateTime, TimeZone, Utc};
use serde_json::{Map, Value};

/// One activity as `GET /activities` lists it: flat `lead_name`, `user_name` and
/// `pipeline_name`, objects `lead {_id, name}`, `pipeline {_id, name}` and `user`, the type's
/// own fields, and no stage. Kept as it came, whatever it holds.
#[derive(Debug, Clone, PartialEq)]
pub struct RestActivity(Value);

impl RestActivity {
    /// An activity from its JSON.
    pub fn new(json: Value) -> RestActivity {
        RestActivity(json)
    }

    /// Its JSON, as it came.
    pub fn json(&self) -> &Value {
        &self.0
    }

    /// Its JSON, as it came.
    pub fn into_json(self) -> Value {
        self.0
    }

    /// `_id`, when it is a string.
    pub fn id(&self) -> Option<&str> {
        self.0.get("_id")?.as_str()
    }

    /// `type`, when it is a string.
    pub fn type_name(&self) -> Option<&str> {
        self.0.get("type")?.as_str()
    }

    /// `lead._id`, when it is a string.
    pub fn lead_id(&self) -> Option<&str> {
        self.0.get("lead")?.get("_id")?.as_str()
    }

    /// When it happened: `created_at`, or when that cannot be read, the time in its `_id`
    /// (an ObjectId's first four bytes are its creation time, in seconds).
    pub fn created_at(&self) -> Option<DateTime<Utc>> {
        let written = self.0.get("created_at").and_then(Value::as_str);
        written
            .and_then(|text| DateTime::parse_from_rfc3339(text).ok())
            .map(|time| time.with_timezone(&Utc))
            .or_else(|| self.id().and_then(object_id_time))
    }
}

/// One lead as `GET /leads/:id` answers: its name, `size`, `user`, `stage` (and perhaps
/// `archived`), as they are now. Kept as it came.
#[derive(Debug, Clone, PartialEq)]
pub struct RestLead(Map<String, Value>);

impl RestLead {
    /// A lead from its JSON object.
    pub fn new(json: Map<String, Value>) -> RestLead {
        RestLead(json)
    }

    /// Its JSON, as it came.
    pub fn json(&self) -> &Map<String, Value> {
        &self.0
    }

    /// `_id`, when it is a string.
    pub fn id(&self) -> Option<&str> {
        self.0.get("_id")?.as_str()
    }
}

/// The creation time in an ObjectId: 24 hex digits, the first 8 of them seconds since the
/// epoch.
pub fn object_id_time(id: &str) -> Option<DateTime<Utc>> {
    if id.len() != 24 || !id.bytes().all(|byte| byte.is_ascii_hexdigit()) {
        return None;
    }
    let seconds = u32::from_str_radix(&id[..8], 16).ok()?;
    Utc.timestamp_opt(i64::from(seconds), 0).single()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn an_object_id_holds_its_creation_time() {
        // The documentation's product:added example: created_at 2014-01-17T07:15:00Z.
        let time = object_id_time("52d8d8749a21f6518f000015").unwrap();
        assert_eq!(time.to_rfc3339(), "2014-01-17T07:15:00+00:00");
        assert_eq!(object_id_time("a1"), None);
        assert_eq!(object_id_time("zzd8d8749a21f6518f000015"), None);
    }

    #[test]
    fn an_unreadable_created_at_falls_back_to_the_id() {
        let activity =
            RestActivity::new(json!({"_id": "52d8d86b9a21f61e8f000011", "created_at": 7}));
        assert_eq!(
            activity.created_at().unwrap().to_rfc3339(),
            "2014-01-17T07:14:51+00:00"
        );
    }
}
