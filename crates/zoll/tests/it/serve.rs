//! `zoll serve` as a real process: crash safety under `kill -9` during concurrent pushes, HTTPS
//! with certificate reload without a restart, mutual TLS, and the first-start setup token.

use std::collections::{BTreeSet, HashMap};
use std::io::{BufRead, BufReader};
use std::net::TcpStream;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use reqwest::StatusCode;
use reqwest::blocking::{Client as Http, Response};
use zoll_core::{Digest, ImageRef};
use zoll_distribution::{Client, ClientOptions, Credentials};

use crate::util::{free_port, need, zoll};

// ---------------------------------------------------------------------------------------------
// A `zoll serve` child process, killed (SIGKILL) and reaped on drop.

pub(crate) struct Serve {
    child: Child,
    pub(crate) addr: String,
    stderr: Arc<Mutex<String>>,
}

impl Serve {
    /// Start `zoll serve --data-dir DATA --listen 127.0.0.1:<free port> EXTRA...` and wait until
    /// it accepts connections.
    pub(crate) fn start(data: &Path, extra: &[&str]) -> Serve {
        let addr = format!("127.0.0.1:{}", free_port());
        let mut child = zoll()
            .arg("serve")
            .arg("--data-dir")
            .arg(data)
            .args(["--listen", &addr])
            .args(extra)
            .env("RUST_LOG", "warn")
            .env_remove("ZOLL_CONFIG")
            .env_remove("ZOLL_DATABASE_URL")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn zoll serve");
        let stderr = Arc::new(Mutex::new(String::new()));
        {
            let pipe = child.stderr.take().unwrap();
            let stderr = stderr.clone();
            std::thread::spawn(move || {
                for line in BufReader::new(pipe).lines() {
                    let Ok(line) = line else { break };
                    let mut s = stderr.lock().unwrap();
                    s.push_str(&line);
                    s.push('\n');
                }
            });
        }
        let mut server = Serve {
            child,
            addr,
            stderr,
        };
        let deadline = Instant::now() + Duration::from_secs(30);
        while TcpStream::connect(&server.addr).is_err() {
            if let Ok(Some(status)) = server.child.try_wait() {
                panic!(
                    "zoll serve exited with {status} before listening:\n{}",
                    server.stderr()
                );
            }
            assert!(
                Instant::now() < deadline,
                "zoll serve did not listen on {} within 30 s:\n{}",
                server.addr,
                server.stderr()
            );
            std::thread::sleep(Duration::from_millis(25));
        }
        server
    }

    fn stderr(&self) -> String {
        self.stderr.lock().unwrap().clone()
    }

    fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    fn https(&self, path: &str) -> String {
        format!("https://{}{path}", self.addr)
    }

    /// SIGKILL (what `Child::kill` sends on Unix) and reap.
    fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// Wait until stderr contains `needle`.
    fn wait_for_stderr(&self, needle: &str) -> String {
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let text = self.stderr();
            if text.contains(needle) {
                return text;
            }
            assert!(
                Instant::now() < deadline,
                "zoll serve never printed {needle:?}; stderr:\n{text}"
            );
            std::thread::sleep(Duration::from_millis(25));
        }
    }
}

impl Drop for Serve {
    fn drop(&mut self) {
        self.kill();
    }
}

