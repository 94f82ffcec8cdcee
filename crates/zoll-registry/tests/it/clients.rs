//! Real clients against a real server: skopeo, podman, docker (through a dockerd this test
//! starts), the oras Python SDK, and zoll's own registry client.

use std::io::Read;
use std::path::Path;
use std::process::Command;

use zoll_core::{Digest, ImageRef};
use zoll_distribution::{Client, ClientOptions, Credentials};

use crate::harness::{self, ADMIN, ADMIN_PASSWORD, Server, run, tool};

fn creds() -> String {
    format!("{ADMIN}:{ADMIN_PASSWORD}")
}

fn zoll_client() -> Client {
    let mut o = ClientOptions::default();
    o.credentials = Some(Credentials::new(ADMIN, ADMIN_PASSWORD));
    o.insecure = true;
    o.docker_config = None;
    o.use_env_credentials = false;
    o.user_agent = "zoll-test".into();
    Client::new(o).unwrap()
}

fn image(server: &Server, repo: &str) -> ImageRef {
    format!("{}/{repo}", server.host()).parse().unwrap()
}

/// `rootfs.diff_ids` of an image config, as skopeo sees it.
fn diff_ids(reference: &str, extra: &[&str]) -> Vec<String> {
    let out = run(Command::new(tool("skopeo"))
        .args(["inspect", "--config"])
        .args(extra)
        .arg(reference));
    let start = out.find('{').unwrap();
    let v: serde_json::Value = serde_json::from_str(&out[start..]).unwrap();
    v["rootfs"]["diff_ids"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d.as_str().unwrap().to_owned())
        .collect()
}

fn skopeo_copies_into_out_of_and_within_the_registry(server: &Server) {
    let archive = harness::alpine_archive();
    let src = format!("docker-archive:{}", archive.display());
    let want = diff_ids(&src, &[]);
    let dest = format!("docker://{}/acme/app:1.0", server.host());
    run(Command::new(tool("skopeo")).args([
        "copy",
        "--dest-tls-verify=false",
        "--dest-creds",
        &creds(),
        &src,
        &dest,
    ]));
    // Out of the registry, into an OCI layout: same layers.
    let out = tempfile::tempdir().unwrap();
    let layout = format!("oci:{}:1.0", out.path().join("layout").display());
    run(Command::new(tool("skopeo")).args([
        "copy",
        "--src-tls-verify=false",
        "--src-creds",
        &creds(),
        &dest,
        &layout,
    ]));
    assert_eq!(diff_ids(&layout, &[]), want);
    // Registry to registry (another repository, another tag), then read it back.
    let copy = format!("docker://{}/acme/copy:2.0", server.host());
    run(Command::new(tool("skopeo")).args([
        "copy",
        "--src-tls-verify=false",
        "--dest-tls-verify=false",
        "--src-creds",
        &creds(),
        "--dest-creds",
        &creds(),
        &dest,
        &copy,
    ]));
    assert_eq!(
        diff_ids(&copy, &["--tls-verify=false", "--creds", &creds()]),
        want
    );
    let tags = run(Command::new(tool("skopeo")).args([
        "list-tags",
        "--tls-verify=false",
        "--creds",
        &creds(),
        &format!("docker://{}/acme/copy", server.host()),
    ]));
    assert!(tags.contains("\"2.0\""), "{tags}");
    // Without credentials, the private organisation is closed.
    let denied = Command::new(tool("skopeo"))
        .args(["inspect", "--tls-verify=false", "--no-creds", &dest])
        .output()
        .unwrap();
    assert!(!denied.status.success());
}

/// podman with its own storage in a temporary directory (vfs: no overlay mounts needed).
fn podman(root: &Path) -> Command {
    let mut c = Command::new(tool("podman"));
    c.arg("--root")
        .arg(root.join("root"))
        .arg("--runroot")
        .arg(root.join("run"))
        .args([
            "--storage-driver",
            "vfs",
            "--events-backend",
            "file",
            "--cgroup-manager",
            "cgroupfs",
        ])
        .env("XDG_RUNTIME_DIR", root.join("xdg"))
        .env("REGISTRY_AUTH_FILE", root.join("auth.json"));
    c
}

