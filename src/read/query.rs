//! Reading a parameter of a URL's query string, decoded as an HTML form is: `+` is a space,
//! `%XX` is the byte `XX`, and the bytes are read as UTF-8 (an invalid sequence becomes
//! U+FFFD, which never matches a key).

use std::borrow::Cow;

/// Every value of the parameter `name` in `query` (without the `?`), in order, decoded. A
/// parameter's name is decoded too before it is compared: `handshake%5Fkey` is
/// `handshake_key`.
pub(crate) fn values<'q>(query: &'q str, name: &'q str) -> impl Iterator<Item = Cow<'q, str>> {
    query
        .split('&')
        .filter(|pair| !pair.is_empty())
        .filter_map(move |pair| {
            let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
            (decode(key) == name).then(|| decode(value))
        })
}

/// One name or value of a form, decoded.
fn decode(text: &str) -> Cow<'_, str> {
    if !text.contains(['+', '%']) {
        return Cow::Borrowed(text);
    }
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' => match (hex(bytes.get(i + 1)), hex(bytes.get(i + 2))) {
                (Some(high), Some(low)) => {
                    out.push(high << 4 | low);
                    i += 2;
                }
                // A `%` not followed by two hexadecimal digits stands for itself.
                _ => out.push(b'%'),
            },
            b => out.push(b),
        }
        i += 1;
    }
    Cow::Owned(String::from_utf8_lossy(&out).into_owned())
}

fn hex(byte: Option<&u8>) -> Option<u8> {
    match byte? {
        b @ b'0'..=b'9' => Some(b - b'0'),
        b @ b'a'..=b'f' => Some(b - b'a' + 10),
        b @ b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn all<'q>(query: &'q str, name: &'q str) -> Vec<String> {
        values(query, name).map(Cow::into_owned).collect()
    }

    #[test]
    fn values_are_decoded_as_a_form_is() {
        assert_eq!(
            all(
                "handshake_key=a+b%2Bc%2Fd%26e%3Df%20%C3%BC&x=1",
                "handshake_key"
            ),
            ["a b+c/d&e=f ü"]
        );
        assert_eq!(
            all("a=1&handshake_key=k1&b=&handshake_key=k2", "handshake_key"),
            ["k1", "k2"]
        );
        assert_eq!(
            all("handshake%5Fkey=k&handshake_key", "handshake_key"),
            ["k", ""]
        );
        assert_eq!(all("handshake_key=%zz%4%", "handshake_key"), ["%zz%4%"]);
        assert_eq!(all("handshake_key=%FF", "handshake_key"), ["\u{fffd}"]);
        assert!(all("", "handshake_key").is_empty());
        assert!(all("&&handshake_keys=x&Handshake_key=y", "handshake_key").is_empty());
        assert_eq!(all("handshake_key==x", "handshake_key"), ["=x"]);
    }
}