/// `zoll registry --data-dir DATA ARGS...`, which must succeed.
pub(crate) fn registry_admin(data: &Path, args: &[&str]) {
    let out = zoll()
        .arg("registry")
        .arg("--data-dir")
        .arg(data)
        .args(args)
        .env_remove("ZOLL_CONFIG")
        .env_remove("ZOLL_DATABASE_URL")
        .output()
        .expect("run zoll registry");
    assert!(
        out.status.success(),
        "zoll registry {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

fn http() -> Http {
    Http::builder()
        .timeout(Duration::from_secs(60))
        .build()
        .unwrap()
}

/// The first error code of a distribution error body.
fn error_code(resp: Response) -> String {
    let body = resp.text().unwrap_or_default();
    serde_json::from_str::<serde_json::Value>(&body)
        .ok()
        .and_then(|v| v["errors"][0]["code"].as_str().map(str::to_owned))
        .unwrap_or_else(|| format!("<no error code in {body:?}>"))
}

/// Deterministic incompressible-looking bytes (xorshift64).
fn noise(seed: u64, len: usize) -> Vec<u8> {
    let mut x = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    let mut out = Vec::with_capacity(len + 8);
    while out.len() < len {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        out.extend_from_slice(&x.to_le_bytes());
    }
    out.truncate(len);
    out
}

// ---------------------------------------------------------------------------------------------
// 1. Crash safety.

const ADMIN: &str = "admin";
const ADMIN_PASSWORD: &str = "crash-test-admin-password";
const PUSHERS: usize = 20;
const MIB: usize = 1 << 20;

/// What became of one request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Outcome {
    /// Never sent.
    NotSent,
    /// Sent at this instant; no answer came (the server died).
    Unanswered(Instant),
    /// 201 Created.
    Created,
}

#[derive(Debug)]
struct BlobPush {
    digest: Digest,
    size: u64,
    /// The request that commits the blob: POST with `?digest=` or the closing PUT.
    commit: Outcome,
    /// Path of the upload session (chunked and POST+PUT uploads), once the POST answered.
    upload: Option<String>,
}

#[derive(Debug)]
struct ImagePush {
    repo: String,
    tag: String,
    blobs: Vec<BlobPush>,
    manifest: Vec<u8>,
    manifest_digest: Digest,
    put: Outcome,
}

/// How a request ended, for the pusher: an answer, or none (the server is gone).
enum Sent {
    Answer(Response),
    Lost(Instant),
}

fn send(req: reqwest::blocking::RequestBuilder) -> Sent {
    let at = Instant::now();
    match req.basic_auth(ADMIN, Some(ADMIN_PASSWORD)).send() {
        Ok(r) => Sent::Answer(r),
        Err(_) => Sent::Lost(at),
    }
}

/// Panics on an answer with another status (every answered request must succeed: the server is
/// healthy until it is killed); `None` when the server died.
fn expect(sent: Sent, want: StatusCode, what: &str) -> Result<Response, Instant> {
    match sent {
        Sent::Answer(r) => {
            let status = r.status();
            if status != want {
                panic!(
                    "{what}: {status} (wanted {want}): {}",
                    r.text().unwrap_or_default()
                );
            }
            Ok(r)
        }
        Sent::Lost(at) => Err(at),
    }
}

fn location(resp: &Response) -> String {
    resp.headers()
        .get("location")
        .and_then(|v| v.to_str().ok())
        .expect("Location header")
        .to_owned()
}

fn with_digest(location: &str, d: &Digest) -> String {
    let sep = if location.contains('?') { '&' } else { '?' };
    format!("{location}{sep}digest={d}")
}

/// Push one blob in the given way, updating `rec`. `Err` when the server died.
fn push_blob(
    http: &Http,
    base: &str,
    repo: &str,
    data: Vec<u8>,
    mode: usize,
    rec: &mut BlobPush,
) -> Result<(), Instant> {
    let d = rec.digest.clone();
    let what = format!("{repo} blob {d}");
    let post = format!("{base}/v2/{repo}/blobs/uploads/");
    if mode == 0 {
        // Monolithic, in the POST.
        let req = http
            .post(format!("{post}?digest={d}"))
            .header("content-type", "application/octet-stream")
            .body(data);
        let sent = send(req);
        if let Sent::Lost(at) = sent {
            rec.commit = Outcome::Unanswered(at);
            return Err(at);
        }
        expect(sent, StatusCode::CREATED, &what)?;
        rec.commit = Outcome::Created;
        return Ok(());
    }
    let resp = expect(send(http.post(&post)), StatusCode::ACCEPTED, &what)?;
    let mut loc = location(&resp);
    rec.upload = Some(loc.clone());
    let body = if mode == 1 {
        data
    } else {
        // Chunked: PATCH 1 MiB pieces, then an empty closing PUT.
        let mut offset = 0;
        for chunk in data.chunks(MIB) {
            let end = offset + chunk.len() - 1;
            let req = http
                .patch(format!("{base}{loc}"))
                .header("content-type", "application/octet-stream")
                .header("content-range", format!("{offset}-{end}"))
                .body(chunk.to_vec());
            let resp = expect(send(req), StatusCode::ACCEPTED, &what)?;
            loc = location(&resp);
            offset = end + 1;
        }
        Vec::new()
    };
    let req = http
        .put(format!("{base}{}", with_digest(&loc, &d)))
        .header("content-type", "application/octet-stream")
        .body(body);
    let sent = send(req);
    if let Sent::Lost(at) = sent {
        rec.commit = Outcome::Unanswered(at);
        return Err(at);
    }
    expect(sent, StatusCode::CREATED, &what)?;
    rec.commit = Outcome::Created;
    Ok(())
}

/// Push images into `acme/crash<i>` (tags r0, r1, ...) until the server dies or `stop`.
fn pusher(
    i: usize,
    base: String,
    http: Http,
    stop: Arc<AtomicBool>,
    done: Arc<AtomicUsize>,
) -> Vec<ImagePush> {
    let repo = format!("acme/crash{i}");
    let mut pushes: Vec<ImagePush> = Vec::new();
    for k in 0usize.. {
        if stop.load(Ordering::SeqCst) {
            break;
        }
        let seed = ((i as u64) << 32) | k as u64;
        let config = format!(
            "{{\"architecture\":\"amd64\",\"os\":\"linux\",\"rootfs\":{{\"type\":\"layers\",\"diff_ids\":[]}},\"config\":{{\"Labels\":{{\"push\":\"{i}-{k}\"}}}}}}"
        )
        .into_bytes();
        let mut datas = vec![config];
        for j in 0..2u64 {
            let size =
                MIB + (seed.wrapping_mul(31).wrapping_add(j * 7) % (7 * MIB as u64)) as usize;
            datas.push(noise(seed.wrapping_mul(3).wrapping_add(j + 1), size));
        }
        let blobs: Vec<BlobPush> = datas
            .iter()
            .map(|d| BlobPush {
                digest: Digest::sha256(d),
                size: d.len() as u64,
                commit: Outcome::NotSent,
                upload: None,
            })
            .collect();
        let layers: Vec<serde_json::Value> = blobs[1..]
            .iter()
            .map(|b| {
                serde_json::json!({
                    "mediaType": "application/vnd.oci.image.layer.v1.tar",
                    "digest": b.digest.to_string(),
                    "size": b.size,
                })
            })
            .collect();
        let manifest = serde_json::to_vec(&serde_json::json!({
            "schemaVersion": 2,
            "mediaType": "application/vnd.oci.image.manifest.v1+json",
            "config": {
                "mediaType": "application/vnd.oci.image.config.v1+json",
                "digest": blobs[0].digest.to_string(),
                "size": blobs[0].size,
            },
            "layers": layers,
        }))
        .unwrap();
        pushes.push(ImagePush {
            repo: repo.clone(),
            tag: format!("r{k}"),
            blobs,
            manifest_digest: Digest::sha256(&manifest),
            manifest,
            put: Outcome::NotSent,
        });
        let push = pushes.last_mut().unwrap();
        for (j, data) in datas.into_iter().enumerate() {
            // The config monolithic; layers alternate monolithic, POST+PUT and chunked.
            let mode = if j == 0 { 0 } else { (i + k + j) % 3 };
            if push_blob(&http, &base, &repo, data, mode, &mut push.blobs[j]).is_err() {
                return pushes;
            }
        }
        let req = http
            .put(format!("{base}/v2/{repo}/manifests/{}", push.tag))
            .header("content-type", "application/vnd.oci.image.manifest.v1+json")
            .body(push.manifest.clone());
        match expect(
            send(req),
            StatusCode::CREATED,
            &format!("{repo}:{} manifest", push.tag),
        ) {
            Ok(resp) => {
                let got = resp
                    .headers()
                    .get("docker-content-digest")
                    .and_then(|v| v.to_str().ok())
                    .map(str::to_owned);
                assert_eq!(got, Some(push.manifest_digest.to_string()));
                push.put = Outcome::Created;
                done.fetch_add(1, Ordering::SeqCst);
            }
            Err(at) => {
                push.put = Outcome::Unanswered(at);
                return pushes;
            }
        }
    }
    pushes
}

fn zoll_client() -> Client {
    Client::new(ClientOptions {
        credentials: Some(Credentials::new(ADMIN, ADMIN_PASSWORD)),
        insecure: true,
        docker_config: None,
        use_env_credentials: false,
        user_agent: "zoll-serve-test".into(),
        retries: 0,
        ..ClientOptions::default()
    })
    .unwrap()
}

/// Pull the blob through zoll's client (which verifies digest and size) and hash it again.
fn verify_blob(client: &Client, img: &ImageRef, d: &Digest, size: u64) {
    let bytes = client
        .get_blob_bytes(img, d, Some(size), size)
        .unwrap_or_else(|e| panic!("blob {d} of {img}: {e}"));
    assert_eq!(bytes.len() as u64, size, "size of blob {d}");
    assert_eq!(&Digest::of(d.algorithm(), &bytes), d, "content of blob {d}");
}

/// Whether the pushed image is there in full: `true` when pullable by tag and digest with every
/// blob intact, `false` when neither the tag nor the digest resolves. Anything else panics.
fn image_state(client: &Client, host: &str, push: &ImagePush) -> bool {
    let by_tag: ImageRef = format!("{host}/{}:{}", push.repo, push.tag)
        .parse()
        .unwrap();
    let by_digest: ImageRef = format!("{host}/{}@{}", push.repo, push.manifest_digest)
        .parse()
        .unwrap();
    let tagged = client.get_manifest(&by_tag);
    let pinned = client.get_manifest(&by_digest);
    match (tagged, pinned) {
        (Ok(t), Ok(p)) => {
            assert_eq!(
                t.digest, push.manifest_digest,
                "{by_tag} resolves to another manifest"
            );
            assert_eq!(t.bytes, push.manifest, "{by_tag}: manifest bytes differ");
            assert_eq!(p.bytes, push.manifest, "{by_digest}: manifest bytes differ");
            for b in &push.blobs {
                verify_blob(client, &by_digest, &b.digest, b.size);
            }
            true
        }
        (Err(t), Err(p)) if t.is_not_found() && p.is_not_found() => false,
        (t, p) => panic!(
            "{by_tag}: half there: by tag {:?}, by digest {:?}",
            t.map(|m| m.digest),
            p.map(|m| m.digest)
        ),
    }
}

/// Every committed blob file must hash to its name: `ROOT/blobs/<alg>/<xx>/<hex>`.
fn check_blob_files(root: &Path) -> usize {
    let mut files = 0;
    for alg in std::fs::read_dir(root).unwrap() {
        let alg = alg.unwrap();
        let alg_name = alg.file_name().into_string().unwrap();
        assert!(
            alg.file_type().unwrap().is_dir(),
            "stray file {}",
            alg.path().display()
        );
        for fan in std::fs::read_dir(alg.path()).unwrap() {
            let fan = fan.unwrap();
            let fan_name = fan.file_name().into_string().unwrap();
            assert!(
                fan.file_type().unwrap().is_dir(),
                "stray file {}",
                fan.path().display()
            );
            for blob in std::fs::read_dir(fan.path()).unwrap() {
                let blob = blob.unwrap();
                let hex = blob.file_name().into_string().unwrap();
                let path = blob.path();
                let want: Digest = format!("{alg_name}:{hex}")
                    .parse()
                    .unwrap_or_else(|e| panic!("{} is not named by a digest: {e}", path.display()));
                assert!(
                    hex.starts_with(&fan_name),
                    "{} is in the wrong fan-out directory",
                    path.display()
                );
                let got = Digest::of(want.algorithm(), &std::fs::read(&path).unwrap());
                assert_eq!(
                    got,
                    want,
                    "{} holds other content (partial blob?)",
                    path.display()
                );
                files += 1;
            }
        }
    }
    files
}

#[test]
fn kill_9_during_concurrent_pushes_loses_nothing_acknowledged_and_shows_nothing_partial() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    registry_admin(
        &data,
        &[
            "user",
            "add",
            ADMIN,
            "--admin",
            "--password",
            ADMIN_PASSWORD,
        ],
    );
    registry_admin(&data, &["org", "create", "acme"]);
    let mut server = Serve::start(&data, &[]);
    let base = server.url("");
    let client = http();

    // An upload abandoned half-way: its staged data must be cleaned up after the restart.
    let resp = send(client.post(format!("{base}/v2/acme/abandoned/blobs/uploads/")));
    let resp = expect(resp, StatusCode::ACCEPTED, "start the abandoned upload").unwrap();
    let abandoned = location(&resp);
    let req = client
        .patch(format!("{base}{abandoned}"))
        .header("content-type", "application/octet-stream")
        .header("content-range", format!("0-{}", MIB - 1))
        .body(noise(7, MIB));
    expect(
        send(req),
        StatusCode::ACCEPTED,
        "patch the abandoned upload",
    )
    .unwrap();

    let stop = Arc::new(AtomicBool::new(false));
    let done = Arc::new(AtomicUsize::new(0));
    let started = Instant::now();
    let threads: Vec<_> = (0..PUSHERS)
        .map(|i| {
            let (base, http, stop, done) =
                (base.clone(), client.clone(), stop.clone(), done.clone());
            std::thread::spawn(move || pusher(i, base, http, stop, done))
        })
        .collect();
    // Kill once some pushes completed and everyone is busy; at least ~0.7 s in.
    loop {
        std::thread::sleep(Duration::from_millis(20));
        if done.load(Ordering::SeqCst) >= 4 && started.elapsed() >= Duration::from_millis(700) {
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "only {} of the pushes finished in 30 s; server stderr:\n{}",
            done.load(Ordering::SeqCst),
            server.stderr()
        );
    }
    server.kill();
    let killed = Instant::now();
    stop.store(true, Ordering::SeqCst);
    let pushes: Vec<ImagePush> = threads
        .into_iter()
        .flat_map(|t| t.join().expect("pusher thread"))
        .collect();
    let in_flight = |o: Outcome| matches!(o, Outcome::Unanswered(at) if at < killed);
    let acked = pushes.iter().filter(|p| p.put == Outcome::Created).count();
    let manifests_in_flight = pushes.iter().filter(|p| in_flight(p.put)).count();
    let blobs_in_flight = pushes
        .iter()
        .flat_map(|p| &p.blobs)
        .filter(|b| in_flight(b.commit))
        .count();
    let uploads_open = pushes
        .iter()
        .flat_map(|p| &p.blobs)
        .filter(|b| b.upload.is_some() && b.commit != Outcome::Created)
        .count();
    eprintln!(
        "killed after {:?}: {acked} images acknowledged, {manifests_in_flight} manifest PUTs and \
         {blobs_in_flight} blob commits in flight, {uploads_open} uploads left open",
        killed - started
    );
    assert!(acked >= 4);
    // The kill landed mid-flight: most of the 20 pushers were inside a request.
    assert!(
        manifests_in_flight + blobs_in_flight + uploads_open > 0,
        "the kill did not interrupt any push"
    );
    let uploads_dir = data.join("blobs").join("uploads");
    assert!(
        std::fs::read_dir(&uploads_dir).unwrap().count() > 0,
        "no staged upload survived the crash, so the clean-up below proves nothing"
    );

    // Restart on the same data directory, with uploads expiring after one second.
    std::thread::sleep(Duration::from_millis(2100).saturating_sub(killed.elapsed()));
    let config = dir.path().join("registry.toml");
    std::fs::write(&config, "upload_expiry_seconds = 1\n").unwrap();
    let server = Serve::start(&data, &["--config", config.to_str().unwrap()]);
    let base = server.url("");
    // The first answer comes after the start-up clean-up.
    let resp = client.get(format!("{base}/v2/")).send().unwrap();
    assert_eq!(resp.status(), StatusCode::UNAUTHORIZED);

    // Stale uploads are gone: from the staging directory, and from the API.
    let left: Vec<_> = std::fs::read_dir(&uploads_dir)
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert!(
        left.is_empty(),
        "stale uploads left in {}: {left:?}",
        uploads_dir.display()
    );
    // ...and so are the temporary files of monolithic uploads the kill interrupted.
    let tmp_dir = data.join("blobs").join("tmp");
    let tmp_left: Vec<_> = std::fs::read_dir(&tmp_dir)
        .map(|d| d.map(|e| e.unwrap().file_name()).collect())
        .unwrap_or_default();
    assert!(
        tmp_left.is_empty(),
        "temporary files left in {}: {tmp_left:?}",
        tmp_dir.display()
    );
    let mut upload_urls: Vec<&str> = pushes
        .iter()
        .flat_map(|p| &p.blobs)
        .filter(|b| b.commit != Outcome::Created)
        .filter_map(|b| b.upload.as_deref())
        .collect();
    upload_urls.push(&abandoned);
    for url in &upload_urls {
        let resp = client
            .get(format!("{base}{url}"))
            .basic_auth(ADMIN, Some(ADMIN_PASSWORD))
            .send()
            .unwrap();
        assert_eq!(
            resp.status(),
            StatusCode::NOT_FOUND,
            "GET {url} after the restart"
        );
        assert_eq!(error_code(resp), "BLOB_UPLOAD_UNKNOWN", "GET {url}");
    }

    // No blob file under blobs/ with content other than its name says.
    let files = check_blob_files(&data.join("blobs").join("blobs"));

    // Every acknowledged image is there in full; unacknowledged ones are all or nothing.
    let zc = zoll_client();
    let host = server.addr.clone();
    let mut complete: HashMap<&str, BTreeSet<&str>> = HashMap::new();
    let mut maybe_blobs = 0;
    for p in &pushes {
        let present = image_state(&zc, &host, p);
        match p.put {
            Outcome::Created => assert!(present, "{}:{} got 201 but is gone", p.repo, p.tag),
            Outcome::Unanswered(at) if at < killed => {}
            _ => assert!(
                !present,
                "{}:{} was never pushed but is there",
                p.repo, p.tag
            ),
        }
        if present {
            complete.entry(&p.repo).or_default().insert(&p.tag);
        }
        let img: ImageRef = format!("{host}/{}", p.repo).parse().unwrap();
        for b in &p.blobs {
            let head = zc
                .head_blob(&img, &b.digest)
                .unwrap_or_else(|e| panic!("HEAD {img} blob {}: {e}", b.digest));
            match b.commit {
                Outcome::Created => {
                    assert_eq!(head, Some(b.size), "blob {} of {img} got 201", b.digest);
                }
                // Committed or not: if it is visible, it is whole.
                Outcome::Unanswered(at) if at < killed => {
                    if let Some(size) = head {
                        assert_eq!(size, b.size, "blob {} of {img}", b.digest);
                        verify_blob(&zc, &img, &b.digest, b.size);
                        maybe_blobs += 1;
                    }
                }
                _ => assert_eq!(head, None, "blob {} of {img} was never committed", b.digest),
            }
        }
    }
    assert!(
        files >= acked * 3,
        "{files} blob files for {acked} acknowledged images of 3 blobs"
    );
    // Tags listed are exactly the complete images.
    for i in 0..PUSHERS {
        let repo = format!("acme/crash{i}");
        let img: ImageRef = format!("{host}/{repo}").parse().unwrap();
        let tags: BTreeSet<String> = match zc.list_tags(&img) {
            Ok(t) => t.into_iter().collect(),
            Err(e) if e.is_not_found() => BTreeSet::new(),
            Err(e) => panic!("tags of {repo}: {e}"),
        };
        let want: BTreeSet<String> = complete
            .get(repo.as_str())
            .map(|s| s.iter().map(|t| (*t).to_owned()).collect())
            .unwrap_or_default();
        assert_eq!(tags, want, "tags of {repo}");
    }
    eprintln!(
        "{files} blob files verified; {maybe_blobs} blobs whose commit was in flight are whole"
    );

    // The restarted registry takes pushes again, the same blob as before the crash included.
    let again = noise(99, 4096);
    let d = Digest::sha256(&again);
    let req = client
        .post(format!("{base}/v2/acme/after/blobs/uploads/?digest={d}"))
        .body(again);
    expect(send(req), StatusCode::CREATED, "push after the restart").unwrap();
}

