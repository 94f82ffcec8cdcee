//! Real servers for tests, each started for one test and stopped (and deleted) when dropped.
//!
//! - [`Postgres`]: a throw-away cluster made with `initdb` in a temporary directory, as
//!   MACHINE-NOTES describes (initdb refuses root, so it runs as `postgres` when we are root).
//! - [`Moto`]: the moto S3 server (`moto_server` from PyPI `moto[server]`).
//! - [`Clamd`]: a clamd with a signature database the test writes (Debian `clamav-daemon`).
//!
//! A missing tool is a test failure with a message naming the tool and `.ci/run`, never a skip.
//! This crate is only a dev-dependency; panicking on setup failure is what a test wants, so the
//! functions return `Result<_, String>` and the tests `expect` them.

pub mod clamd;
pub mod tokens;

pub use clamd::Clamd;

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A free TCP port on 127.0.0.1 (bound and released; good enough for tests).
pub fn free_port() -> Result<u16, String> {
    let l = TcpListener::bind("127.0.0.1:0").map_err(|e| format!("cannot bind a port: {e}"))?;
    l.local_addr()
        .map(|a| a.port())
        .map_err(|e| format!("cannot read the port: {e}"))
}

/// Wait until something accepts TCP connections on `port`.
pub fn wait_for_port(port: u16, timeout: Duration) -> Result<(), String> {
    let start = Instant::now();
    while start.elapsed() < timeout {
        if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
            return Ok(());
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    Err(format!(
        "nothing listens on 127.0.0.1:{port} after {timeout:?}"
    ))
}

/// Find a tool: `$ENV`, then PATH, then the given fallbacks.
pub fn find_tool(name: &str, env: &str, fallbacks: &[&str]) -> Result<PathBuf, String> {
    if let Some(p) = std::env::var_os(env) {
        return Ok(PathBuf::from(p));
    }
    if let Some(paths) = std::env::var_os("PATH") {
        for dir in std::env::split_paths(&paths) {
            let p = dir.join(name);
            if p.is_file() {
                return Ok(p);
            }
        }
    }
    for f in fallbacks {
        if Path::new(f).is_file() {
            return Ok(PathBuf::from(f));
        }
    }
    Err(format!(
        "{name} not found (set {env}, or run .ci/run which installs it)"
    ))
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
        .unwrap_or(false)
}

/// A throw-away PostgreSQL cluster.
pub struct Postgres {
    dir: tempfile::TempDir,
    bin: PathBuf,
    root: bool,
    pub port: u16,
}

impl Postgres {
    pub fn start() -> Result<Postgres, String> {
        let initdb = find_tool(
            "initdb",
            "ZOLL_PG_BIN",
            &["/usr/lib/postgresql/15/bin/initdb"],
        )?;
        // PATH may hold a symlink (/usr/local/bin/initdb); the other tools sit next to the target.
        let bin = std::fs::canonicalize(&initdb)
            .unwrap_or(initdb)
            .parent()
            .map(Path::to_path_buf)
            .ok_or("bad initdb path")?;
        let dir = tempfile::Builder::new()
            .prefix("zoll-pg-")
            .tempdir()
            .map_err(|e| e.to_string())?;
        let root = is_root();
        let data = dir.path().join("data");
        let run = |args: &[&str]| -> Result<(), String> {
            let mut cmd = if root {
                let mut c = Command::new("runuser");
                c.args(["-u", "postgres", "--"]);
                c.arg(args[0]);
                c.args(&args[1..]);
                c
            } else {
                let mut c = Command::new(args[0]);
                c.args(&args[1..]);
                c
            };
            let out = cmd
                .stdin(Stdio::null())
                .output()
                .map_err(|e| format!("cannot run {}: {e}", args[0]))?;
            if !out.status.success() {
                return Err(format!(
                    "{} failed: {}{}",
                    args[0],
                    String::from_utf8_lossy(&out.stdout),
                    String::from_utf8_lossy(&out.stderr)
                ));
            }
            Ok(())
        };
        if root {
            let st = Command::new("chown")
                .args(["-R", "postgres"])
                .arg(dir.path())
                .status()
                .map_err(|e| e.to_string())?;
            if !st.success() {
                return Err("chown postgres failed (is the postgresql package installed?)".into());
            }
        }
        let initdb = bin.join("initdb");
        let pg_ctl = bin.join("pg_ctl");
        run(&[
            initdb.to_str().ok_or("path")?,
            "-D",
            data.to_str().ok_or("path")?,
            "-U",
            "postgres",
            "--auth=trust",
            "-E",
            "UTF8",
        ])?;
        let port = free_port()?;
        let opts = format!(
            "-k {} -p {port} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200",
            dir.path().display()
        );
        run(&[
            pg_ctl.to_str().ok_or("path")?,
            "-D",
            data.to_str().ok_or("path")?,
            "-o",
            &opts,
            "-l",
            dir.path().join("log").to_str().ok_or("path")?,
            "-w",
            "start",
        ])?;
        Ok(Postgres {
            dir,
            bin,
            root,
            port,
        })
    }

    /// A URL for database `postgres` as user `postgres`.
    pub fn url(&self) -> String {
        format!("postgres://postgres@127.0.0.1:{}/postgres", self.port)
    }

    /// Create another database and return its URL.
    pub fn create_database(&self, name: &str) -> Result<String, String> {
        let out = Command::new(self.bin.join("createdb"))
            .args([
                "-h",
                "127.0.0.1",
                "-p",
                &self.port.to_string(),
                "-U",
                "postgres",
                name,
            ])
            .output()
            .map_err(|e| e.to_string())?;
        if !out.status.success() {
            return Err(String::from_utf8_lossy(&out.stderr).into_owned());
        }
        Ok(format!(
            "postgres://postgres@127.0.0.1:{}/{name}",
            self.port
        ))
    }
}

impl Drop for Postgres {
    fn drop(&mut self) {
        let pg_ctl = self.bin.join("pg_ctl");
        let data = self.dir.path().join("data");
        let mut cmd = if self.root {
            let mut c = Command::new("runuser");
            c.args(["-u", "postgres", "--"]).arg(pg_ctl);
            c
        } else {
            Command::new(pg_ctl)
        };
        let _ = cmd
            .arg("-D")
            .arg(data)
            .args(["-m", "immediate", "stop"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
    }
}

/// The moto S3 server.
pub struct Moto {
    child: Child,
    pub port: u16,
}

impl Moto {
    pub fn start() -> Result<Moto, String> {
        // The venv .ci/run installs into comes first: a moto elsewhere on PATH may differ.
        let venv = std::env::var("ZOLL_TOOLS_VENV").unwrap_or_else(|_| "/opt/zoll-venv".to_owned());
        let in_venv = Path::new(&venv).join("bin/moto_server");
        let exe = match std::env::var_os("ZOLL_MOTO_SERVER") {
            Some(p) => PathBuf::from(p),
            None if in_venv.is_file() => in_venv,
            None => find_tool("moto_server", "ZOLL_MOTO_SERVER", &[])?,
        };
        let port = free_port()?;
        let child = Command::new(exe)
            .args(["-H", "127.0.0.1", "-p", &port.to_string()])
            .env_remove("AWS_CA_BUNDLE")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .map_err(|e| format!("cannot start moto_server: {e}"))?;
        let mut moto = Moto { child, port };
        let start = Instant::now();
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            if let Ok(Some(status)) = moto.child.try_wait() {
                return Err(format!("moto_server exited at start: {status}"));
            }
            if start.elapsed() > Duration::from_secs(30) {
                return Err(format!("moto_server does not listen on {port} after 30 s"));
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        Ok(moto)
    }

    pub fn endpoint(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// Create a bucket (moto accepts an unsigned `PUT /bucket`).
    pub fn create_bucket(&self, bucket: &str) -> Result<(), String> {
        use std::io::{Read, Write};
        let mut s =
            std::net::TcpStream::connect(("127.0.0.1", self.port)).map_err(|e| e.to_string())?;
        write!(
            s,
            "PUT /{bucket} HTTP/1.1\r\nHost: 127.0.0.1:{}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
            self.port
        )
        .map_err(|e| e.to_string())?;
        let mut resp = String::new();
        s.read_to_string(&mut resp).map_err(|e| e.to_string())?;
        if resp.starts_with("HTTP/1.1 200") || resp.starts_with("HTTP/1.0 200") {
            Ok(())
        } else {
            Err(format!(
                "bucket creation failed: {}",
                resp.lines().next().unwrap_or("")
            ))
        }
    }
}

impl Drop for Moto {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
