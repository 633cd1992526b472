//! Running the real `directrix serve` on a scratch data directory, and a minimal HTTP/1.1
//! client over a plain socket (no client library: the tests control every byte, which
//! the oversized and slow requests need).

use super::{BIN, ROOT};
use serde_json::Value;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdout, Command, Stdio};
use std::time::Duration;

/// The seed workflow.
pub const SEED: &str = "workflows/kien-xuong-114-cv-hu.ron";

thread_local! {
    /// The PostgreSQL server a test running under [`both`] uses now; `None`: SQLite.
    static POSTGRES: std::cell::RefCell<Option<String>> = const { std::cell::RefCell::new(None) };
}

/// Runs a test on SQLite, then, when `DIRECTRIX_TEST_POSTGRES` names a PostgreSQL
/// database (`bash host/postgres start` exports it), again on a fresh database there.
pub fn both(test: impl Fn()) {
    test();
    if let Some(url) = std::env::var("DIRECTRIX_TEST_POSTGRES")
        .ok()
        .filter(|u| !u.is_empty())
    {
        eprintln!("again on PostgreSQL");
        POSTGRES.with(|p| *p.borrow_mut() = Some(url));
        struct Reset;
        impl Drop for Reset {
            fn drop(&mut self) {
                POSTGRES.with(|p| *p.borrow_mut() = None);
            }
        }
        let _reset = Reset;
        test();
    }
}

/// Runs a test on a fresh PostgreSQL database only, when `DIRECTRIX_TEST_POSTGRES` names
/// a server; says so and passes without one (what it tests needs a shared database).
pub fn on_postgres(test: impl Fn()) {
    let Some(url) = std::env::var("DIRECTRIX_TEST_POSTGRES")
        .ok()
        .filter(|u| !u.is_empty())
    else {
        eprintln!("skipped: DIRECTRIX_TEST_POSTGRES is not set (bash host/postgres start)");
        return;
    };
    POSTGRES.with(|p| *p.borrow_mut() = Some(url));
    test();
    POSTGRES.with(|p| *p.borrow_mut() = None);
}

/// Where one test's server keeps its data: a scratch directory (the server's log, and
/// the SQLite file), and under [`both`]'s PostgreSQL turn a database of its own,
/// `directrix_t_<unique>`, dropped with this.
pub struct Data {
    dir: PathBuf,
    /// `(server URL, database name)` on PostgreSQL.
    postgres: Option<(String, String)>,
}

impl std::ops::Deref for Data {
    type Target = Path;
    fn deref(&self) -> &Path {
        &self.dir
    }
}

impl Data {
    /// The arguments that name this database: `--data DIR` or `--database URL`.
    pub fn args(&self) -> Vec<std::ffi::OsString> {
        match &self.postgres {
            None => vec!["--data".into(), self.dir.clone().into()],
            Some((server, name)) => vec!["--database".into(), database_url(server, name).into()],
        }
    }

    /// The store's location.
    pub fn location(&self) -> directrix_host::store::Location {
        match &self.postgres {
            None => directrix_host::store::Location::Sqlite(self.dir.clone()),
            Some((server, name)) => {
                directrix_host::store::Location::Postgres(database_url(server, name))
            }
        }
    }

    /// Whether this is a PostgreSQL database.
    pub fn is_postgres(&self) -> bool {
        self.postgres.is_some()
    }
}

impl Drop for Data {
    fn drop(&mut self) {
        if let Some((server, name)) = &self.postgres {
            // FORCE: a server this test killed may have left connections behind.
            let _ = admin(
                server,
                &format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"),
            );
        }
    }
}

/// The URL of database `name` on the server of `server` (a URL of another database there).
fn database_url(server: &str, name: &str) -> String {
    let (base, query) = server.split_once('?').unwrap_or((server, ""));
    let (host, _) = base
        .rsplit_once('/')
        .expect("a postgres:// URL with a database");
    if query.is_empty() {
        format!("{host}/{name}")
    } else {
        format!("{host}/{name}?{query}")
    }
}

/// Runs one statement on `server`'s database.
fn admin(server: &str, statement: &str) -> Result<(), String> {
    use sqlx::{Connection, Executor};
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| e.to_string())?;
    runtime.block_on(async {
        let mut connection = sqlx::PgConnection::connect(server)
            .await
            .map_err(|e| e.to_string())?;
        connection
            .execute(statement)
            .await
            .map_err(|e| e.to_string())?;
        connection.close().await.map_err(|e| e.to_string())
    })
}

