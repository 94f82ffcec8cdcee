//! The OCI Distribution Specification 1.1, endpoint by endpoint and error code by error code,
//! over HTTP. Written from the specification's text (spec.md: "Pull", "Push", "Content
//! Discovery", "Content Management", the endpoints table end-1 … end-14 and the error codes
//! table code-1 … code-14), not from the server code: each test names the section it checks and
//! asserts status codes, headers and bodies.
//!
//! Most requests authenticate with Basic as the system administrator (the server accepts Basic
//! on the API directly); the token flow and the role model are `rbac.rs`.
//!
//! code-14 `TOOMANYREQUESTS` is what a client gets after too many failed logins from its address
//! (brute-force protection, `max_failed_logins` per `failed_login_window_seconds`).

use std::io::{Read, Write};

use reqwest::Method;
use reqwest::header::HeaderMap;
use serde_json::{Value, json};
use zoll_core::{Algorithm, Digest};

use crate::harness::{ADMIN, ADMIN_PASSWORD, Server, http};

pub(crate) const OCI_MANIFEST: &str = "application/vnd.oci.image.manifest.v1+json";
pub(crate) const OCI_INDEX: &str = "application/vnd.oci.image.index.v1+json";
pub(crate) const OCI_CONFIG: &str = "application/vnd.oci.image.config.v1+json";
pub(crate) const OCI_LAYER: &str = "application/vnd.oci.image.layer.v1.tar+gzip";
const OCI_EMPTY: &str = "application/vnd.oci.empty.v1+json";
/// The empty descriptor of the image specification ("Guidance for an Empty Descriptor").
const EMPTY_DIGEST: &str =
    "sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a";
const DOCKER_MANIFEST: &str = "application/vnd.docker.distribution.manifest.v2+json";
const DOCKER_LIST: &str = "application/vnd.docker.distribution.manifest.list.v2+json";
const DOCKER_CONFIG: &str = "application/vnd.docker.container.image.v1+json";
const DOCKER_LAYER: &str = "application/vnd.docker.image.rootfs.diff.tar.gzip";

/// The error codes table of the specification: a JSON error body must use one of these.
const SPEC_CODES: [&str; 14] = [
    "BLOB_UNKNOWN",
    "BLOB_UPLOAD_INVALID",
    "BLOB_UPLOAD_UNKNOWN",
    "DIGEST_INVALID",
    "MANIFEST_BLOB_UNKNOWN",
    "MANIFEST_INVALID",
    "MANIFEST_UNKNOWN",
    "NAME_INVALID",
    "NAME_UNKNOWN",
    "SIZE_INVALID",
    "UNAUTHORIZED",
    "DENIED",
    "UNSUPPORTED",
    "TOOMANYREQUESTS",
];

// ---- a small HTTP client ----

/// A response, read whole.
pub(crate) struct Resp {
    pub(crate) method: Method,
    pub(crate) url: String,
    pub(crate) status: u16,
    pub(crate) headers: HeaderMap,
    pub(crate) body: Vec<u8>,
}

impl Resp {
    pub(crate) fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// A header that must be there.
    pub(crate) fn must(&self, name: &str) -> &str {
        self.header(name)
            .unwrap_or_else(|| panic!("{self:?}: no {name} header"))
    }

    pub(crate) fn json(&self) -> Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("{self:?}: body is not JSON: {e}"))
    }

    /// The status, or a panic showing the whole response.
    pub(crate) fn expect(&self, status: u16) -> &Resp {
        assert_eq!(self.status, status, "{self:?}");
        self
    }

    /// An error answer: the status, and a spec-shaped JSON body whose first code is `code`.
    pub(crate) fn expect_error(&self, status: u16, code: &str) -> &Resp {
        assert_eq!(self.status, status, "{self:?}");
        let v = self.json();
        let errors = v["errors"]
            .as_array()
            .unwrap_or_else(|| panic!("{self:?}: no errors array"));
        assert!(!errors.is_empty(), "{self:?}: empty errors array");
        assert_eq!(errors[0]["code"], code, "{self:?}");
        for e in errors {
            let c = e["code"].as_str().unwrap_or_default();
            assert!(
                SPEC_CODES.contains(&c),
                "{self:?}: {c:?} is not a spec code"
            );
            assert!(
                e.get("message").is_none_or(Value::is_string),
                "{self:?}: message must be a string"
            );
        }
        self
    }
}

impl std::fmt::Debug for Resp {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let body = String::from_utf8_lossy(&self.body);
        let body: String = body.chars().take(600).collect();
        write!(
            f,
            "{} {} -> {} {:?} {body}",
            self.method, self.url, self.status, self.headers
        )
    }
}

/// How a request authenticates.
#[derive(Clone)]
pub(crate) enum Auth {
    Basic(String, String),
    Bearer(String),
}

/// Requests to one server as one caller.
pub(crate) struct Api {
    /// `http://127.0.0.1:PORT`.
    base: String,
    pub(crate) client: reqwest::blocking::Client,
    auth: Option<Auth>,
}

impl Api {
    pub(crate) fn new(base: String, auth: Option<Auth>) -> Api {
        Api {
            base,
            client: http(),
            auth,
        }
    }

    pub(crate) fn admin(server: &Server) -> Api {
        Api::as_user(server, ADMIN, ADMIN_PASSWORD)
    }

    pub(crate) fn as_user(server: &Server, user: &str, password: &str) -> Api {
        Api::new(
            server.url(""),
            Some(Auth::Basic(user.to_owned(), password.to_owned())),
        )
    }

    pub(crate) fn bearer(server: &Server, token: &str) -> Api {
        Api::new(server.url(""), Some(Auth::Bearer(token.to_owned())))
    }

    pub(crate) fn anonymous(server: &Server) -> Api {
        Api::new(server.url(""), None)
    }

    /// `path` is a path (`/v2/...`) or a whole URL (a `Location` may be either).
    fn url(&self, path: &str) -> String {
        if path.starts_with("http://") || path.starts_with("https://") {
            path.to_owned()
        } else {
            format!("{}{path}", self.base)
        }
    }

    pub(crate) fn send(
        &self,
        method: Method,
        path: &str,
        headers: &[(&str, &str)],
        body: Option<Vec<u8>>,
    ) -> Resp {
        let url = self.url(path);
        let mut req = self.client.request(method.clone(), &url);
        match &self.auth {
            Some(Auth::Basic(u, p)) => req = req.basic_auth(u, Some(p)),
            Some(Auth::Bearer(t)) => req = req.bearer_auth(t),
            None => {}
        }
        for (k, v) in headers {
            req = req.header(*k, *v);
        }
        if let Some(b) = body {
            req = req.body(b);
        }
        let resp = req.send().unwrap_or_else(|e| panic!("{method} {url}: {e}"));
        let status = resp.status().as_u16();
        let headers = resp.headers().clone();
        let body = resp.bytes().unwrap().to_vec();
        Resp {
            method,
            url,
            status,
            headers,
            body,
        }
    }

    pub(crate) fn get(&self, path: &str) -> Resp {
        self.send(Method::GET, path, &[], None)
    }

    pub(crate) fn get_with(&self, path: &str, headers: &[(&str, &str)]) -> Resp {
        self.send(Method::GET, path, headers, None)
    }

    pub(crate) fn head(&self, path: &str) -> Resp {
        self.send(Method::HEAD, path, &[], None)
    }

    pub(crate) fn delete(&self, path: &str) -> Resp {
        self.send(Method::DELETE, path, &[], None)
    }

    /// `POST /v2/<name>/blobs/uploads/` (end-4a): a session, its `Location`.
    pub(crate) fn start_upload(&self, repo: &str) -> String {
        let r = self.send(
            Method::POST,
            &format!("/v2/{repo}/blobs/uploads/"),
            &[("Content-Length", "0")],
            Some(Vec::new()),
        );
        r.expect(202);
        r.must("Location").to_owned()
    }

    /// POST then PUT (end-4a, end-6).
    pub(crate) fn push_blob_with(&self, repo: &str, bytes: &[u8], digest: &Digest) -> Resp {
        let location = self.start_upload(repo);
        self.send(
            Method::PUT,
            &with_query(&location, &format!("digest={digest}")),
            &[("Content-Type", "application/octet-stream")],
            Some(bytes.to_vec()),
        )
    }

    /// Push a blob (sha256) and return its descriptor with `media_type`.
    pub(crate) fn blob(&self, repo: &str, media_type: &str, bytes: &[u8]) -> Value {
        let d = Digest::sha256(bytes);
        self.push_blob_with(repo, bytes, &d).expect(201);
        desc(media_type, &d, bytes.len())
    }

    pub(crate) fn put_manifest(
        &self,
        repo: &str,
        reference: &str,
        media_type: &str,
        bytes: &[u8],
    ) -> Resp {
        self.send(
            Method::PUT,
            &format!("/v2/{repo}/manifests/{reference}"),
            &[("Content-Type", media_type)],
            Some(bytes.to_vec()),
        )
    }

    /// Push a manifest (it must succeed) and return its descriptor.
    pub(crate) fn manifest(
        &self,
        repo: &str,
        reference: &str,
        media_type: &str,
        bytes: &[u8],
    ) -> Value {
        self.put_manifest(repo, reference, media_type, bytes)
            .expect(201);
        desc(media_type, &Digest::sha256(bytes), bytes.len())
    }
}

pub(crate) fn with_query(location: &str, q: &str) -> String {
    if location.contains('?') {
        format!("{location}&{q}")
    } else {
        format!("{location}?{q}")
    }
}

pub(crate) fn desc(media_type: &str, d: &Digest, size: usize) -> Value {
    json!({"mediaType": media_type, "digest": d.to_string(), "size": size})
}

pub(crate) fn digest_of(d: &Value) -> Digest {
    d["digest"].as_str().unwrap().parse().unwrap()
}

pub(crate) fn bytes(v: &Value) -> Vec<u8> {
    serde_json::to_vec(v).unwrap()
}

/// An OCI image manifest.
pub(crate) fn image_manifest(config: &Value, layers: &[Value]) -> Value {
    json!({
        "schemaVersion": 2,
        "mediaType": OCI_MANIFEST,
        "config": config,
        "layers": layers,
    })
}

