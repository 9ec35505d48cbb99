//! Running the built `clinchpad-webhook` as a child process, from the repository's root (where
//! the fixtures are), with no key in its environment unless a test gives one; every wait is
//! bounded, and a `listen` left running is stopped when its handle is dropped.
#![allow(dead_code)] // each test file uses part of it

pub mod browser;

use std::io::{BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Output, Stdio};
use std::sync::mpsc;
use std::time::Duration;

/// The longest any child may take to answer or to end.
pub const PATIENCE: Duration = Duration::from_secs(60);

/// The repository's root.
pub fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .to_owned()
}

/// The command with `args`, the key variable set to `env_key` (or unset), no colour asked for.
pub fn command(args: &[&str], env_key: Option<&str>) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_clinchpad-webhook"));
    command
        .args(args)
        .current_dir(root())
        .env_remove("CLINCHPAD_HANDSHAKE_KEY")
        .env_remove("CLINCHPAD_API_KEY")
        .env_remove("CLINCHPAD_INBOX")
        .env_remove("NO_COLOR")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    if let Some(key) = env_key {
        command.env("CLINCHPAD_HANDSHAKE_KEY", key);
    }
    command
}

/// A path in the temporary directory for this test process's file `name`, with nothing there.
pub fn temp_file(name: &str) -> PathBuf {
    let path = std::env::temp_dir().join(format!("clinchpad-{}-{name}", std::process::id()));
    let _ = std::fs::remove_file(&path);
    path
}

/// Runs the command to its end with `stdin` on its standard input.
pub fn run(args: &[&str], env_key: Option<&str>, stdin: &[u8]) -> Output {
    let mut child = command(args, env_key).spawn().expect("the command starts");
    let mut input = child.stdin.take().expect("stdin is piped");
    let stdin = stdin.to_vec();
    std::thread::spawn(move || {
        let _ = input.write_all(&stdin);
    });
    let (done, wait) = mpsc::channel();
    std::thread::spawn(move || done.send(child.wait_with_output()));
    wait.recv_timeout(PATIENCE)
        .expect("the command ends in time")
        .expect("its output is read")
}

