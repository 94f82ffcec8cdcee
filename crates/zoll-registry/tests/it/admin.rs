//! The admin API: every endpoint exercised, every response validated against openapi.yaml by an
//! independent validator (openapi-spec-validator + jsonschema); also /metrics, /healthz, /readyz.

use std::path::Path;
use std::process::Command;

use serde_json::{Value, json};

use crate::harness::{self, ADMIN, ADMIN_PASSWORD, Server, run};

struct Recorder<'a> {
    server: &'a Server,
    http: reqwest::blocking::Client,
    log: Vec<Value>,
}

impl Recorder<'_> {
    /// Call `method` on `/api/v1` + `path` (template `tpl`), as `user`, and record the exchange.
    fn call(
        &mut self,
        user: (&str, &str),
        method: &str,
        tpl: &str,
        path: &str,
        body: Option<Value>,
    ) -> (u16, Value) {
        let url = self.server.url(&format!("/api/v1{path}"));
        let m = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
        let mut req = self.http.request(m, url).basic_auth(user.0, Some(user.1));
        if let Some(b) = body {
            req = req.json(&b);
        }
        let resp = req.send().unwrap();
        let status = resp.status().as_u16();
        let body: Value = resp.json().unwrap_or(Value::Null);
        self.log
            .push(json!({"method": method, "path": tpl, "status": status, "body": body}));
        (status, body)
    }
}