fn podman_pushes_and_pulls(server: &Server) {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("xdg")).unwrap();
    let archive = harness::alpine_archive();
    let loaded = run(podman(dir.path()).args(["load", "-i"]).arg(&archive));
    let id = loaded
        .lines()
        .find_map(|l| {
            l.strip_prefix("Loaded image: ")
                .or_else(|| l.strip_prefix("Loaded image(s): "))
        })
        .unwrap_or_else(|| panic!("no image id in podman load output:\n{loaded}"))
        .trim()
        .to_owned();
    let target = format!("{}/acme/podman:1.0", server.host());
    run(podman(dir.path()).args([
        "login",
        "--tls-verify=false",
        "-u",
        ADMIN,
        "-p",
        ADMIN_PASSWORD,
        &server.host(),
    ]));
    run(podman(dir.path()).args([
        "push",
        "--tls-verify=false",
        &id,
        &format!("docker://{target}"),
    ]));
    run(podman(dir.path()).args(["rmi", "-a", "-f"]));
    run(podman(dir.path()).args(["pull", "--tls-verify=false", &target]));
    let images = run(podman(dir.path()).args(["images", "--format", "{{.Repository}}:{{.Tag}}"]));
    assert!(images.contains(&target), "{images}");
}

fn oras_pushes_pulls_and_refers(server: &Server) {
    let work = tempfile::tempdir().unwrap();
    std::fs::write(work.path().join("config.json"), "{}").unwrap();
    let venv = std::env::var("ZOLL_TOOLS_VENV").unwrap_or_else(|_| "/opt/zoll-venv".to_owned());
    let python = Path::new(&venv).join("bin/python");
    assert!(
        python.exists(),
        "{} missing: run .ci/run (it installs the oras SDK in /opt/zoll-venv)",
        python.display()
    );
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/py/oras_roundtrip.py");
    let oras = |args: &[&str]| {
        run(Command::new(&python)
            .arg(&script)
            .args([server.host().as_str(), ADMIN, ADMIN_PASSWORD])
            .arg(work.path())
            .args(args))
    };
    oras(&["push"]);
    oras(&["pull"]);
    // The artifact's manifest becomes the subject of a referrer pushed by oras.
    let client = zoll_client();
    let subject_ref = image(server, "acme/artifact:v1");
    let (digest, media_type, size) = client.head_manifest(&subject_ref).unwrap().unwrap();
    oras(&["refer", &digest.to_string(), &size.to_string(), &media_type]);
    let http = harness::http();
    let resp = http
        .get(server.url(&format!("/v2/acme/artifact/referrers/{digest}")))
        .basic_auth(ADMIN, Some(ADMIN_PASSWORD))
        .send()
        .unwrap();
    assert_eq!(resp.status(), 200);
    let index: serde_json::Value = resp.json().unwrap();
    let list = index["manifests"].as_array().unwrap();
    assert_eq!(list.len(), 1, "{index}");
    assert_eq!(
        list[0]["artifactType"],
        "application/vnd.example.sbom.v1+json"
    );
    assert_eq!(list[0]["annotations"]["org.example.kind"], "sbom");
    // The referrer's manifest carries the subject: the server says so on HEAD.
    let head = http
        .head(server.url("/v2/acme/artifact/manifests/sbom"))
        .basic_auth(ADMIN, Some(ADMIN_PASSWORD))
        .send()
        .unwrap();
    assert_eq!(
        head.headers()["oci-subject"].to_str().unwrap(),
        digest.to_string()
    );
}

/// Deterministic pseudo-random bytes, `len` of them, without holding them in memory.
struct Pattern {
    state: u64,
    left: u64,
}

