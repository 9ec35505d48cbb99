//! Wire helpers: the leniency the documentation leaves room for, in one place.
//!
//! - Numbers (`lead_size`, `old_lead_size`, `product_quantity`, `product_price`, a lead's
//!   `size`) are JSON numbers or strings holding a JSON-style decimal number (`"1500"`,
//!   `"1500.5"`, `"-2e3"`). Strings such as `"1,500"`, `" 1500"`, `"NaN"` or `"inf"` are
//!   errors: silently guessing a money amount is worse than refusing it.
//! - `todo_done` is `true`/`false` or the strings `"true"`/`"false"`.
//! - `record_value` is text; a JSON number or boolean keeps its JSON text.
//! - `created_at` is RFC 3339; the common `YYYY-MM-DDTHH:MM:SSZ` shape is read without chrono's
//!   general parser.

use std::fmt;

use chrono::{DateTime, NaiveDate, NaiveTime, Utc};
use serde::de::{self, Deserializer, Visitor};
use serde_json::Value;

use crate::error::shorten;

/// Reads a JSON-style decimal number from text; `None` for anything else or a non-finite value.
pub(crate) fn number_from_text(text: &str) -> Option<f64> {
    let bytes = text.as_bytes();
    let mut i = usize::from(bytes.first() == Some(&b'-'));
    let digits = |i: &mut usize| {
        let start = *i;
        while bytes.get(*i).is_some_and(u8::is_ascii_digit) {
            *i += 1;
        }
        *i > start
    };
    if !digits(&mut i) {
        return None;
    }
    if bytes.get(i) == Some(&b'.') {
        i += 1;
        if !digits(&mut i) {
            return None;
        }
    }
    if matches!(bytes.get(i), Some(b'e' | b'E')) {
        i += 1;
        if matches!(bytes.get(i), Some(b'+' | b'-')) {
            i += 1;
        }
        if !digits(&mut i) {
            return None;
        }
    }
    if i != bytes.len() {
        return None;
    }
    text.parse::<f64>().ok().filter(|n| n.is_finite())
}

fn describe(value: &Value) -> String {
    match value {
        Value::Null => "null".to_owned(),
        Value::Bool(b) => format!("boolean `{b}`"),
        Value::Number(n) => format!("number `{n}`"),
        Value::String(s) => format!("string \"{}\"", shorten(s)),
        Value::Array(_) => "an array".to_owned(),
        Value::Object(_) => "an object".to_owned(),
    }
}

fn invalid(value: &Value, expected: &str) -> String {
    format!("invalid type: {}, expected {expected}", describe(value))
}

/// A number given as a JSON number or as a string holding one.
pub(crate) fn number_from_value(value: Value) -> Result<f64, String> {
    let number = match &value {
        Value::Number(n) => n.as_f64(),
        Value::String(s) => number_from_text(s),
        _ => None,
    };
    number.ok_or_else(|| invalid(&value, "a number or a string holding one"))
}

/// `true`/`false`, as JSON booleans or strings.
pub(crate) fn bool_from_value(value: Value) -> Result<bool, String> {
    match value {
        Value::Bool(b) => Ok(b),
        Value::String(s) if s == "true" => Ok(true),
        Value::String(s) if s == "false" => Ok(false),
        other => Err(invalid(&other, "true or false")),
    }
}

/// A string, and nothing else.
pub(crate) fn text_from_value(value: Value) -> Result<String, String> {
    match value {
        Value::String(s) => Ok(s),
        other => Err(invalid(&other, "a string")),
    }
}

/// A string, or a JSON number or boolean kept as its JSON text.
pub(crate) fn scalar_text_from_value(value: Value) -> Result<String, String> {
    match value {
        Value::String(s) => Ok(s),
        Value::Number(n) => Ok(n.to_string()),
        Value::Bool(b) => Ok(b.to_string()),
        other => Err(invalid(&other, "a string, number or boolean")),
    }
}

/// A number written as an integer when it is one (`1500`, not `1500.0`), as a float otherwise.
pub(crate) struct WireNumber(pub f64);

impl serde::Serialize for WireNumber {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        const EXACT: f64 = 9_007_199_254_740_992.0; // 2^53: every integer below is exact in an f64
        let n = self.0;
        if n.fract() == 0.0 && n.abs() < EXACT {
            serializer.serialize_i64(n as i64)
        } else {
            serializer.serialize_f64(n)
        }
    }
}

/// Deserializes a lenient number (see the module docs).
pub(crate) struct LenientNumber;