/// Push a config and one layer unique to `seed` into `repo`; the (unpushed) manifest naming
/// them.
pub(crate) fn image(api: &Api, repo: &str, seed: &str) -> Value {
    let config = api.blob(
        repo,
        OCI_CONFIG,
        json!({"architecture": "amd64", "os": "linux", "seed": seed})
            .to_string()
            .as_bytes(),
    );
    let layer = api.blob(repo, OCI_LAYER, format!("layer of {seed}").as_bytes());
    image_manifest(&config, &[layer])
}

/// The target of a `Link: <url>; rel="next"` header.
pub(crate) fn next_link(r: &Resp) -> Option<String> {
    let link = r.header("Link")?;
    assert!(
        link.contains("rel=\"next\""),
        "{r:?}: Link without rel=\"next\""
    );
    let start = link.find('<').unwrap() + 1;
    let end = link.find('>').unwrap();
    Some(link[start..end].to_owned())
}

pub(crate) fn strings(v: &Value) -> Vec<String> {
    v.as_array()
        .unwrap_or_else(|| panic!("{v} is not an array"))
        .iter()
        .map(|s| s.as_str().unwrap().to_owned())
        .collect()
}

// ---- end-1: API version check ----

#[test]
fn base_endpoint_is_200_with_credentials_and_a_bearer_challenge_without() {
    let server = Server::start();
    let r = Api::admin(&server).get("/v2/");
    r.expect(200);
    assert_eq!(
        r.header("Docker-Distribution-API-Version"),
        Some("registry/2.0")
    );

    // Anonymous: 401 with a challenge naming the token realm and the service.
    let r = Api::anonymous(&server).get("/v2/");
    r.expect_error(401, "UNAUTHORIZED");
    let challenge = r.must("WWW-Authenticate");
    let realm = format!(
        "Bearer realm=\"http://{}/token\",service=\"zoll\"",
        server.host()
    );
    assert!(challenge.starts_with(&realm), "{challenge}");
    assert_eq!(
        r.header("Docker-Distribution-API-Version"),
        Some("registry/2.0")
    );

    // Wrong password: 401 too, never a silent anonymous session.
    Api::as_user(&server, ADMIN, "wrong-password")
        .get("/v2/")
        .expect_error(401, "UNAUTHORIZED");
}

// ---- end-2: pulling blobs, HEAD, ranges ----

#[test]
fn blobs_are_pulled_whole_or_by_range_and_unknown_ones_are_blob_unknown() {
    let server = Server::start();
    let api = Api::admin(&server);
    let content: Vec<u8> = (0..100u8).collect();
    let d = Digest::sha256(&content);
    api.push_blob_with("acme/app", &content, &d).expect(201);
    let path = format!("/v2/acme/app/blobs/{d}");

    let r = api.head(&path);
    r.expect(200);
    assert_eq!(r.header("Content-Length"), Some("100"));
    assert_eq!(
        r.header("Docker-Content-Digest"),
        Some(d.to_string().as_str())
    );
    assert!(r.body.is_empty(), "HEAD must not have a body");

    let r = api.get(&path);
    r.expect(200);
    assert_eq!(r.body, content);
    assert_eq!(
        r.header("Docker-Content-Digest"),
        Some(d.to_string().as_str())
    );
    assert_eq!(
        Digest::sha256(&r.body),
        d,
        "the body matches the digest header"
    );

    // RFC 9110 ranges: closed, open-ended, suffix, clamped end.
    for (range, start, end) in [
        ("bytes=10-19", 10usize, 19usize),
        ("bytes=90-", 90, 99),
        ("bytes=-5", 95, 99),
        ("bytes=95-500", 95, 99),
    ] {
        let r = api.get_with(&path, &[("Range", range)]);
        r.expect(206);
        assert_eq!(r.body, content[start..=end], "{range}");
        assert_eq!(
            r.header("Content-Range"),
            Some(format!("bytes {start}-{end}/100").as_str()),
            "{range}"
        );
        assert_eq!(
            r.header("Content-Length"),
            Some((end - start + 1).to_string().as_str())
        );
    }
    // Unsatisfiable: 416 with the complete length (RFC 9110 §15.5.17).
    let r = api.get_with(&path, &[("Range", "bytes=100-")]);
    r.expect(416);
    assert_eq!(r.header("Content-Range"), Some("bytes */100"));
    // A 4xx body MAY be in any format, but a JSON one MUST use a code of the table, and none of
    // them describes an unsatisfiable range: so no JSON error document at all.
    assert!(
        r.body.is_empty() || !r.body.starts_with(b"{"),
        "{r:?}: RANGE_INVALID and other codes outside the table are not allowed"
    );
    let r = api.get_with(&path, &[("Range", "bytes=50-40")]);
    assert!(r.status == 416 || r.status == 200, "{r:?}");
    // A range unit the server does not know MUST be ignored (RFC 9110 §14.2): the whole blob.
    let r = api.get_with(&path, &[("Range", "items=0-3")]);
    r.expect(200);
    assert_eq!(r.body, content);

    // code-1 BLOB_UNKNOWN: never pushed; pushed to another repository only.
    let unknown = Digest::sha256(b"never pushed");
    api.get(&format!("/v2/acme/app/blobs/{unknown}"))
        .expect_error(404, "BLOB_UNKNOWN");
    api.head(&format!("/v2/acme/app/blobs/{unknown}"))
        .expect(404);
    api.get(&format!("/v2/acme/other/blobs/{d}"))
        .expect_error(404, "BLOB_UNKNOWN");
    api.head(&format!("/v2/acme/other/blobs/{d}")).expect(404);
}

// ---- end-4a, end-6: POST then PUT ----

#[test]
fn monolithic_post_then_put() {
    let server = Server::start();
    let api = Api::admin(&server);
    let r = api.send(
        Method::POST,
        "/v2/acme/app/blobs/uploads/",
        &[],
        Some(Vec::new()),
    );
    r.expect(202);
    let location = r.must("Location").to_owned();
    let id = location
        .rsplit('/')
        .next()
        .unwrap()
        .split('?')
        .next()
        .unwrap();
    assert!(!id.is_empty(), "the Location names a session: {location}");

    let content = b"a monolithic blob".to_vec();
    let d = Digest::sha256(&content);
    let r = api.send(
        Method::PUT,
        &with_query(&location, &format!("digest={d}")),
        &[("Content-Type", "application/octet-stream")],
        Some(content.clone()),
    );
    r.expect(201);
    assert_eq!(
        r.header("Docker-Content-Digest"),
        Some(d.to_string().as_str())
    );
    // The Location is a pullable blob URL.
    let blob = api.get(r.must("Location"));
    blob.expect(200);
    assert_eq!(blob.body, content);
    // The session is over.
    api.get(&location).expect_error(404, "BLOB_UPLOAD_UNKNOWN");
}

// ---- end-4b: single POST ----

#[test]
fn single_post_with_digest() {
    let server = Server::start();
    let api = Api::admin(&server);
    let content = b"one request".to_vec();
    let d = Digest::sha256(&content);
    let r = api.send(
        Method::POST,
        &format!("/v2/acme/app/blobs/uploads/?digest={d}"),
        &[("Content-Type", "application/octet-stream")],
        Some(content.clone()),
    );
    // 201 when supported; a registry that does not support it SHOULD answer 202 instead.
    r.expect(201);
    assert_eq!(
        r.header("Docker-Content-Digest"),
        Some(d.to_string().as_str())
    );
    let blob = api.get(r.must("Location"));
    blob.expect(200);
    assert_eq!(blob.body, content);
}

// ---- end-5, end-13, end-6: chunked uploads ----

/// PATCH one chunk with `Content-Range` (the spec's `^[0-9]+-[0-9]+$` form).
fn patch_chunk(api: &Api, location: &str, start: usize, chunk: &[u8]) -> Resp {
    let range = format!("{start}-{}", start + chunk.len() - 1);
    let len = chunk.len().to_string();
    api.send(
        Method::PATCH,
        location,
        &[
            ("Content-Type", "application/octet-stream"),
            ("Content-Range", &range),
            ("Content-Length", &len),
        ],
        Some(chunk.to_vec()),
    )
}

#[test]
fn chunked_upload_in_three_patches_then_put() {
    let server = Server::start();
    let api = Api::admin(&server);
    let content: Vec<u8> = (0..3000u32).map(|i| (i % 251) as u8).collect();
    let d = Digest::sha256(&content);
    let mut location = api.start_upload("acme/app");
    for (i, chunk) in content.chunks(1000).enumerate() {
        let r = patch_chunk(&api, &location, i * 1000, chunk);
        r.expect(202);
        assert_eq!(
            r.header("Range"),
            Some(format!("0-{}", i * 1000 + 999).as_str()),
            "Range is 0-<end-of-range>"
        );
        location = r.must("Location").to_owned();
    }
    // end-13: the status of the session.
    let r = api.get(&location);
    r.expect(204);
    assert_eq!(r.header("Range"), Some("0-2999"));
    assert!(r.header("Location").is_some(), "{r:?}");
    // Close it without a body.
    let r = api.send(
        Method::PUT,
        &with_query(&location, &format!("digest={d}")),
        &[("Content-Length", "0")],
        Some(Vec::new()),
    );
    r.expect(201);
    assert_eq!(
        r.header("Docker-Content-Digest"),
        Some(d.to_string().as_str())
    );
    let blob = api.get(r.must("Location"));
    blob.expect(200);
    assert_eq!(blob.body, content);

    // The final chunk MAY come with the closing PUT.
    let content2 = b"first half|second half".to_vec();
    let d2 = Digest::sha256(&content2);
    let location = api.start_upload("acme/app");
    let r = patch_chunk(&api, &location, 0, &content2[..11]);
    r.expect(202);
    let location = r.must("Location").to_owned();
    let rest = &content2[11..];
    let range = format!("11-{}", content2.len() - 1);
    let r = api.send(
        Method::PUT,
        &with_query(&location, &format!("digest={d2}")),
        &[
            ("Content-Type", "application/octet-stream"),
            ("Content-Range", &range),
        ],
        Some(rest.to_vec()),
    );
    r.expect(201);
    assert_eq!(api.get(&format!("/v2/acme/app/blobs/{d2}")).body, content2);
}

