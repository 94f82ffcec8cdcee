//! Test support: a real `docker-registry` process (killed on drop), TLS material made with the
//! `openssl` CLI, small images, and a scripted raw HTTP server for hostile-registry tests.

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use zoll_distribution::types::{self, Descriptor, ImageManifest};
use zoll_distribution::{Client, ClientOptions, Credentials};

pub(crate) fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Fail loudly when a tool is missing, naming the Debian package that provides it.
pub(crate) fn require_tool(tool: &str, package: &str) -> PathBuf {
    for dir in std::env::var("PATH").unwrap_or_default().split(':') {
        let p = Path::new(dir).join(tool);
        if p.is_file() {
            return p;
        }
    }
    panic!("`{tool}` is not installed: these tests need it (apt-get install -y {package})");
}

/// Options for tests: no docker config, no env credentials, fast retries.
pub(crate) fn opts() -> ClientOptions {
    ClientOptions {
        docker_config: None,
        use_env_credentials: false,
        insecure: true,
        retries: 3,
        backoff: Duration::from_millis(20),
        max_backoff: Duration::from_secs(5),
        timeout: Duration::from_secs(20),
        ..ClientOptions::default()
    }
}

pub(crate) fn client(o: ClientOptions) -> Client {
    Client::new(o).unwrap()
}

pub(crate) struct Tls {
    pub(crate) ca: PathBuf,
    pub(crate) cert: PathBuf,
    pub(crate) key: PathBuf,
}

