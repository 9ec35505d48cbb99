//! Headless Chromium driven through ChromeDriver (WebDriver, JSON over HTTP), for the web
//! view's tests: Debian's `chromium` and `chromium-driver` (`.ci/run` installs them), or the
//! programs named by `CHROMIUM` and `CHROMEDRIVER`. Every wait is bounded; the browser and
//! its driver end when the handle is dropped.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{json, Value};

/// How long a condition is waited for in the page.
pub const WAIT: Duration = Duration::from_secs(15);

/// The WebDriver key of an element reference.
const ELEMENT: &str = "element-6066-11e4-a52e-4f735466cecf";

pub struct Browser {
    driver: Child,
    /// `http://127.0.0.1:PORT/session/ID`.
    session: String,
    http: reqwest::Client,
    _profile: TempDir,
}

/// A directory removed when dropped.
struct TempDir(PathBuf);

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn program(variable: &str, default: &str) -> String {
    std::env::var(variable).unwrap_or_else(|_| default.to_owned())
}

impl Browser {
    /// Starts ChromeDriver on a free port and a headless Chromium of `width` × `height`.
    pub async fn start(width: u32, height: u32) -> Browser {
        let driver_program = program("CHROMEDRIVER", "/usr/bin/chromedriver");
        let chromium = program("CHROMIUM", "/usr/bin/chromium");
        for needed in [&driver_program, &chromium] {
            assert!(
                Path::new(needed).exists(),
                "{needed} is missing: the web view's tests drive a real browser; install \
                 Debian's chromium and chromium-driver (as .ci/run does), or name them with \
                 CHROMIUM and CHROMEDRIVER"
            );
        }
        let mut driver = Command::new(&driver_program)
            .arg("--port=0")
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("chromedriver starts");
        let stdout = driver.stdout.take().unwrap();
        let (said, port) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if let Some(rest) = line.split("started successfully on port ").nth(1) {
                    let _ = said.send(rest.trim_end_matches('.').to_owned());
                }
            }
        });
        let port = port
            .recv_timeout(WAIT)
            .expect("chromedriver says its port in time");
        let profile = TempDir(
            std::env::temp_dir().join(format!("clinchpad-chromium-{}-{port}", std::process::id())),
        );
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(60))
            .build()
            .unwrap();
        let capabilities = json!({"capabilities": {"alwaysMatch": {
            "browserName": "chrome",
            "goog:chromeOptions": {
                "binary": chromium,
                "args": [
                    "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                    "--disable-quic", "--no-first-run", "--disable-background-networking",
                    "--disable-component-update", "--disable-sync", "--disable-extensions",
                    format!("--window-size={width},{height}"),
                    format!("--user-data-dir={}", profile.0.display()),
                ],
            },
        }}});
        let mut browser = Browser {
            driver,
            session: String::new(),
            http,
            _profile: profile,
        };
        let base = format!("http://127.0.0.1:{port}");
        let started = browser
            .call(
                reqwest::Method::POST,
                &format!("{base}/session"),
                capabilities,
            )
            .await;
        let id = started["sessionId"]
            .as_str()
            .unwrap_or_else(|| panic!("no session: {started}"));
        browser.session = format!("{base}/session/{id}");
        browser
    }

    async fn call(&self, method: reqwest::Method, url: &str, body: Value) -> Value {
        let mut request = self.http.request(method.clone(), url);
        if method == reqwest::Method::POST {
            request = request.json(&body);
        }
        let answer = request.send().await.expect("chromedriver answers");
        let status = answer.status();
        let value: Value = answer.json().await.expect("chromedriver answers JSON");
        assert!(status.is_success(), "WebDriver {url}: {status} {value}");
        value["value"].clone()
    }

    async fn post(&self, path: &str, body: Value) -> Value {
        let url = format!("{}{path}", self.session);
        self.call(reqwest::Method::POST, &url, body).await
    }

    pub async fn goto(&self, url: &str) {
        self.post("/url", json!({ "url": url })).await;
    }

    /// Runs `script` (a function body; `arguments` holds `args`) in the page.
    pub async fn run(&self, script: &str, args: Value) -> Value {
        self.post("/execute/sync", json!({"script": script, "args": args}))
            .await
    }

    /// Waits until `script` returns something truthy, and returns it.
    pub async fn wait_for(&self, script: &str, what: &str) -> Value {
        let started = Instant::now();
        loop {
            let value = self.run(script, json!([])).await;
            let truthy = match &value {
                Value::Null | Value::Bool(false) => false,
                Value::String(text) => !text.is_empty(),
                Value::Number(n) => n.as_f64() != Some(0.0),
                _ => true,
            };
            if truthy {
                return value;
            }
            assert!(started.elapsed() < WAIT, "the page never showed {what}");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// The first element matching `css`, waited for.
    pub async fn find(&self, css: &str) -> String {
        let started = Instant::now();
        loop {
            let url = format!("{}/elements", self.session);
            let found = self
                .call(
                    reqwest::Method::POST,
                    &url,
                    json!({"using": "css selector", "value": css}),
                )
                .await;
            if let Some(first) = found.as_array().and_then(|all| all.first()) {
                return first[ELEMENT].as_str().unwrap().to_owned();
            }
            assert!(started.elapsed() < WAIT, "no element {css} in the page");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Clicks the first element matching `css`, as a person does.
    pub async fn click(&self, css: &str) {
        let element = self.find(css).await;
        self.post(&format!("/element/{element}/click"), json!({}))
            .await;
    }

    /// Replaces the text of the field matching `css` with `text`, typed.
    pub async fn type_into(&self, css: &str, text: &str) {
        let element = self.find(css).await;
        self.post(&format!("/element/{element}/clear"), json!({}))
            .await;
        self.post(
            &format!("/element/{element}/value"),
            json!({ "text": text }),
        )
        .await;
    }

    /// Picks the option with value `value` of the `<select>` matching `css`.
    pub async fn select(&self, css: &str, value: &str) {
        self.click(&format!("{css} option[value=\"{value}\"]"))
            .await;
    }

    /// The page's whole DOM, as HTML.
    pub async fn dom(&self) -> String {
        let html = self
            .run("return document.documentElement.outerHTML;", json!([]))
            .await;
        html.as_str().unwrap_or_default().to_owned()
    }

    /// Saves a PNG of the window to `file`, as it looks once its animations are over.
    pub async fn screenshot(&self, file: &Path) {
        self.run(
            "document.getAnimations().forEach(a => a.finish()); return true;",
            json!([]),
        )
        .await;
        let url = format!("{}/screenshot", self.session);
        let png = self.call(reqwest::Method::GET, &url, json!({})).await;
        let png = base64_decode(png.as_str().expect("a screenshot"));
        std::fs::create_dir_all(file.parent().unwrap()).unwrap();
        std::fs::write(file, png).unwrap();
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        if let Some(rest) = self.session.strip_prefix("http://") {
            // Ending the session ends Chromium; the driver goes next.
            if let Some((host, path)) = rest.split_once('/') {
                let _ = delete(host, &format!("/{path}"));
            }
        }
        let _ = self.driver.kill();
        let _ = self.driver.wait();
    }
}

/// `DELETE path` to `host`, waiting (boundedly) for the answer.
fn delete(host: &str, path: &str) -> std::io::Result<()> {
    use std::io::{Read, Write};
    let mut stream = std::net::TcpStream::connect(host)?;
    stream.set_read_timeout(Some(Duration::from_secs(10)))?;
    write!(
        stream,
        "DELETE {path} HTTP/1.1\r\nHost: {host}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
    )?;
    let mut answer = Vec::new();
    stream.read_to_end(&mut answer).map(drop)
}

/// Standard base64, as WebDriver sends screenshots.
fn base64_decode(text: &str) -> Vec<u8> {
    let value = |c: u8| match c {
        b'A'..=b'Z' => Some(c - b'A'),
        b'a'..=b'z' => Some(c - b'a' + 26),
        b'0'..=b'9' => Some(c - b'0' + 52),
        b'+' => Some(62),
        b'/' => Some(63),
        _ => None,
    };
    let digits: Vec<u8> = text.bytes().filter_map(value).collect();
    let mut out = Vec::with_capacity(digits.len() * 3 / 4);
    for chunk in digits.chunks(4) {
        let n = chunk
            .iter()
            .enumerate()
            .fold(0u32, |n, (i, &d)| n | (u32::from(d) << (18 - 6 * i)));
        let bytes = n.to_be_bytes();
        out.extend_from_slice(&bytes[1..chunk.len()]);
    }
    out
}

/// Where the tests leave their screenshots: `target/ui-screenshots/`.
pub fn screenshots() -> PathBuf {
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| super::root().join("target"));
    target.join("ui-screenshots")
}