#[test]
fn an_out_of_order_chunk_is_416_and_the_upload_resumes_from_the_status() {
    let server = Server::start();
    let api = Api::admin(&server);
    let content: Vec<u8> = (0..30u8).collect();
    let d = Digest::sha256(&content);
    let location = api.start_upload("acme/app");
    patch_chunk(&api, &location, 0, &content[..10]).expect(202);

    // A gap (20-29 after 0-9) and a repeat (0-9 again): 416, with the valid range.
    for (start, chunk) in [(20usize, &content[20..]), (0, &content[..10])] {
        let r = patch_chunk(&api, &location, start, chunk);
        r.expect_error(416, "BLOB_UPLOAD_INVALID");
        assert_eq!(r.header("Range"), Some("0-9"), "{r:?}");
    }
    // "To get the current status after a 416 error, issue a GET request".
    let r = api.get(&location);
    r.expect(204);
    assert_eq!(r.header("Range"), Some("0-9"));
    let location = r.must("Location").to_owned();
    patch_chunk(&api, &location, 10, &content[10..20]).expect(202);
    let r = patch_chunk(&api, &location, 20, &content[20..]);
    r.expect(202);
    let r = api.send(
        Method::PUT,
        &with_query(r.must("Location"), &format!("digest={d}")),
        &[],
        Some(Vec::new()),
    );
    r.expect(201);
    assert_eq!(api.get(&format!("/v2/acme/app/blobs/{d}")).body, content);
}

#[test]
fn streamed_patches_without_content_range_append() {
    let server = Server::start();
    let api = Api::admin(&server);
    let content = b"streamed in two requests without ranges".to_vec();
    let d = Digest::sha256(&content);
    let location = api.start_upload("acme/app");
    let r = api.send(
        Method::PATCH,
        &location,
        &[("Content-Type", "application/octet-stream")],
        Some(content[..8].to_vec()),
    );
    r.expect(202);
    assert_eq!(r.header("Range"), Some("0-7"));
    let r = api.send(
        Method::PATCH,
        r.must("Location"),
        &[("Content-Type", "application/octet-stream")],
        Some(content[8..].to_vec()),
    );
    r.expect(202);
    assert_eq!(
        r.header("Range"),
        Some(format!("0-{}", content.len() - 1).as_str())
    );
    let r = api.send(
        Method::PUT,
        &with_query(r.must("Location"), &format!("digest={d}")),
        &[],
        Some(Vec::new()),
    );
    r.expect(201);
    assert_eq!(api.get(&format!("/v2/acme/app/blobs/{d}")).body, content);
}

// ---- code-4 DIGEST_INVALID ----

#[test]
fn a_wrong_digest_is_digest_invalid_and_stores_nothing() {
    let server = Server::start();
    let api = Api::admin(&server);
    let content = b"the real content".to_vec();
    let claimed = Digest::sha256(b"something else");

    // POST then PUT.
    let location = api.start_upload("acme/app");
    api.send(
        Method::PUT,
        &with_query(&location, &format!("digest={claimed}")),
        &[("Content-Type", "application/octet-stream")],
        Some(content.clone()),
    )
    .expect_error(400, "DIGEST_INVALID");
    api.head(&format!("/v2/acme/app/blobs/{claimed}"))
        .expect(404);
    let real = Digest::sha256(&content);
    api.head(&format!("/v2/acme/app/blobs/{real}")).expect(404);

    // Chunks then a PUT with the wrong digest.
    let location = api.start_upload("acme/app");
    let r = patch_chunk(&api, &location, 0, &content);
    r.expect(202);
    api.send(
        Method::PUT,
        &with_query(r.must("Location"), &format!("digest={claimed}")),
        &[],
        Some(Vec::new()),
    )
    .expect_error(400, "DIGEST_INVALID");
    api.head(&format!("/v2/acme/app/blobs/{claimed}"))
        .expect(404);

    // Single POST.
    api.send(
        Method::POST,
        &format!("/v2/acme/app/blobs/uploads/?digest={claimed}"),
        &[("Content-Type", "application/octet-stream")],
        Some(content),
    )
    .expect_error(400, "DIGEST_INVALID");
    api.head(&format!("/v2/acme/app/blobs/{claimed}"))
        .expect(404);
    api.head(&format!("/v2/acme/app/blobs/{real}")).expect(404);
}

#[test]
fn a_malformed_digest_is_digest_invalid() {
    let server = Server::start();
    let api = Api::admin(&server);
    let location = api.start_upload("acme/app");
    for bad in [
        "sha256:nothex",
        "sha256:ABCDEF0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF0123456789",
        "md5:d41d8cd98f00b204e9800998ecf8427e",
        "sha256",
    ] {
        api.send(
            Method::PUT,
            &with_query(&location, &format!("digest={bad}")),
            &[],
            Some(b"x".to_vec()),
        )
        .expect_error(400, "DIGEST_INVALID");
        api.send(
            Method::POST,
            &format!("/v2/acme/app/blobs/uploads/?digest={bad}"),
            &[],
            Some(b"x".to_vec()),
        )
        .expect_error(400, "DIGEST_INVALID");
    }
    // The closing PUT MUST carry the digest.
    api.send(Method::PUT, &location, &[], Some(b"x".to_vec()))
        .expect_error(400, "DIGEST_INVALID");
    for path in [
        "/v2/acme/app/blobs/sha256:zz",
        "/v2/acme/app/manifests/sha256:zz",
    ] {
        api.get(path).expect_error(400, "DIGEST_INVALID");
    }
    // end-12a: "If the request is invalid, such as a <digest> with an invalid syntax, a 400".
    api.get("/v2/acme/app/referrers/sha256:zz")
        .expect_error(400, "DIGEST_INVALID");
}

// ---- code-3 BLOB_UPLOAD_UNKNOWN, end-14 ----

#[test]
fn unknown_upload_sessions_are_blob_upload_unknown() {
    let server = Server::start();
    let api = Api::admin(&server);
    let d = Digest::sha256(b"x");
    for id in [
        "0123456789abcdef0123456789abcdef",
        "not-a-session",
        "..%2F..%2Fetc",
    ] {
        let path = format!("/v2/acme/app/blobs/uploads/{id}");
        api.get(&path).expect_error(404, "BLOB_UPLOAD_UNKNOWN");
        patch_chunk(&api, &path, 0, b"x").expect_error(404, "BLOB_UPLOAD_UNKNOWN");
        api.send(
            Method::PUT,
            &format!("{path}?digest={d}"),
            &[],
            Some(b"x".to_vec()),
        )
        .expect_error(404, "BLOB_UPLOAD_UNKNOWN");
        api.delete(&path).expect_error(404, "BLOB_UPLOAD_UNKNOWN");
    }
    // A session belongs to the repository it was started in.
    let location = api.start_upload("acme/app");
    let id = location.rsplit('/').next().unwrap();
    api.get(&format!("/v2/acme/other/blobs/uploads/{id}"))
        .expect_error(404, "BLOB_UPLOAD_UNKNOWN");
    api.get(&location).expect(204);
}

#[test]
fn a_cancelled_upload_is_gone() {
    let server = Server::start();
    let api = Api::admin(&server);
    let location = api.start_upload("acme/app");
    let r = patch_chunk(&api, &location, 0, b"partial data");
    r.expect(202);
    let location = r.must("Location").to_owned();
    let r = api.send(Method::DELETE, &location, &[("Content-Length", "0")], None);
    r.expect(204);
    api.get(&location).expect_error(404, "BLOB_UPLOAD_UNKNOWN");
    let d = Digest::sha256(b"partial data");
    api.send(
        Method::PUT,
        &with_query(&location, &format!("digest={d}")),
        &[],
        Some(Vec::new()),
    )
    .expect_error(404, "BLOB_UPLOAD_UNKNOWN");
    api.head(&format!("/v2/acme/app/blobs/{d}")).expect(404);
}

// ---- end-11: cross-repository mount ----

#[test]
fn mounting_a_blob_from_another_repository() {
    let server = Server::start();
    let api = Api::admin(&server);
    let content = b"shared layer".to_vec();
    let d = Digest::sha256(&content);
    api.push_blob_with("acme/src", &content, &d).expect(201);
    api.head(&format!("/v2/acme/dst/blobs/{d}")).expect(404);

    let r = api.send(
        Method::POST,
        &format!("/v2/acme/dst/blobs/uploads/?mount={d}&from=acme/src"),
        &[("Content-Length", "0")],
        Some(Vec::new()),
    );
    r.expect(201);
    assert_eq!(
        r.header("Docker-Content-Digest"),
        Some(d.to_string().as_str())
    );
    let blob = api.get(r.must("Location"));
    blob.expect(200);
    assert_eq!(blob.body, content);
    assert!(blob.url.contains("/v2/acme/dst/blobs/"), "{blob:?}");

    // Unable to mount (the source does not have it): 202, an upload session to use instead.
    let other = b"not in the source".to_vec();
    let d2 = Digest::sha256(&other);
    let r = api.send(
        Method::POST,
        &format!("/v2/acme/dst/blobs/uploads/?mount={d2}&from=acme/src"),
        &[("Content-Length", "0")],
        Some(Vec::new()),
    );
    r.expect(202);
    let r = api.send(
        Method::PUT,
        &with_query(r.must("Location"), &format!("digest={d2}")),
        &[("Content-Type", "application/octet-stream")],
        Some(other.clone()),
    );
    r.expect(201);
    assert_eq!(api.get(&format!("/v2/acme/dst/blobs/{d2}")).body, other);
}

// ---- end-3, end-7: manifests ----

