//! [`ApiKey`]: the account's REST API key, which opens the whole account.

use std::fmt;

use zeroize::Zeroizing;

/// The account's API key (ClinchPad: Settings → API): the password of every call, with
/// `api-key` as the user. It opens the whole account, so it is shown nowhere: `Debug` prints
/// `ApiKey(***)`, no error quotes it, and it is wiped from memory when dropped.
///
/// ```
/// use clinchpad_webhook_api::ApiKey;
///
/// let key = ApiKey::new("4e65146b302a2a2ec8135aa6dc501a17")?;
/// assert_eq!(format!("{key:?}"), "ApiKey(***)");
/// assert!(ApiKey::new("  ").is_err()); // an empty key fails closed
/// # Ok::<(), clinchpad_webhook_api::EmptyApiKey>(())
/// ```
#[derive(Clone)]
pub struct ApiKey(Zeroizing<String>);

/// An API key that is missing, empty or blank: refused, so that a missing setting is not a
/// call without a key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EmptyApiKey {
    /// The environment variable it was read from, when it was.
    variable: Option<String>,
}

impl fmt::Display for EmptyApiKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.variable {
            None => f.write_str("the ClinchPad API key is empty"),
            Some(variable) => write!(
                f,
                "the ClinchPad API key is not set: put it in the environment variable {}",
                clinchpad_webhook::escape_text(variable)
            ),
        }
    }
}

impl std::error::Error for EmptyApiKey {}

impl ApiKey {
    /// The key, without the spaces and line ends around it (a key read from a file ends with
    /// one); [`EmptyApiKey`] when nothing is left.
    pub fn new(key: impl Into<String>) -> Result<ApiKey, EmptyApiKey> {
        let key = Zeroizing::new(key.into());
        let trimmed = key.trim();
        if trimmed.is_empty() {
            return Err(EmptyApiKey { variable: None });
        }
        Ok(ApiKey(Zeroizing::new(trimmed.to_owned())))
    }

    /// The key in the environment variable `variable`; [`EmptyApiKey`], naming the variable,
    /// when it is not set, not UTF-8, or blank: a backfill never runs without a key.
    ///
    /// ```
    /// use clinchpad_webhook_api::ApiKey;
    ///
    /// let err = ApiKey::from_env("CLINCHPAD_API_KEY_NOT_SET_HERE").unwrap_err();
    /// assert!(err.to_string().contains("CLINCHPAD_API_KEY_NOT_SET_HERE"));
    /// ```
    pub fn from_env(variable: &str) -> Result<ApiKey, EmptyApiKey> {
        let missing = || EmptyApiKey {
            variable: Some(variable.to_owned()),
        };
        let value = std::env::var(variable).map_err(|_| missing())?;
        ApiKey::new(value).map_err(|_| missing())
    }

    /// The key itself, for the call's `Authorization` header.
    pub(crate) fn expose_secret(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for ApiKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ApiKey(***)")
    }
}
