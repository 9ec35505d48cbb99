//! [`ParsedText`]: a value whose wire format is undocumented, kept as text and parsed when
//! its format is recognised.

use std::fmt;

use chrono::{NaiveDate, NaiveTime, Timelike};

/// Text from the wire, with the value parsed from it when the format is recognised.
///
/// ClinchPad does not document the format of `todo_date` and `todo_time`, so these fields
/// never fail a payload over their format: the original text is always kept (and written back
/// unchanged when the payload is serialized), and [`value`](ParsedText::value) gives the
/// parsed value for the formats listed on [`TodoDate`] and [`TodoTime`].
///
/// ```
/// use chrono::NaiveTime;
/// use clinchpad_webhook::TodoTime;
///
/// let time = TodoTime::new("2:30 PM");
/// assert_eq!(time.value(), Some(&NaiveTime::from_hms_opt(14, 30, 0).unwrap()));
/// assert_eq!(time.as_str(), "2:30 PM");
/// assert_eq!(TodoTime::new("after lunch").value(), None);
/// ```
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct ParsedText<T> {
    text: String,
    value: Option<T>,
}

/// A `todo_date`. Recognised formats: `2024-03-12`, `2024/03/12`, `12 Mar 2024`,
/// `12 March 2024`, `Mar 12, 2024`, `March 12, 2024`, and an RFC 3339 or ISO 8601 date-time
/// (`2024-03-12T00:00:00Z`, `2024-03-12T09:00:00`), whose calendar date is taken as written.
/// The year has exactly four digits: `12/03/20`, `24-03-12` or `12 Mar 24` would be a guess
/// at the century, and `+2024-03-12` is not a date anyone writes, so they are text only. So
/// are day-first and month-first numeric forms such as `12/03/2024`, which are ambiguous.
///
/// ```
/// use clinchpad_webhook::TodoDate;
///
/// assert_eq!(TodoDate::new("Mar 12, 2024").value().map(|d| d.to_string()).as_deref(), Some("2024-03-12"));
/// assert_eq!(TodoDate::new("Mar 12, 24").value(), None);
/// assert_eq!(TodoDate::new("12/03/2024").value(), None);
/// ```
pub type TodoDate = ParsedText<NaiveDate>;

/// A `todo_time`. Recognised formats: 24-hour `14:30`, `14:30:05`, `14:30:05.250`, and 12-hour
/// `2:30 PM`, `2:30PM`, `2:30:05 pm`, `2 PM`.
pub type TodoTime = ParsedText<NaiveTime>;

/// A type [`ParsedText`] knows how to read from text.
pub trait FromWireText: Sized {
    /// Parses the text, or `None` when its format is not recognised.
    fn from_wire_text(text: &str) -> Option<Self>;
}

impl FromWireText for NaiveDate {
    fn from_wire_text(text: &str) -> Option<Self> {
        let text = text.trim();
        if let Some(date) = crate::read::wire::fast_date(text.as_bytes()) {
            return Some(date);
        }
        // chrono's `%Y` reads any number of digits, with a sign: it would take `12/03/20` for
        // the year 12. Each format is tried only when its year is four digits, alone.
        let bytes = text.as_bytes();
        let four_digits = |at: usize| {
            bytes
                .get(at..at + 4)
                .is_some_and(|year| year.iter().all(u8::is_ascii_digit))
        };
        let year_first = four_digits(0) && bytes.get(4).is_some_and(|b| !b.is_ascii_digit());
        let year_last =
            bytes.len() > 5 && four_digits(bytes.len() - 4) && bytes[bytes.len() - 5] == b' ';
        const YEAR_FIRST: [&str; 2] = ["%Y-%m-%d", "%Y/%m/%d"];
        const YEAR_LAST: [&str; 4] = ["%d %b %Y", "%d %B %Y", "%b %d, %Y", "%B %d, %Y"];
        let formats = match (year_first, year_last) {
            (true, _) => &YEAR_FIRST[..],
            (false, true) => &YEAR_LAST[..],
            (false, false) => return None,
        };
        formats
            .iter()
            .find_map(|format| NaiveDate::parse_from_str(text, format).ok())
            .or_else(|| {
                year_first.then_some(())?;
                chrono::DateTime::parse_from_rfc3339(text)
                    .ok()
                    .map(|t| t.date_naive())
                    .or_else(|| {
                        chrono::NaiveDateTime::parse_from_str(text, "%Y-%m-%dT%H:%M:%S%.f")
                            .ok()
                            .map(|t| t.date())
                    })
            })
    }
}

impl FromWireText for NaiveTime {
    fn from_wire_text(text: &str) -> Option<Self> {
        let text = text.trim();
        if let Some(time) = crate::read::wire::fast_time(text.as_bytes()) {
            return Some(time);
        }
        const FORMATS: [&str; 6] = [
            "%H:%M",
            "%H:%M:%S%.f",
            "%I:%M %p",
            "%I:%M%p",
            "%I:%M:%S %p",
            "%I:%M:%S%p",
        ];
        FORMATS
            .iter()
            .find_map(|format| NaiveTime::parse_from_str(text, format).ok())
            .or_else(|| {
                // chrono cannot parse an hour alone ("2 PM"): give it the minutes.
                let (hour, meridiem) = text.split_once(' ')?;
                NaiveTime::parse_from_str(&format!("{hour}:00 {meridiem}"), "%I:%M %p").ok()
            })
    }
}