#[test]
fn manifests_are_pushed_by_tag_and_by_digest_and_returned_byte_for_byte() {
    let server = Server::start();
    let api = Api::admin(&server);
    let m = image(&api, "acme/app", "v1");
    // Deliberately not compact JSON: the registry MUST keep the exact bytes.
    let mut body = serde_json::to_vec_pretty(&m).unwrap();
    body.extend_from_slice(b"\n");
    let d = Digest::sha256(&body);

    let r = api.put_manifest("acme/app", "v1", OCI_MANIFEST, &body);
    r.expect(201);
    assert_eq!(
        r.header("Docker-Content-Digest"),
        Some(d.to_string().as_str())
    );
    let location = r.must("Location").to_owned();

    for path in [
        location.clone(),
        "/v2/acme/app/manifests/v1".to_owned(),
        format!("/v2/acme/app/manifests/{d}"),
    ] {
        let r = api.get_with(&path, &[("Accept", OCI_MANIFEST)]);
        r.expect(200);
        assert_eq!(r.body, body, "{path}");
        assert_eq!(r.header("Content-Type"), Some(OCI_MANIFEST));
        assert_eq!(
            r.header("Docker-Content-Digest"),
            Some(d.to_string().as_str())
        );
        let r = api.head(&path);
        r.expect(200);
        assert!(r.body.is_empty());
        assert_eq!(
            r.header("Docker-Content-Digest"),
            Some(d.to_string().as_str())
        );
        assert_eq!(
            r.header("Content-Length"),
            Some(body.len().to_string().as_str())
        );
    }

    // By digest; the Content-Type parameters are ignored and not echoed.
    let m2 = bytes(&image(&api, "acme/app", "v2"));
    let d2 = Digest::sha256(&m2);
    let r = api.put_manifest(
        "acme/app",
        &d2.to_string(),
        &format!("{OCI_MANIFEST}; charset=utf-8"),
        &m2,
    );
    r.expect(201);
    assert_eq!(
        r.header("Docker-Content-Digest"),
        Some(d2.to_string().as_str())
    );
    let r = api.get(r.must("Location"));
    r.expect(200);
    assert_eq!(r.body, m2);
    assert_eq!(r.header("Content-Type"), Some(OCI_MANIFEST));

    // Pushing the same bytes again is fine; a tag moves to the new manifest.
    api.put_manifest("acme/app", "v1", OCI_MANIFEST, &body)
        .expect(201);
    api.put_manifest("acme/app", "v1", OCI_MANIFEST, &m2)
        .expect(201);
    assert_eq!(api.get("/v2/acme/app/manifests/v1").body, m2);

    // By a digest the bytes do not have.
    api.put_manifest("acme/app", &d.to_string(), OCI_MANIFEST, &m2)
        .expect_error(400, "DIGEST_INVALID");
    // A dangling subject MUST be accepted ("allowing clients to push a manifest and referrers
    // to that manifest in either order").
    let mut with_subject = image(&api, "acme/app", "v3");
    with_subject["subject"] = desc(OCI_MANIFEST, &Digest::sha256(b"not pushed yet"), 10);
    let r = api.put_manifest("acme/app", "v3", OCI_MANIFEST, &bytes(&with_subject));
    r.expect(201);
    assert_eq!(
        r.header("OCI-Subject"),
        Some(Digest::sha256(b"not pushed yet").to_string().as_str())
    );
}

#[test]
fn malformed_manifests_are_manifest_invalid() {
    let server = Server::start();
    let api = Api::admin(&server);
    let good = image(&api, "acme/app", "base");
    api.manifest("acme/app", "base", OCI_MANIFEST, &bytes(&good));

    let mut wrong_version = good.clone();
    wrong_version["schemaVersion"] = json!(1);
    let mut no_config = good.clone();
    no_config.as_object_mut().unwrap().remove("config");
    let mut bad_layer_digest = good.clone();
    bad_layer_digest["layers"][0]["digest"] = json!("sha256:not-a-digest");
    let mut index_with_layers = good.clone();
    index_with_layers["mediaType"] = json!(OCI_INDEX);
    index_with_layers["manifests"] = json!([]);
    let cases: Vec<(&str, &str, Vec<u8>)> = vec![
        ("not JSON", OCI_MANIFEST, b"{\"schemaVersion\": 2,".to_vec()),
        ("a JSON array", OCI_MANIFEST, b"[]".to_vec()),
        ("schemaVersion 1", OCI_MANIFEST, bytes(&wrong_version)),
        // "If a manifest includes a mediaType field, clients MUST set the Content-Type header to
        // the value specified by the mediaType field."
        ("mediaType vs Content-Type", OCI_INDEX, bytes(&good)),
        (
            "mediaType vs Docker Content-Type",
            DOCKER_MANIFEST,
            bytes(&good),
        ),
        ("no config", OCI_MANIFEST, bytes(&no_config)),
        ("bad layer digest", OCI_MANIFEST, bytes(&bad_layer_digest)),
        ("index with layers", OCI_INDEX, bytes(&index_with_layers)),
    ];
    for (what, content_type, body) in cases {
        let r = api.put_manifest("acme/app", "broken", content_type, &body);
        assert_eq!(r.status, 400, "{what}: {r:?}");
        r.expect_error(400, "MANIFEST_INVALID");
    }
    api.get("/v2/acme/app/manifests/broken")
        .expect_error(404, "MANIFEST_UNKNOWN");
    // An invalid tag (the grammar is [a-zA-Z0-9_][a-zA-Z0-9._-]{0,127}) cannot be pushed to.
    // The table has no code for it (Docker's TAG_INVALID is not a spec code); the server says
    // MANIFEST_INVALID.
    for tag in [".hidden", "-dash", &"a".repeat(129)] {
        api.put_manifest("acme/app", tag, OCI_MANIFEST, &bytes(&good))
            .expect_error(400, "MANIFEST_INVALID");
    }
}

#[test]
fn manifests_naming_missing_content_are_manifest_blob_unknown() {
    let server = Server::start();
    let api = Api::admin(&server);
    let config = api.blob(
        "acme/app",
        OCI_CONFIG,
        br#"{"architecture":"amd64","os":"linux"}"#,
    );
    let layer_bytes = b"the layer, pushed later".to_vec();
    let layer = desc(OCI_LAYER, &Digest::sha256(&layer_bytes), layer_bytes.len());
    let m = bytes(&image_manifest(&config, std::slice::from_ref(&layer)));
    let r = api.put_manifest("acme/app", "v1", OCI_MANIFEST, &m);
    r.expect_error(400, "MANIFEST_BLOB_UNKNOWN");
    api.get("/v2/acme/app/manifests/v1")
        .expect_error(404, "MANIFEST_UNKNOWN");

    // A missing config counts the same.
    let missing_config = desc(OCI_CONFIG, &Digest::sha256(b"no such config"), 14);
    let m2 = bytes(&image_manifest(&missing_config, &[]));
    api.put_manifest("acme/app", "v2", OCI_MANIFEST, &m2)
        .expect_error(400, "MANIFEST_BLOB_UNKNOWN");

    // A blob in another repository of the registry is not in this one.
    api.push_blob_with("acme/other", &layer_bytes, &digest_of(&layer))
        .expect(201);
    api.put_manifest("acme/app", "v1", OCI_MANIFEST, &m)
        .expect_error(400, "MANIFEST_BLOB_UNKNOWN");

    // Once pushed here, the same manifest is accepted.
    api.push_blob_with("acme/app", &layer_bytes, &digest_of(&layer))
        .expect(201);
    api.put_manifest("acme/app", "v1", OCI_MANIFEST, &m)
        .expect(201);
}

// ---- code-7 MANIFEST_UNKNOWN, code-8 NAME_INVALID, code-9 NAME_UNKNOWN ----

#[test]
fn unknown_manifests_are_manifest_unknown() {
    let server = Server::start();
    let api = Api::admin(&server);
    let m = image(&api, "acme/app", "x");
    api.manifest("acme/app", "v1", OCI_MANIFEST, &bytes(&m));
    let unknown = Digest::sha256(b"no such manifest");
    for path in [
        "/v2/acme/app/manifests/nope".to_owned(),
        format!("/v2/acme/app/manifests/{unknown}"),
    ] {
        api.get(&path).expect_error(404, "MANIFEST_UNKNOWN");
        api.head(&path).expect(404);
        api.delete(&path).expect_error(404, "MANIFEST_UNKNOWN");
    }
    // A repository that does not exist: 404 ("An attempt to pull a nonexistent repository MUST
    // return response code 404 Not Found").
    let r = api.get("/v2/acme/nothing/manifests/v1");
    assert_eq!(r.status, 404, "{r:?}");
    let code = r.json()["errors"][0]["code"].as_str().unwrap().to_owned();
    assert!(
        code == "MANIFEST_UNKNOWN" || code == "NAME_UNKNOWN",
        "{r:?}"
    );
    let r = api.delete(&format!("/v2/acme/nothing/manifests/{unknown}"));
    assert_eq!(r.status, 404, "{r:?}");
    let code = r.json()["errors"][0]["code"].as_str().unwrap().to_owned();
    assert!(
        code == "MANIFEST_UNKNOWN" || code == "NAME_UNKNOWN",
        "{r:?}"
    );
}

#[test]
fn invalid_repository_names_are_name_invalid() {
    let server = Server::start();
    let api = Api::admin(&server);
    let d = Digest::sha256(b"x");
    let long = format!("acme/{}", "a".repeat(260));
    for name in [
        "Acme/app",
        "acme/App",
        "acme/app-",
        "acme/-app",
        "acme/.app",
        "acme/a..b",
        long.as_str(),
    ] {
        api.get(&format!("/v2/{name}/tags/list"))
            .expect_error(400, "NAME_INVALID");
        api.get(&format!("/v2/{name}/manifests/latest"))
            .expect_error(400, "NAME_INVALID");
        api.get(&format!("/v2/{name}/blobs/{d}"))
            .expect_error(400, "NAME_INVALID");
        api.send(
            Method::POST,
            &format!("/v2/{name}/blobs/uploads/"),
            &[],
            Some(Vec::new()),
        )
        .expect_error(400, "NAME_INVALID");
    }
    // `__` and runs of dashes are separators the grammar allows.
    api.blob("acme/a__b--c", OCI_LAYER, b"ok");
}

#[test]
fn tags_of_an_unknown_repository_are_name_unknown() {
    let server = Server::start();
    let api = Api::admin(&server);
    api.get("/v2/acme/nothing/tags/list")
        .expect_error(404, "NAME_UNKNOWN");
    api.get("/v2/nosuchorg/app/tags/list")
        .expect_error(404, "NAME_UNKNOWN");
}

// ---- code-10 SIZE_INVALID ----

