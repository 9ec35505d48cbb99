//! A throwaway PostgreSQL server for the tests: the system's own binaries (`initdb`,
//! `postgres`, from `PATH` or `/usr/lib/postgresql/*/bin`), a data directory of its own in the
//! temporary directory, a free port on 127.0.0.1, no password, and no fsync (nothing in it
//! outlives the test). It runs as the `postgres` user when the tests run as root, which the
//! server refuses to run as, and dies with the process that started it (Linux's parent-death
//! signal), so that no test run leaves one behind; a data directory left by a run that died is
//! removed by the next.
//!
//! `.ci/run` installs PostgreSQL from the system's packages when it is missing.
#![allow(dead_code)]

use std::net::TcpListener;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{mpsc, Mutex, OnceLock};
use std::time::{Duration, Instant};

/// How long a server may take to start or stop.
const PATIENCE: Duration = Duration::from_secs(60);

/// A PostgreSQL server started for the tests.
pub struct Server {
    pub port: u16,
    dir: PathBuf,
    bin: PathBuf,
    /// Who the server runs as: `postgres` when the tests run as root.
    user: Option<(u32, u32)>,
    /// The running server's process id, when it runs.
    pid: Mutex<Option<u32>>,
}

/// The server every test of this process shares: started on first use.
pub fn shared() -> &'static Server {
    static SERVER: OnceLock<Server> = OnceLock::new();
    SERVER.get_or_init(|| Server::start("shared"))
}

