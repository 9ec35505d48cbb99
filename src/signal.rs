//! What a [`Receiver`](crate::Receiver) tells an application's logs and metrics: each request
//! it refuses and each delivery it takes as drifted, as `tracing` events (feature `tracing`,
//! target `clinchpad_webhook`, at WARN) and `metrics` counters (feature `metrics`:
//! `clinchpad.webhook.refused` by status, `clinchpad.webhook.drifted`). Without the features
//! these are nothing at all. No key is in either: a rejection's text and an error's path hold
//! none.

use crate::{Delivery, Rejection};

/// A request refused, with its status and why.
#[inline]
pub(crate) fn refused(rejection: &Rejection) {
    #[cfg(feature = "tracing")]
    tracing::warn!(
        target: "clinchpad_webhook",
        status = rejection.status(),
        reason = %rejection,
        "delivery refused"
    );
    #[cfg(feature = "metrics")]
    metrics::counter!("clinchpad.webhook.refused", "http.response.status_code" => status(rejection))
        .increment(1);
    let _ = rejection;
}

/// A delivery taken although it does not fit the documentation: where it does not.
#[inline]
pub(crate) fn drifted(delivery: &Delivery) {
    #[cfg(feature = "tracing")]
    tracing::warn!(
        target: "clinchpad_webhook",
        activity_id = delivery.activity_id().map(crate::escape_text).as_deref(),
        activity_type = delivery.type_name().map(crate::escape_text).as_deref(),
        path = delivery.error().and_then(crate::Error::path),
        error = delivery.error().map(tracing::field::display),
        "delivery drifted: taken with its error"
    );
    #[cfg(feature = "metrics")]
    metrics::counter!("clinchpad.webhook.drifted").increment(1);
    let _ = delivery;
}

#[cfg(feature = "metrics")]
fn status(rejection: &Rejection) -> &'static str {
    match rejection.status() {
        400 => "400",
        401 => "401",
        413 => "413",
        _ => "other",
    }
}