/// A manifest of exactly `size` bytes (padded with an annotation).
fn manifest_of_size(base: &Value, size: usize) -> Vec<u8> {
    let mut m = base.clone();
    m["annotations"] = json!({"pad": ""});
    let overhead = bytes(&m).len();
    assert!(size > overhead);
    m["annotations"]["pad"] = json!("p".repeat(size - overhead));
    let out = bytes(&m);
    assert_eq!(out.len(), size);
    out
}

#[test]
fn manifests_up_to_4_mib_are_accepted_and_larger_ones_are_413_size_invalid() {
    let server = Server::start();
    let api = Api::admin(&server);
    let base = image(&api, "acme/app", "big");
    // "Client and registry implementations SHOULD expect to be able to support manifest pushes
    // of at least 4 megabytes."
    let limit = 4 * 1024 * 1024;
    let fits = manifest_of_size(&base, limit);
    api.put_manifest("acme/app", "big", OCI_MANIFEST, &fits)
        .expect(201);
    assert_eq!(api.get("/v2/acme/app/manifests/big").body, fits);

    // One byte more: 413, announced by Content-Length. Sent by hand so that only the headers
    // travel: the server must answer without the body.
    let too_big = manifest_of_size(&base, limit + 1);
    let (status, body) = raw_put_headers_only(
        &server,
        "/v2/acme/app/manifests/huge",
        OCI_MANIFEST,
        too_big.len(),
    );
    assert_eq!(status, 413, "{body}");
    let v: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(v["errors"][0]["code"], "SIZE_INVALID", "{body}");

    // Without a Content-Length (chunked): the same answer once the limit is passed.
    let r = api
        .client
        .put(server.url("/v2/acme/app/manifests/huge"))
        .basic_auth(ADMIN, Some(ADMIN_PASSWORD))
        .header("Content-Type", OCI_MANIFEST)
        .body(reqwest::blocking::Body::new(std::io::Cursor::new(too_big)))
        .send();
    // The server may close the connection before the client finished sending; when the client
    // gets the answer, it must be the 413.
    if let Ok(r) = r {
        assert_eq!(r.status().as_u16(), 413);
        let v: Value = r.json().unwrap();
        assert_eq!(v["errors"][0]["code"], "SIZE_INVALID");
    }
    // A fresh client: the server may have closed the connection the refused body was on, and a
    // pooled client could pick that dead connection for the next request.
    let after = crate::harness::http()
        .get(server.url("/v2/acme/app/manifests/huge"))
        .basic_auth(ADMIN, Some(ADMIN_PASSWORD))
        .send()
        .unwrap();
    assert_eq!(after.status().as_u16(), 404);
    let v: Value = after.json().unwrap();
    assert_eq!(v["errors"][0]["code"], "MANIFEST_UNKNOWN");
}

/// `PUT path` with admin credentials and `Content-Length: len`, without sending the body; the
/// status and body of the answer.
fn raw_put_headers_only(
    server: &Server,
    path: &str,
    content_type: &str,
    len: usize,
) -> (u16, String) {
    use base64::Engine;
    let auth =
        base64::engine::general_purpose::STANDARD.encode(format!("{ADMIN}:{ADMIN_PASSWORD}"));
    let mut s = std::net::TcpStream::connect(server.addr).unwrap();
    s.set_read_timeout(Some(std::time::Duration::from_secs(60)))
        .unwrap();
    write!(
        s,
        "PUT {path} HTTP/1.1\r\nHost: {}\r\nAuthorization: Basic {auth}\r\nContent-Type: {content_type}\r\nContent-Length: {len}\r\n\r\n",
        server.host()
    )
    .unwrap();
    s.flush().unwrap();
    // Read the head, then Content-Length bytes of body.
    let mut buf = Vec::new();
    let mut byte = [0u8; 4096];
    let head_end = loop {
        let n = s.read(&mut byte).unwrap();
        assert!(n > 0, "connection closed before the response head");
        buf.extend_from_slice(&byte[..n]);
        if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break i + 4;
        }
    };
    let head = String::from_utf8_lossy(&buf[..head_end]).into_owned();
    let status: u16 = head.split_whitespace().nth(1).unwrap().parse().unwrap();
    let body_len: usize = head
        .lines()
        .find_map(|l| {
            let (k, v) = l.split_once(':')?;
            k.eq_ignore_ascii_case("content-length")
                .then(|| v.trim().parse().ok())
                .flatten()
        })
        .unwrap_or(0);
    while buf.len() < head_end + body_len {
        let n = s.read(&mut byte).unwrap();
        if n == 0 {
            break;
        }
        buf.extend_from_slice(&byte[..n]);
    }
    (
        status,
        String::from_utf8_lossy(&buf[head_end..]).into_owned(),
    )
}

// ---- code-13 UNSUPPORTED ----

#[test]
fn methods_an_endpoint_does_not_have_are_unsupported() {
    let server = Server::start();
    let api = Api::admin(&server);
    let d = Digest::sha256(b"x");
    let cases = [
        (Method::POST, "/v2/acme/app/manifests/latest".to_owned()),
        (Method::PATCH, "/v2/acme/app/manifests/latest".to_owned()),
        (Method::PUT, format!("/v2/acme/app/blobs/{d}")),
        (Method::POST, format!("/v2/acme/app/blobs/{d}")),
        (Method::PUT, "/v2/acme/app/tags/list".to_owned()),
        (Method::DELETE, "/v2/acme/app/tags/list".to_owned()),
        (Method::POST, format!("/v2/acme/app/referrers/{d}")),
        (Method::DELETE, "/v2/".to_owned()),
        (Method::POST, "/v2/_catalog".to_owned()),
        (Method::PUT, "/v2/acme/app/blobs/uploads/".to_owned()),
    ];
    for (method, path) in cases {
        api.send(method, &path, &[], Some(Vec::new()))
            .expect_error(405, "UNSUPPORTED");
    }
}

// ---- code-11 UNAUTHORIZED, code-12 DENIED ----

#[test]
fn missing_credentials_are_unauthorized_and_missing_rights_are_denied() {
    let server = Server::start();
    let admin = Api::admin(&server);
    let m = image(&admin, "acme/app", "x");
    admin.manifest("acme/app", "v1", OCI_MANIFEST, &bytes(&m));
    server.user("gina", "gina-password-1", Some(("acme", "guest")));
    server.user("nobody", "nobody-password-1", None);

    // No credentials: 401 with a challenge for the scope the operation needs.
    let anon = Api::anonymous(&server);
    let r = anon.get("/v2/acme/app/manifests/v1");
    r.expect_error(401, "UNAUTHORIZED");
    let challenge = r.must("WWW-Authenticate");
    assert!(challenge.starts_with("Bearer realm="), "{challenge}");
    assert!(
        challenge.contains("scope=\"repository:acme/app:pull\""),
        "{challenge}"
    );
    let r = anon.send(
        Method::POST,
        "/v2/pub/app/blobs/uploads/",
        &[],
        Some(Vec::new()),
    );
    r.expect_error(401, "UNAUTHORIZED");
    assert!(
        r.must("WWW-Authenticate")
            .contains("scope=\"repository:pub/app:push\""),
        "{r:?}"
    );
    anon.get("/v2/_catalog").expect_error(401, "UNAUTHORIZED");

    // Authenticated but not allowed: 403 DENIED.
    let nobody = Api::as_user(&server, "nobody", "nobody-password-1");
    nobody
        .get("/v2/acme/app/manifests/v1")
        .expect_error(403, "DENIED");
    let guest = Api::as_user(&server, "gina", "gina-password-1");
    guest.get("/v2/acme/app/manifests/v1").expect(200);
    guest
        .send(
            Method::POST,
            "/v2/acme/app/blobs/uploads/",
            &[],
            Some(Vec::new()),
        )
        .expect_error(403, "DENIED");
    guest
        .put_manifest("acme/app", "v2", OCI_MANIFEST, &bytes(&m))
        .expect_error(403, "DENIED");
    guest
        .delete("/v2/acme/app/manifests/v1")
        .expect_error(403, "DENIED");
    admin.get("/v2/acme/app/manifests/v1").expect(200);
}

// ---- indexes and Docker media types ----

#[test]
fn an_oci_index_needs_its_children() {
    let server = Server::start();
    let api = Api::admin(&server);
    let amd = bytes(&image(&api, "acme/multi", "amd64"));
    let arm = bytes(&image(&api, "acme/multi", "arm64"));
    let mut amd_desc = api.manifest(
        "acme/multi",
        &Digest::sha256(&amd).to_string(),
        OCI_MANIFEST,
        &amd,
    );
    amd_desc["platform"] = json!({"architecture": "amd64", "os": "linux"});
    let mut arm_desc = desc(OCI_MANIFEST, &Digest::sha256(&arm), arm.len());
    arm_desc["platform"] = json!({"architecture": "arm64", "os": "linux"});
    let index = bytes(&json!({
        "schemaVersion": 2,
        "mediaType": OCI_INDEX,
        "manifests": [amd_desc, arm_desc],
    }));
    // The arm64 manifest is not pushed yet.
    api.put_manifest("acme/multi", "latest", OCI_INDEX, &index)
        .expect_error(400, "MANIFEST_BLOB_UNKNOWN");
    api.manifest(
        "acme/multi",
        &Digest::sha256(&arm).to_string(),
        OCI_MANIFEST,
        &arm,
    );
    let r = api.put_manifest("acme/multi", "latest", OCI_INDEX, &index);
    r.expect(201);
    let d = Digest::sha256(&index);
    assert_eq!(
        r.header("Docker-Content-Digest"),
        Some(d.to_string().as_str())
    );
    let r = api.get_with("/v2/acme/multi/manifests/latest", &[("Accept", OCI_INDEX)]);
    r.expect(200);
    assert_eq!(r.body, index);
    assert_eq!(r.header("Content-Type"), Some(OCI_INDEX));
    // The children are pullable by digest.
    for child in [&amd, &arm] {
        let r = api.get(&format!(
            "/v2/acme/multi/manifests/{}",
            Digest::sha256(child)
        ));
        r.expect(200);
        assert_eq!(&r.body, child);
    }
}