/// A fresh, empty data directory for one test (and, in [`both`]'s PostgreSQL turn, a
/// fresh database).
pub fn data_dir(name: &str) -> Data {
    let postgres = POSTGRES.with(|p| p.borrow().clone());
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join("serve")
        .join(if postgres.is_some() {
            format!("{name}-pg")
        } else {
            name.to_owned()
        });
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("data dir");
    let postgres = postgres.map(|server| {
        static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.subsec_nanos());
        let database = format!(
            "directrix_t_{}_{}_{nanos}",
            std::process::id(),
            NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
        );
        admin(&server, &format!("CREATE DATABASE {database}"))
            .unwrap_or_else(|e| panic!("cannot create {database}: {e}"));
        (server, database)
    });
    Data { dir, postgres }
}

/// `directrix serve token --data DIR --agency ID` (or `--admin` when `agency` is None).
pub fn token(data: &Data, agency: Option<&str>) -> String {
    let mut command = Command::new(BIN);
    command.args(["serve", "token"]).args(data.args());
    match agency {
        Some(agency) => command.args(["--agency", agency]),
        None => command.arg("--admin"),
    };
    let output = command.output().expect("run serve token");
    assert!(output.status.success(), "{output:?}");
    String::from_utf8(output.stdout)
        .expect("UTF-8")
        .trim()
        .to_owned()
}

/// `directrix serve check --data DIR`: (passed, stdout).
pub fn check(data: &Data) -> (bool, String) {
    let output = Command::new(BIN)
        .args(["serve", "check"])
        .args(data.args())
        .output()
        .expect("run serve check");
    (
        output.status.success(),
        String::from_utf8_lossy(&output.stdout).into_owned()
            + &String::from_utf8_lossy(&output.stderr),
    )
}

/// A running server; killed (SIGKILL) when dropped.
pub struct Server {
    child: Child,
    _stdout: Option<BufReader<ChildStdout>>,
    /// `127.0.0.1:PORT`.
    pub addr: String,
    /// The hash of each `--load`ed workflow, in order.
    pub workflows: Vec<String>,
}

impl Server {
    /// Starts `directrix serve --data DIR --listen 127.0.0.1:0 ARGS` and waits until it
    /// prints its address.
    pub fn start(data: &Data, args: &[&str]) -> Server {
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(data.join("server.log"))
            .expect("server log");
        let child = Command::new(BIN)
            .arg("serve")
            .args(data.args())
            .args(["--listen", "127.0.0.1:0"])
            .args(args)
            .current_dir(ROOT)
            .stdout(Stdio::piped())
            .stderr(log)
            .spawn()
            .expect("spawn directrix serve");
        // Owned by the guard at once, so any panic below still kills the process.
        let mut server = Server {
            child,
            _stdout: None,
            addr: String::new(),
            workflows: Vec::new(),
        };
        let mut stdout = BufReader::new(server.child.stdout.take().expect("stdout"));
        loop {
            let mut line = String::new();
            if stdout.read_line(&mut line).map_or(true, |read| read == 0) {
                panic!(
                    "the server exited before listening: {}",
                    std::fs::read_to_string(data.join("server.log")).unwrap_or_default()
                );
            }
            if let Some(hash) = line.trim().strip_prefix("directrix serve: workflow ") {
                server.workflows.push(hash.to_owned());
            }
            if let Some(addr) = line
                .trim()
                .strip_prefix("directrix serve: listening on http://")
            {
                server.addr = addr.to_owned();
                server._stdout = Some(stdout);
                return server;
            }
        }
    }

    /// SIGTERM, then waits (bounded) for the process to exit: its status, or None if it
    /// did not exit (it is then killed when dropped).
    pub fn terminate(mut self) -> Option<std::process::ExitStatus> {
        let _ = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status();
        for _ in 0..400 {
            if let Ok(Some(status)) = self.child.try_wait() {
                return Some(status);
            }
            std::thread::sleep(Duration::from_millis(25));
        }
        None
    }

    /// SIGKILL, no chance to clean up.
    pub fn kill(mut self) {
        self.stop();
    }

    fn stop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// A request to this server.
    pub fn request(
        &self,
        method: &str,
        path: &str,
        token: Option<&str>,
        headers: &[(&str, &str)],
        body: &[u8],
    ) -> Response {
        request(&self.addr, method, path, token, headers, body).expect("request")
    }

    /// GET with a token; the JSON answer and its status.
    pub fn get(&self, path: &str, token: &str) -> Response {
        self.request("GET", path, Some(token), &[], b"")
    }

    /// POST JSON with a token.
    pub fn post(&self, path: &str, token: &str, body: &Value) -> Response {
        self.request(
            "POST",
            path,
            Some(token),
            &[("content-type", "application/json")],
            body.to_string().as_bytes(),
        )
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.stop();
    }
}

/// An HTTP answer.
#[derive(Debug, Clone)]
pub struct Response {
    /// Status code.
    pub status: u16,
    /// Header lines, lowercase names.
    pub headers: Vec<(String, String)>,
    /// The body.
    pub body: String,
}