// ---------------------------------------------------------------------------------------------
// TLS: a throw-away PKI made with the openssl command.

fn openssl(dir: &Path, args: &[&str]) {
    let bin = need("openssl", "apt-get install openssl");
    let out = Command::new(bin)
        .args(args)
        .current_dir(dir)
        .output()
        .expect("run openssl");
    assert!(
        out.status.success(),
        "openssl {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// A CA (`NAME.pem`, `NAME.key`).
fn make_ca(dir: &Path, name: &str) {
    openssl(
        dir,
        &[
            "req",
            "-x509",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:prime256v1",
            "-nodes",
            "-keyout",
            &format!("{name}.key"),
            "-out",
            &format!("{name}.pem"),
            "-days",
            "2",
            "-subj",
            &format!("/CN={name}"),
            "-addext",
            "basicConstraints=critical,CA:TRUE",
            "-addext",
            "keyUsage=critical,keyCertSign,cRLSign",
        ],
    );
}

/// A leaf certificate signed by `ca`: `NAME.pem`, `NAME.key` and `NAME.der`.
fn make_leaf(dir: &Path, ca: &str, name: &str, cn: &str, serial: u32, server: bool) {
    let ext = format!("{name}.ext");
    let text = if server {
        "subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth\n"
    } else {
        "extendedKeyUsage=clientAuth\n"
    };
    std::fs::write(
        dir.join(&ext),
        format!("{text}basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\n"),
    )
    .unwrap();
    openssl(
        dir,
        &[
            "req",
            "-new",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:prime256v1",
            "-nodes",
            "-keyout",
            &format!("{name}.key"),
            "-out",
            &format!("{name}.csr"),
            "-subj",
            &format!("/CN={cn}"),
        ],
    );
    openssl(
        dir,
        &[
            "x509",
            "-req",
            "-in",
            &format!("{name}.csr"),
            "-CA",
            &format!("{ca}.pem"),
            "-CAkey",
            &format!("{ca}.key"),
            "-set_serial",
            &serial.to_string(),
            "-days",
            "2",
            "-out",
            &format!("{name}.pem"),
            "-extfile",
            &ext,
        ],
    );
    openssl(
        dir,
        &[
            "x509",
            "-in",
            &format!("{name}.pem"),
            "-outform",
            "DER",
            "-out",
            &format!("{name}.der"),
        ],
    );
}

fn read(dir: &Path, file: &str) -> Vec<u8> {
    std::fs::read(dir.join(file)).unwrap()
}

/// An HTTPS client trusting `ca`, on fresh connections, optionally with a client certificate.
fn https_client(dir: &Path, ca: &str, identity: Option<&str>) -> Http {
    let mut b = Http::builder()
        .use_rustls_tls()
        .tls_built_in_root_certs(false)
        .add_root_certificate(
            reqwest::Certificate::from_pem(&read(dir, &format!("{ca}.pem"))).unwrap(),
        )
        .tls_info(true)
        .pool_max_idle_per_host(0)
        .timeout(Duration::from_secs(20));
    if let Some(name) = identity {
        let mut pem = read(dir, &format!("{name}.pem"));
        pem.extend_from_slice(&read(dir, &format!("{name}.key")));
        b = b.identity(reqwest::Identity::from_pem(&pem).unwrap());
    }
    b.build().unwrap()
}

/// The DER certificate the server presented on the connection of `resp`.
fn peer_cert(resp: &Response) -> Vec<u8> {
    resp.extensions()
        .get::<reqwest::tls::TlsInfo>()
        .and_then(|i| i.peer_certificate())
        .expect("TLS info with the peer certificate")
        .to_vec()
}

/// Replace `dst` by `src` the way deployment tools do: write a temporary file, rename it over.
fn replace(dir: &Path, src: &str, dst: &str) {
    let tmp = dir.join(format!("{dst}.tmp"));
    std::fs::write(&tmp, read(dir, src)).unwrap();
    std::fs::rename(&tmp, dir.join(dst)).unwrap();
}

fn tls_args(dir: &Path, client_ca: Option<&str>) -> Vec<String> {
    let mut args = vec![
        "--tls-cert".to_owned(),
        dir.join("tls.pem").display().to_string(),
        "--tls-key".to_owned(),
        dir.join("tls.key").display().to_string(),
    ];
    if let Some(ca) = client_ca {
        args.push("--tls-client-ca".to_owned());
        args.push(dir.join(format!("{ca}.pem")).display().to_string());
    }
    args
}

fn start_tls(data: &Path, args: &[String]) -> Serve {
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    Serve::start(data, &args)
}

#[test]
fn tls_certificates_are_reloaded_without_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let pki = dir.path();
    make_ca(pki, "ca");
    make_leaf(pki, "ca", "one", "zoll server one", 1001, true);
    make_leaf(pki, "ca", "two", "zoll server two", 2002, true);
    replace(pki, "one.pem", "tls.pem");
    replace(pki, "one.key", "tls.key");
    let mut server = start_tls(&pki.join("data"), &tls_args(pki, Some("ca")));
    let pid = server.child.id();

    let client = https_client(pki, "ca", None);
    let resp = client.get(server.https("/v2/")).send().unwrap();
    assert_eq!(resp.status(), StatusCode::UNAUTHORIZED);
    assert!(resp.headers().contains_key("www-authenticate"));
    assert_eq!(
        peer_cert(&resp),
        read(pki, "one.der"),
        "the server must present the first certificate"
    );
    // Plain HTTP on the TLS port gets no registry answer.
    assert!(
        http().get(server.url("/v2/")).send().is_err(),
        "plain HTTP was served on the TLS port"
    );

    // Replace certificate and key (as cert-manager or certbot do) and wait for the watcher.
    replace(pki, "two.key", "tls.key");
    replace(pki, "two.pem", "tls.pem");
    let swapped = Instant::now();
    let mut served = Vec::new();
    while swapped.elapsed() < Duration::from_secs(10) {
        std::thread::sleep(Duration::from_millis(250));
        let resp = https_client(pki, "ca", None)
            .get(server.https("/v2/"))
            .send()
            .unwrap_or_else(|e| panic!("HTTPS during the reload: {e:?}"));
        assert_eq!(resp.status(), StatusCode::UNAUTHORIZED);
        served = peer_cert(&resp);
        if served == read(pki, "two.der") {
            break;
        }
        assert_eq!(
            served,
            read(pki, "one.der"),
            "neither the old nor the new certificate"
        );
    }
    assert_eq!(
        served,
        read(pki, "two.der"),
        "the new certificate was not served within 10 s"
    );
    eprintln!(
        "new certificate served {:?} after the swap",
        swapped.elapsed()
    );
    assert_eq!(server.child.id(), pid);
    assert!(
        server.child.try_wait().unwrap().is_none(),
        "the server exited"
    );

    // A broken replacement keeps the previous certificate in service.
    std::fs::write(pki.join("tls.pem"), "not a certificate\n").unwrap();
    std::thread::sleep(Duration::from_millis(4500));
    let resp = https_client(pki, "ca", None)
        .get(server.https("/v2/"))
        .send()
        .unwrap();
    assert_eq!(peer_cert(&resp), read(pki, "two.der"));
    assert!(
        server.child.try_wait().unwrap().is_none(),
        "a broken certificate file stopped the server"
    );
    server.kill();
}

#[test]
fn mutual_tls_names_the_account_and_passwords_still_work() {
    let dir = tempfile::tempdir().unwrap();
    let pki = dir.path();
    make_ca(pki, "ca");
    make_ca(pki, "rogue-ca");
    make_leaf(pki, "ca", "server", "zoll server", 1, true);
    make_leaf(pki, "ca", "alice", "alice", 2, false);
    make_leaf(pki, "ca", "mallory", "mallory", 3, false);
    make_leaf(pki, "rogue-ca", "fake-alice", "alice", 4, false);
    replace(pki, "server.pem", "tls.pem");
    replace(pki, "server.key", "tls.key");
    let data = pki.join("data");
    registry_admin(
        &data,
        &["user", "add", "alice", "--password", "alice-password-1"],
    );
    registry_admin(&data, &["org", "create", "acme"]);
    registry_admin(&data, &["org", "create", "other"]);
    registry_admin(&data, &["org", "member", "acme", "alice", "developer"]);
    let server = start_tls(&data, &tls_args(pki, Some("ca")));

    // alice by certificate: authenticated, and may push to her organisation.
    let alice = https_client(pki, "ca", Some("alice"));
    let resp = alice.get(server.https("/v2/")).send().unwrap();
    assert_eq!(
        resp.status(),
        StatusCode::OK,
        "{}",
        resp.text().unwrap_or_default()
    );
    let blob = noise(42, 300_000);
    let d = Digest::sha256(&blob);
    let resp = alice
        .post(server.https(&format!("/v2/acme/app/blobs/uploads/?digest={d}")))
        .header("content-type", "application/octet-stream")
        .body(blob.clone())
        .send()
        .unwrap();
    assert_eq!(
        resp.status(),
        StatusCode::CREATED,
        "{}",
        resp.text().unwrap_or_default()
    );
    let resp = alice
        .head(server.https(&format!("/v2/acme/app/blobs/{d}")))
        .send()
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    // The certificate names alice, with alice's rights only: not into another organisation.
    let resp = alice
        .post(server.https(&format!("/v2/other/app/blobs/uploads/?digest={d}")))
        .body(blob.clone())
        .send()
        .unwrap();
    assert!(
        matches!(
            resp.status(),
            StatusCode::FORBIDDEN | StatusCode::UNAUTHORIZED | StatusCode::NOT_FOUND
        ),
        "alice pushed into an organisation she is not in: {}",
        resp.status()
    );

    // A certificate from another CA, even for CN=alice, gets nowhere.
    let rogue = https_client(pki, "ca", Some("fake-alice"));
    match rogue.get(server.https("/v2/")).send() {
        Err(_) => {}
        Ok(r) => assert_eq!(
            r.status(),
            StatusCode::UNAUTHORIZED,
            "a certificate of another CA was accepted"
        ),
    }
    let pushed = rogue
        .post(server.https(&format!("/v2/acme/rogue/blobs/uploads/?digest={d}")))
        .body(blob.clone())
        .send();
    assert!(
        pushed
            .as_ref()
            .map_or(true, |r| r.status() != StatusCode::CREATED),
        "a certificate of another CA pushed a blob"
    );
    // A valid certificate naming no account is refused, not anonymous.
    let resp = https_client(pki, "ca", Some("mallory"))
        .get(server.https("/v2/"))
        .send()
        .unwrap();
    assert_eq!(resp.status(), StatusCode::UNAUTHORIZED);

    // Without a certificate: the Basic challenge, and alice's password works.
    let plain = https_client(pki, "ca", None);
    let resp = plain.get(server.https("/v2/")).send().unwrap();
    assert_eq!(resp.status(), StatusCode::UNAUTHORIZED);
    let challenge = resp
        .headers()
        .get("www-authenticate")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    assert!(
        !challenge.is_empty(),
        "401 without a WWW-Authenticate challenge"
    );
    let resp = plain
        .get(server.https("/v2/"))
        .basic_auth("alice", Some("alice-password-1"))
        .send()
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    let resp = plain
        .get(server.https(&format!("/v2/acme/app/blobs/{d}")))
        .basic_auth("alice", Some("alice-password-1"))
        .send()
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    assert_eq!(Digest::sha256(&resp.bytes().unwrap()), d);
    let resp = plain
        .get(server.https("/v2/"))
        .basic_auth("alice", Some("wrong-password"))
        .send()
        .unwrap();
    assert_eq!(resp.status(), StatusCode::UNAUTHORIZED);
}

// ---------------------------------------------------------------------------------------------
// 4. The one-time setup token.

fn setup_token(stderr: &str) -> String {
    let start = stderr
        .find("zs_")
        .unwrap_or_else(|| panic!("no setup token in:\n{stderr}"));
    stderr[start..]
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '_' || *c == '-')
        .collect()
}