#[test]
fn docker_schema2_manifests_and_manifest_lists() {
    let server = Server::start();
    let api = Api::admin(&server);
    let config = api.blob(
        "acme/docker",
        DOCKER_CONFIG,
        br#"{"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":[]}}"#,
    );
    let layer = api.blob("acme/docker", DOCKER_LAYER, b"docker layer");
    let manifest = bytes(&json!({
        "schemaVersion": 2,
        "mediaType": DOCKER_MANIFEST,
        "config": config,
        "layers": [layer],
    }));
    let r = api.put_manifest("acme/docker", "v1", DOCKER_MANIFEST, &manifest);
    r.expect(201);
    let r = api.get_with(
        "/v2/acme/docker/manifests/v1",
        &[("Accept", DOCKER_MANIFEST)],
    );
    r.expect(200);
    assert_eq!(r.header("Content-Type"), Some(DOCKER_MANIFEST));
    assert_eq!(r.body, manifest);

    let mut child = desc(DOCKER_MANIFEST, &Digest::sha256(&manifest), manifest.len());
    child["platform"] = json!({"architecture": "amd64", "os": "linux"});
    let missing = json!({
        "mediaType": DOCKER_MANIFEST,
        "digest": Digest::sha256(b"no such child").to_string(),
        "size": 13,
        "platform": {"architecture": "arm64", "os": "linux"},
    });
    let list_missing = bytes(&json!({
        "schemaVersion": 2,
        "mediaType": DOCKER_LIST,
        "manifests": [child, missing],
    }));
    api.put_manifest("acme/docker", "multi", DOCKER_LIST, &list_missing)
        .expect_error(400, "MANIFEST_BLOB_UNKNOWN");
    let list = bytes(&json!({
        "schemaVersion": 2,
        "mediaType": DOCKER_LIST,
        "manifests": [child],
    }));
    api.put_manifest("acme/docker", "multi", DOCKER_LIST, &list)
        .expect(201);
    let r = api.get_with(
        "/v2/acme/docker/manifests/multi",
        &[("Accept", DOCKER_LIST)],
    );
    r.expect(200);
    assert_eq!(r.header("Content-Type"), Some(DOCKER_LIST));
    assert_eq!(r.body, list);
}

// ---- end-12a, end-12b: referrers ----

/// The referrers of `subject` in `repo`, checked for the shape the spec requires.
fn referrers(api: &Api, repo: &str, subject: &Digest, filter: Option<&str>) -> (Resp, Vec<Value>) {
    let path = match filter {
        Some(t) => format!("/v2/{repo}/referrers/{subject}?artifactType={t}"),
        None => format!("/v2/{repo}/referrers/{subject}"),
    };
    let r = api.get(&path);
    r.expect(200);
    assert_eq!(r.header("Content-Type"), Some(OCI_INDEX), "{r:?}");
    let v = r.json();
    assert_eq!(v["schemaVersion"], 2, "{r:?}");
    assert_eq!(v["mediaType"], OCI_INDEX, "{r:?}");
    let list = v["manifests"]
        .as_array()
        .unwrap_or_else(|| panic!("{r:?}: manifests must be an array, even when empty"))
        .clone();
    (r, list)
}

fn find<'v>(list: &'v [Value], d: &Digest) -> &'v Value {
    let matching: Vec<&Value> = list
        .iter()
        .filter(|x| x["digest"] == d.to_string())
        .collect();
    assert_eq!(matching.len(), 1, "{d} must be listed once in {list:?}");
    matching[0]
}

#[test]
fn artifacts_with_the_empty_config_and_the_referrers_api() {
    let server = Server::start();
    let api = Api::admin(&server);
    let repo = "acme/app";
    let subject_bytes = bytes(&image(&api, repo, "subject"));
    let subject = api.manifest(repo, "v1", OCI_MANIFEST, &subject_bytes);
    let subject_digest = digest_of(&subject);

    // The empty config: `{}`, with the digest and size the image spec fixes.
    assert_eq!(Digest::sha256(b"{}").to_string(), EMPTY_DIGEST);
    let empty = api.blob(repo, OCI_EMPTY, b"{}");
    assert_eq!(
        empty,
        json!({"mediaType": OCI_EMPTY, "digest": EMPTY_DIGEST, "size": 2})
    );

    // A: artifactType set, the empty config, annotations.
    let sbom = api.blob(
        repo,
        "application/spdx+json",
        br#"{"spdxVersion":"SPDX-2.3"}"#,
    );
    let mut a = image_manifest(&empty, &[sbom]);
    a["artifactType"] = json!("application/vnd.example.sbom.v1");
    a["subject"] = subject.clone();
    a["annotations"] = json!({
        "org.opencontainers.image.created": "2024-01-01T14:42:55Z",
        "org.example.sbom.format": "json",
    });
    let a = bytes(&a);
    let a_digest = Digest::sha256(&a);
    let r = api.put_manifest(repo, &a_digest.to_string(), OCI_MANIFEST, &a);
    r.expect(201);
    assert_eq!(
        r.header("OCI-Subject"),
        Some(subject_digest.to_string().as_str()),
        "a registry with the referrers API MUST answer OCI-Subject"
    );

    // B: no artifactType: the referrers list uses config.mediaType.
    let sig_config = api.blob(
        repo,
        "application/vnd.example.signature.config.v1+json",
        b"{\"k\":1}",
    );
    let sig = api.blob(
        repo,
        "application/vnd.example.signature.v1",
        b"signature bytes",
    );
    let mut b = image_manifest(&sig_config, &[sig]);
    b["subject"] = subject.clone();
    let b = bytes(&b);
    let b_digest = Digest::sha256(&b);
    let r = api.put_manifest(repo, &b_digest.to_string(), OCI_MANIFEST, &b);
    r.expect(201);
    assert_eq!(
        r.header("OCI-Subject"),
        Some(subject_digest.to_string().as_str())
    );

    // C: an index with a subject and no artifactType: artifactType omitted.
    let c = bytes(&json!({
        "schemaVersion": 2,
        "mediaType": OCI_INDEX,
        "manifests": [desc(OCI_MANIFEST, &a_digest, a.len())],
        "subject": subject,
        "annotations": {"org.opencontainers.image.created": "2023-01-01T07:21:33Z"},
    }));
    let c_digest = Digest::sha256(&c);
    let r = api.put_manifest(repo, &c_digest.to_string(), OCI_INDEX, &c);
    r.expect(201);
    assert_eq!(
        r.header("OCI-Subject"),
        Some(subject_digest.to_string().as_str())
    );

    // A manifest without subject is not a referrer.
    api.manifest(
        repo,
        "other",
        OCI_MANIFEST,
        &bytes(&image(&api, repo, "unrelated")),
    );

    let (_, list) = referrers(&api, repo, &subject_digest, None);
    assert_eq!(list.len(), 3, "{list:?}");
    let ra = find(&list, &a_digest);
    assert_eq!(ra["mediaType"], OCI_MANIFEST);
    assert_eq!(ra["size"], a.len());
    assert_eq!(ra["artifactType"], "application/vnd.example.sbom.v1");
    assert_eq!(
        ra["annotations"],
        json!({
            "org.opencontainers.image.created": "2024-01-01T14:42:55Z",
            "org.example.sbom.format": "json",
        })
    );
    let rb = find(&list, &b_digest);
    assert_eq!(rb["size"], b.len());
    assert_eq!(
        rb["artifactType"],
        "application/vnd.example.signature.config.v1+json"
    );
    let rc = find(&list, &c_digest);
    assert_eq!(rc["mediaType"], OCI_INDEX);
    assert_eq!(rc["size"], c.len());
    assert!(rc.get("artifactType").is_none(), "{rc}");
    assert_eq!(
        rc["annotations"]["org.opencontainers.image.created"],
        "2023-01-01T07:21:33Z"
    );

    // end-12b: filtered, and the response says so.
    let (r, list) = referrers(
        &api,
        repo,
        &subject_digest,
        Some("application/vnd.example.sbom.v1"),
    );
    assert_eq!(r.header("OCI-Filters-Applied"), Some("artifactType"));
    assert_eq!(list.len(), 1, "{list:?}");
    assert_eq!(list[0]["digest"], a_digest.to_string());
    let (r, list) = referrers(
        &api,
        repo,
        &subject_digest,
        Some("application/vnd.example.none"),
    );
    assert_eq!(r.header("OCI-Filters-Applied"), Some("artifactType"));
    assert!(list.is_empty());

    // No referrers: an empty list, never 404 — also for a digest nobody pushed, and in a
    // repository that does not exist.
    let (_, list) = referrers(&api, repo, &a_digest, None);
    assert!(list.is_empty());
    let (_, list) = referrers(&api, repo, &Digest::sha256(b"unknown subject"), None);
    assert!(list.is_empty());
    let (_, list) = referrers(&api, "acme/nothing", &subject_digest, None);
    assert!(list.is_empty());

    // A referrer is pullable like any manifest.
    let r = api.get(&format!("/v2/{repo}/manifests/{a_digest}"));
    r.expect(200);
    assert_eq!(r.body, a);
    assert_eq!(r.header("Content-Type"), Some(OCI_MANIFEST));
}