#[test]
fn admin_api_matches_its_openapi_document() {
    let server = Server::start();
    let mut r = Recorder {
        server: &server,
        http: harness::http(),
        log: Vec::new(),
    };
    let admin = (ADMIN, ADMIN_PASSWORD);
    let bob = ("bob", "bob-password-1");

    assert_eq!(
        r.call(
            admin,
            "POST",
            "/users",
            "/users",
            Some(json!({"name": "bob", "password": bob.1}))
        )
        .0,
        201
    );
    assert_eq!(
        r.call(
            admin,
            "POST",
            "/users",
            "/users",
            Some(json!({"name": "bob", "password": bob.1}))
        )
        .0,
        409
    );
    assert_eq!(
        r.call(
            admin,
            "POST",
            "/users",
            "/users",
            Some(json!({"name": "Bad Name", "password": "12345678"}))
        )
        .0,
        400
    );
    let (s, users) = r.call(admin, "GET", "/users", "/users", None);
    assert_eq!(s, 200);
    assert_eq!(users.as_array().unwrap().len(), 2);
    assert!(
        !users.to_string().contains("argon2"),
        "password hashes leak: {users}"
    );
    assert_eq!(r.call(bob, "GET", "/users", "/users", None).0, 403);
    assert_eq!(
        r.call(("bob", "wrong-password"), "GET", "/users", "/users", None)
            .0,
        401
    );
    assert_eq!(
        r.call(
            bob,
            "PUT",
            "/users/{name}/password",
            "/users/bob/password",
            Some(json!({"password": "bob-password-2"}))
        )
        .0,
        200
    );
    let bob = ("bob", "bob-password-2");
    assert_eq!(
        r.call(
            bob,
            "PUT",
            "/users/{name}/password",
            "/users/admin/password",
            Some(json!({"password": "xxxxxxxxxx"}))
        )
        .0,
        403
    );

    assert_eq!(
        r.call(
            admin,
            "POST",
            "/orgs",
            "/orgs",
            Some(json!({"name": "web", "visibility": "private"}))
        )
        .0,
        201
    );
    assert_eq!(
        r.call(bob, "POST", "/orgs", "/orgs", Some(json!({"name": "bobs"})))
            .0,
        403
    );
    assert_eq!(r.call(bob, "GET", "/orgs/{org}", "/orgs/web", None).0, 403);
    assert_eq!(
        r.call(
            admin,
            "PUT",
            "/orgs/{org}/members/{user}",
            "/orgs/web/members/bob",
            Some(json!({"role": "admin"}))
        )
        .0,
        200
    );
    assert_eq!(
        r.call(
            admin,
            "PUT",
            "/orgs/{org}/members/{user}",
            "/orgs/web/members/bob",
            Some(json!({"role": "emperor"}))
        )
        .0,
        400
    );
    // bob, now organisation admin, manages the organisation but not the registry.
    assert_eq!(
        r.call(
            bob,
            "POST",
            "/orgs/{org}/teams",
            "/orgs/web/teams",
            Some(json!({"name": "ci", "role": "developer"}))
        )
        .0,
        201
    );
    assert_eq!(
        r.call(
            bob,
            "PUT",
            "/orgs/{org}/teams/{team}/members/{user}",
            "/orgs/web/teams/ci/members/bob",
            None
        )
        .0,
        200
    );
    let (s, org) = r.call(bob, "GET", "/orgs/{org}", "/orgs/web", None);
    assert_eq!(s, 200);
    assert_eq!(org["teams"][0]["members"][0], "bob");
    assert_eq!(
        r.call(
            bob,
            "PATCH",
            "/orgs/{org}",
            "/orgs/web",
            Some(json!({"visibility": "public"}))
        )
        .0,
        200
    );
    let (s, orgs) = r.call(bob, "GET", "/orgs", "/orgs", None);
    assert_eq!(s, 200);
    let names: Vec<&str> = orgs
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["name"].as_str().unwrap())
        .collect();
    assert!(
        names.contains(&"web") && names.contains(&"pub") && !names.contains(&"acme"),
        "{names:?}"
    );
    assert_eq!(
        r.call(
            bob,
            "DELETE",
            "/orgs/{org}/teams/{team}/members/{user}",
            "/orgs/web/teams/ci/members/bob",
            None
        )
        .0,
        200
    );
    assert_eq!(
        r.call(
            bob,
            "DELETE",
            "/orgs/{org}/teams/{team}",
            "/orgs/web/teams/ci",
            None
        )
        .0,
        200
    );
    assert_eq!(
        r.call(bob, "DELETE", "/orgs/{org}", "/orgs/web", None).0,
        403
    );

    let (s, robot) = r.call(
        admin,
        "POST",
        "/robots",
        "/robots",
        Some(json!({"name": "ci", "grants": [{"pattern": "web/*", "actions": ["pull", "push"]}], "expires_in_seconds": 3600})),
    );
    assert_eq!(s, 201);
    let secret = robot["secret"].as_str().unwrap().to_owned();
    let (s, robots) = r.call(admin, "GET", "/robots", "/robots", None);
    assert_eq!(s, 200);
    assert!(!robots.to_string().contains(&secret));
    // The robot logs in to the registry with its secret.
    let v2 = r
        .http
        .get(server.url("/v2/"))
        .basic_auth("robot+ci", Some(&secret))
        .send()
        .unwrap();
    assert_eq!(v2.status(), 200);
    assert_eq!(
        r.call(("robot+ci", &secret), "GET", "/users", "/users", None)
            .0,
        403
    );
    assert_eq!(
        r.call(admin, "DELETE", "/robots/{name}", "/robots/ci", None)
            .0,
        200
    );
    assert_eq!(
        r.call(admin, "DELETE", "/robots/{name}", "/robots/ci", None)
            .0,
        404
    );

    assert_eq!(
        r.call(
            admin,
            "DELETE",
            "/orgs/{org}/members/{user}",
            "/orgs/web/members/bob",
            None
        )
        .0,
        200
    );
    assert_eq!(
        r.call(admin, "DELETE", "/orgs/{org}", "/orgs/web", None).0,
        200
    );
    let (s, audit) = r.call(admin, "GET", "/audit", "/audit?limit=500", None);
    assert_eq!(s, 200);
    let actions: Vec<&str> = audit
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    for want in [
        "user-create",
        "password-set",
        "org-create",
        "member-set",
        "team-create",
        "team-member-add",
        "org-visibility",
        "robot-create",
        "robot-delete",
        "member-remove",
        "org-delete",
        "login-failed",
    ] {
        assert!(actions.contains(&want), "audit lacks {want}: {actions:?}");
    }
    let (s, failed) = r.call(admin, "GET", "/audit", "/audit?action=login-failed", None);
    assert_eq!(s, 200);
    assert!(
        failed
            .as_array()
            .unwrap()
            .iter()
            .all(|e| e["action"] == "login-failed" && e["remote"] == "127.0.0.1")
    );
    assert_eq!(
        r.call(admin, "DELETE", "/users/{name}", "/users/bob", None)
            .0,
        200
    );

    // Validate every exchange against the document.
    let recordings = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(recordings.path(), serde_json::to_vec(&r.log).unwrap()).unwrap();
    let venv = std::env::var("ZOLL_TOOLS_VENV").unwrap_or_else(|_| "/opt/zoll-venv".to_owned());
    let python = Path::new(&venv).join("bin/python");
    assert!(python.exists(), "{} missing: run .ci/run", python.display());
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"));
    let out = run(Command::new(python)
        .arg(dir.join("tests/py/validate_openapi.py"))
        .arg(dir.join("openapi.yaml"))
        .arg(recordings.path()));
    assert!(out.contains("exchanges match"), "{out}");
}