impl Read for Pattern {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = buf
            .len()
            .min(usize::try_from(self.left).unwrap_or(usize::MAX));
        for chunk in buf[..n].chunks_mut(8) {
            self.state = self
                .state
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            let bytes = self.state.to_le_bytes();
            chunk.copy_from_slice(&bytes[..chunk.len()]);
        }
        self.left -= n as u64;
        Ok(n)
    }
}

fn pattern(len: u64) -> Pattern {
    Pattern {
        state: len,
        left: len,
    }
}

fn digest_of(mut r: impl Read, alg: zoll_core::Algorithm) -> Digest {
    let mut h = alg.hasher();
    let mut buf = vec![0u8; 1 << 20];
    loop {
        let n = r.read(&mut buf).unwrap();
        if n == 0 {
            break;
        }
        h.update(&buf[..n]);
    }
    h.finish()
}

fn zoll_client_chunks_mounts_indexes_and_sha512(server: &Server) {
    let client = zoll_client();
    let app = image(server, "acme/app:1.0");

    // Chunked upload: 5 MiB + 7 bytes in 1 MiB PATCHes.
    let len = 5 * 1024 * 1024 + 7;
    let digest = digest_of(pattern(len), zoll_core::Algorithm::Sha256);
    client
        .push_blob_chunked(&app, pattern(len), &digest, 1024 * 1024)
        .unwrap();
    let back = client
        .get_blob_bytes(&app, &digest, Some(len), len)
        .unwrap();
    assert_eq!(back.len() as u64, len);

    // sha512 blob through a streamed monolithic upload.
    let d512 = digest_of(pattern(4096), zoll_core::Algorithm::Sha512);
    assert!(d512.to_string().starts_with("sha512:"));
    client.push_blob(&app, pattern(4096), 4096, &d512).unwrap();
    assert_eq!(client.head_blob(&app, &d512).unwrap(), Some(4096));

    // Two single-platform images and an index over them.
    let config_amd =
        br#"{"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":[]}}"#;
    let config_arm =
        br#"{"architecture":"arm64","os":"linux","rootfs":{"type":"layers","diff_ids":[]}}"#;
    let mut children = Vec::new();
    for (config, arch) in [(&config_amd[..], "amd64"), (&config_arm[..], "arm64")] {
        let cd = client.push_blob_bytes(&app, config).unwrap();
        let manifest = serde_json::json!({
            "schemaVersion": 2,
            "mediaType": "application/vnd.oci.image.manifest.v1+json",
            "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": cd.to_string(), "size": config.len()},
            "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar", "digest": digest.to_string(), "size": len}],
        })
        .to_string();
        let md = client
            .put_manifest(
                &image(server, &format!("acme/app:{arch}")),
                manifest.as_bytes(),
                "application/vnd.oci.image.manifest.v1+json",
            )
            .unwrap();
        children.push(serde_json::json!({
            "mediaType": "application/vnd.oci.image.manifest.v1+json",
            "digest": md.to_string(),
            "size": manifest.len(),
            "platform": {"architecture": arch, "os": "linux"},
        }));
    }
    let index = serde_json::json!({
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.index.v1+json",
        "manifests": children,
    })
    .to_string();
    let idx = client
        .put_manifest(
            &app,
            index.as_bytes(),
            "application/vnd.oci.image.index.v1+json",
        )
        .unwrap();
    let got = client.get_manifest(&app).unwrap();
    assert!(got.is_index());
    assert_eq!(got.digest, idx);

    // Cross-repository mount: the layer appears in another repository without an upload.
    let other = image(server, "acme/other:1.0");
    assert!(client.mount_blob(&other, &digest, &app).unwrap());
    assert_eq!(client.head_blob(&other, &digest).unwrap(), Some(len));
    // ...but not from a repository that lacks it.
    let third = image(server, "acme/third:1.0");
    assert!(!client.mount_blob(&third, &d512, &other).unwrap());

    let tags = client.list_tags_paged(&app, Some(1)).unwrap();
    assert_eq!(tags, ["1.0", "amd64", "arm64"]);
}