#[test]
fn a_referrers_tag_schema_index_is_merged_into_the_referrers_api() {
    let server = Server::start();
    let api = Api::admin(&server);
    let repo = "acme/app";
    let subject = api.manifest(
        repo,
        "v1",
        OCI_MANIFEST,
        &bytes(&image(&api, repo, "subject")),
    );
    let subject_digest = digest_of(&subject);
    let empty = api.blob(repo, OCI_EMPTY, b"{}");

    // F: pushed by an old client, without a subject field; only the tag schema index names it.
    let layer = api.blob(repo, "application/vnd.example.sig", b"legacy signature");
    let mut f = image_manifest(&empty, std::slice::from_ref(&layer));
    f["artifactType"] = json!("application/vnd.example.legacy.v1");
    let f = bytes(&f);
    let f_desc = api.manifest(repo, &Digest::sha256(&f).to_string(), OCI_MANIFEST, &f);
    // G: with a subject (found by the API itself) and also in the index: listed once.
    let mut g = image_manifest(&empty, &[layer]);
    g["artifactType"] = json!("application/vnd.example.sbom.v1");
    g["subject"] = subject.clone();
    let g = bytes(&g);
    let g_desc = api.manifest(repo, &Digest::sha256(&g).to_string(), OCI_MANIFEST, &g);

    let mut f_entry = f_desc.clone();
    f_entry["artifactType"] = json!("application/vnd.example.legacy.v1");
    let mut g_entry = g_desc.clone();
    g_entry["artifactType"] = json!("application/vnd.example.sbom.v1");
    let index = bytes(&json!({
        "schemaVersion": 2,
        "mediaType": OCI_INDEX,
        "manifests": [f_entry, g_entry],
    }));
    // The referrers tag schema: <alg>-<ref>.
    let tag = format!("sha256-{}", subject_digest.hex());
    api.manifest(repo, &tag, OCI_INDEX, &index);

    let (_, list) = referrers(&api, repo, &subject_digest, None);
    assert_eq!(list.len(), 2, "{list:?}");
    let rf = find(&list, &digest_of(&f_desc));
    assert_eq!(rf["artifactType"], "application/vnd.example.legacy.v1");
    assert_eq!(rf["size"], f.len());
    find(&list, &digest_of(&g_desc));

    // The filter applies to the merged entries too.
    let (r, list) = referrers(
        &api,
        repo,
        &subject_digest,
        Some("application/vnd.example.legacy.v1"),
    );
    assert_eq!(r.header("OCI-Filters-Applied"), Some("artifactType"));
    assert_eq!(list.len(), 1, "{list:?}");
    assert_eq!(list[0]["digest"], f_desc["digest"]);
}

// ---- end-9, end-10: deleting ----

#[test]
fn deleting_a_tag_keeps_the_manifest() {
    let server = Server::start();
    let api = Api::admin(&server);
    let m = bytes(&image(&api, "acme/app", "x"));
    let d = Digest::sha256(&m);
    api.manifest("acme/app", "v1", OCI_MANIFEST, &m);
    api.manifest("acme/app", "v2", OCI_MANIFEST, &m);

    let r = api.delete("/v2/acme/app/manifests/v1");
    r.expect(202);
    api.get("/v2/acme/app/manifests/v1")
        .expect_error(404, "MANIFEST_UNKNOWN");
    api.get(&format!("/v2/acme/app/manifests/{d}")).expect(200);
    api.get("/v2/acme/app/manifests/v2").expect(200);
    assert_eq!(
        strings(&api.get("/v2/acme/app/tags/list").json()["tags"]),
        ["v2"]
    );
    api.delete("/v2/acme/app/manifests/v1")
        .expect_error(404, "MANIFEST_UNKNOWN");
}

#[test]
fn deleting_a_manifest_removes_it_and_its_tags() {
    let server = Server::start();
    let api = Api::admin(&server);
    let m = bytes(&image(&api, "acme/app", "x"));
    let d = Digest::sha256(&m);
    api.manifest("acme/app", "v1", OCI_MANIFEST, &m);
    api.manifest("acme/app", "v2", OCI_MANIFEST, &m);
    let other = bytes(&image(&api, "acme/app", "y"));
    api.manifest("acme/app", "keep", OCI_MANIFEST, &other);

    api.delete(&format!("/v2/acme/app/manifests/{d}"))
        .expect(202);
    // "Once deleted, a GET to /v2/<name>/manifests/<digest> and any tag pointing to that digest
    // will return a 404."
    for r in ["v1", "v2", &d.to_string()] {
        api.get(&format!("/v2/acme/app/manifests/{r}"))
            .expect_error(404, "MANIFEST_UNKNOWN");
    }
    assert_eq!(
        strings(&api.get("/v2/acme/app/tags/list").json()["tags"]),
        ["keep"]
    );
    api.delete(&format!("/v2/acme/app/manifests/{d}"))
        .expect_error(404, "MANIFEST_UNKNOWN");
    // It can be pushed again.
    api.manifest("acme/app", "v1", OCI_MANIFEST, &m);
}

#[test]
fn deleting_a_blob() {
    let server = Server::start();
    let api = Api::admin(&server);
    let content = b"to be deleted".to_vec();
    let d = Digest::sha256(&content);
    api.push_blob_with("acme/app", &content, &d).expect(201);
    api.push_blob_with("acme/other", &content, &d).expect(201);
    let path = format!("/v2/acme/app/blobs/{d}");
    api.delete(&path).expect(202);
    api.head(&path).expect(404);
    api.get(&path).expect_error(404, "BLOB_UNKNOWN");
    api.delete(&path).expect_error(404, "BLOB_UNKNOWN");
    // Only this repository lost it.
    api.get(&format!("/v2/acme/other/blobs/{d}")).expect(200);
}

// ---- end-8a, end-8b: tags; the catalog ----

#[test]
fn tags_are_listed_in_order_and_paginated_with_n_last_and_link() {
    let server = Server::start();
    let api = Api::admin(&server);
    let m = bytes(&image(&api, "acme/app", "x"));
    let all = ["1.0", "1.1", "a", "b", "c", "latest", "v9"];
    for tag in ["latest", "b", "1.1", "v9", "a", "1.0", "c"] {
        api.manifest("acme/app", tag, OCI_MANIFEST, &m);
    }
    let r = api.get("/v2/acme/app/tags/list");
    r.expect(200);
    let v = r.json();
    assert_eq!(v["name"], "acme/app");
    assert_eq!(strings(&v["tags"]), all);
    assert!(r.header("Link").is_none(), "{r:?}");

    // n=3: three at a time; each page but the last links to the next.
    let mut pages = Vec::new();
    let mut next = Some("/v2/acme/app/tags/list?n=3".to_owned());
    while let Some(path) = next {
        let r = api.get(&path);
        r.expect(200);
        let tags = strings(&r.json()["tags"]);
        assert!(tags.len() <= 3, "{r:?}");
        next = next_link(&r);
        if next.is_some() {
            assert_eq!(tags.len(), 3, "fewer than n only on the last page: {r:?}");
        }
        pages.push(tags);
        assert!(pages.len() <= 4, "pagination does not end: {pages:?}");
    }
    assert_eq!(pages.concat(), all);
    assert_eq!(pages[0], ["1.0", "1.1", "a"]);

    // last: strictly after; with and without n.
    let r = api.get("/v2/acme/app/tags/list?n=2&last=b");
    assert_eq!(strings(&r.json()["tags"]), ["c", "latest"]);
    let r = api.get("/v2/acme/app/tags/list?last=c");
    assert_eq!(strings(&r.json()["tags"]), ["latest", "v9"]);
    assert!(r.header("Link").is_none(), "{r:?}");
    // "When n is zero, this endpoint MUST return an empty list, and MUST NOT include a Link
    // header."
    let r = api.get("/v2/acme/app/tags/list?n=0");
    r.expect(200);
    assert_eq!(strings(&r.json()["tags"]), Vec::<String>::new());
    assert!(r.header("Link").is_none(), "{r:?}");
    // n larger than the list: everything, no Link.
    let r = api.get("/v2/acme/app/tags/list?n=100");
    assert_eq!(strings(&r.json()["tags"]), all);
    assert!(r.header("Link").is_none(), "{r:?}");
    // A repository whose tags were all deleted still exists: 200, empty list.
    let d = Digest::sha256(&m);
    api.delete(&format!("/v2/acme/app/manifests/{d}"))
        .expect(202);
    let r = api.get("/v2/acme/app/tags/list");
    r.expect(200);
    assert_eq!(strings(&r.json()["tags"]), Vec::<String>::new());
}

#[test]
fn the_catalog_is_paginated_with_n_last_and_link() {
    let server = Server::start();
    let api = Api::admin(&server);
    let repos = ["acme/a", "acme/b", "acme/c/deep", "pub/x", "pub/y"];
    for repo in repos.iter().rev() {
        api.blob(repo, OCI_LAYER, repo.as_bytes());
    }
    let r = api.get("/v2/_catalog");
    r.expect(200);
    assert_eq!(strings(&r.json()["repositories"]), repos);

    let mut seen = Vec::new();
    let mut next = Some("/v2/_catalog?n=2".to_owned());
    let mut pages = 0;
    while let Some(path) = next {
        let r = api.get(&path);
        r.expect(200);
        let page = strings(&r.json()["repositories"]);
        next = next_link(&r);
        if next.is_some() {
            assert_eq!(page.len(), 2, "{r:?}");
        }
        seen.extend(page);
        pages += 1;
        assert!(pages <= 4, "pagination does not end: {seen:?}");
    }
    assert_eq!(seen, repos);
    assert_eq!(pages, 3);
    let r = api.get("/v2/_catalog?n=2&last=acme%2Fb");
    assert_eq!(strings(&r.json()["repositories"]), ["acme/c/deep", "pub/x"]);
    let r = api.get("/v2/_catalog?n=0");
    assert_eq!(strings(&r.json()["repositories"]), Vec::<String>::new());
    assert!(r.header("Link").is_none(), "{r:?}");
}

// ---- sha512 ----

