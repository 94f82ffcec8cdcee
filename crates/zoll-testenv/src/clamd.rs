//! A throw-away clamd with a signature database the test writes (official signatures cannot
//! be downloaded here, and a test should know exactly what is detected).
//!
//! clamd has no built-in signatures, not even for EICAR: with only a test database an EICAR
//! file is `stream: OK`. A test that wants EICAR detected gives a signature for it
//! ([`ndb_signature`] over the EICAR string).
//!
//! The daemon listens on a unix socket in its temporary directory and on a free TCP port of
//! 127.0.0.1, runs in the foreground as a child of the test, logs to a file in the directory
//! ([`Clamd::log`]) and is killed (and reaped) when dropped.

use std::io::{Read, Write};
use std::os::unix::net::UnixStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::{find_tool, free_port, is_root};

/// A `.ndb` body signature line matching `pattern` anywhere in any file:
/// `NAME:0:*:HEX` (target 0 = any file, offset `*` = anywhere). clamd reports it as
/// `NAME.UNOFFICIAL`.
pub fn ndb_signature(name: &str, pattern: &[u8]) -> String {
    let hex: String = pattern.iter().map(|b| format!("{b:02x}")).collect();
    format!("{name}:0:*:{hex}\n")
}

/// The EICAR test file, put together at run time so no source file is itself one. clamd has no
/// built-in signature for it: give it [`ndb_signature`]`("…", &eicar())`.
pub fn eicar() -> Vec<u8> {
    let mut v = b"X5O!P%@AP[4\\PZX54(P^)7CC)7}$".to_vec();
    v.extend_from_slice(b"EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*");
    v
}

/// A running clamd.
pub struct Clamd {
    dir: tempfile::TempDir,
    child: Option<Child>,
    socket: PathBuf,
    port: u16,
}

impl Clamd {
    /// Starts clamd with a database directory holding `databases` (file name, contents), e.g.
    /// `[("test.ndb", ndb_signature("Zoll.Test", b"marker"))]`, and waits until it answers
    /// `PING` (loading takes seconds, more with big databases: up to 60 s).
    pub fn start(databases: &[(&str, &str)]) -> Result<Clamd, String> {
        Clamd::start_with(databases, "")
    }

    /// [`Clamd::start`] with extra clamd.conf lines (`StreamMaxLength 1M`).
    pub fn start_with(databases: &[(&str, &str)], extra_conf: &str) -> Result<Clamd, String> {
        let exe = find_tool("clamd", "ZOLL_CLAMD", &["/usr/sbin/clamd"]).map_err(|e| {
            format!("{e}; install it with `apt-get install -y clamav-daemon clamav`")
        })?;
        let dir = tempfile::Builder::new()
            .prefix("zoll-clamd-")
            .tempdir()
            .map_err(|e| format!("cannot make a temporary directory: {e}"))?;
        let db = dir.path().join("db");
        std::fs::create_dir(&db).map_err(|e| format!("cannot create {}: {e}", db.display()))?;
        if databases.is_empty() {
            return Err(
                "clamd refuses to start without signatures: give at least one database".into(),
            );
        }
        for (name, contents) in databases {
            let p = db.join(name);
            std::fs::write(&p, contents)
                .map_err(|e| format!("cannot write {}: {e}", p.display()))?;
        }
        let socket = dir.path().join("clamd.sock");
        let port = free_port()?;
        let mut conf = format!(
            "DatabaseDirectory {db}\nLocalSocket {sock}\nTCPSocket {port}\nTCPAddr 127.0.0.1\n\
             Foreground yes\nLogSyslog no\nLogFile {log}\nLogTime yes\nPidFile {pid}\n\
             TemporaryDirectory {tmp}\n",
            db = db.display(),
            sock = socket.display(),
            log = dir.path().join("clamd.log").display(),
            pid = dir.path().join("clamd.pid").display(),
            tmp = dir.path().display(),
        );
        if is_root() {
            conf.push_str("User root\n");
        }
        conf.push_str(extra_conf);
        conf.push('\n');
        let conf_path = dir.path().join("clamd.conf");
        std::fs::write(&conf_path, conf)
            .map_err(|e| format!("cannot write {}: {e}", conf_path.display()))?;
        let child = Command::new(&exe)
            .arg("-c")
            .arg(&conf_path)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .map_err(|e| format!("cannot start {}: {e}", exe.display()))?;
        let mut clamd = Clamd {
            dir,
            child: Some(child),
            socket,
            port,
        };
        let start = Instant::now();
        loop {
            if ping(&clamd.socket) {
                break;
            }
            if let Some(Ok(Some(status))) = clamd.child.as_mut().map(Child::try_wait) {
                return Err(format!(
                    "clamd exited at start ({status}); its log:\n{}",
                    clamd.log()
                ));
            }
            if start.elapsed() > Duration::from_secs(60) {
                return Err(format!(
                    "clamd does not answer PING on {} after 60 s; its log:\n{}",
                    clamd.socket.display(),
                    clamd.log()
                ));
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        crate::wait_for_port(port, Duration::from_secs(10))?;
        Ok(clamd)
    }

    /// `unix:/tmp/zoll-clamd-…/clamd.sock`
    pub fn unix_addr(&self) -> String {
        format!("unix:{}", self.socket.display())
    }

    /// `tcp://127.0.0.1:PORT`
    pub fn tcp_addr(&self) -> String {
        format!("tcp://127.0.0.1:{}", self.port)
    }

    pub fn socket(&self) -> &Path {
        &self.socket
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// clamd's log file so far.
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("clamd.log")).unwrap_or_default()
    }

    /// Kills clamd (SIGKILL, as a crash would) and reaps it. The socket file stays behind, so
    /// connecting to it is refused, as after a real crash.
    pub fn stop(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

impl Drop for Clamd {
    fn drop(&mut self) {
        self.stop();
    }
}

fn ping(socket: &Path) -> bool {
    let Ok(mut s) = UnixStream::connect(socket) else {
        return false;
    };
    let _ = s.set_read_timeout(Some(Duration::from_secs(5)));
    if s.write_all(b"zPING\0").is_err() {
        return false;
    }
    let mut buf = [0u8; 16];
    let mut got = Vec::new();
    while let Ok(n) = s.read(&mut buf) {
        if n == 0 {
            break;
        }
        got.extend_from_slice(buf.get(..n).unwrap_or_default());
        if got.contains(&0) {
            break;
        }
    }
    got.starts_with(b"PONG")
}