#[test]
fn setup_token_creates_the_first_administrator_once() {
    let dir = tempfile::tempdir().unwrap();
    let mut config = zoll_registry::Config::default();
    config.data_dir = dir.path().join("data");
    let server = Server::start_with(config);
    let token = server
        .runtime
        .block_on(server.app.setup_token())
        .unwrap()
        .unwrap();
    assert!(token.starts_with("zs_"));
    let http = harness::http();
    let body = json!({"token": token, "name": "root", "password": "root-password"});
    let r = http
        .post(server.url("/api/v1/setup"))
        .json(&body)
        .send()
        .unwrap();
    assert_eq!(r.status(), 201);
    let again = http
        .post(server.url("/api/v1/setup"))
        .json(&body)
        .send()
        .unwrap();
    assert_eq!(again.status(), 403);
    let users = http
        .get(server.url("/api/v1/users"))
        .basic_auth("root", Some("root-password"))
        .send()
        .unwrap();
    assert_eq!(users.status(), 200);
    assert_eq!(
        server.runtime.block_on(server.app.setup_token()).unwrap(),
        None
    );
}

#[test]
fn health_readiness_and_metrics() {
    let server = Server::start();
    let http = harness::http();
    assert_eq!(
        http.get(server.url("/healthz")).send().unwrap().status(),
        200
    );
    assert_eq!(
        http.get(server.url("/readyz")).send().unwrap().status(),
        200
    );
    let blob = vec![1u8; 1000];
    let d = zoll_core::Digest::sha256(&blob);
    let r = http
        .post(server.url(&format!("/v2/acme/m/blobs/uploads/?digest={d}")))
        .basic_auth(ADMIN, Some(ADMIN_PASSWORD))
        .body(blob)
        .send()
        .unwrap();
    assert_eq!(r.status(), 201);
    let r = http
        .get(server.url(&format!("/v2/acme/m/blobs/{d}")))
        .basic_auth(ADMIN, Some(ADMIN_PASSWORD))
        .send()
        .unwrap();
    assert_eq!(r.status(), 200);
    let text = http
        .get(server.url("/metrics"))
        .send()
        .unwrap()
        .text()
        .unwrap();
    let value = |prefix: &str| -> f64 {
        text.lines()
            .find(|l| l.starts_with(prefix))
            .unwrap_or_else(|| panic!("no {prefix} in metrics:\n{text}"))
            .rsplit(' ')
            .next()
            .unwrap()
            .parse()
            .unwrap()
    };
    assert_eq!(
        value("zoll_http_requests_total{method=\"POST\",route=\"upload\",status=\"201\"}"),
        1.0
    );
    assert_eq!(
        value("zoll_http_request_bytes_total{route=\"upload\"}"),
        1000.0
    );
    assert_eq!(
        value("zoll_http_response_bytes_total{route=\"blob\"}"),
        1000.0
    );
    assert_eq!(value("zoll_storage_bytes"), 1000.0);
    assert!(value("zoll_blob_upload_duration_seconds_count{size=\"<1MiB\"}") >= 1.0);
}