#[test]
fn setup_token_creates_the_first_administrator_once() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let server = Serve::start(&data, &[]);
    let stderr = server.wait_for_stderr("registry listening on");
    let token = setup_token(&stderr);
    assert!(token.len() > 30, "setup token {token:?} is too short");
    let client = http();
    let setup = |token: &str, name: &str| {
        client
            .post(server.url("/api/v1/setup"))
            .json(
                &serde_json::json!({"token": token, "name": name, "password": "first-admin-pw-1"}),
            )
            .send()
            .unwrap()
    };
    assert_eq!(setup("zs_wrong", "root").status(), StatusCode::FORBIDDEN);
    let resp = setup(&token, "root");
    assert_eq!(
        resp.status(),
        StatusCode::CREATED,
        "{}",
        resp.text().unwrap_or_default()
    );
    assert_eq!(
        setup(&token, "root2").status(),
        StatusCode::FORBIDDEN,
        "the setup token worked twice"
    );

    assert_eq!(
        client
            .get(server.url("/api/v1/users"))
            .send()
            .unwrap()
            .status(),
        StatusCode::UNAUTHORIZED
    );
    let resp = client
        .get(server.url("/api/v1/users"))
        .basic_auth("root", Some("first-admin-pw-1"))
        .send()
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    let users: serde_json::Value = resp.json().unwrap();
    let names: Vec<&str> = users
        .as_array()
        .expect("a JSON array of users")
        .iter()
        .filter_map(|u| u["name"].as_str())
        .collect();
    assert_eq!(names, ["root"]);
    drop(server);

    // With an account, a restart prints no token, and the old one stays dead.
    let server = Serve::start(&data, &[]);
    let stderr = server.wait_for_stderr("registry listening on");
    assert!(
        !stderr.contains("zs_"),
        "a setup token was printed with an account present:\n{stderr}"
    );
    let resp = client
        .post(server.url("/api/v1/setup"))
        .json(&serde_json::json!({"token": token, "name": "late", "password": "late-admin-pw-1"}))
        .send()
        .unwrap();
    assert_eq!(resp.status(), StatusCode::FORBIDDEN);
}