impl<T: FromWireText> ParsedText<T> {
    /// Keeps `text` and parses it if its format is recognised.
    pub fn new(text: impl Into<String>) -> Self {
        let text = text.into();
        let value = T::from_wire_text(&text);
        ParsedText { text, value }
    }
}

impl<T> ParsedText<T> {
    /// The text exactly as it came on the wire.
    ///
    /// ```
    /// assert_eq!(clinchpad_webhook::TodoDate::new("12/03/2024").as_str(), "12/03/2024");
    /// ```
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// The parsed value, or `None` when the format was not recognised.
    ///
    /// ```
    /// use chrono::NaiveDate;
    /// let date = clinchpad_webhook::TodoDate::new("2024-03-12");
    /// assert_eq!(date.value(), NaiveDate::from_ymd_opt(2024, 3, 12).as_ref());
    /// ```
    pub fn value(&self) -> Option<&T> {
        self.value.as_ref()
    }
}

/// Written `2024-03-12`, a recognised format, and read back from that text like any other:
/// a date whose year is outside `0000`–`9999` is written (`+10000-01-01`) but, not having a
/// four-digit year, keeps its text only. So [`value`](ParsedText::value) is always what the
/// text reads as, and a payload holding the date reads back equal to itself.
///
/// ```
/// use chrono::NaiveDate;
/// use clinchpad_webhook::TodoDate;
///
/// let date = NaiveDate::from_ymd_opt(2024, 3, 12).unwrap();
/// assert_eq!(TodoDate::from(date).as_str(), "2024-03-12");
/// assert_eq!(TodoDate::from(date).value(), Some(&date));
/// ```
impl From<NaiveDate> for TodoDate {
    fn from(date: NaiveDate) -> Self {
        ParsedText::new(date.format("%Y-%m-%d").to_string())
    }
}

/// Written `14:30`, or `14:30:05`, `14:30:05.250` when the time has seconds: a recognised
/// format that reads back as the same time.
impl From<NaiveTime> for TodoTime {
    fn from(time: NaiveTime) -> Self {
        let format = if time.second() == 0 && time.nanosecond() == 0 {
            "%H:%M"
        } else {
            "%H:%M:%S%.f"
        };
        ParsedText::new(time.format(format).to_string())
    }
}

impl<T: fmt::Debug> fmt::Debug for ParsedText<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ParsedText")
            .field("text", &self.text)
            .field("value", &self.value)
            .finish()
    }
}

impl<T> fmt::Display for ParsedText<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

impl<T> serde::Serialize for ParsedText<T> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.text)
    }
}

impl<'de, T: FromWireText> serde::Deserialize<'de> for ParsedText<T> {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        String::deserialize(deserializer).map(ParsedText::new)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date(y: i32, m: u32, d: u32) -> Option<NaiveDate> {
        NaiveDate::from_ymd_opt(y, m, d)
    }

    #[test]
    fn recognised_date_formats_parse() {
        for text in [
            "2024-03-12",
            "2024/03/12",
            "12 Mar 2024",
            "12 March 2024",
            "Mar 12, 2024",
            "March 12, 2024",
            "2024-03-12T00:00:00Z",
            "2024-03-12T23:30:00-05:00",
            "2024-03-12T09:00:00",
        ] {
            assert_eq!(
                TodoDate::new(text).value().copied(),
                date(2024, 3, 12),
                "{text}"
            );
        }
    }

    #[test]
    fn ambiguous_or_unknown_dates_keep_text_only() {
        for text in [
            "12/03/2024",
            "03/12/2024",
            "",
            "tomorrow",
            "2024-02-30",
            "2024-03",
            // Years that are not four digits: no guessing at the century.
            "12/03/20",
            "24-03-12",
            "12 Mar 24",
            "Mar 12, 24",
            "12 March 124",
            "024-03-12",
            "02024-03-12",
            "+2024-03-12",
            "-2024-03-12",
            "12 Mar -2024",
            "Mar 12, +2024",
            "12 Mar 02024",
            "24-03-12T00:00:00Z",
            "+2024-03-12T00:00:00",
        ] {
            let parsed = TodoDate::new(text);
            assert_eq!(parsed.value(), None, "{text}");
            assert_eq!(parsed.as_str(), text);
        }
    }

    #[test]
    fn recognised_time_formats_parse() {
        let t = |h, m, s| NaiveTime::from_hms_opt(h, m, s);
        for (text, want) in [
            ("14:30", t(14, 30, 0)),
            ("14:30:05", t(14, 30, 5)),
            ("2:30 PM", t(14, 30, 0)),
            ("2:30PM", t(14, 30, 0)),
            ("2:30:05 pm", t(14, 30, 5)),
            ("12:15 AM", t(0, 15, 0)),
            ("2 PM", t(14, 0, 0)),
        ] {
            assert_eq!(TodoTime::new(text).value().copied(), want, "{text}");
        }
        for text in ["25:00", "noon", "", "14h30"] {
            assert_eq!(TodoTime::new(text).value(), None, "{text}");
        }
    }
}