impl<'de> de::DeserializeSeed<'de> for LenientNumber {
    type Value = f64;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<f64, D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl Visitor<'_> for LenientNumber {
    type Value = f64;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a number or a string holding one")
    }

    fn visit_u64<E: de::Error>(self, n: u64) -> Result<f64, E> {
        Ok(n as f64)
    }

    fn visit_i64<E: de::Error>(self, n: i64) -> Result<f64, E> {
        Ok(n as f64)
    }

    fn visit_f64<E: de::Error>(self, n: f64) -> Result<f64, E> {
        Ok(n)
    }

    fn visit_str<E: de::Error>(self, text: &str) -> Result<f64, E> {
        number_from_text(text).ok_or_else(|| {
            E::custom(format_args!(
                "invalid number: string \"{}\", expected a number or a string holding one",
                shorten(text)
            ))
        })
    }
}

/// Parses an RFC 3339 timestamp into UTC.
pub(crate) fn parse_timestamp(text: &str) -> Option<DateTime<Utc>> {
    fast_utc_seconds(text.as_bytes()).or_else(|| {
        DateTime::parse_from_rfc3339(text)
            .ok()
            .map(|t| t.with_timezone(&Utc))
    })
}

/// `YYYY-MM-DDTHH:MM:SSZ`, the shape ClinchPad sends, without the general parser.
fn fast_utc_seconds(b: &[u8]) -> Option<DateTime<Utc>> {
    if b.len() != 20 || b[10] != b'T' || b[19] != b'Z' {
        return None;
    }
    let date = fast_date(&b[..10])?;
    Some(date.and_time(fast_time(&b[11..19])?).and_utc())
}

/// The decimal value of a run of ASCII digits, `None` if any byte is not a digit.
fn digits(b: &[u8]) -> Option<u32> {
    b.iter().try_fold(0u32, |acc, &d| {
        d.is_ascii_digit().then(|| acc * 10 + u32::from(d - b'0'))
    })
}

/// `YYYY-MM-DD` exactly, without chrono's format interpreter.
pub(crate) fn fast_date(b: &[u8]) -> Option<NaiveDate> {
    if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
        return None;
    }
    let year = i32::try_from(digits(&b[..4])?).ok()?;
    NaiveDate::from_ymd_opt(year, digits(&b[5..7])?, digits(&b[8..10])?)
}

/// `HH:MM` or `HH:MM:SS` exactly, without chrono's format interpreter.
pub(crate) fn fast_time(b: &[u8]) -> Option<NaiveTime> {
    let seconds = match b.len() {
        5 => 0,
        8 if b[5] == b':' => digits(&b[6..8])?,
        _ => return None,
    };
    if b[2] != b':' {
        return None;
    }
    NaiveTime::from_hms_opt(digits(&b[..2])?, digits(&b[3..5])?, seconds)
}

/// Deserializes an RFC 3339 `created_at` into UTC.
pub(crate) struct Timestamp;

impl<'de> de::DeserializeSeed<'de> for Timestamp {
    type Value = DateTime<Utc>;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
        deserializer.deserialize_str(self)
    }
}

impl Visitor<'_> for Timestamp {
    type Value = DateTime<Utc>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an RFC 3339 timestamp")
    }

    fn visit_str<E: de::Error>(self, text: &str) -> Result<Self::Value, E> {
        parse_timestamp(text).ok_or_else(|| {
            E::custom(format_args!(
                "invalid timestamp \"{}\", expected RFC 3339 such as \"2014-01-10T09:37:58Z\"",
                shorten(text)
            ))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn numbers_in_text_follow_json_grammar() {
        for (text, n) in [
            ("1500", 1500.0),
            ("1500.5", 1500.5),
            ("-2e3", -2000.0),
            ("0", 0.0),
        ] {
            assert_eq!(number_from_text(text), Some(n), "{text}");
        }
        for text in [
            "", "-", "1,500", " 1500", "1500 ", "NaN", "inf", "Infinity", "1.", ".5", "1e", "0x10",
            "+1", "1e400",
        ] {
            assert_eq!(number_from_text(text), None, "{text}");
        }
    }

    #[test]
    fn timestamps_fast_path_agrees_with_chrono() {
        let t = Utc.with_ymd_and_hms(2014, 1, 10, 9, 37, 58).unwrap();
        assert_eq!(parse_timestamp("2014-01-10T09:37:58Z"), Some(t));
        assert_eq!(parse_timestamp("2014-01-10T11:37:58+02:00"), Some(t));
        assert_eq!(parse_timestamp("2014-01-10t09:37:58z"), Some(t));
        assert_eq!(parse_timestamp("2014-02-30T09:37:58Z"), None);
        assert_eq!(parse_timestamp("2014-01-10T24:00:00Z"), None);
        assert_eq!(parse_timestamp("2014-01-10 09:37:58"), None);
        assert_eq!(parse_timestamp("+014-01-10T09:37:58Z"), None);
    }
}