impl Response {
    /// The body as JSON.
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.body)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {} {}", self.status, self.body))
    }

    /// A header's value.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    /// The error code of a JSON error body.
    pub fn code(&self) -> String {
        self.json()["code"].as_str().unwrap_or_default().to_owned()
    }
}

/// One request on its own connection (`Connection: close`), read to the end.
pub fn request(
    addr: &str,
    method: &str,
    path: &str,
    token: Option<&str>,
    headers: &[(&str, &str)],
    body: &[u8],
) -> std::io::Result<Response> {
    let mut stream = TcpStream::connect(addr)?;
    stream.set_read_timeout(Some(Duration::from_secs(60)))?;
    stream.set_write_timeout(Some(Duration::from_secs(60)))?;
    let mut head = format!(
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\nContent-Length: {}\r\n",
        body.len()
    );
    if let Some(token) = token {
        head.push_str(&format!("Authorization: Bearer {token}\r\n"));
    }
    for (name, value) in headers {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    head.push_str("\r\n");
    stream.write_all(head.as_bytes())?;
    // The server may answer (413) and close before reading a large body: keep what it
    // said rather than the write error.
    let _ = stream.write_all(body);
    read_response(&mut stream)
}

/// Reads a whole `Connection: close` response.
pub fn read_response(stream: &mut TcpStream) -> std::io::Result<Response> {
    let mut raw = Vec::new();
    if let Err(error) = stream.read_to_end(&mut raw)
        && raw.is_empty()
    {
        return Err(error);
    }
    let text = String::from_utf8_lossy(&raw).into_owned();
    let (head, body) = text
        .split_once("\r\n\r\n")
        .ok_or_else(|| std::io::Error::other(format!("no HTTP head in {text:?}")))?;
    let mut lines = head.lines();
    let status = lines
        .next()
        .and_then(|line| line.split(' ').nth(1))
        .and_then(|code| code.parse().ok())
        .ok_or_else(|| std::io::Error::other(format!("no status in {head:?}")))?;
    let headers: Vec<(String, String)> = lines
        .filter_map(|line| line.split_once(':'))
        .map(|(n, v)| (n.trim().to_ascii_lowercase(), v.trim().to_owned()))
        .collect();
    let chunked = headers
        .iter()
        .any(|(n, v)| n == "transfer-encoding" && v.contains("chunked"));
    let body = if chunked {
        dechunk(body)
    } else {
        body.to_owned()
    };
    Ok(Response {
        status,
        headers,
        body,
    })
}

fn dechunk(mut body: &str) -> String {
    let mut out = String::new();
    while let Some((size, rest)) = body.split_once("\r\n") {
        let Ok(size) = usize::from_str_radix(size.trim(), 16) else {
            break;
        };
        if size == 0 || rest.len() < size {
            break;
        }
        out.push_str(&rest[..size]);
        body = rest[size..].trim_start_matches("\r\n");
    }
    out
}

/// A small deterministic generator for test choices (xorshift64*).
pub struct Rng(u64);

impl Rng {
    /// Seeded; never zero.
    pub fn new(seed: u64) -> Self {
        Rng(seed | 1)
    }

    /// The next number below `n` (n > 0).
    pub fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d) % n
    }
}

/// Opens `GET /v1/events` and reads `count` events: (id, data JSON). The socket's read
/// timeout bounds the wait if they never come.
pub fn events(
    addr: &str,
    token: &str,
    last_event_id: Option<i64>,
    count: usize,
) -> Vec<(i64, Value)> {
    let mut events = Vec::new();
    events_until(addr, token, last_event_id, |event| {
        events.push(event.clone());
        events.len() == count
    });
    events
}

/// Opens `GET /v1/events` and reads events until `done` says so.
pub fn events_until(
    addr: &str,
    token: &str,
    last_event_id: Option<i64>,
    mut done: impl FnMut(&(i64, Value)) -> bool,
) {
    let mut stream = TcpStream::connect(addr).expect("connect");
    stream
        .set_read_timeout(Some(Duration::from_secs(30)))
        .expect("timeout");
    let mut head =
        format!("GET /v1/events HTTP/1.1\r\nHost: {addr}\r\nAuthorization: Bearer {token}\r\n");
    if let Some(id) = last_event_id {
        head.push_str(&format!("Last-Event-ID: {id}\r\n"));
    }
    head.push_str("\r\n");
    stream.write_all(head.as_bytes()).expect("write");
    let mut reader = BufReader::new(stream);
    let mut id = None;
    loop {
        let mut line = String::new();
        let read = reader.read_line(&mut line).expect("read an event");
        assert!(read > 0, "the event stream ended");
        if let Some(value) = line.trim().strip_prefix("id: ") {
            id = value.parse().ok();
        } else if let Some(data) = line.trim().strip_prefix("data: ") {
            let data = serde_json::from_str(data).expect("event data is JSON");
            if done(&(id.take().expect("an id before the data"), data)) {
                return;
            }
        }
    }
}