/// A body that trickles out over about a second.
struct Slow {
    left: usize,
}

impl std::io::Read for Slow {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        if self.left == 0 {
            return Ok(0);
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
        let n = buf.len().min(self.left).min(1000);
        buf[..n].fill(b'z');
        self.left -= n;
        Ok(n)
    }
}

#[test]
fn shutdown_lets_in_flight_requests_finish() {
    let mut server = Server::start();
    let url = server.url("/v2/acme/slow/blobs/uploads/");
    let digest = zoll_core::Digest::sha256(&[b'z'; 10_000]);
    let upload = std::thread::spawn(move || {
        harness::http()
            .post(format!("{url}?digest={digest}"))
            .basic_auth(ADMIN, Some(ADMIN_PASSWORD))
            .header("Content-Length", "10000")
            .body(reqwest::blocking::Body::sized(
                Slow { left: 10_000 },
                10_000,
            ))
            .send()
            .unwrap()
            .status()
    });
    std::thread::sleep(std::time::Duration::from_millis(300));
    server.signal_shutdown();
    std::thread::sleep(std::time::Duration::from_millis(100));
    // No new connections once shutdown began...
    assert!(harness::http().get(server.url("/healthz")).send().is_err());
    // ...but the upload in flight completes.
    assert_eq!(upload.join().unwrap(), 201);
    server.stop();
    let linked = server
        .runtime
        .block_on(
            server
                .app
                .meta
                .linked_blob("acme/slow", &zoll_core::Digest::sha256(&[b'z'; 10_000])),
        )
        .unwrap();
    assert_eq!(linked, Some(10_000));
}

#[test]
fn team_members_act_with_the_team_role() {
    let server = Server::start();
    server.user("tess", "tess-password-1", None);
    let http = harness::http();
    let admin = |method: reqwest::Method, path: &str, body: Value| {
        http.request(method, server.url(&format!("/api/v1{path}")))
            .basic_auth(ADMIN, Some(ADMIN_PASSWORD))
            .json(&body)
            .send()
            .unwrap()
            .status()
    };
    let blob = b"team blob".to_vec();
    let d = zoll_core::Digest::sha256(&blob);
    let push = || {
        http.post(server.url(&format!("/v2/acme/team-app/blobs/uploads/?digest={d}")))
            .basic_auth("tess", Some("tess-password-1"))
            .body(blob.clone())
            .send()
            .unwrap()
            .status()
    };
    // Not a member of private acme: denied.
    assert_eq!(push(), 403);
    assert_eq!(
        admin(
            reqwest::Method::POST,
            "/orgs/acme/teams",
            json!({"name": "builders", "role": "guest"})
        ),
        201
    );
    assert_eq!(
        admin(
            reqwest::Method::PUT,
            "/orgs/acme/teams/builders/members/tess",
            json!({})
        ),
        200
    );
    // A guest team lets her pull, not push.
    assert_eq!(push(), 403);
    assert_eq!(
        admin(
            reqwest::Method::POST,
            "/orgs/acme/teams",
            json!({"name": "devs", "role": "developer"})
        ),
        201
    );
    assert_eq!(
        admin(
            reqwest::Method::PUT,
            "/orgs/acme/teams/devs/members/tess",
            json!({})
        ),
        200
    );
    // The highest of her teams' roles counts.
    assert_eq!(push(), 201);
    assert_eq!(
        admin(reqwest::Method::DELETE, "/orgs/acme/teams/devs", json!({})),
        200
    );
    assert_eq!(push(), 403);
}
