//! A real `zoll serve` (in-process, on its own runtime thread) with an administrator, an
//! organisation, and helpers to make requests.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

use zoll_registry::{App, Config, StorageConfig};

pub(crate) const ADMIN: &str = "admin";
pub(crate) const ADMIN_PASSWORD: &str = "admin-password-1";

pub(crate) struct Server {
    pub(crate) addr: SocketAddr,
    pub(crate) app: Arc<App>,
    #[allow(dead_code)]
    pub(crate) data: PathBuf,
    pub(crate) _dir: Option<tempfile::TempDir>,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
    pub(crate) runtime: Arc<tokio::runtime::Runtime>,
}

impl Server {
    /// A fresh server on SQLite and a folder, with `admin` and organisations `acme` (private)
    /// and `pub` (public).
    pub(crate) fn start() -> Server {
        let dir = tempfile::tempdir().unwrap();
        let mut config = Config::default();
        config.data_dir = dir.path().join("data");
        let mut s = Server::start_with(config);
        s._dir = Some(dir);
        s.bootstrap();
        s
    }

    pub(crate) fn start_with(mut config: Config) -> Server {
        let runtime = Arc::new(
            tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .enable_all()
                .build()
                .unwrap(),
        );
        let listener = runtime
            .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
            .unwrap();
        let addr = listener.local_addr().unwrap();
        config.listen = addr;
        let data = config.data_dir.clone();
        let app = runtime.block_on(App::new(config)).unwrap();
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        let rt = runtime.clone();
        let app2 = app.clone();
        let thread = std::thread::spawn(move || {
            rt.block_on(async move {
                zoll_registry::serve_on(app2, listener, async {
                    let _ = rx.await;
                })
                .await
                .unwrap();
            });
        });
        Server {
            addr,
            app,
            data,
            _dir: None,
            stop: Some(tx),
            thread: Some(thread),
            runtime,
        }
    }

    pub(crate) fn bootstrap(&self) {
        let meta = &self.app.meta;
        let actor = zoll_registry::accounts::Actor {
            name: "test".into(),
            remote: "local".into(),
        };
        self.runtime.block_on(async {
            zoll_registry::accounts::add_user(meta, &actor, ADMIN, ADMIN_PASSWORD, true)
                .await
                .unwrap();
            zoll_registry::accounts::create_org(meta, &actor, "acme", "private")
                .await
                .unwrap();
            zoll_registry::accounts::create_org(meta, &actor, "pub", "public")
                .await
                .unwrap();
        });
    }

    /// Create a user with a role in an organisation (role None: no membership).
    pub(crate) fn user(&self, name: &str, password: &str, org_role: Option<(&str, &str)>) {
        let meta = &self.app.meta;
        let actor = zoll_registry::accounts::Actor {
            name: "test".into(),
            remote: "local".into(),
        };
        self.runtime.block_on(async {
            zoll_registry::accounts::add_user(meta, &actor, name, password, false)
                .await
                .unwrap();
            if let Some((org, role)) = org_role {
                zoll_registry::accounts::set_member(meta, &actor, org, name, role)
                    .await
                    .unwrap();
            }
        });
    }

    pub(crate) fn host(&self) -> String {
        self.addr.to_string()
    }

    pub(crate) fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    /// Ask the server to shut down, without waiting.
    pub(crate) fn signal_shutdown(&mut self) {
        if let Some(tx) = self.stop.take() {
            let _ = tx.send(());
        }
    }

    pub(crate) fn stop(&mut self) {
        if let Some(tx) = self.stop.take() {
            let _ = tx.send(());
        }
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.stop();
    }
}

pub(crate) fn s3_config(bucket: &str, endpoint: &str) -> StorageConfig {
    StorageConfig::S3 {
        bucket: bucket.into(),
        endpoint: Some(endpoint.into()),
        region: "us-east-1".into(),
        prefix: String::new(),
        access_key_id: Some("test".into()),
        secret_access_key: Some("test".into()),
        allow_http: true,
    }
}

/// A blocking HTTP client with Basic credentials.
pub(crate) fn http() -> reqwest::blocking::Client {
    reqwest::blocking::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(std::time::Duration::from_secs(120))
        .build()
        .unwrap()
}

/// Run a command, panic with its output on failure.
pub(crate) fn run(cmd: &mut std::process::Command) -> String {
    let out = cmd
        .output()
        .unwrap_or_else(|e| panic!("cannot run {cmd:?}: {e}"));
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.status.success(), "{cmd:?} failed:\n{text}");
    text
}

/// A test tool that must exist (installed by .ci/run).
pub(crate) fn tool(name: &str) -> PathBuf {
    zoll_testenv::find_tool(
        name,
        &format!("ZOLL_{}", name.to_uppercase().replace('-', "_")),
        &[],
    )
    .unwrap_or_else(|e| panic!("{e}"))
}

/// The alpine 3.10 image of ../shared/data as an uncompressed docker archive.
pub(crate) fn alpine_archive() -> PathBuf {
    let out = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("alpine-310.tar");
    if !out.exists() {
        let src = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("../../../shared/data/images/alpine-310.tar.gz");
        let f = std::fs::File::open(&src)
            .unwrap_or_else(|e| panic!("cannot open {}: {e}", src.display()));
        let mut gz = flate2::read::GzDecoder::new(f);
        let tmp = out.with_extension(format!("tmp{}", std::process::id()));
        let mut w = std::fs::File::create(&tmp).unwrap();
        std::io::copy(&mut gz, &mut w).unwrap();
        std::fs::rename(&tmp, &out).unwrap();
    }
    out
}
