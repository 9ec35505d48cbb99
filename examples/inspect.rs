//! Parses a ClinchPad webhook payload from a file (or stdin) and prints what it says.
//!
//! ```text
//! cargo run --example inspect -- fixtures/note_created.json
//! cargo run --example inspect -- --key gfhkd1asfsa fixtures/note_created.json
//! cat body.json | cargo run --example inspect
//! ```
use std::io::Read;
use std::process::ExitCode;

use clinchpad_webhook::{parse, verify, ActivityKind, Payload};

fn main() -> ExitCode {
    let mut args = std::env::args().skip(1);
    let (mut key, mut path) = (std::env::var("CLINCHPAD_HANDSHAKE_KEY").ok(), None);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--key" => key = args.next(),
            "-h" | "--help" => {
                println!("usage: inspect [--key KEY] [FILE]   (stdin when FILE is absent or -)");
                return ExitCode::SUCCESS;
            }
            _ if path.is_none() => path = Some(arg),
            _ => {
                eprintln!("usage: inspect [--key KEY] [FILE]");
                return ExitCode::from(2);
            }
        }
    }
    let body = match path.as_deref() {
        None | Some("-") => {
            let mut body = Vec::new();
            std::io::stdin().read_to_end(&mut body).map(|_| body)
        }
        Some(path) => std::fs::read(path),
    };
    let body = match body {
        Ok(body) => body,
        Err(err) => {
            eprintln!("cannot read input: {err}");
            return ExitCode::from(2);
        }
    };
    let payload = match parse(&body) {
        Ok(payload) => payload,
        Err(err) => {
            eprintln!("error: {err}");
            return ExitCode::from(1);
        }
    };
    print!("{}", summary(&payload));
    match key {
        None => println!("key:      not checked (pass --key or set CLINCHPAD_HANDSHAKE_KEY)"),
        Some(key) => match verify(&payload, &key) {
            Ok(()) => println!("key:      verified"),
            Err(err) => {
                println!("key:      REJECTED: {err}");
                return ExitCode::from(1);
            }
        },
    }
    ExitCode::SUCCESS
}

fn summary(payload: &Payload) -> String {
    let (activity, lead) = (&payload.activity, &payload.lead);
    let mut out = format!("time:     {}\n", activity.created_at.to_rfc3339());
    out += &format!("type:     {}\n", activity.kind.type_name());
    out += &format!("lead:     {} ({})\n", lead.name, lead.id);
    if let Some(stage) = &lead.stage {
        out += &format!("stage:    {}\n", stage.name);
    }
    if let Some(pipe) = &lead.pipe {
        out += &format!("pipe:     {}\n", pipe.name);
    }
    if let Some(user) = &activity.user {
        out += &format!("user:     {} ({})\n", user.name, user.id);
    }
    // The kind serializes as {"type": ..., fields...}: print the fields after the type.
    if let Ok(serde_json::Value::Object(fields)) = serde_json::to_value(&activity.kind) {
        for (name, value) in fields.iter().filter(|(name, _)| *name != "type") {
            out += &format!("  {name}: {value}\n");
        }
    }
    if let ActivityKind::Unknown { .. } = activity.kind {
        out += "  (type unknown to this version: fields shown as received)\n";
    }
    for (name, value) in &activity.extra {
        out += &format!("  unknown field {name}: {value}\n");
    }
    out
}
