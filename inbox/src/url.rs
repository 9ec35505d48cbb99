//! A database URL as it may be shown: [`redact_url`], and the credentials it holds, to take
//! out of any message a driver writes about it.

use std::borrow::Cow;

/// What a credential is shown as.
const MASK: &str = "***";

/// The names of query parameters whose values are credentials: any name that holds one of
/// these, in any case (`password`, `sslpassword`, `pwd`, `auth_token`, `secret`, `key`...).
const SECRET_NAMES: [&str; 7] = [
    "pass",
    "pwd",
    "secret",
    "token",
    "key",
    "auth",
    "credential",
];

/// `url` with every credential masked, whatever shape it is written in: everything between
/// the scheme and the last `@` (a user and password, with or without `//`, a password holding
/// `@`, `/` or `:`), and the value of every query parameter named like a credential
/// (`?password=...`, `sslpassword`, `pwd`, `token`, `key`...). What is left (the scheme, the
/// host, the database, the other parameters) says which database it is.
///
/// ```
/// use clinchpad_webhook_inbox::redact_url;
///
/// assert_eq!(redact_url("postgres://app:s3cr3t@db.internal/crm"), "postgres://***@db.internal/crm");
/// assert_eq!(redact_url("postgres:app:s3cr3t@db/crm"), "postgres:***@db/crm");
/// assert_eq!(redact_url("postgres://db/crm?user=app&password=s3cr3t"), "postgres://db/crm?user=app&password=***");
/// assert_eq!(redact_url("sqlite://inbox.db"), "sqlite://inbox.db");
/// ```
pub fn redact_url(url: &str) -> String {
    let (scheme, rest) = split_scheme(url);
    let rest = match rest.rfind('@') {
        Some(at) => Cow::Owned(format!("{MASK}{}", &rest[at..])),
        None => Cow::Borrowed(rest),
    };
    let (location, query) = match rest.split_once('?') {
        Some((location, query)) => (location, Some(query)),
        None => (rest.as_ref(), None),
    };
    let mut shown = format!("{scheme}{location}");
    if let Some(query) = query {
        shown.push('?');
        let pairs: Vec<String> = query
            .split('&')
            .map(|pair| match pair.split_once('=') {
                Some((name, _)) if names_a_secret(name) => format!("{name}={MASK}"),
                _ => pair.to_owned(),
            })
            .collect();
        shown.push_str(&pairs.join("&"));
    }
    shown
}

/// Every credential `url` holds, as written and decoded, longest first: to mask in a message
/// a driver wrote about the URL (a database "named" after what followed a malformed scheme,
/// say).
pub(crate) fn secrets(url: &str) -> Vec<String> {
    let (_, rest) = split_scheme(url);
    let mut found = Vec::new();
    if let Some(at) = rest.rfind('@') {
        let userinfo = &rest[..at];
        found.push(userinfo.to_owned());
        if let Some((_, password)) = userinfo.split_once(':') {
            found.push(password.to_owned());
        }
    }
    if let Some((_, query)) = rest.split_once('?') {
        for pair in query.split('&') {
            if let Some((name, value)) = pair.split_once('=') {
                if names_a_secret(name) {
                    found.push(value.to_owned());
                }
            }
        }
    }
    let decoded: Vec<String> = found.iter().map(|text| decode(text)).collect();
    found.extend(decoded);
    // A credential of a character or two would mask half a message; it is short enough to
    // be no secret worth the noise.
    found.retain(|text| text.len() >= 3);
    found.sort_by_key(|text| std::cmp::Reverse(text.len()));
    found.dedup();
    found
}

/// `text` with each of `secrets` masked.
pub(crate) fn scrub(text: &str, secrets: &[String]) -> String {
    secrets.iter().fold(text.to_owned(), |text, secret| {
        text.replace(secret.as_str(), MASK)
    })
}

/// The scheme with its `:` (and `//`), and the rest.
fn split_scheme(url: &str) -> (&str, &str) {
    let Some(colon) = url.find(':') else {
        return ("", url);
    };
    let end = match url[colon + 1..].starts_with("//") {
        true => colon + 3,
        false => colon + 1,
    };
    url.split_at(end)
}

fn names_a_secret(name: &str) -> bool {
    let name = decode(name).to_ascii_lowercase();
    SECRET_NAMES.iter().any(|secret| name.contains(secret))
}

/// `text` with its `%XX` escapes (and `+`) read, as a URL's parts are.
fn decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut at = 0;
    while at < bytes.len() {
        match bytes[at] {
            b'%' if at + 2 < bytes.len() => {
                let hex = |b: u8| (b as char).to_digit(16);
                match (hex(bytes[at + 1]), hex(bytes[at + 2])) {
                    (Some(high), Some(low)) => {
                        out.push((high * 16 + low) as u8);
                        at += 3;
                    }
                    _ => {
                        out.push(b'%');
                        at += 1;
                    }
                }
            }
            b'+' => {
                out.push(b' ');
                at += 1;
            }
            byte => {
                out.push(byte);
                at += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_shape_of_credential_is_masked() {
        for (url, shown) in [
            ("postgres://u:p%40ss@h/db", "postgres://***@h/db"),
            (
                "postgresql://u:pa@ss/w@h:5432/db",
                "postgresql://***@h:5432/db",
            ),
            ("postgres:u:pass@h/db", "postgres:***@h/db"),
            ("postgres://u@h/db", "postgres://***@h/db"),
            (
                "postgres://h/db?sslmode=require&PassWord=x&pass%77ord=y",
                "postgres://h/db?sslmode=require&PassWord=***&pass%77ord=***",
            ),
            (
                "postgres://h/db?sslpassword=x&auth_token=y",
                "postgres://h/db?sslpassword=***&auth_token=***",
            ),
            (
                "sqlite://dir/inbox.db?mode=rwc",
                "sqlite://dir/inbox.db?mode=rwc",
            ),
        ] {
            assert_eq!(redact_url(url), shown, "{url}");
        }
    }

    #[test]
    fn a_message_quoting_a_credential_is_scrubbed() {
        let url = "postgres:app:s%33cret@db/crm?password=hunter22";
        let message = r#"database "app:s3cret@db/crm" does not exist; password hunter22"#;
        let scrubbed = scrub(message, &secrets(url));
        assert!(
            !scrubbed.contains("s3cret") && !scrubbed.contains("hunter22"),
            "{scrubbed}"
        );
    }
}
