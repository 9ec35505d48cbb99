//! What the command is given on its command line: times, ages and durations, and activity
//! types, read and checked once for every command that takes them.

use std::time::Duration;

use chrono::{DateTime, NaiveDate, Utc};
use clinchpad_webhook::ActivityType;

use crate::output::shown;

/// The types `--type` names (repeated, or comma-separated), each a documented one: a typo
/// would otherwise recover nothing and say all is well.
pub fn activity_types(given: &[String]) -> Result<Vec<String>, String> {
    let names = given
        .iter()
        .flat_map(|types| types.split(','))
        .map(str::trim)
        .filter(|name| !name.is_empty());
    names
        .map(|name| {
            name.parse::<ActivityType>()
                .map(|known| known.as_str().to_owned())
                .map_err(|err| format!("--type: {err} (for every type, leave out --type)"))
        })
        .collect()
}

/// The types a filter or a pause names (repeated, or comma-separated), as the inbox stores
/// them: a documented type, or an undocumented `noun:verb` name (a type ClinchPad added since,
/// kept as drifted), which comes back in the second list to be told. A near miss of a
/// documented type is refused with the type it was likely meant to be.
pub fn stored_types(given: &[String]) -> Result<(Vec<String>, Vec<String>), String> {
    let mut types = Vec::new();
    let mut undocumented = Vec::new();
    let names = given
        .iter()
        .flat_map(|types| types.split(','))
        .map(str::trim)
        .filter(|name| !name.is_empty());
    for name in names {
        match name.parse::<ActivityType>() {
            Ok(known) => types.push(known.as_str().to_owned()),
            Err(err) if err.suggestion().is_some() => return Err(format!("--type: {err}")),
            Err(_) if name.contains(':') && name.len() <= 64 => {
                types.push(name.to_owned());
                undocumented.push(name.to_owned());
            }
            Err(err) => return Err(format!("--type: {err}")),
        }
    }
    Ok((types, undocumented))
}

/// A time given to `flag`: an RFC 3339 time, a date (midnight UTC), or an age before `now`:
/// `90m`, `6h`, `2d`.
pub fn since(flag: &str, text: &str, now: DateTime<Utc>) -> Result<DateTime<Utc>, String> {
    if let Ok(at) = DateTime::parse_from_rfc3339(text) {
        return Ok(at.with_timezone(&Utc));
    }
    if let Ok(day) = NaiveDate::parse_from_str(text, "%Y-%m-%d") {
        return Ok(day.and_hms_opt(0, 0, 0).unwrap_or_default().and_utc());
    }
    let ago = duration(text).map_err(|_| {
        format!(
            "{flag} {}: give a time (2026-12-05T09:30:00Z), a date (2026-12-05) or an age (90m, 6h, 2d)",
            shown(text)
        )
    })?;
    chrono::Duration::from_std(ago)
        .ok()
        .and_then(|ago| now.checked_sub_signed(ago))
        .ok_or_else(|| format!("{flag} {}: too long ago", shown(text)))
}

/// A duration: a whole number and its unit, `s`, `m`, `h` or `d`.
pub fn duration(text: &str) -> Result<Duration, String> {
    let problem = || {
        format!(
            "{}: give a number and a unit, e.g. 30s, 15m, 6h, 2d",
            shown(text)
        )
    };
    let unit_at = text
        .find(|c: char| !c.is_ascii_digit())
        .ok_or_else(problem)?;
    let (number, unit) = text.split_at(unit_at);
    let number: u64 = number.parse().map_err(|_| problem())?;
    let seconds = match unit {
        "s" => 1,
        "m" => 60,
        "h" => 3600,
        "d" => 86_400,
        _ => return Err(problem()),
    };
    match number.checked_mul(seconds) {
        Some(0) => Err(format!("{}: must be more than 0", shown(text))),
        Some(total) if total <= 366 * 86_400 * 10 => Ok(Duration::from_secs(total)),
        _ => Err(format!("{}: too long", shown(text))),
    }
}

pub fn humane(every: Duration) -> String {
    let seconds = every.as_secs();
    match seconds {
        s if s % 86_400 == 0 => format!("{}d", s / 86_400),
        s if s % 3600 == 0 => format!("{}h", s / 3600),
        s if s % 60 == 0 => format!("{}m", s / 60),
        s => format!("{s}s"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn since_takes_a_time_a_date_or_an_age() {
        let now = DateTime::parse_from_rfc3339("2026-12-05T12:00:00Z")
            .unwrap()
            .with_timezone(&Utc);
        let at = |text| since("--since", text, now).unwrap().to_rfc3339();
        assert_eq!(at("2026-12-05T09:30:00+01:00"), "2026-12-05T08:30:00+00:00");
        assert_eq!(at("2026-12-04"), "2026-12-04T00:00:00+00:00");
        assert_eq!(at("90m"), "2026-12-05T10:30:00+00:00");
        assert_eq!(at("2d"), "2026-12-03T12:00:00+00:00");
        let err = since("--since", "yesterday\u{1b}[2J", now).unwrap_err();
        assert!(
            err.contains("give a time") && !err.contains('\u{1b}'),
            "{err}"
        );
    }

    #[test]
    fn types_are_documented_ones_repeated_or_comma_separated() {
        let given = [
            "note:created, lead:moved".to_owned(),
            "todo:done_changed".to_owned(),
        ];
        assert_eq!(
            activity_types(&given),
            Ok(vec![
                "note:created".into(),
                "lead:moved".into(),
                "todo:done_changed".into()
            ])
        );
        let err = activity_types(&["note:creatd".to_owned()]).unwrap_err();
        assert!(err.contains("note:created"), "{err}");
    }

    #[test]
    fn stored_types_take_undocumented_names_but_not_near_misses() {
        let given = ["lead:moved,lead:renamed".to_owned()];
        assert_eq!(
            stored_types(&given),
            Ok((
                vec!["lead:moved".into(), "lead:renamed".into()],
                vec!["lead:renamed".into()]
            ))
        );
        let err = stored_types(&["lead:movd".to_owned()]).unwrap_err();
        assert!(err.contains("lead:moved"), "{err}");
        assert!(stored_types(&["moved".to_owned()]).is_err());
    }

    #[test]
    fn a_duration_is_a_number_and_a_unit() {
        assert_eq!(duration("15m"), Ok(Duration::from_secs(900)));
        assert_eq!(duration("1s"), Ok(Duration::from_secs(1)));
        assert!(duration("0m").is_err());
        assert!(duration("15").is_err());
        assert!(duration("m").is_err());
        assert!(duration("99999999999999999999d").is_err());
        assert_eq!(humane(Duration::from_secs(900)), "15m");
    }
}