fn zoll_client_moves_a_one_gib_blob(server: &Server) {
    let client = zoll_client();
    let app = image(server, "acme/big:1.0");
    let len: u64 = 1 << 30;
    let digest = digest_of(pattern(len), zoll_core::Algorithm::Sha256);
    client.push_blob(&app, pattern(len), len, &digest).unwrap();
    let blob = client.get_blob(&app, &digest, Some(len)).unwrap();
    // The client verifies the digest while reading; reading to the end is the check.
    let got = digest_of(blob, zoll_core::Algorithm::Sha256);
    assert_eq!(got, digest);
    // Nothing is left in the upload area.
    let staged = server
        .runtime
        .block_on(server.app.blobs.list_uploads())
        .unwrap();
    assert!(staged.is_empty(), "{staged:?}");
}

/// A dockerd of our own: vfs storage, no iptables or bridge, its own root, exec root and socket.
struct Dockerd {
    dir: tempfile::TempDir,
    child: std::process::Child,
}

impl Dockerd {
    fn start() -> Dockerd {
        let dir = tempfile::Builder::new()
            .prefix("zd")
            .tempdir_in("/tmp")
            .unwrap();
        let d = dir.path();
        let log = std::fs::File::create(d.join("dockerd.log")).unwrap();
        let child = Command::new(tool("dockerd"))
            .args(["--storage-driver=vfs", "--iptables=false", "--bridge=none"])
            .arg("--data-root")
            .arg(d.join("root"))
            .arg("--exec-root")
            .arg(d.join("exec"))
            .arg("--pidfile")
            .arg(d.join("d.pid"))
            .arg("-H")
            .arg(format!("unix://{}", d.join("d.sock").display()))
            .stdout(log.try_clone().unwrap())
            .stderr(log)
            .spawn()
            .unwrap();
        let me = Dockerd { dir, child };
        for _ in 0..120 {
            if me
                .docker()
                .arg("version")
                .output()
                .is_ok_and(|o| o.status.success())
            {
                return me;
            }
            std::thread::sleep(std::time::Duration::from_millis(250));
        }
        let log = std::fs::read_to_string(me.dir.path().join("dockerd.log")).unwrap_or_default();
        panic!("dockerd did not start:\n{log}");
    }

    fn docker(&self) -> Command {
        let mut c = Command::new(tool("docker"));
        c.arg("-H")
            .arg(format!(
                "unix://{}",
                self.dir.path().join("d.sock").display()
            ))
            .env("DOCKER_CONFIG", self.dir.path().join("config"));
        c
    }
}