/// Everything the command printed, with its exit status, for assertions and messages.
pub fn text(output: &Output) -> String {
    format!(
        "status {:?}\n--- stdout\n{}--- stderr\n{}",
        output.status.code(),
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

/// A `listen` running in the background.
pub struct Listening {
    child: Option<Child>,
    /// `http://127.0.0.1:PORT`, without the path.
    pub address: String,
    /// What it printed on standard error up to its "listening on" line.
    pub banner: Vec<String>,
    stdout: mpsc::Receiver<String>,
    stderr: mpsc::Receiver<String>,
}

/// Starts `listen` with `args` (an ephemeral port is added) and waits until it listens.
pub fn listen(args: &[&str], env_key: Option<&str>) -> Listening {
    let mut full = vec!["listen", "--addr", "127.0.0.1:0"];
    full.extend_from_slice(args);
    start_listening(command(&full, env_key))
}

/// [`listen`], in a process that may open at most `open_files` files (and sockets), as a
/// machine with a low limit allows.
#[cfg(unix)]
pub fn listen_with_open_files(open_files: u32, args: &[&str], env_key: Option<&str>) -> Listening {
    let mut full = vec!["listen", "--addr", "127.0.0.1:0"];
    full.extend_from_slice(args);
    let plain = command(&full, env_key);
    let mut limited = Command::new("sh");
    limited
        .arg("-c")
        .arg(format!("ulimit -n {open_files} && exec \"$0\" \"$@\""))
        .arg(plain.get_program())
        .args(plain.get_args())
        .current_dir(root())
        .env_remove("NO_COLOR")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    match env_key {
        Some(key) => limited.env("CLINCHPAD_HANDSHAKE_KEY", key),
        None => limited.env_remove("CLINCHPAD_HANDSHAKE_KEY"),
    };
    start_listening(limited)
}

/// Starts the `listen` command, and waits until it says it listens.
fn start_listening(mut command: Command) -> Listening {
    let mut child = command.spawn().expect("listen starts");
    let stdout = lines(child.stdout.take().unwrap());
    let stderr = lines(child.stderr.take().unwrap());
    // From here on, dropping the handle (a failed assertion) stops the child.
    let mut listening = Listening {
        child: Some(child),
        address: String::new(),
        banner: Vec::new(),
        stdout,
        stderr,
    };
    loop {
        let line = listening
            .stderr
            .recv_timeout(PATIENCE)
            .unwrap_or_else(|_| panic!("listen did not start: {:?}", listening.banner));
        let address = line
            .split("listening on ")
            .nth(1)
            .map(|rest| rest.split(['/', ',']).take(3).collect::<Vec<_>>().join("/"));
        listening.banner.push(line);
        if let Some(address) = address {
            listening.address = address;
            return listening;
        }
    }
}

fn lines(stream: impl Read + Send + 'static) -> mpsc::Receiver<String> {
    let (line, lines) = mpsc::channel();
    std::thread::spawn(move || {
        for text in BufReader::new(stream).lines().map_while(Result::ok) {
            if line.send(text).is_err() {
                break;
            }
        }
    });
    lines
}

impl Listening {
    /// The next `n` lines it printed on standard output.
    pub fn lines(&self, n: usize) -> Vec<String> {
        (0..n)
            .map(|i| {
                self.stdout
                    .recv_timeout(PATIENCE)
                    .unwrap_or_else(|_| panic!("listen printed {i} of {n} lines"))
            })
            .collect()
    }

    /// The next line it printed on standard error.
    pub fn stderr_line(&self) -> String {
        self.stderr
            .recv_timeout(PATIENCE)
            .expect("listen printed a line on standard error")
    }

    /// Stops it as Ctrl-C or a service manager would (SIGTERM) and waits for it to end: its
    /// exit status, and the rest of what it printed (standard output, standard error).
    pub fn stop(self) -> (ExitStatus, Vec<String>, Vec<String>) {
        self.stop_with(Signal::Terminate)
    }

    /// Stops it as Ctrl-C does (SIGINT); see [`stop`](Listening::stop).
    pub fn interrupt(self) -> (ExitStatus, Vec<String>, Vec<String>) {
        self.stop_with(Signal::Interrupt)
    }

    fn stop_with(mut self, signal: Signal) -> (ExitStatus, Vec<String>, Vec<String>) {
        let mut child = self.child.take().unwrap();
        send_signal(&child, signal);
        let (done, wait) = mpsc::channel();
        std::thread::spawn(move || done.send(child.wait()));
        let status = wait
            .recv_timeout(PATIENCE)
            .expect("listen stops in time")
            .unwrap();
        let rest = |lines: &mpsc::Receiver<String>| lines.iter().collect::<Vec<_>>();
        (status, rest(&self.stdout), rest(&self.stderr))
    }
}

impl Drop for Listening {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// How a test stops `listen`.
#[derive(Clone, Copy)]
enum Signal {
    Terminate,
    Interrupt,
}

#[cfg(unix)]
fn send_signal(child: &Child, signal: Signal) {
    let signal = match signal {
        Signal::Terminate => libc::SIGTERM,
        Signal::Interrupt => libc::SIGINT,
    };
    // SAFETY: `kill` with the pid of a child this process started and has not waited for.
    unsafe {
        libc::kill(child.id() as libc::pid_t, signal);
    }
}

#[cfg(not(unix))]
fn send_signal(child: &Child, _: Signal) {
    let _ = child;
}

/// Starts `listen` with a web view on an ephemeral port, and the one-time link it printed.
pub fn listen_with_ui(args: &[&str], key: Option<&str>) -> (Listening, String) {
    let mut full = vec!["--ui", "127.0.0.1:0"];
    full.extend_from_slice(args);
    let listening = listen(&full, key);
    let link = ui_url(&listening);
    (listening, link)
}

/// The web view's one-time link, from the lines `listen` prints at start-up.
pub fn ui_url(listening: &Listening) -> String {
    for _ in 0..10 {
        let line = listening.stderr_line();
        if let Some(rest) = line.split("web view at ").nth(1) {
            return rest.split(' ').next().unwrap().to_owned();
        }
    }
    panic!("listen did not say where its web view is");
}

/// The view's address, from its link: `http://127.0.0.1:PORT/`.
pub fn base_of(link: &str) -> String {
    link.split("open?token=").next().unwrap().to_owned()
}

/// `GET path` on `address` (`http://127.0.0.1:PORT` or `127.0.0.1:PORT`), over a plain
/// connection read to its end within 10 s: the status and the body.
pub fn get(address: &str, path: &str) -> (u16, String) {
    use std::io::{Read, Write};
    let host = address.trim_start_matches("http://");
    let mut stream = std::net::TcpStream::connect(host).unwrap();
    stream
        .set_read_timeout(Some(std::time::Duration::from_secs(10)))
        .unwrap();
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut answer = String::new();
    stream.read_to_string(&mut answer).unwrap();
    let status = answer[9..12].parse().unwrap();
    let body = answer.split_once("\r\n\r\n").unwrap().1.to_owned();
    (status, body)
}
