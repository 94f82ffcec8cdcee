//! Against scripted servers: the bearer challenge and token flow, redirects to another host, and
//! registries that lie about digests and sizes, truncate or never end bodies, or ask to retry.

use std::io::Read;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use base64::Engine as _;
use zoll_core::{Digest, ImageRef};
use zoll_distribution::{BlobVerifyError, ClientOptions, Error, types};

use crate::support::*;

const MANIFEST: &[u8] = br#"{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a","size":2},"layers":[]}"#;

fn image(server: &HttpServer, rest: &str) -> ImageRef {
    format!("{}/{rest}", server.host()).parse().unwrap()
}

fn manifest_reply() -> Reply {
    reply("200 OK", &[("Content-Type", types::OCI_MANIFEST)], MANIFEST)
}

#[test]
fn bearer_challenge_and_token_cache() {
    let token_port = Arc::new(AtomicUsize::new(0));
    let tp = token_port.clone();
    let expected_basic = format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode("alice:s3cret-pass")
    );
    let server = HttpServer::start(move |req| {
        let port = tp.load(Ordering::SeqCst);
        match req.path() {
            "/token" => {
                if req.header("authorization") != Some(expected_basic.as_str()) {
                    return reply(
                        "401 Unauthorized",
                        &[],
                        br#"{"errors":[{"code":"UNAUTHORIZED","message":"bad credentials"}]}"#,
                    );
                }
                // Alternate the field name: both must be understood.
                if req.target.contains("push") {
                    reply(
                        "200 OK",
                        &[("Content-Type", "application/json")],
                        br#"{"access_token":"tok-push","expires_in":300}"#,
                    )
                } else {
                    reply(
                        "200 OK",
                        &[("Content-Type", "application/json")],
                        br#"{"token":"tok-pull","expires_in":300}"#,
                    )
                }
            }
            "/v2/team/app/manifests/v1" => {
                let auth = req.header("authorization");
                if req.method == "GET" && auth == Some("Bearer tok-pull") {
                    manifest_reply()
                } else if req.method == "PUT" && auth == Some("Bearer tok-push") {
                    reply(
                        "201 Created",
                        &[(
                            "Docker-Content-Digest",
                            &Digest::sha256(MANIFEST).to_string(),
                        )],
                        b"",
                    )
                } else {
                    let action = if req.method == "GET" {
                        "pull"
                    } else {
                        "pull,push"
                    };
                    let challenge = format!(
                        r#"Bearer realm="http://127.0.0.1:{port}/token",service="zoll-test",scope="repository:team/app:{action}""#
                    );
                    reply(
                        "401 Unauthorized",
                        &[("WWW-Authenticate", &challenge)],
                        br#"{"errors":[{"code":"UNAUTHORIZED","message":"authentication required"}]}"#,
                    )
                }
            }
            _ => reply("404 Not Found", &[], b""),
        }
    });
    token_port.store(server.port as usize, Ordering::SeqCst);
    let target = image(&server, "team/app:v1");

    let c = client(ClientOptions {
        credentials: Some(basic_creds()),
        ..opts()
    });
    let m = c.get_manifest(&target).unwrap();
    assert_eq!(m.bytes, MANIFEST);
    assert_eq!(m.digest, Digest::sha256(MANIFEST));
    // Cached: the second pull goes straight to the manifest with the token.
    c.get_manifest(&target).unwrap();
    assert_eq!(
        c.put_manifest(&target, MANIFEST, types::OCI_MANIFEST)
            .unwrap(),
        Digest::sha256(MANIFEST)
    );

    let reqs = server.requests();
    let token_reqs: Vec<_> = reqs.iter().filter(|r| r.path() == "/token").collect();
    assert_eq!(token_reqs.len(), 2, "{reqs:#?}");
    assert!(
        token_reqs[0].target.contains("service=zoll-test"),
        "{}",
        token_reqs[0].target
    );
    assert!(
        token_reqs[0]
            .target
            .contains("scope=repository%3Ateam%2Fapp%3Apull"),
        "{}",
        token_reqs[0].target
    );
    let manifest_gets = reqs
        .iter()
        .filter(|r| r.method == "GET" && r.path().contains("manifests"))
        .count();
    assert_eq!(manifest_gets, 3, "one challenged, two with the token");
    // The password never went to the registry endpoints themselves.
    assert!(
        reqs.iter()
            .filter(|r| r.path() != "/token")
            .all(|r| !r.header("authorization").unwrap_or("").starts_with("Basic"))
    );

    // Wrong credentials: the token service refuses, and that is "unauthorized".
    let bad = client(ClientOptions {
        credentials: Some("alice:nope".parse().unwrap()),
        ..opts()
    });
    let e = bad.get_manifest(&target).unwrap_err();
    assert!(matches!(e, Error::Unauthorized { .. }), "{e:?}");
    assert!(
        e.to_string().contains("UNAUTHORIZED: bad credentials"),
        "{e}"
    );
    assert!(!e.to_string().contains("nope"));
}

