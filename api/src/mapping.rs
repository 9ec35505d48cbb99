//! A REST activity as the webhook would have sent it: [`webhook_body`], and the mark it
//! carries, [`Recovered`].
//!
//! The two shapes differ: the REST activity has flat `lead_name`, `user_name`,
//! `pipeline_name` and objects `lead` and `pipeline`, and no stage; the webhook has the
//! activity (its type's fields and its `user`) beside the lead, whose `stage` and `pipe`
//! say where it stood. The lead here is `GET /leads/:id` as it is when the activity is
//! recovered, not as it was when the activity happened, and the body says so.

use chrono::{DateTime, SecondsFormat, Utc};
use clinchpad_webhook::Payload;
use serde_json::{json, Map, Value};

use crate::model::{RestActivity, RestLead};

/// The top-level member of a recovered body that marks it: `{"at": TIME, "lead_as_of":
/// TIME or null}`. ClinchPad's own bodies have no such member.
pub const RECOVERED: &str = "recovered";

/// The members of a REST activity that the webhook has elsewhere (in `lead`, and as
/// `lead.pipe`) or not at all.
const REST_ONLY: [&str; 5] = [
    "lead_name",
    "user_name",
    "pipeline_name",
    "lead",
    "pipeline",
];

/// Why a REST activity cannot become a webhook body: it is kept as it came, with this reason.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("a REST activity that cannot be mapped to a webhook body: {0}")]
pub struct Unmappable(pub String);

/// The webhook body of `activity`: `{"activity": ..., "lead": ..., "recovered": ...}`.
///
/// `activity` loses the members the webhook does not have (`lead_name`, `user_name`,
/// `pipeline_name`, `lead`, `pipeline`) and keeps every other as it came. `lead` is `lead`
/// (`GET /leads/:id`) whole, with `pipe` from the activity's `pipeline`; when the lead is
/// gone (`None`: 404), the activity's own `lead {_id, name}`, with no stage. `recovered`
/// says when, and as of when the lead's fields are (`null` when the lead is gone).
///
/// ```
/// use chrono::Utc;
/// use clinchpad_webhook_api::{webhook_body, RestActivity, RestLead};
/// use serde_json::json;
///
/// let activity = RestActivity::new(json!({
///     "_id": "52d8d86b9a21f61e8f000011", "created_at": "2014-01-17T07:14:51Z",
///     "type": "contact:added", "lead_name": "Archive Test", "user_name": "Roger Parson",
///     "pipeline_name": "Pipeline 1", "contact_name": "Contact 1",
///     "user": {"_id": "5221931acce8b45ab700003d", "name": "Roger Parson"},
///     "lead": {"_id": "5224419acce8b4d8a6000003", "name": "Archive Test"},
///     "pipeline": {"_id": "52219a33cce8b46dd400006a", "name": "Pipeline 1"}
/// }));
/// let lead = RestLead::new(json!({
///     "_id": "5224419acce8b4d8a6000003", "name": "Archive Test", "size": null,
///     "stage": {"_id": "521f26eccce8b4310e00006c", "name": "Closing"}
/// }).as_object().unwrap().clone());
///
/// let body = webhook_body(&activity, Some(&lead), Utc::now())?;
/// let payload = clinchpad_webhook::parse(&serde_json::to_vec(&body)?)?;
/// assert_eq!(payload.activity.kind.type_name(), "contact:added");
/// assert_eq!(payload.lead.stage.unwrap().name, "Closing");
/// assert_eq!(payload.lead.pipe.unwrap().name, "Pipeline 1");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn webhook_body(
    activity: &RestActivity,
    lead: Option<&RestLead>,
    recovered_at: DateTime<Utc>,
) -> Result<Value, Unmappable> {
    let Value::Object(rest) = activity.json() else {
        return Err(Unmappable("it is not a JSON object".to_owned()));
    };
    if activity.id().is_none() {
        return Err(Unmappable("it has no _id string".to_owned()));
    }
    let Some(lead_id) = activity.lead_id() else {
        return Err(Unmappable("it has no lead._id string".to_owned()));
    };
    let mut webhook_activity = Map::new();
    for (name, value) in rest {
        if !REST_ONLY.contains(&name.as_str()) {
            webhook_activity.insert(name.clone(), value.clone());
        }
    }
    let (mut webhook_lead, lead_as_of) = match lead {
        Some(lead) => (lead.json().clone(), Some(time(recovered_at))),
        None => {
            let mut known = Map::new();
            known.insert("_id".to_owned(), Value::from(lead_id));
            if let Some(name) = rest.get("lead").and_then(|lead| lead.get("name")) {
                known.insert("name".to_owned(), name.clone());
            } else if let Some(name) = rest.get("lead_name") {
                known.insert("name".to_owned(), name.clone());
            }
            (known, None)
        }
    };
    if !webhook_lead.contains_key("pipe") {
        let pipe = webhook_lead
            .remove("pipeline")
            .filter(Value::is_object)
            .or_else(|| {
                rest.get("pipeline")
                    .filter(|pipe| pipe.is_object())
                    .cloned()
            });
        if let Some(pipe) = pipe {
            webhook_lead.insert("pipe".to_owned(), pipe);
        }
    }
    Ok(json!({
        "activity": webhook_activity,
        "lead": webhook_lead,
        RECOVERED: {"at": time(recovered_at), "lead_as_of": lead_as_of},
    }))
}

