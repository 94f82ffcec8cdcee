//! Running the zoll binary, reading its JSON output, and starting a real registry.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

pub(crate) fn zoll() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_zoll"));
    c.env("NO_COLOR", "1")
        .env_remove("ZOLL_USERNAME")
        .env_remove("ZOLL_PASSWORD")
        .env_remove("ZOLL_CACHE_DIR");
    c
}

pub(crate) fn run(args: &[&str], cache: &Path) -> Output {
    zoll()
        .args(args)
        .arg("--cache-dir")
        .arg(cache)
        .output()
        .expect("run zoll")
}

/// `zoll sbom SOURCE -f json` parsed; panics with stderr when it fails.
pub(crate) fn sbom_json(source: &str, extra: &[&str], cache: &Path) -> Value {
    let mut args = vec!["sbom", source, "--format", "json"];
    args.extend_from_slice(extra);
    let out = run(&args, cache);
    assert!(
        out.status.success(),
        "zoll {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("zoll json output")
}

/// Purls without qualifiers, the identity two tools are compared by.
pub(crate) fn purls(sbom: &Value) -> BTreeSet<String> {
    sbom["packages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            p["purl"]
                .as_str()
                .unwrap()
                .parse::<zoll_core::Purl>()
                .unwrap()
                .without_qualifiers()
                .to_string()
        })
        .collect()
}

pub(crate) fn need(tool: &str, install: &str) -> PathBuf {
    let found = std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|d| d.join(tool))
            .find(|p| p.is_file())
    });
    found.unwrap_or_else(|| panic!("{tool} is required for this test: {install}"))
}

pub(crate) fn free_port() -> u16 {
    zoll_testenv::free_port().unwrap_or_else(|e| panic!("{e}"))
}

/// A CNCF Distribution (`docker-registry`) on loopback with htpasswd basic auth, killed on drop.
pub(crate) struct Registry {
    child: Child,
    pub(crate) addr: String,
    _dir: tempfile::TempDir,
}

impl Registry {
    pub(crate) fn start(user: &str, password: &str) -> Registry {
        let bin = need("docker-registry", "apt-get install docker-registry");
        need("htpasswd", "apt-get install apache2-utils");
        let dir = tempfile::tempdir().unwrap();
        let htpasswd = Command::new("htpasswd")
            .args(["-Bbn", user, password])
            .output()
            .unwrap();
        assert!(htpasswd.status.success());
        std::fs::write(dir.path().join("htpasswd"), &htpasswd.stdout).unwrap();
        let port = free_port();
        let addr = format!("127.0.0.1:{port}");
        let config = format!(
            "version: 0.1\nlog:\n  level: error\nstorage:\n  filesystem:\n    rootdirectory: {root}\n  delete:\n    enabled: true\nhttp:\n  addr: {addr}\nauth:\n  htpasswd:\n    realm: zoll-test\n    path: {ht}\n",
            root = dir.path().join("data").display(),
            ht = dir.path().join("htpasswd").display()
        );
        std::fs::write(dir.path().join("config.yml"), config).unwrap();
        let child = Command::new(bin)
            .arg("serve")
            .arg(dir.path().join("config.yml"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let deadline = Instant::now() + Duration::from_secs(20);
        while std::net::TcpStream::connect(&addr).is_err() {
            assert!(
                Instant::now() < deadline,
                "docker-registry did not start on {addr}"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        Registry {
            child,
            addr,
            _dir: dir,
        }
    }
}

impl Drop for Registry {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A program in the tools venv (`$ZOLL_TOOLS_VENV`, default `/opt/zoll-venv`, set up by
/// `.ci/run`); fails with how to install it when it is missing.
pub(crate) fn venv_tool(name: &str, install: &str) -> PathBuf {
    let venv = std::env::var_os("ZOLL_TOOLS_VENV")
        .map_or_else(|| PathBuf::from("/opt/zoll-venv"), PathBuf::from);
    let bin = venv.join("bin").join(name);
    assert!(
        bin.is_file(),
        "{} is required: python3 -m venv {1} && {1}/bin/pip install {install} (.ci/run does this)",
        bin.display(),
        venv.display()
    );
    bin
}