#[test]
fn redirected_blob_does_not_carry_authorization() {
    let data = b"layer bytes stored elsewhere".to_vec();
    let digest = Digest::sha256(&data);
    let d2 = data.clone();
    let storage = HttpServer::start(move |_| {
        reply(
            "200 OK",
            &[("Content-Type", "application/octet-stream")],
            &d2,
        )
    });
    let storage_url = format!("http://{}/bucket/blob?sig=x", storage.host());
    let registry = HttpServer::start(move |req| {
        if req.header("authorization").is_none() {
            return reply(
                "401 Unauthorized",
                &[("WWW-Authenticate", r#"Basic realm="r""#)],
                b"",
            );
        }
        reply("307 Temporary Redirect", &[("Location", &storage_url)], b"")
    });
    let c = client(ClientOptions {
        credentials: Some(basic_creds()),
        ..opts()
    });
    let got = c
        .get_blob_bytes(
            &image(&registry, "a/b:c"),
            &digest,
            Some(data.len() as u64),
            1024,
        )
        .unwrap();
    assert_eq!(got, data);
    let sreqs = storage.requests();
    assert_eq!(sreqs.len(), 1);
    assert_eq!(
        sreqs[0].header("authorization"),
        None,
        "credentials leaked to the storage host"
    );
    assert!(
        registry
            .requests()
            .last()
            .unwrap()
            .header("authorization")
            .is_some()
    );
}

#[test]
fn wrong_manifest_digest_is_rejected() {
    let lie = Digest::sha256(b"something else").to_string();
    let server = HttpServer::start(move |_| {
        reply(
            "200 OK",
            &[
                ("Content-Type", types::OCI_MANIFEST),
                ("Docker-Content-Digest", &lie),
            ],
            MANIFEST,
        )
    });
    let c = client(opts());
    let e = c.get_manifest(&image(&server, "a/b:tag")).unwrap_err();
    assert!(matches!(e, Error::DigestMismatch { .. }), "{e:?}");
    // Asked by digest, served other bytes.
    let wanted = Digest::sha256(b"the real manifest");
    let e = c
        .get_manifest(&image(&server, &format!("a/b@{wanted}")))
        .unwrap_err();
    match e {
        Error::DigestMismatch {
            expected, actual, ..
        } => {
            assert_eq!(expected, wanted);
            assert_eq!(actual, Digest::sha256(MANIFEST));
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn oversized_manifests_are_refused() {
    let server = HttpServer::start(|req| {
        if req.path().ends_with("/big") {
            let body = vec![b' '; (4 << 20) + 1];
            reply("200 OK", &[("Content-Type", types::OCI_MANIFEST)], &body)
        } else {
            // No length, never ends.
            Reply::Endless(
                format!(
                    "HTTP/1.1 200 OK\r\nContent-Type: {}\r\nConnection: close\r\n\r\n",
                    types::OCI_MANIFEST
                )
                .into_bytes(),
            )
        }
    });
    let c = client(opts());
    let e = c.get_manifest(&image(&server, "a/b:big")).unwrap_err();
    assert!(
        matches!(e, Error::TooLarge { limit, .. } if limit == 4 << 20),
        "{e:?}"
    );
    let e = c.get_manifest(&image(&server, "a/b:endless")).unwrap_err();
    assert!(matches!(e, Error::TooLarge { .. }), "{e:?}");
}

#[test]
fn hostile_blob_bodies() {
    let good = b"0123456789".to_vec();
    let digest = Digest::sha256(&good);
    let g = good.clone();
    let server = HttpServer::start(move |req| {
        let path = req.path().to_owned();
        let close_delimited = |body: &[u8]| {
            let mut v = b"HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n".to_vec();
            v.extend_from_slice(body);
            Reply::Raw(v)
        };
        if path.starts_with("/v2/long/") {
            reply("200 OK", &[], b"0123456789abcdef")
        } else if path.starts_with("/v2/longnolen/") {
            close_delimited(b"0123456789abcdef")
        } else if path.starts_with("/v2/endless/") {
            Reply::Endless(b"HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n".to_vec())
        } else if path.starts_with("/v2/truncated/") {
            let mut v =
                b"HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 10\r\n\r\n".to_vec();
            v.extend_from_slice(b"01234");
            Reply::Raw(v)
        } else if path.starts_with("/v2/shortnolen/") {
            close_delimited(b"01234")
        } else if path.starts_with("/v2/wrong/") {
            reply("200 OK", &[], b"0123456780")
        } else {
            reply("200 OK", &[], &g)
        }
    });
    let c = client(opts());
    let at = |repo: &str| image(&server, &format!("{repo}/x:t"));
    let verify_err = |repo: &str, size: Option<u64>| -> BlobVerifyError {
        let mut blob = c.get_blob(&at(repo), &digest, size).unwrap();
        let mut sink = Vec::new();
        let e = blob.read_to_end(&mut sink).unwrap_err();
        BlobVerifyError::from_io(&e)
            .unwrap_or_else(|| panic!("{repo}: not a verify error: {e}"))
            .clone()
    };

    // The honest server.
    assert_eq!(
        c.get_blob_bytes(&at("ok"), &digest, Some(10), 100).unwrap(),
        good
    );

    // Longer than announced by the caller: refused from Content-Length before reading.
    let e = c.get_blob(&at("long"), &digest, Some(10)).unwrap_err();
    assert!(
        matches!(
            e,
            Error::SizeMismatch {
                expected: 10,
                actual: 16,
                ..
            }
        ),
        "{e:?}"
    );
    // ... or while streaming when there is no Content-Length.
    assert!(matches!(
        verify_err("longnolen", Some(10)),
        BlobVerifyError::SizeMismatch {
            expected: 10,
            actual: 11,
            ..
        }
    ));
    assert!(matches!(
        verify_err("endless", Some(10)),
        BlobVerifyError::SizeMismatch { .. }
    ));
    let e = c
        .get_blob_bytes(&at("endless"), &digest, None, 1000)
        .unwrap_err();
    assert!(matches!(e, Error::TooLarge { limit: 1000, .. }), "{e:?}");
    // Without any size, the digest catches extra bytes.
    assert!(matches!(
        verify_err("longnolen", None),
        BlobVerifyError::DigestMismatch { .. }
    ));

    // Truncated: an IO error when the length was announced, a size error when not.
    let e = c
        .get_blob_bytes(&at("truncated"), &digest, Some(10), 100)
        .unwrap_err();
    assert!(matches!(e, Error::Io { .. }), "{e:?}");
    assert!(matches!(
        verify_err("shortnolen", Some(10)),
        BlobVerifyError::SizeMismatch {
            expected: 10,
            actual: 5,
            ..
        }
    ));

    // Right size, wrong bytes.
    assert!(matches!(
        verify_err("wrong", Some(10)),
        BlobVerifyError::DigestMismatch { .. }
    ));
    let e = c
        .get_blob_bytes(&at("wrong"), &digest, Some(10), 100)
        .unwrap_err();
    assert!(matches!(e, Error::DigestMismatch { .. }), "{e:?}");
    assert!(
        e.to_string().starts_with(&format!(
            "digest mismatch: {}/wrong/x@{digest}",
            server.host()
        )),
        "{e}"
    );
}

#[test]
fn retries_503_then_succeeds() {
    let count = Arc::new(AtomicUsize::new(0));
    let c2 = count.clone();
    let server = HttpServer::start(move |_| {
        if c2.fetch_add(1, Ordering::SeqCst) < 2 {
            reply("503 Service Unavailable", &[], b"")
        } else {
            manifest_reply()
        }
    });
    let c = client(opts());
    let m = c.get_manifest(&image(&server, "a/b:c")).unwrap();
    assert_eq!(m.bytes, MANIFEST);
    assert_eq!(count.load(Ordering::SeqCst), 3);
}

#[test]
fn retries_are_bounded() {
    let server = HttpServer::start(|_| {
        reply(
            "503 Service Unavailable",
            &[],
            br#"{"errors":[{"code":"UNAVAILABLE","message":"down for maintenance"}]}"#,
        )
    });
    let c = client(ClientOptions {
        retries: 2,
        ..opts()
    });
    let e = c.get_manifest(&image(&server, "a/b:c")).unwrap_err();
    assert!(matches!(e, Error::Registry { status: 503, .. }), "{e:?}");
    assert!(
        e.to_string().contains("UNAVAILABLE: down for maintenance"),
        "{e}"
    );
    assert_eq!(server.requests().len(), 3);
    // Not idempotent with a streamed body: no retry.
    let e = c
        .push_blob(
            &image(&server, "a/b:c"),
            std::io::Cursor::new(vec![1u8]),
            1,
            &Digest::sha256(&[1]),
        )
        .unwrap_err();
    assert!(matches!(e, Error::Registry { status: 503, .. }), "{e:?}");
}

#[test]
fn honours_retry_after_on_429() {
    let count = Arc::new(AtomicUsize::new(0));
    let c2 = count.clone();
    let server = HttpServer::start(move |_| {
        if c2.fetch_add(1, Ordering::SeqCst) == 0 {
            reply(
                "429 Too Many Requests",
                &[("Retry-After", "1")],
                br#"{"errors":[{"code":"TOOMANYREQUESTS","message":"slow down"}]}"#,
            )
        } else {
            manifest_reply()
        }
    });
    let c = client(opts());
    let started = Instant::now();
    c.get_manifest(&image(&server, "a/b:c")).unwrap();
    assert!(
        started.elapsed() >= Duration::from_secs(1),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(count.load(Ordering::SeqCst), 2);

    // Without retries the error kind says so.
    let always = HttpServer::start(|_| {
        reply(
            "429 Too Many Requests",
            &[("Retry-After", "1")],
            br#"{"errors":[{"code":"TOOMANYREQUESTS","message":"slow down"}]}"#,
        )
    });
    let c = client(ClientOptions {
        retries: 0,
        ..opts()
    });
    let e = c.get_manifest(&image(&always, "a/b:c")).unwrap_err();
    assert!(matches!(e, Error::TooManyRequests { .. }), "{e:?}");
    assert_eq!(
        e.to_string(),
        format!(
            "too many requests: {}/a/b:c (TOOMANYREQUESTS: slow down)",
            always.host()
        )
    );
}

#[test]
fn connection_refused_is_retried_then_reported() {
    let port = free_port();
    let c = client(ClientOptions {
        retries: 2,
        ..opts()
    });
    let image: ImageRef = format!("127.0.0.1:{port}/a/b:c").parse().unwrap();
    let e = c.get_manifest(&image).unwrap_err();
    assert!(matches!(e, Error::Http { .. }), "{e:?}");
    assert!(
        e.to_string().contains(&format!("127.0.0.1:{port}/a/b:c")),
        "{e}"
    );
}

#[test]
fn identity_token_is_exchanged_with_refresh_token_grant() {
    let token_port = Arc::new(AtomicUsize::new(0));
    let tp = token_port.clone();
    let server = HttpServer::start(move |req| {
        let port = tp.load(Ordering::SeqCst);
        if req.path() == "/oauth" {
            let body = String::from_utf8_lossy(&req.body).to_string();
            let ok = req.method == "POST"
                && body.contains("grant_type=refresh_token")
                && body.contains("refresh_token=refresh-123")
                && body.contains("service=svc")
                && body.contains("scope=repository%3Aa%2Fb%3Apull");
            return if ok {
                reply("200 OK", &[], br#"{"access_token":"oauth-tok"}"#)
            } else {
                reply("400 Bad Request", &[], b"")
            };
        }
        if req.header("authorization") == Some("Bearer oauth-tok") {
            return manifest_reply();
        }
        let challenge = format!(r#"Bearer realm="http://127.0.0.1:{port}/oauth",service="svc""#);
        reply("401 Unauthorized", &[("WWW-Authenticate", &challenge)], b"")
    });
    token_port.store(server.port as usize, Ordering::SeqCst);
    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("config.json");
    std::fs::write(
        &cfg,
        serde_json::json!({"auths": {server.host(): {"identitytoken": "refresh-123"}}}).to_string(),
    )
    .unwrap();
    let c = client(ClientOptions {
        docker_config: Some(cfg),
        ..opts()
    });
    assert_eq!(
        c.get_manifest(&image(&server, "a/b:c")).unwrap().bytes,
        MANIFEST
    );
}
