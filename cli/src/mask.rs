//! Keys hidden in a body before any of it is shown: the value of every `handshake_key`, and
//! the text of every key the command knows, each byte replaced by `*`, so that what is left
//! lines up with the body's own columns.

/// `body` with its keys masked: see the module docs. Works on broken bodies too (they are
/// the ones shown): every string that reads `handshake_key` and is followed by a `:` has the
/// value after it masked, whatever the rest of the body is.
pub fn mask_keys(body: &[u8], keys: &[&str]) -> Vec<u8> {
    let mut out = body.to_vec();
    let mut at = 0;
    while let Some(start) = out[at..].iter().position(|&b| b == b'"').map(|i| at + i) {
        let end = string_end(&out, start).unwrap_or(out.len());
        if is_key_name(&out[start..end]) {
            mask_value_after(&mut out, end);
        }
        at = end.max(start + 1);
    }
    for key in keys.iter().filter(|key| !key.is_empty()) {
        let key = key.as_bytes();
        let mut at = 0;
        while let Some(found) = out[at..].windows(key.len()).position(|w| w == key) {
            let found = at + found;
            out[found..found + key.len()].fill(b'*');
            at = found + key.len();
        }
    }
    out
}

/// The offset just past the string that starts at `start`; `None` when the text ends first.
fn string_end(text: &[u8], start: usize) -> Option<usize> {
    let mut at = start + 1;
    while at < text.len() {
        match text[at] {
            b'"' => return Some(at + 1),
            b'\\' => at += 2,
            _ => at += 1,
        }
    }
    None
}

/// Whether the JSON string `token` (quotes included) reads `handshake_key`.
fn is_key_name(token: &[u8]) -> bool {
    token == b"\"handshake_key\""
        || (token.contains(&b'\\')
            && serde_json::from_slice::<String>(token).is_ok_and(|name| name == "handshake_key"))
}

/// Masks the value after `: ` from `at`, if a `:` comes next: a string's contents, or the
/// bytes of any other value up to a delimiter.
fn mask_value_after(text: &mut [u8], mut at: usize) {
    let skip = |text: &[u8], at: &mut usize| {
        while text.get(*at).is_some_and(u8::is_ascii_whitespace) {
            *at += 1;
        }
    };
    skip(text, &mut at);
    if text.get(at) != Some(&b':') {
        return;
    }
    at += 1;
    skip(text, &mut at);
    let (from, to) = match text.get(at) {
        // A string's contents, to its end or to the end of a body cut short.
        Some(b'"') => (
            at + 1,
            string_end(text, at).map_or(text.len(), |end| end - 1),
        ),
        Some(_) => {
            let end = text[at..]
                .iter()
                .position(|b| b",}]\r\n".contains(b))
                .map_or(text.len(), |i| at + i);
            (at, end)
        }
        None => return,
    };
    text[from..to].fill(b'*');
}

#[cfg(test)]
mod tests {
    use super::*;

    fn masked(body: &str, keys: &[&str]) -> String {
        String::from_utf8(mask_keys(body.as_bytes(), keys)).unwrap()
    }

    #[test]
    fn every_key_value_is_masked_and_the_columns_kept() {
        assert_eq!(
            masked(r#"{"a": [], "handshake_key": "s3cr3t"}"#, &[]),
            r#"{"a": [], "handshake_key": "******"}"#
        );
        assert_eq!(
            masked(r#"{"handshake\u005fkey" : 12345, "x": 1}"#, &[]),
            r#"{"handshake\u005fkey" : *****, "x": 1}"#
        );
        assert_eq!(
            masked(r#"{"handshake_key": "s3c\"r3t"#, &[]),
            r#"{"handshake_key": "********"#
        );
        assert_eq!(
            masked(r#"{"note": "my key is s3cr3t"}"#, &["s3cr3t"]),
            r#"{"note": "my key is ******"}"#
        );
        // A value named so, not a key: left alone.
        assert_eq!(
            masked(r#"{"name": "handshake_key"}"#, &[]),
            r#"{"name": "handshake_key"}"#
        );
        let body = "{\n \"handshake_key\": \"k\u{e9}y\",\n \"x\": 1}";
        assert_eq!(mask_keys(body.as_bytes(), &[]).len(), body.len());
    }
}
