//! The README's table of activity types matches the crate: every documented type, in order,
//! with its variant name and its fields.

use clinchpad_webhook::ActivityType;

#[test]
fn the_readme_lists_every_activity_type_with_its_variant_and_fields() {
    let readme = include_str!("../README.md");
    let rows: Vec<&str> = readme
        .lines()
        .filter(|line| line.starts_with("| `") && line.contains(':'))
        .filter(|line| {
            ActivityType::ALL
                .iter()
                .any(|t| line.starts_with(&format!("| `{t}`")))
        })
        .collect();
    assert_eq!(rows.len(), ActivityType::ALL.len(), "{rows:#?}");
    for (row, activity_type) in rows.iter().zip(ActivityType::ALL) {
        let variant = format!("{activity_type:?}");
        let fields = activity_type.field_names();
        let expected_start = format!("| `{activity_type}` | `{variant}");
        assert!(
            row.starts_with(&expected_start),
            "{row}\nexpected {expected_start}"
        );
        let listed: Vec<&str> = row
            .split(['{', ','])
            .skip(1)
            .filter_map(|field| field.split(':').next())
            .map(str::trim)
            .collect();
        assert_eq!(listed, fields, "{row}");
    }
}