fn time(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Secs, true)
}

/// The mark of a delivery recovered from the REST API rather than sent by the webhook: when it
/// was recovered, and as of when its lead's fields (stage, size, owner, name) are.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct Recovered {
    /// When it was recovered.
    pub at: DateTime<Utc>,
    /// When its lead was read: its `stage`, `size`, `user` and `name` are as they were then,
    /// not when the activity happened. `None` when the lead was gone (deleted) by then: the
    /// lead has its id and name only.
    pub lead_as_of: Option<DateTime<Utc>>,
}

impl Recovered {
    /// The mark of `payload`, when it was recovered; `None` for a delivery ClinchPad sent.
    ///
    /// ```
    /// use clinchpad_webhook_api::Recovered;
    ///
    /// let sent = clinchpad_webhook::parse(&std::fs::read("../fixtures/note_created.json")?)?;
    /// assert_eq!(Recovered::of(&sent), None);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn of(payload: &Payload) -> Option<Recovered> {
        let mark = payload.extra.get(RECOVERED)?;
        let read = |name: &str| {
            mark.get(name)
                .and_then(Value::as_str)
                .and_then(|text| DateTime::parse_from_rfc3339(text).ok())
                .map(|time| time.with_timezone(&Utc))
        };
        Some(Recovered {
            at: read("at")?,
            lead_as_of: read("lead_as_of"),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn product_added() -> RestActivity {
        // The documentation's first example.
        RestActivity::new(json!({
            "_id": "52d8d8749a21f6518f000015",
            "created_at": "2014-01-17T07:15:00Z",
            "type": "product:added",
            "lead_name": "[Sample] Foo",
            "user_name": "Claire Parson",
            "pipeline_name": "Default",
            "product_name": "Product 1",
            "product_price": 105,
            "product_quantity": 2,
            "user": {"_id": "521f26ebcce8b4310e000064", "name": "Claire Parson",
                     "photo_url": "https://s3.amazonaws.com/..."},
            "lead": {"_id": "521f26eccce8b4310e000074", "name": "[Sample] Foo"},
            "pipeline": {"_id": "521f26eccce8b4310e00006b", "name": "Default"}
        }))
    }

    fn sample_lead() -> RestLead {
        // The documentation's `GET /leads/:id` example.
        let lead = json!({
            "_id": "521f26eccce8b4310e000074", "name": "[Sample] Foo", "size": 1500,
            "user": {"_id": "521f26ebcce8b4310e000064", "name": "Claire Parson",
                     "photo_url": "https://s3.amazonaws.com/..."},
            "stage": {"_id": "521f26eccce8b4310e00006f", "name": "Prospect"}
        });
        RestLead::new(lead.as_object().unwrap().clone())
    }

    fn at() -> DateTime<Utc> {
        DateTime::parse_from_rfc3339("2026-12-05T12:00:00Z")
            .unwrap()
            .with_timezone(&Utc)
    }

    #[test]
    fn the_documented_example_becomes_a_typed_payload_marked_recovered() {
        let body = webhook_body(&product_added(), Some(&sample_lead()), at()).unwrap();
        let payload = clinchpad_webhook::parse(&serde_json::to_vec(&body).unwrap()).unwrap();
        assert_eq!(payload.activity.id.as_str(), "52d8d8749a21f6518f000015");
        assert_eq!(payload.activity.kind.type_name(), "product:added");
        assert!(
            payload.activity.extra.is_empty(),
            "{:?}",
            payload.activity.extra
        );
        assert_eq!(
            payload.activity.user.as_ref().unwrap().name,
            "Claire Parson"
        );
        assert_eq!(payload.lead.size, Some(1500.0));
        assert_eq!(payload.lead.stage.as_ref().unwrap().name, "Prospect");
        assert_eq!(payload.lead.pipe.as_ref().unwrap().name, "Default");
        let mark = Recovered::of(&payload).unwrap();
        assert_eq!((mark.at, mark.lead_as_of), (at(), Some(at())));
    }

    #[test]
    fn a_gone_lead_keeps_its_id_and_name_and_says_so() {
        let body = webhook_body(&product_added(), None, at()).unwrap();
        assert_eq!(
            body["lead"],
            json!({"_id": "521f26eccce8b4310e000074", "name": "[Sample] Foo",
                   "pipe": {"_id": "521f26eccce8b4310e00006b", "name": "Default"}})
        );
        let payload = clinchpad_webhook::parse(&serde_json::to_vec(&body).unwrap()).unwrap();
        assert_eq!(Recovered::of(&payload).unwrap().lead_as_of, None);
    }

    #[test]
    fn what_has_no_id_or_no_lead_is_unmappable_with_its_reason() {
        let mut no_lead = product_added().into_json();
        no_lead.as_object_mut().unwrap().remove("lead");
        let err = webhook_body(&RestActivity::new(no_lead), None, at()).unwrap_err();
        assert!(err.to_string().contains("lead._id"), "{err}");
        let err = webhook_body(&RestActivity::new(json!([1])), None, at()).unwrap_err();
        assert!(err.to_string().contains("not a JSON object"), "{err}");
    }
}