#[test]
fn the_first_accounts_take_passwords_from_a_file_or_the_environment() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let pw_file = dir.path().join("pw");
    std::fs::write(&pw_file, "from-the-file-1\nignored second line\n").unwrap();
    registry_admin(
        &data,
        &[
            "user",
            "add",
            "filed",
            "--admin",
            "--password-file",
            pw_file.to_str().unwrap(),
        ],
    );
    let out = zoll()
        .args(["registry", "--data-dir"])
        .arg(&data)
        .args(["user", "add", "envy"])
        .env("ZOLL_PASSWORD", "from-the-env-1")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // No password at all: a clear error, exit 2, and no account.
    let out = zoll()
        .args(["registry", "--data-dir"])
        .arg(&data)
        .args(["user", "add", "nopass"])
        .env_remove("ZOLL_PASSWORD")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("a password is required"));

    let server = Serve::start(&data, &[]);
    let http = http();
    let status = |user: &str, pw: &str| {
        http.get(server.url("/v2/"))
            .basic_auth(user, Some(pw))
            .send()
            .unwrap()
            .status()
    };
    assert_eq!(status("filed", "from-the-file-1"), StatusCode::OK);
    assert_eq!(status("envy", "from-the-env-1"), StatusCode::OK);
    assert_eq!(
        status("nopass", "anything-at-all"),
        StatusCode::UNAUTHORIZED
    );
    // An administrator exists, so no setup token was printed.
    assert!(!server.stderr().contains("zs_"), "{}", server.stderr());
}
