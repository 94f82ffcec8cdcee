//! The S3 backend against moto: the shared behavioural suite, each case under its own key
//! prefix, plus what only a real S3 shows (ETags keep the hash cache valid, keys as documented,
//! configuration errors).

use std::sync::Arc;

use futures::TryStreamExt;
use object_store::ObjectStore;
use zoll_blobstore::{S3Config, S3Store};
use zoll_testenv::Moto;

use crate::suite::{self, Harness, body, collect, pseudo_random};
use crate::{BlobStore, Digest};

const BUCKET: &str = "zoll-blobs";

fn config(moto: &Moto, prefix: &str) -> S3Config {
    S3Config {
        bucket: BUCKET.to_owned(),
        endpoint: Some(moto.endpoint()),
        region: "us-east-1".to_owned(),
        access_key_id: Some("testing".to_owned()),
        secret_access_key: Some("testing".to_owned()),
        prefix: prefix.to_owned(),
        allow_http: true,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn s3_backend_against_moto() {
    // Fails (never skips) when moto_server is missing, saying to run .ci/run.
    let moto = Moto::start().expect("start moto_server");
    moto.create_bucket(BUCKET).expect("create the bucket");

    suite::run_all("s3 (moto)", |case| {
        let config = config(&moto, &format!("suite/{case}/"));
        Harness::new(move || Arc::new(S3Store::new(config.clone()).unwrap()) as Arc<dyn BlobStore>)
    })
    .await;

    // Commits by the process that staged everything reuse its hash state: the ETags moto
    // returns on upload match those it lists, so the cache is not invalidated for nothing.
    let a = S3Store::new(config(&moto, "cache")).unwrap();
    let data = pseudo_random(6 << 20, 40);
    let d = Digest::sha256(&data);
    a.append("c1", 0, body(&data[..(2 << 20)], 65536))
        .await
        .unwrap();
    a.append("c1", 2 << 20, body(&data[(2 << 20)..], 65536))
        .await
        .unwrap();
    assert_eq!(a.commit("c1", &d, None).await.unwrap(), data.len() as u64);
    // One chunk: committed by a server-side copy.
    let one = pseudo_random(6 << 20, 41);
    let d1 = Digest::sha256(&one);
    a.append("c2", 0, body(&one, 65536)).await.unwrap();
    assert_eq!(a.commit("c2", &d1, None).await.unwrap(), one.len() as u64);
    assert_eq!(
        a.rehashed_bytes(),
        0,
        "the hash cache missed on the instance that appended"
    );
    assert!(collect(a.get(&d, None).await.unwrap()).await == data);
    assert!(collect(a.get(&d1, None).await.unwrap()).await == one);

    // Another replica has to re-read; after that, the key layout is as documented.
    let b = S3Store::new(config(&moto, "cache")).unwrap();
    a.append("c3", 0, body(b"abc", 1)).await.unwrap();
    b.commit("c3", &Digest::sha256(b"abc"), None).await.unwrap();
    assert_eq!(b.rehashed_bytes(), 3);
    let raw = object_store::aws::AmazonS3Builder::new()
        .with_bucket_name(BUCKET)
        .with_region("us-east-1")
        .with_endpoint(moto.endpoint())
        .with_allow_http(true)
        .with_access_key_id("testing")
        .with_secret_access_key("testing")
        .build()
        .unwrap();
    a.append("c4", 0, body(b"xy", 1)).await.unwrap();
    let mut keys: Vec<String> = raw
        .list(Some(&"cache".into()))
        .map_ok(|m| m.location.to_string())
        .try_collect()
        .await
        .unwrap();
    keys.sort();
    let mut want: Vec<String> = [&d, &d1, &Digest::sha256(b"abc")]
        .iter()
        .map(|d| format!("cache/blobs/sha256/{}", d.hex()))
        .collect();
    want.push("cache/uploads/c4/00000000000000000000".to_owned());
    want.sort();
    assert_eq!(keys, want);

    // A bucket that does not exist is an error naming the blob, not a panic or a hang.
    let mut missing = config(&moto, "");
    missing.bucket = "no-such-bucket".to_owned();
    let store = S3Store::new(missing).unwrap();
    let err = store
        .put(&Digest::sha256(b"x"), None, body(b"x", 1))
        .await
        .unwrap_err();
    assert!(err.to_string().contains("sha256:"), "{err}");
}
