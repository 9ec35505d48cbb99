//! The README's account of where the crate runs is the files' own: each example's and
//! recipe's line count in its table, and each recipe shown whole. Here, outside the library's
//! package, where every example is at hand, and `.ci/run` runs its tests.

use std::path::Path;

fn read(path: &str) -> String {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    std::fs::read_to_string(root.join(path)).unwrap_or_else(|err| panic!("{path}: {err}"))
}

fn lines(text: &str) -> usize {
    text.trim_end_matches('\n').lines().count()
}

/// The lines of a recipe's handler: from its attribute (or `async fn hook`) to its closing
/// brace.
fn handler_lines(text: &str) -> usize {
    let all: Vec<&str> = text.lines().collect();
    let start = all
        .iter()
        .position(|l| {
            l.starts_with("#[post") || l.starts_with("#[handler]") || l.starts_with("async fn hook")
        })
        .expect("a handler");
    let end = (start..all.len())
        .find(|&i| all[i] == "}")
        .expect("its end");
    end - start + 1
}

#[test]
fn the_readme_table_gives_each_example_its_own_line_count() {
    let readme = read("README.md");
    let row = |name: &str| {
        readme
            .lines()
            .find(|line| line.starts_with(&format!("| {name}")))
            .unwrap_or_else(|| panic!("no row for {name}"))
            .to_owned()
    };
    let lambda = format!(
        "`examples/lambda`: {} + {} lines",
        lines(&read("examples/lambda/src/lib.rs")),
        lines(&read("examples/lambda/src/main.rs"))
    );
    assert!(
        row("AWS Lambda").contains(&lambda),
        "{}\nshould say {lambda}",
        row("AWS Lambda")
    );
    let worker = format!(
        "`examples/worker`: {} lines",
        lines(&read("examples/worker/src/lib.rs"))
    );
    assert!(
        row("Cloudflare Workers").contains(&worker),
        "should say {worker}"
    );
    for (name, file) in [("warp", "warp"), ("rocket", "rocket"), ("poem", "poem")] {
        let text = read(&format!("examples/recipes/src/bin/{file}.rs"));
        let handler = handler_lines(&text);
        assert!(
            handler < 20,
            "the {name} recipe's handler has {handler} lines"
        );
        let said = format!("a {handler}-line handler, {} lines in all", lines(&text));
        assert!(
            row(name).contains(&said),
            "{}\nshould say {said}",
            row(name)
        );
    }
}

#[test]
fn the_readme_shows_each_recipe_whole() {
    let readme = read("README.md");
    for file in ["warp", "rocket", "poem"] {
        let recipe = read(&format!("examples/recipes/src/bin/{file}.rs"));
        assert!(
            readme.contains(&format!("```rust,ignore\n{recipe}```")),
            "the README's {file} recipe is not examples/recipes/src/bin/{file}.rs"
        );
    }
}

#[test]
fn the_readme_installs_the_command_by_its_package_name() {
    let readme = read("README.md");
    let manifest = read("cli/Cargo.toml");
    let name = manifest
        .lines()
        .find_map(|line| line.strip_prefix("name = \""))
        .and_then(|rest| rest.strip_suffix('"'))
        .expect("the command's package name");
    assert!(
        readme.contains(&format!("cargo install {name}")),
        "no `cargo install {name}`"
    );
    assert!(readme.contains("cargo install --path cli"));
    assert!(
        manifest.contains("name = \"clinchpad-webhook\"\npath = \"src/main.rs\""),
        "the binary's name"
    );
}
