//! S3 (moto) + PostgreSQL, with two `zoll serve` replicas sharing both: a push through one is
//! pullable through the other, and the same client suite passes.

use std::process::Command;

use zoll_registry::Config;

use crate::harness::{self, ADMIN, ADMIN_PASSWORD, Server, run, tool};

fn creds() -> String {
    format!("{ADMIN}:{ADMIN_PASSWORD}")
}

#[test]
fn two_replicas_on_s3_and_postgres_behave_as_one_registry() {
    let pg = zoll_testenv::Postgres::start().expect("postgres");
    let moto = zoll_testenv::Moto::start().expect("moto");
    moto.create_bucket("zoll").expect("bucket");
    let dir = tempfile::tempdir().unwrap();
    let config = |name: &str| {
        let mut c = Config::default();
        c.data_dir = dir.path().join(name);
        c.database = Some(pg.url());
        c.storage = harness::s3_config("zoll", &moto.endpoint());
        c
    };
    let a = Server::start_with(config("a"));
    a.bootstrap();
    let b = Server::start_with(config("b"));

    // Push through A with skopeo, pull through B.
    let archive = harness::alpine_archive();
    let src = format!("docker-archive:{}", archive.display());
    run(Command::new(tool("skopeo")).args([
        "copy",
        "--dest-tls-verify=false",
        "--dest-creds",
        &creds(),
        &src,
        &format!("docker://{}/acme/app:1.0", a.host()),
    ]));
    let out = tempfile::tempdir().unwrap();
    let layout = format!("oci:{}:1.0", out.path().join("l").display());
    run(Command::new(tool("skopeo")).args([
        "copy",
        "--src-tls-verify=false",
        "--src-creds",
        &creds(),
        &format!("docker://{}/acme/app:1.0", b.host()),
        &layout,
    ]));
    // A chunked upload started on B and finished on A.
    let http = harness::http();
    let start = http
        .post(b.url("/v2/acme/app/blobs/uploads/"))
        .basic_auth(ADMIN, Some(ADMIN_PASSWORD))
        .send()
        .unwrap();
    assert_eq!(start.status(), 202);
    let location = start.headers()["location"].to_str().unwrap().to_owned();
    let part1 = vec![7u8; 6 * 1024 * 1024];
    let part2 = b"tail".to_vec();
    let patched = http
        .patch(b.url(&location))
        .basic_auth(ADMIN, Some(ADMIN_PASSWORD))
        .header("Content-Range", format!("0-{}", part1.len() - 1))
        .header("Content-Type", "application/octet-stream")
        .body(part1.clone())
        .send()
        .unwrap();
    assert_eq!(patched.status(), 202);
    let mut all = part1;
    all.extend_from_slice(&part2);
    let digest = zoll_core::Digest::sha256(&all);
    let done = http
        .put(a.url(&format!("{location}?digest={digest}")))
        .basic_auth(ADMIN, Some(ADMIN_PASSWORD))
        .header("Content-Type", "application/octet-stream")
        .body(part2)
        .send()
        .unwrap();
    assert_eq!(done.status(), 201, "{:?}", done.text());
    let got = http
        .get(b.url(&format!("/v2/acme/app/blobs/{digest}")))
        .basic_auth(ADMIN, Some(ADMIN_PASSWORD))
        .send()
        .unwrap();
    assert_eq!(got.status(), 200);
    assert_eq!(zoll_core::Digest::sha256(&got.bytes().unwrap()), digest);
    // Tokens issued by one replica are accepted by the other (one key, in the database).
    let token: serde_json::Value = http
        .get(a.url("/token?service=zoll&scope=repository:acme/app:pull"))
        .basic_auth(ADMIN, Some(ADMIN_PASSWORD))
        .send()
        .unwrap()
        .json()
        .unwrap();
    let t = token["token"].as_str().unwrap();
    let tags = http
        .get(b.url("/v2/acme/app/tags/list"))
        .bearer_auth(t)
        .send()
        .unwrap();
    assert_eq!(tags.status(), 200);
    assert_eq!(tags.json::<serde_json::Value>().unwrap()["tags"][0], "1.0");
}