impl Drop for Dockerd {
    fn drop(&mut self) {
        // SIGTERM lets dockerd stop its containerd; then reap it.
        let _ = Command::new("kill")
            .arg(self.child.id().to_string())
            .status();
        for _ in 0..40 {
            if self.child.try_wait().ok().flatten().is_some() {
                return;
            }
            std::thread::sleep(std::time::Duration::from_millis(250));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn docker_logs_in_pushes_and_pulls(server: &Server) {
    let dockerd = Dockerd::start();
    let archive = harness::alpine_archive();
    let loaded = run(dockerd.docker().args(["load", "-i"]).arg(&archive));
    let source = loaded
        .lines()
        .find_map(|l| l.strip_prefix("Loaded image: "))
        .unwrap_or_else(|| panic!("no image in docker load output:\n{loaded}"))
        .trim()
        .to_owned();
    let target = format!("{}/acme/docker:1.0", server.host());
    // 127.0.0.0/8 is an insecure (plain HTTP) registry for dockerd by default.
    let mut login = dockerd.docker();
    login
        .args(["login", "-u", ADMIN, "--password-stdin", &server.host()])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped());
    let mut child = login.spawn().unwrap();
    use std::io::Write;
    child
        .stdin
        .take()
        .unwrap()
        .write_all(ADMIN_PASSWORD.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "docker login: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    run(dockerd.docker().args(["tag", &source, &target]));
    let pushed = run(dockerd.docker().args(["push", &target]));
    let digest = pushed
        .split_whitespace()
        .find(|w| w.starts_with("sha256:"))
        .unwrap_or_else(|| panic!("no digest in docker push output:\n{pushed}"))
        .to_owned();
    run(dockerd.docker().args(["rmi", &target, &source]));
    run(dockerd.docker().args(["pull", &target]));
    let inspected = run(dockerd.docker().args([
        "image",
        "inspect",
        "--format",
        "{{json .RepoDigests}}",
        &target,
    ]));
    assert!(inspected.contains(&digest), "{inspected} lacks {digest}");
    // A wrong password is refused.
    let mut bad = dockerd.docker();
    bad.args(["login", "-u", ADMIN, "-p", "wrong-password", &server.host()]);
    assert!(!bad.output().unwrap().status.success());
}

// Each client runs against the default backends (SQLite and a folder) and against
// PostgreSQL and S3 (moto), every body on a fresh database and bucket prefix.

#[test]
fn skopeo_copies_into_out_of_and_within_the_registry_on_sqlite_and_fs() {
    skopeo_copies_into_out_of_and_within_the_registry(&Server::start());
}

#[test]
fn podman_pushes_and_pulls_on_sqlite_and_fs() {
    podman_pushes_and_pulls(&Server::start());
}

#[test]
fn oras_pushes_pulls_and_refers_on_sqlite_and_fs() {
    oras_pushes_pulls_and_refers(&Server::start());
}

#[test]
fn zoll_client_chunks_mounts_indexes_and_sha512_on_sqlite_and_fs() {
    zoll_client_chunks_mounts_indexes_and_sha512(&Server::start());
}

#[test]
fn zoll_client_moves_a_one_gib_blob_on_sqlite_and_fs() {
    zoll_client_moves_a_one_gib_blob(&Server::start());
}

#[test]
fn docker_logs_in_pushes_and_pulls_on_sqlite_and_fs() {
    docker_logs_in_pushes_and_pulls(&Server::start());
}

#[test]
fn every_client_on_postgres_and_s3() {
    let pg = zoll_testenv::Postgres::start().expect("postgres");
    let moto = zoll_testenv::Moto::start().expect("moto");
    moto.create_bucket("zoll").expect("bucket");
    let dir = tempfile::tempdir().unwrap();
    let bodies: &[(&str, fn(&Server))] = &[
        (
            "skopeo_copies_into_out_of_and_within_the_registry",
            skopeo_copies_into_out_of_and_within_the_registry,
        ),
        ("podman_pushes_and_pulls", podman_pushes_and_pulls),
        ("oras_pushes_pulls_and_refers", oras_pushes_pulls_and_refers),
        (
            "zoll_client_chunks_mounts_indexes_and_sha512",
            zoll_client_chunks_mounts_indexes_and_sha512,
        ),
        (
            "zoll_client_moves_a_one_gib_blob",
            zoll_client_moves_a_one_gib_blob,
        ),
        (
            "docker_logs_in_pushes_and_pulls",
            docker_logs_in_pushes_and_pulls,
        ),
    ];
    for (name, body) in bodies {
        let mut config = zoll_registry::Config::default();
        config.data_dir = dir.path().join(name);
        config.database = Some(pg.create_database(name).expect("database"));
        config.storage = match harness::s3_config("zoll", &moto.endpoint()) {
            zoll_registry::StorageConfig::S3 {
                bucket,
                endpoint,
                region,
                access_key_id,
                secret_access_key,
                allow_http,
                ..
            } => zoll_registry::StorageConfig::S3 {
                bucket,
                endpoint,
                region,
                prefix: format!("{name}/"),
                access_key_id,
                secret_access_key,
                allow_http,
            },
            other => other,
        };
        let server = Server::start_with(config);
        server.bootstrap();
        body(&server);
    }
}
