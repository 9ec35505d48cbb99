//! Running the `inspect` example from tests.

use std::io::Write;
use std::path::Path;
use std::process::{Command, Output, Stdio};

/// Runs `examples/inspect.rs` from the crate's root with `args`, the environment variable
/// `CLINCHPAD_HANDSHAKE_KEY` set to `env_key` (or unset), and `stdin` on its standard input.
///
/// Through `cargo run`, which builds the example first: a binary found under `target/` could
/// be stale, since `cargo test --test <name>` does not build examples. Same profile as the
/// test, so the library is not built twice.
pub fn inspect(args: &[&str], env_key: Option<&str>, stdin: &[u8]) -> Output {
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR")).join("Cargo.toml");
    let mut command = Command::new(env!("CARGO"));
    command
        .args(["run", "-q", "--example", "inspect", "--manifest-path"])
        .arg(&manifest);
    if !cfg!(debug_assertions) {
        command.arg("--release");
    }
    command
        .arg("--")
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .env_remove("CLINCHPAD_HANDSHAKE_KEY")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    if let Some(key) = env_key {
        command.env("CLINCHPAD_HANDSHAKE_KEY", key);
    }
    let mut child = command.spawn().expect("cargo runs");
    child
        .stdin
        .take()
        .expect("stdin is piped")
        .write_all(stdin)
        .expect("the inspector reads its input");
    child.wait_with_output().expect("the inspector ends")
}

/// Everything the inspector printed, with its exit status, for assertions and messages.
pub fn text(output: &Output) -> String {
    format!(
        "status {:?}\n--- stdout\n{}--- stderr\n{}",
        output.status.code(),
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}