/// A throw-away CA and a server certificate for 127.0.0.1/localhost signed by it.
pub(crate) fn make_tls(dir: &Path) -> Tls {
    require_tool("openssl", "openssl");
    let run = |args: &[&str]| {
        let out = Command::new("openssl")
            .args(args)
            .current_dir(dir)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "openssl {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    };
    let ec = [
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:prime256v1",
        "-nodes",
    ];
    let mut a = vec!["req", "-x509"];
    a.extend(ec);
    a.extend([
        "-keyout",
        "ca.key",
        "-out",
        "ca.pem",
        "-days",
        "2",
        "-subj",
        "/CN=zoll test ca",
        "-addext",
        "basicConstraints=critical,CA:TRUE",
        "-addext",
        "keyUsage=critical,keyCertSign,cRLSign",
    ]);
    run(&a);
    let mut a = vec!["req"];
    a.extend(ec);
    a.extend([
        "-keyout",
        "server.key",
        "-out",
        "server.csr",
        "-subj",
        "/CN=127.0.0.1",
    ]);
    run(&a);
    std::fs::write(
        dir.join("ext.cnf"),
        "subjectAltName=IP:127.0.0.1,DNS:localhost\nbasicConstraints=CA:FALSE\nkeyUsage=digitalSignature\nextendedKeyUsage=serverAuth\n",
    )
    .unwrap();
    run(&[
        "x509",
        "-req",
        "-in",
        "server.csr",
        "-CA",
        "ca.pem",
        "-CAkey",
        "ca.key",
        "-CAcreateserial",
        "-out",
        "server.pem",
        "-days",
        "2",
        "-extfile",
        "ext.cnf",
    ]);
    Tls {
        ca: dir.join("ca.pem"),
        cert: dir.join("server.pem"),
        key: dir.join("server.key"),
    }
}

/// A running `docker-registry` (CNCF Distribution), killed when dropped.
pub(crate) struct Registry {
    child: Child,
    pub(crate) host: String,
    _dir: tempfile::TempDir,
    log: PathBuf,
}

impl Registry {
    pub(crate) fn start(htpasswd: Option<(&str, &str)>, tls: bool) -> (Registry, Option<Tls>) {
        let bin = require_tool("docker-registry", "docker-registry");
        let dir = tempfile::tempdir().unwrap();
        let port = free_port();
        let mut config = format!(
            "version: 0.1\nlog:\n  level: warn\nstorage:\n  filesystem:\n    rootdirectory: {}\n  delete:\n    enabled: true\nhttp:\n  addr: 127.0.0.1:{port}\n",
            dir.path().join("storage").display()
        );
        let tls_files = tls.then(|| make_tls(dir.path()));
        if let Some(t) = &tls_files {
            config += &format!(
                "  tls:\n    certificate: {}\n    key: {}\n",
                t.cert.display(),
                t.key.display()
            );
        }
        if let Some((user, pass)) = htpasswd {
            require_tool("htpasswd", "apache2-utils");
            let out = Command::new("htpasswd")
                .args(["-Bbn", user, pass])
                .output()
                .unwrap();
            assert!(out.status.success());
            let file = dir.path().join("htpasswd");
            std::fs::write(&file, out.stdout).unwrap();
            config += &format!(
                "auth:\n  htpasswd:\n    realm: zoll-test\n    path: {}\n",
                file.display()
            );
        }
        let cfg = dir.path().join("config.yml");
        std::fs::write(&cfg, config).unwrap();
        let log = dir.path().join("registry.log");
        let logf = std::fs::File::create(&log).unwrap();
        let child = Command::new(bin)
            .arg("serve")
            .arg(&cfg)
            .stdin(Stdio::null())
            .stdout(logf.try_clone().unwrap())
            .stderr(logf)
            .spawn()
            .unwrap();
        let mut reg = Registry {
            child,
            host: format!("127.0.0.1:{port}"),
            _dir: dir,
            log,
        };
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            if let Some(status) = reg.child.try_wait().unwrap() {
                panic!(
                    "docker-registry exited ({status}): {}",
                    std::fs::read_to_string(&reg.log).unwrap_or_default()
                );
            }
            if TcpStream::connect(("127.0.0.1", port)).is_ok() {
                break;
            }
            assert!(
                Instant::now() < deadline,
                "docker-registry did not listen: {}",
                std::fs::read_to_string(&reg.log).unwrap_or_default()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        (reg, tls_files)
    }

    pub(crate) fn image(&self, rest: &str) -> zoll_core::ImageRef {
        format!("{}/{rest}", self.host).parse().unwrap()
    }
}

impl Drop for Registry {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A small image: config + layers + manifest, all as bytes.
pub(crate) struct TestImage {
    pub(crate) config: Vec<u8>,
    pub(crate) layers: Vec<Vec<u8>>,
    pub(crate) manifest: Vec<u8>,
}

fn gzip_tar(files: &[(&str, &[u8])]) -> (Vec<u8>, zoll_core::Digest) {
    let mut tar = tar::Builder::new(Vec::new());
    for (name, data) in files {
        let mut h = tar::Header::new_gnu();
        h.set_size(data.len() as u64);
        h.set_mode(0o644);
        h.set_mtime(0);
        h.set_cksum();
        tar.append_data(&mut h, name, *data).unwrap();
    }
    let raw = tar.into_inner().unwrap();
    let diff_id = zoll_core::Digest::sha256(&raw);
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    gz.write_all(&raw).unwrap();
    (gz.finish().unwrap(), diff_id)
}

pub(crate) fn test_image(arch: &str, seed: &str) -> TestImage {
    let (l1, d1) = gzip_tar(&[(
        "etc/os-release",
        format!("ID=zolltest\nSEED={seed}\n").as_bytes(),
    )]);
    let (l2, d2) = gzip_tar(&[(
        "app/hello.txt",
        format!("hello from {arch} {seed}\n").as_bytes(),
    )]);
    let config = serde_json::to_vec(&serde_json::json!({
        "architecture": arch, "os": "linux",
        "config": {"Env": ["PATH=/usr/bin"]},
        "rootfs": {"type": "layers", "diff_ids": [d1.to_string(), d2.to_string()]},
    }))
    .unwrap();
    let manifest = ImageManifest {
        schema_version: 2,
        media_type: Some(types::OCI_MANIFEST.to_owned()),
        artifact_type: None,
        config: Descriptor::of(types::OCI_CONFIG, &config),
        layers: vec![
            Descriptor::of(types::OCI_LAYER_GZIP, &l1),
            Descriptor::of(types::OCI_LAYER_GZIP, &l2),
        ],
        subject: None,
        annotations: Default::default(),
    };
    TestImage {
        config,
        layers: vec![l1, l2],
        manifest: serde_json::to_vec(&manifest).unwrap(),
    }
}

pub(crate) fn basic_creds() -> Credentials {
    Credentials::new("alice", "s3cret-pass")
}

// ---------------------------------------------------------------------------------------------
// A scripted HTTP/1.1 server for hostile-registry tests.

#[derive(Clone, Debug)]
pub(crate) struct HttpRequest {
    pub(crate) method: String,
    pub(crate) target: String,
    pub(crate) headers: HashMap<String, String>,
    pub(crate) body: Vec<u8>,
}

impl HttpRequest {
    pub(crate) fn path(&self) -> &str {
        self.target.split('?').next().unwrap_or("")
    }
    pub(crate) fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .get(&name.to_ascii_lowercase())
            .map(String::as_str)
    }
}

pub(crate) enum Reply {
    /// Bytes written as they are (status line, headers, body), then the connection is closed.
    Raw(Vec<u8>),
    /// The head, then an endless body until the client hangs up.
    Endless(Vec<u8>),
}

pub(crate) fn reply(status: &str, headers: &[(&str, &str)], body: &[u8]) -> Reply {
    let mut s = format!(
        "HTTP/1.1 {status}\r\nConnection: close\r\nContent-Length: {}\r\n",
        body.len()
    );
    for (k, v) in headers {
        s += &format!("{k}: {v}\r\n");
    }
    s += "\r\n";
    let mut out = s.into_bytes();
    out.extend_from_slice(body);
    Reply::Raw(out)
}

type Handler = Box<dyn Fn(&HttpRequest) -> Reply + Send + Sync>;

pub(crate) struct HttpServer {
    pub(crate) port: u16,
    pub(crate) requests: Arc<Mutex<Vec<HttpRequest>>>,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl HttpServer {
    pub(crate) fn start(
        handler: impl Fn(&HttpRequest) -> Reply + Send + Sync + 'static,
    ) -> HttpServer {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let requests = Arc::new(Mutex::new(Vec::new()));
        let stop = Arc::new(AtomicBool::new(false));
        let handler: Arc<Handler> = Arc::new(Box::new(handler));
        let (reqs, st) = (requests.clone(), stop.clone());
        let thread = std::thread::spawn(move || {
            for conn in listener.incoming() {
                if st.load(Ordering::SeqCst) {
                    break;
                }
                let Ok(conn) = conn else { continue };
                let (h, r) = (handler.clone(), reqs.clone());
                std::thread::spawn(move || serve(conn, &h, &r));
            }
        });
        HttpServer {
            port,
            requests,
            stop,
            thread: Some(thread),
        }
    }

    pub(crate) fn host(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }

    pub(crate) fn requests(&self) -> Vec<HttpRequest> {
        self.requests.lock().unwrap().clone()
    }
}

impl Drop for HttpServer {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        let _ = TcpStream::connect(("127.0.0.1", self.port));
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

fn serve(conn: TcpStream, handler: &Handler, log: &Mutex<Vec<HttpRequest>>) {
    conn.set_read_timeout(Some(Duration::from_secs(10))).ok();
    let mut reader = BufReader::new(conn.try_clone().unwrap());
    let mut line = String::new();
    if reader.read_line(&mut line).unwrap_or(0) == 0 {
        return;
    }
    let mut parts = line.split_whitespace();
    let method = parts.next().unwrap_or("").to_owned();
    let target = parts.next().unwrap_or("").to_owned();
    let mut headers = HashMap::new();
    loop {
        let mut h = String::new();
        if reader.read_line(&mut h).unwrap_or(0) == 0 {
            return;
        }
        let h = h.trim_end();
        if h.is_empty() {
            break;
        }
        if let Some((k, v)) = h.split_once(':') {
            headers.insert(k.trim().to_ascii_lowercase(), v.trim().to_owned());
        }
    }
    let len: usize = headers
        .get("content-length")
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    let mut body = vec![0u8; len];
    if reader.read_exact(&mut body).is_err() {
        return;
    }
    let req = HttpRequest {
        method,
        target,
        headers,
        body,
    };
    log.lock().unwrap().push(req.clone());
    let mut conn = conn;
    match handler(&req) {
        Reply::Raw(bytes) => {
            let _ = conn.write_all(&bytes);
        }
        Reply::Endless(head) => {
            let _ = conn.write_all(&head);
            let chunk = vec![b'x'; 64 << 10];
            while conn.write_all(&chunk).is_ok() {}
        }
    }
    let _ = conn.flush();
    let _ = conn.shutdown(std::net::Shutdown::Write);
    // Drain so that the client sees a clean close rather than a reset.
    let mut sink = [0u8; 1024];
    conn.set_read_timeout(Some(Duration::from_millis(200))).ok();
    while matches!(conn.read(&mut sink), Ok(n) if n > 0) {}
}
