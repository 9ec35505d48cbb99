//! Wire helpers: the leniency the documentation leaves room for, in one place.
//!
//! - Numbers (`lead_size`, `old_lead_size`, `product_quantity`, `product_price`, a lead's
//!   `size`) are JSON numbers or strings holding exactly a JSON number (`"1500"`, `"1500.5"`,
//!   `"-2e3"`). Strings such as `"1,500"`, `" 1500"`, `"01500"`, `"NaN"` or `"inf"` are
//!   errors: silently guessing a money amount is worse than refusing it.
//! - `todo_done` is `true`/`false` or the strings `"true"`/`"false"`.
//! - `record_value` is text; a JSON number or boolean keeps its JSON text.
//! - `created_at` is RFC 3339, converted to UTC, whose year must stay within RFC 3339's
//!   `0000`–`9999` so that it can be written back; the common `YYYY-MM-DDTHH:MM:SSZ` shape is
//!   read without chrono's general parser.

use std::fmt;

use chrono::{DateTime, Datelike, NaiveDate, NaiveTime, Utc};
use serde::de::{self, Deserializer, Visitor};
use serde_json::Value;

use crate::text::escape::quote;

/// Reads a number from text written exactly as a JSON number (RFC 8259: no leading zeros, no
/// `+`, no bare `.`); `None` for anything else or a value beyond `f64`'s range.
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
    // The integer part is `0` alone, or starts with 1-9.
    if bytes.get(i) == Some(&b'0') {
        i += 1;
    } else if !digits(&mut i) {
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
        Value::String(s) => format!("string {}", quote(s)),
        Value::Array(_) => "an array".to_owned(),
        Value::Object(_) => "an object".to_owned(),
    }
}

fn invalid(value: &Value, expected: &str) -> String {
    format!("invalid type: {}, expected {expected}", describe(value))
}

/// A number given as a JSON number or as a string holding one.
pub(crate) fn number_from_value(value: Value) -> Result<f64, String> {
    match &value {
        Value::Number(n) => n.as_f64().ok_or_else(|| invalid(&value, NUMBER)),
        Value::String(s) => number_from_text(s).ok_or_else(|| not_a_number(s)),
        _ => Err(invalid(&value, NUMBER)),
    }
}

/// What a number field takes.
const NUMBER: &str = "a number or a string holding one";

/// The message for a string that does not hold a number.
fn not_a_number(text: &str) -> String {
    format!("invalid number: string {}, expected {NUMBER}", quote(text))
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

/// A number written as an integer when it is one (`1500`, not `1500.0`), as a float otherwise;
/// with the name of its field (`Lead::size`), for the error when it is not finite.
pub(crate) struct WireNumber(pub f64, pub &'static str);

impl serde::Serialize for WireNumber {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        const EXACT: f64 = 9_007_199_254_740_992.0; // 2^53: every integer below is exact in an f64
        let n = self.0;
        if !n.is_finite() {
            // serde_json would write `null`, which reads back as no value or an error.
            return Err(serde::ser::Error::custom(format_args!(
                "`{}` is {n}, which JSON cannot hold: a number must be finite",
                self.1
            )));
        }
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
        f.write_str(NUMBER)
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
        number_from_text(text).ok_or_else(|| E::custom(not_a_number(text)))
    }
}

/// Why a `created_at` is refused.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum BadTimestamp {
    /// Not RFC 3339.
    NotRfc3339,
    /// RFC 3339, but its year in UTC is outside `0000`–`9999`: it could not be written back.
    OutOfRange,
}

/// Parses an RFC 3339 timestamp into UTC.
pub(crate) fn parse_timestamp(text: &str) -> Result<DateTime<Utc>, BadTimestamp> {
    let at = fast_utc_seconds(text.as_bytes())
        .or_else(|| {
            DateTime::parse_from_rfc3339(text)
                .ok()
                .map(|t| t.with_timezone(&Utc))
        })
        .ok_or(BadTimestamp::NotRfc3339)?;
    if writable(&at) {
        Ok(at)
    } else {
        Err(BadTimestamp::OutOfRange)
    }
}

/// Whether a time can be written as RFC 3339 in UTC: its year has four digits, `0000`–`9999`.
/// `2014-01-10T09:37:58Z` can; `0000-01-01T00:00:00+01:00`, which is in the year -1 in UTC,
/// cannot, and neither can the year 10000.
pub(crate) fn writable(at: &DateTime<Utc>) -> bool {
    (0..=9999).contains(&at.year())
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
        parse_timestamp(text).map_err(|bad| {
            if bad == BadTimestamp::OutOfRange {
                E::custom(format_args!(
                    "invalid timestamp {}: its year in UTC is outside 0000-9999, which RFC 3339 cannot write",
                    quote(text)
                ))
            } else {
                E::custom(format_args!(
                    "invalid timestamp {}, expected RFC 3339 such as \"2014-01-10T09:37:58Z\"",
                    quote(text)
                ))
            }
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
            ("-0", 0.0),
            ("0.5", 0.5),
            ("0e3", 0.0),
            ("10", 10.0),
        ] {
            assert_eq!(number_from_text(text), Some(n), "{text}");
        }
        for text in [
            "", "-", "1,500", " 1500", "1500 ", "NaN", "inf", "Infinity", "1.", ".5", "1e", "0x10",
            "+1", "1e400", "01500", "-01500", "00", "0100", "-00", "00.5", "01e3",
        ] {
            assert_eq!(number_from_text(text), None, "{text}");
        }
    }

    #[test]
    fn timestamps_fast_path_agrees_with_chrono() {
        let t = Utc.with_ymd_and_hms(2014, 1, 10, 9, 37, 58).unwrap();
        assert_eq!(parse_timestamp("2014-01-10T09:37:58Z"), Ok(t));
        assert_eq!(parse_timestamp("2014-01-10T11:37:58+02:00"), Ok(t));
        assert_eq!(parse_timestamp("2014-01-10t09:37:58z"), Ok(t));
        assert_eq!(
            parse_timestamp("2014-02-30T09:37:58Z"),
            Err(BadTimestamp::NotRfc3339)
        );
        assert_eq!(
            parse_timestamp("2014-01-10T24:00:00Z"),
            Err(BadTimestamp::NotRfc3339)
        );
        assert_eq!(
            parse_timestamp("2014-01-10 09:37:58"),
            Err(BadTimestamp::NotRfc3339)
        );
        assert_eq!(
            parse_timestamp("+014-01-10T09:37:58Z"),
            Err(BadTimestamp::NotRfc3339)
        );
    }

    #[test]
    fn timestamps_whose_utc_year_has_no_four_digits_are_refused() {
        assert_eq!(
            parse_timestamp("0000-01-01T00:00:00+01:00"),
            Err(BadTimestamp::OutOfRange)
        );
        assert_eq!(
            parse_timestamp("9999-12-31T23:59:59-01:00"),
            Err(BadTimestamp::OutOfRange)
        );
        for text in [
            "0000-01-01T00:00:00Z",
            "0000-01-01T00:00:00-01:00",
            "9999-12-31T23:59:59Z",
        ] {
            let at = parse_timestamp(text).unwrap();
            let written = serde_json::to_string(&at).unwrap();
            assert_eq!(parse_timestamp(written.trim_matches('"')), Ok(at), "{text}");
        }
    }
}
