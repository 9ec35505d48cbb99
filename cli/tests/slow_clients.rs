//! Clients that open a connection and never finish a request: however many, a delivery is
//! answered promptly. `listen` bounds how long a request head may take and how many
//! connections it keeps open, and makes room for a new one by closing the oldest that holds
//! no request, so that idle sockets can neither exhaust the process's files nor queue a
//! delivery behind them.

mod common;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use common::listen_with_open_files;

const KEY: &str = "gfhkd1asfsa";

/// Opens `n` connections to `address` that each send half a request head, then wait.
fn half_heads(address: &str, n: usize) -> Vec<TcpStream> {
    (0..n)
        .map(|_| {
            let mut stream = TcpStream::connect(address).unwrap();
            stream
                .write_all(b"POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Le")
                .unwrap();
            stream
        })
        .collect()
}

/// Posts the fixture `name` as one request, and the status line of the answer, with how
/// long the answer took.
fn post(address: &str, name: &str) -> (String, Duration) {
    let body = std::fs::read(common::root().join("fixtures").join(name)).unwrap();
    let started = Instant::now();
    let mut stream = TcpStream::connect(address).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(15)))
        .unwrap();
    let head = format!(
        "POST / HTTP/1.1\r\nHost: {address}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    );
    stream.write_all(head.as_bytes()).unwrap();
    stream.write_all(&body).unwrap();
    let mut answer = Vec::new();
    let _ = stream.read_to_end(&mut answer);
    let answer = String::from_utf8_lossy(&answer);
    let status = answer.lines().next().unwrap_or_default().to_owned();
    (status, started.elapsed())
}

#[test]
fn a_delivery_is_answered_promptly_while_300_clients_hold_half_a_request_head() {
    // A limit of open files many machines have had: below what 300 idle sockets and the
    // process's own need.
    let listening = listen_with_open_files(256, &[], Some(KEY));
    let address = listening.address.trim_start_matches("http://").to_owned();
    let held = half_heads(&address, 300);
    let (status, took) = post(&address, "lead_won.json");
    assert!(
        status.starts_with("HTTP/1.1 204"),
        "answered {status:?} after {took:?}"
    );
    assert!(took < Duration::from_secs(2), "answered after {took:?}");
    drop(held);
    let (_, _, stderr) = listening.stop();
    assert!(
        !stderr.iter().any(|line| line.contains("panicked")),
        "{stderr:?}"
    );
}

#[test]
fn a_request_head_that_never_ends_is_closed() {
    let listening = common::listen(&[], Some(KEY));
    let address = listening.address.trim_start_matches("http://").to_owned();
    let mut slow = half_heads(&address, 1).remove(0);
    slow.set_read_timeout(Some(Duration::from_secs(30)))
        .unwrap();
    let started = Instant::now();
    let mut rest = Vec::new();
    // Closed by `listen`: the read ends (with whatever it answered), well before 30 s.
    let _ = slow.read_to_end(&mut rest);
    let took = started.elapsed();
    assert!(took < Duration::from_secs(20), "still open after {took:?}");
    drop(listening);
}