impl Server {
    /// Makes a data directory and starts a server on it.
    pub fn start(name: &str) -> Server {
        remove_stale_directories();
        let bin = binaries().unwrap_or_else(|| {
            panic!(
                "PostgreSQL's initdb and postgres were not found (on PATH or in \
                 /usr/lib/postgresql/*/bin): install PostgreSQL (Debian: apt-get install \
                 postgresql), as .ci/run does"
            )
        });
        let dir = std::env::temp_dir().join(format!("clinchpad-pg-{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let user = server_user();
        if let Some((uid, gid)) = user {
            std::os::unix::fs::chown(&dir, Some(uid), Some(gid)).unwrap();
        }
        let mut initdb = Command::new(bin.join("initdb"));
        initdb
            .args(["-D"])
            .arg(dir.join("data"))
            .args(["-U", "postgres", "--auth=trust", "--no-sync", "-E", "UTF8"])
            .stdout(Stdio::null())
            .stderr(Stdio::piped());
        if let Some((uid, gid)) = user {
            initdb.uid(uid).gid(gid);
        }
        let output = initdb.output().expect("initdb runs");
        assert!(
            output.status.success(),
            "initdb failed: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        let port = free_port();
        let server = Server {
            port,
            dir,
            bin,
            user,
            pid: Mutex::new(None),
        };
        server.run();
        server
    }

    /// Starts the server on its data directory (again, after [`stop`](Server::stop)).
    pub fn run(&self) {
        let mut postgres = Command::new(self.bin.join("postgres"));
        postgres
            .arg("-D")
            .arg(self.dir.join("data"))
            .args(["-p", &self.port.to_string(), "-h", "127.0.0.1", "-k"])
            .arg(&self.dir)
            .args(["-c", "fsync=off", "-c", "max_connections=200"])
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        if let Some((uid, gid)) = self.user {
            postgres.uid(uid).gid(gid);
        }
        // SAFETY: `prctl` is async-signal-safe and touches only the child being made.
        unsafe {
            postgres.pre_exec(|| {
                libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGTERM);
                Ok(())
            });
        }
        let pid = spawn_from_a_thread_that_lives(postgres);
        *self.pid.lock().unwrap() = Some(pid);
        let started = Instant::now();
        while std::net::TcpStream::connect(("127.0.0.1", self.port)).is_err() {
            assert!(started.elapsed() < PATIENCE, "postgres did not start");
            std::thread::sleep(Duration::from_millis(50));
        }
        // Accepting connections is not yet accepting sessions: wait for a query to work.
        while !self.ready() {
            assert!(
                started.elapsed() < PATIENCE,
                "postgres did not become ready"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Whether the server answers a session's start-up.
    fn ready(&self) -> bool {
        let output = Command::new(self.bin.join("pg_isready"))
            .args([
                "-h",
                "127.0.0.1",
                "-p",
                &self.port.to_string(),
                "-U",
                "postgres",
            ])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
        output.map(|status| status.success()).unwrap_or(true)
    }

    /// Stops the server, as an outage would (fast shutdown: sessions cut), and waits until
    /// it no longer listens.
    pub fn stop(&self) {
        let Some(pid) = self.pid.lock().unwrap().take() else {
            return;
        };
        // SAFETY: a signal to the server this process started.
        unsafe {
            libc::kill(pid as libc::pid_t, libc::SIGINT);
        }
        let stopped = Instant::now();
        while std::net::TcpStream::connect(("127.0.0.1", self.port)).is_ok()
            || Path::new(&format!("/proc/{pid}")).exists() && !zombie(pid)
        {
            assert!(stopped.elapsed() < PATIENCE, "postgres did not stop");
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// The URL of the server's database `database`.
    pub fn url(&self, database: &str) -> String {
        format!("postgres://postgres@127.0.0.1:{}/{database}", self.port)
    }

    /// A database of its own for one test, made empty: its URL.
    pub fn fresh_database(&self, name: &str) -> String {
        let database = format!(
            "t_{}",
            name.replace(|c: char| !c.is_ascii_alphanumeric(), "_")
        );
        let admin = self.url("postgres");
        let statements = [
            format!("DROP DATABASE IF EXISTS {database} WITH (FORCE)"),
            format!("CREATE DATABASE {database}"),
        ];
        // On a thread of its own: a test may be running on a runtime already.
        std::thread::spawn(move || {
            tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap()
                .block_on(async {
                    use sqlx::{Connection, Executor};
                    sqlx::any::install_default_drivers();
                    let mut connection = sqlx::AnyConnection::connect(&admin).await.unwrap();
                    for statement in &statements {
                        connection.execute(statement.as_str()).await.unwrap();
                    }
                })
        })
        .join()
        .expect("the test database is made");
        self.url(&database)
    }
}

/// Where the server's programs are: beside `initdb`, found on `PATH` (a link is followed to
/// the directory it points into) or in the newest `/usr/lib/postgresql/*/bin`.
fn binaries() -> Option<PathBuf> {
    let on_path = std::env::var_os("PATH").and_then(|path| {
        std::env::split_paths(&path)
            .map(|dir| dir.join("initdb"))
            .find(|initdb| initdb.exists())
            .and_then(|initdb| Some(initdb.canonicalize().ok()?.parent()?.to_owned()))
    });
    on_path
        .filter(|bin| bin.join("postgres").exists())
        .or_else(|| {
            let mut versions: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
                .ok()?
                .filter_map(|entry| Some(entry.ok()?.path().join("bin")))
                .filter(|bin| bin.join("initdb").exists())
                .collect();
            versions.sort();
            versions.pop()
        })
}

/// The `postgres` user's ids, when the tests run as root: the server will not run as root.
fn server_user() -> Option<(u32, u32)> {
    // SAFETY: `geteuid` has no preconditions; `getpwnam` reads a NUL-terminated name and
    // returns a pointer valid until the next call, read at once.
    unsafe {
        if libc::geteuid() != 0 {
            return None;
        }
        let user = libc::getpwnam(c"postgres".as_ptr());
        assert!(
            !user.is_null(),
            "running as root, and there is no `postgres` user to run the server as"
        );
        Some(((*user).pw_uid, (*user).pw_gid))
    }
}

/// A port on 127.0.0.1 that nothing listens on.
fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Spawns `command` from a thread that never ends, so that the parent-death signal comes
/// when the process ends, not when a test's thread does; its process id.
fn spawn_from_a_thread_that_lives(mut command: Command) -> u32 {
    let (started, pid) = mpsc::channel();
    std::thread::spawn(move || {
        let child: std::io::Result<Child> = command.spawn();
        match child {
            Ok(mut child) => {
                started.send(Ok(child.id())).unwrap();
                let _ = child.wait();
                // The thread outlives the server too.
                loop {
                    std::thread::park();
                }
            }
            Err(err) => started.send(Err(err)).unwrap(),
        }
    });
    pid.recv().unwrap().expect("postgres starts")
}

fn zombie(pid: u32) -> bool {
    std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .map(|stat| {
            stat.split(") ")
                .nth(1)
                .is_some_and(|rest| rest.starts_with('Z'))
        })
        .unwrap_or(true)
}

/// Removes the data directories of test processes that are gone.
fn remove_stale_directories() {
    let Ok(entries) = std::fs::read_dir(std::env::temp_dir()) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        let Some(pid) = name
            .strip_prefix("clinchpad-pg-")
            .and_then(|rest| rest.split('-').next())
            .and_then(|pid| pid.parse::<u32>().ok())
        else {
            continue;
        };
        if !Path::new(&format!("/proc/{pid}")).exists() {
            let _ = std::fs::remove_dir_all(entry.path());
        }
    }
}