#[test]
fn sha512_blobs_and_manifests() {
    let server = Server::start();
    let api = Api::admin(&server);
    let repo = "acme/sha512";
    let config_bytes = br#"{"architecture":"amd64","os":"linux"}"#.to_vec();
    let config_digest = Digest::of(Algorithm::Sha512, &config_bytes);
    assert!(config_digest.to_string().starts_with("sha512:"));
    let r = api.push_blob_with(repo, &config_bytes, &config_digest);
    r.expect(201);
    assert_eq!(
        r.header("Docker-Content-Digest"),
        Some(config_digest.to_string().as_str())
    );
    let r = api.get(&format!("/v2/{repo}/blobs/{config_digest}"));
    r.expect(200);
    assert_eq!(r.body, config_bytes);
    assert_eq!(
        r.header("Docker-Content-Digest"),
        Some(config_digest.to_string().as_str())
    );

    // Chunked, and a single POST.
    let layer_bytes = b"a sha512 layer, sent in two chunks".to_vec();
    let layer_digest = Digest::of(Algorithm::Sha512, &layer_bytes);
    let location = api.start_upload(repo);
    let r = patch_chunk(&api, &location, 0, &layer_bytes[..10]);
    r.expect(202);
    let r = patch_chunk(&api, r.must("Location"), 10, &layer_bytes[10..]);
    r.expect(202);
    api.send(
        Method::PUT,
        &with_query(r.must("Location"), &format!("digest={layer_digest}")),
        &[],
        Some(Vec::new()),
    )
    .expect(201);
    let single = b"single post sha512".to_vec();
    let single_digest = Digest::of(Algorithm::Sha512, &single);
    api.send(
        Method::POST,
        &format!("/v2/{repo}/blobs/uploads/?digest={single_digest}"),
        &[],
        Some(single.clone()),
    )
    .expect(201);
    api.head(&format!("/v2/{repo}/blobs/{single_digest}"))
        .expect(200);
    // A wrong sha512.
    api.push_blob_with(repo, b"other", &single_digest)
        .expect_error(400, "DIGEST_INVALID");

    // A manifest naming sha512 blobs, pushed by its sha512 digest.
    let m = bytes(&image_manifest(
        &desc(OCI_CONFIG, &config_digest, config_bytes.len()),
        &[desc(OCI_LAYER, &layer_digest, layer_bytes.len())],
    ));
    let md = Digest::of(Algorithm::Sha512, &m);
    let r = api.put_manifest(repo, &md.to_string(), OCI_MANIFEST, &m);
    r.expect(201);
    assert_eq!(
        r.header("Docker-Content-Digest"),
        Some(md.to_string().as_str())
    );
    assert!(r.must("Location").ends_with(&md.to_string()), "{r:?}");
    let r = api.get(&format!("/v2/{repo}/manifests/{md}"));
    r.expect(200);
    assert_eq!(r.body, m);
    assert_eq!(
        r.header("Docker-Content-Digest"),
        Some(md.to_string().as_str())
    );
    // Under a digest of the other algorithm it was not stored.
    api.get(&format!("/v2/{repo}/manifests/{}", Digest::sha256(&m)))
        .expect_error(404, "MANIFEST_UNKNOWN");
    // A sha512 reference that does not match the bytes.
    api.put_manifest(
        repo,
        &Digest::of(Algorithm::Sha512, b"x").to_string(),
        OCI_MANIFEST,
        &m,
    )
    .expect_error(400, "DIGEST_INVALID");
    // Referrers by a sha512 subject.
    let empty = api.blob(repo, OCI_EMPTY, b"{}");
    let mut art = image_manifest(&empty, std::slice::from_ref(&empty));
    art["artifactType"] = json!("application/vnd.example.sha512.v1");
    art["subject"] = desc(OCI_MANIFEST, &md, m.len());
    let art = bytes(&art);
    let r = api.put_manifest(repo, "art", OCI_MANIFEST, &art);
    r.expect(201);
    assert_eq!(r.header("OCI-Subject"), Some(md.to_string().as_str()));
    let (_, list) = referrers(&api, repo, &md, None);
    assert_eq!(list.len(), 1, "{list:?}");
    assert_eq!(list[0]["digest"], Digest::sha256(&art).to_string());
}

#[test]
fn too_many_failed_logins_are_toomanyrequests_until_the_window_ends() {
    let dir = tempfile::tempdir().unwrap();
    let mut config = zoll_registry::Config::default();
    config.data_dir = dir.path().join("data");
    config.max_failed_logins = 3;
    config.failed_login_window_seconds = 2;
    let server = crate::harness::Server::start_with(config);
    server.bootstrap();
    let http = crate::harness::http();
    let get = |password: &str| {
        http.get(server.url("/v2/"))
            .basic_auth(crate::harness::ADMIN, Some(password))
            .send()
            .unwrap()
    };
    for _ in 0..3 {
        assert_eq!(get("wrong-password").status(), 401);
    }
    // Now even the right password waits: guessing is what is being slowed down.
    let r = get(crate::harness::ADMIN_PASSWORD);
    assert_eq!(r.status(), 429);
    let retry: u64 = r.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=2).contains(&retry), "Retry-After {retry}");
    let body: Value = r.json().unwrap();
    assert_eq!(body["errors"][0]["code"], "TOOMANYREQUESTS");
    // The token endpoint is throttled the same way.
    let t = http
        .get(server.url("/token?service=zoll"))
        .basic_auth(crate::harness::ADMIN, Some(crate::harness::ADMIN_PASSWORD))
        .send()
        .unwrap();
    assert_eq!(t.status(), 429);
    std::thread::sleep(std::time::Duration::from_millis(2100));
    assert_eq!(get(crate::harness::ADMIN_PASSWORD).status(), 200);
}

// ---- the signature API extension of containers/image ----

/// `/extensions/v2/<name>/signatures/<digest>` as containers/image's docker transport uses it
/// (docker_client.go `extensionSignature`/`extensionSignatureList`; docker_image_src.go and
/// docker_image_dest.go): announced by `X-Registry-Supports-Signatures: 1` on the `/v2/` ping
/// (401 included); GET answers 200 with a (possibly empty) list; PUT of one signature answers
/// 201; both under the repository's pull/push permissions.
#[test]
fn signature_extension_stores_and_lists_signatures_under_rbac() {
    let server = Server::start();
    let api = Api::admin(&server);
    assert_eq!(
        api.get("/v2/")
            .expect(200)
            .header("X-Registry-Supports-Signatures"),
        Some("1")
    );
    let anon = Api::anonymous(&server);
    assert_eq!(
        anon.get("/v2/")
            .expect(401)
            .header("X-Registry-Supports-Signatures"),
        Some("1")
    );
    assert_eq!(
        api.get("/v2/_catalog")
            .expect(200)
            .header("X-Registry-Supports-Signatures"),
        None,
        "the announcement belongs to the ping only"
    );

    let repo = "sig/app";
    let m = image_manifest_bytes(&api, repo, "sig");
    let digest = Digest::sha256(&m);
    api.put_manifest(repo, "v1", OCI_MANIFEST, &m).expect(201);
    let path = format!("/extensions/v2/{repo}/signatures/{digest}");
    let list = api.get(&path).expect(200).json();
    assert_eq!(list, json!({"signatures": []}));

    let content = base64_std(b"\xa3\x01 an openpgp message");
    let sig = |name: &str| json!({"schemaVersion": 2, "name": name, "type": "atomic", "content": content});
    let name1 = format!("{digest}@0123456789abcdef0123456789abcdef");
    let put = |api: &Api, body: &Value| {
        api.send(
            Method::PUT,
            &path,
            &[("Content-Type", "application/json")],
            Some(bytes(body)),
        )
    };
    put(&api, &sig(&name1)).expect(201);
    assert_eq!(
        api.get(&path).expect(200).json(),
        json!({"signatures": [sig(&name1)]})
    );
    // The same name again: refused, the first one is kept.
    put(&api, &sig(&name1)).expect(409);
    let name2 = format!("{digest}@fedcba9876543210fedcba9876543210");
    put(&api, &sig(&name2)).expect(201);
    assert_eq!(
        api.get(&path).expect(200).json()["signatures"]
            .as_array()
            .unwrap()
            .len(),
        2
    );

    // Malformed requests name what is wrong and store nothing.
    for (body, needle) in [
        (sig("sha256:0000@x"), "must be"),
        (
            json!({"schemaVersion": 1, "name": name1, "type": "atomic", "content": content}),
            "schemaVersion",
        ),
        (
            json!({"schemaVersion": 2, "name": format!("{digest}@a1"), "type": "sigstore", "content": content}),
            "type",
        ),
        (
            json!({"schemaVersion": 2, "name": format!("{digest}@a2"), "type": "atomic", "content": "!!"}),
            "base64",
        ),
        (
            json!({"schemaVersion": 2, "name": format!("{digest}@a3"), "type": "atomic"}),
            "invalid signature",
        ),
    ] {
        let r = put(&api, &body);
        r.expect(400);
        assert!(
            String::from_utf8_lossy(&r.body).contains(needle),
            "{r:?} should mention {needle:?}"
        );
    }
    let big = json!({"schemaVersion": 2, "name": format!("{digest}@big"), "type": "atomic",
        "content": base64_std(&vec![7u8; 100 * 1024])});
    put(&api, &big).expect(413);
    assert_eq!(
        api.get(&path).expect(200).json()["signatures"]
            .as_array()
            .unwrap()
            .len(),
        2
    );

    // Unknown manifests and bad digests.
    let other = Digest::sha256(b"no such manifest");
    api.get(&format!("/extensions/v2/{repo}/signatures/{other}"))
        .expect_error(404, "MANIFEST_UNKNOWN");
    api.get(&format!("/extensions/v2/{repo}/signatures/sha256:zz"))
        .expect_error(400, "DIGEST_INVALID");

    // RBAC: the organisation is private, so anonymous callers get 401 for both verbs.
    anon.get(&path).expect(401);
    put(&anon, &sig(&format!("{digest}@anon"))).expect(401);

    // Deleting the manifest deletes its signatures.
    api.delete(&format!("/v2/{repo}/manifests/{digest}"))
        .expect(202);
    api.put_manifest(repo, "v1", OCI_MANIFEST, &m).expect(201);
    assert_eq!(api.get(&path).expect(200).json(), json!({"signatures": []}));
}

#[test]
fn signature_extension_can_be_switched_off() {
    let dir = tempfile::tempdir().unwrap();
    let mut config = zoll_registry::Config::default();
    config.data_dir = dir.path().join("data");
    config.signature_extension = false;
    let mut server = Server::start_with(config);
    server._dir = Some(dir);
    server.bootstrap();
    let api = Api::admin(&server);
    assert_eq!(
        api.get("/v2/")
            .expect(200)
            .header("X-Registry-Supports-Signatures"),
        None
    );
    let repo = "sig/off";
    let m = image_manifest_bytes(&api, repo, "off");
    api.put_manifest(repo, "v1", OCI_MANIFEST, &m).expect(201);
    api.get(&format!(
        "/extensions/v2/{repo}/signatures/{}",
        Digest::sha256(&m)
    ))
    .expect(404);
}

fn image_manifest_bytes(api: &Api, repo: &str, seed: &str) -> Vec<u8> {
    bytes(&image(api, repo, seed))
}

fn base64_std(b: &[u8]) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.encode(b)
}
