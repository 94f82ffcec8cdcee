//! The behavioural test suite every [`BlobStore`] backend must pass, written once against
//! `Arc<dyn BlobStore>`. The unit tests run it on the filesystem backend and on the S3 backend
//! over an in-memory object store; the integration tests (which include this file) run it on the
//! S3 backend against a real S3 server.
//!
//! Each case gets a [`Harness`] over fresh, empty storage; `Harness::make` opens another store
//! instance on the same storage, standing for a restarted process or another replica.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, dead_code)]

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use bytes::Bytes;
use futures::StreamExt;
use futures::future::BoxFuture;

use super::{Algorithm, BlobStore, ByteStream, Digest, Error};

/// Opens store instances over one storage.
#[derive(Clone)]
pub(crate) struct Harness {
    make: Arc<dyn Fn() -> Arc<dyn BlobStore> + Send + Sync>,
}

impl Harness {
    pub(crate) fn new(make: impl Fn() -> Arc<dyn BlobStore> + Send + Sync + 'static) -> Harness {
        Harness {
            make: Arc::new(make),
        }
    }

    /// A new store instance (a fresh process) over the harness's storage.
    pub(crate) fn make(&self) -> Arc<dyn BlobStore> {
        (self.make)()
    }
}

/// `data` as a body arriving in pieces of `piece` bytes.
pub(crate) fn body(data: &[u8], piece: usize) -> ByteStream {
    let pieces: Vec<_> = data
        .chunks(piece.max(1))
        .map(|c| Ok(Bytes::copy_from_slice(c)))
        .collect();
    futures::stream::iter(pieces).boxed()
}

/// A body that delivers `data[..cut]` in pieces, then fails as a dropped connection does.
pub(crate) fn failing_body(data: &[u8], cut: usize, piece: usize) -> ByteStream {
    body(&data[..cut], piece)
        .chain(futures::stream::once(async {
            Err(std::io::Error::new(
                std::io::ErrorKind::ConnectionReset,
                "connection reset by peer",
            ))
        }))
        .boxed()
}

pub(crate) async fn collect(stream: ByteStream) -> Vec<u8> {
    let pieces: Vec<Bytes> = stream.map(|r| r.unwrap()).collect().await;
    pieces.concat()
}

/// Deterministic incompressible bytes.
pub(crate) fn pseudo_random(len: usize, seed: u64) -> Vec<u8> {
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

const MIB: usize = 1 << 20;

type Case = fn(Harness) -> BoxFuture<'static, ()>;

/// Every case, by name.
pub(crate) const CASES: &[(&str, Case)] = &[
    ("put_get_stat_delete", |h| Box::pin(put_get_stat_delete(h))),
    ("put_deduplicates", |h| Box::pin(put_deduplicates(h))),
    ("put_digest_mismatch_stores_nothing", |h| {
        Box::pin(put_digest_mismatch_stores_nothing(h))
    }),
    ("put_size_mismatch_stores_nothing", |h| {
        Box::pin(put_size_mismatch_stores_nothing(h))
    }),
    ("sha512", |h| Box::pin(sha512(h))),
    ("empty_blob", |h| Box::pin(empty_blob(h))),
    ("truncated_put_stores_nothing", |h| {
        Box::pin(truncated_put_stores_nothing(h))
    }),
    ("chunked_upload", |h| Box::pin(chunked_upload(h))),
    ("commit_with_tail", |h| Box::pin(commit_with_tail(h))),
    ("monolithic_through_commit", |h| {
        Box::pin(monolithic_through_commit(h))
    }),
    ("out_of_order_append", |h| Box::pin(out_of_order_append(h))),
    ("invalid_upload_ids", |h| Box::pin(invalid_upload_ids(h))),
    ("commit_digest_mismatch", |h| {
        Box::pin(commit_digest_mismatch(h))
    }),
    ("truncated_append_keeps_earlier_chunks", |h| {
        Box::pin(truncated_append_keeps_earlier_chunks(h))
    }),
    ("truncated_tail_keeps_the_upload", |h| {
        Box::pin(truncated_tail_keeps_the_upload(h))
    }),
    ("abort", |h| Box::pin(abort(h))),
    ("other_replica_continues_and_commits", |h| {
        Box::pin(other_replica_continues_and_commits(h))
    }),
    ("concurrent_puts_of_one_digest", |h| {
        Box::pin(concurrent_puts_of_one_digest(h))
    }),
    ("large_chunked_upload_across_replicas", |h| {
        Box::pin(large_chunked_upload_across_replicas(h))
    }),
    ("large_put", |h| Box::pin(large_put(h))),
    ("large_single_chunk_upload", |h| {
        Box::pin(large_single_chunk_upload(h))
    }),
    ("list_uploads_and_total_bytes", |h| {
        Box::pin(list_uploads_and_total_bytes(h))
    }),
];

/// Run every case concurrently, each on the storage `fresh` gives it; fail naming each failed
/// case.
pub(crate) async fn run_all(backend: &str, mut fresh: impl FnMut(&str) -> Harness) {
    let mut tasks = Vec::new();
    for (name, case) in CASES {
        let h = fresh(name);
        tasks.push((*name, tokio::spawn(case(h))));
    }
    let mut failed = Vec::new();
    for (name, task) in tasks {
        if let Err(e) = tokio::time::timeout(Duration::from_secs(120), task)
            .await
            .unwrap_or_else(|_| panic!("{backend}: case {name} timed out"))
        {
            let msg = if e.is_panic() {
                let p = e.into_panic();
                p.downcast_ref::<String>()
                    .cloned()
                    .or_else(|| p.downcast_ref::<&str>().map(|s| (*s).to_owned()))
                    .unwrap_or_default()
            } else {
                e.to_string()
            };
            failed.push(format!("{name}: {msg}"));
        }
    }
    assert!(
        failed.is_empty(),
        "{backend}: {} of {} cases failed:\n{}",
        failed.len(),
        CASES.len(),
        failed.join("\n")
    );
}

async fn put_get_stat_delete(h: Harness) {
    let s = h.make();
    let data = b"hello, registry: some bytes".to_vec();
    let len = data.len() as u64;
    let d = Digest::sha256(&data);
    assert_eq!(s.stat(&d).await.unwrap(), None);
    assert!(matches!(s.get(&d, None).await, Err(Error::NotFound(x)) if x == d));
    assert_eq!(s.put(&d, Some(len), body(&data, 4)).await.unwrap(), len);
    assert_eq!(s.stat(&d).await.unwrap(), Some(len));
    assert_eq!(collect(s.get(&d, None).await.unwrap()).await, data);
    for r in [0..1, 7..len, 3..9, 0..len, len - 1..len] {
        let got = collect(s.get(&d, Some(r.clone())).await.unwrap()).await;
        assert_eq!(got, &data[r.start as usize..r.end as usize], "range {r:?}");
    }
    assert!(
        collect(s.get(&d, Some(5..5)).await.unwrap())
            .await
            .is_empty()
    );
    assert_eq!(s.total_bytes().await.unwrap(), len);
    // Another instance sees it.
    assert_eq!(h.make().stat(&d).await.unwrap(), Some(len));

    s.delete(&d).await.unwrap();
    assert_eq!(s.stat(&d).await.unwrap(), None);
    assert!(matches!(s.get(&d, None).await, Err(Error::NotFound(_))));
    assert!(matches!(
        s.get(&d, Some(5..5)).await,
        Err(Error::NotFound(_))
    ));
    s.delete(&d).await.unwrap();
    assert_eq!(s.total_bytes().await.unwrap(), 0);
}

async fn put_deduplicates(h: Harness) {
    let s = h.make();
    let data = pseudo_random(10_000, 1);
    let d = Digest::sha256(&data);
    assert_eq!(s.put(&d, None, body(&data, 3000)).await.unwrap(), 10_000);
    assert_eq!(
        s.put(&d, Some(10_000), body(&data, 999)).await.unwrap(),
        10_000
    );
    // An existing blob does not make a wrong body acceptable, nor is it harmed by one.
    let other = pseudo_random(10_000, 2);
    assert!(matches!(
        s.put(&d, None, body(&other, 1000)).await,
        Err(Error::DigestMismatch { .. })
    ));
    assert_eq!(collect(s.get(&d, None).await.unwrap()).await, data);
    assert_eq!(s.total_bytes().await.unwrap(), 10_000);
}

async fn put_digest_mismatch_stores_nothing(h: Harness) {
    let s = h.make();
    let data = pseudo_random(50_000, 3);
    let claimed = Digest::sha256(b"something else");
    match s.put(&claimed, None, body(&data, 4096)).await {
        Err(Error::DigestMismatch { expected, actual }) => {
            assert_eq!(expected, claimed);
            assert_eq!(actual, Digest::sha256(&data));
        }
        other => panic!("expected a digest mismatch, got {other:?}"),
    }
    assert_eq!(s.stat(&claimed).await.unwrap(), None);
    assert_eq!(s.stat(&Digest::sha256(&data)).await.unwrap(), None);
    assert_eq!(s.total_bytes().await.unwrap(), 0);
    assert!(s.list_uploads().await.unwrap().is_empty());
}

async fn put_size_mismatch_stores_nothing(h: Harness) {
    let s = h.make();
    let data = pseudo_random(1000, 4);
    let d = Digest::sha256(&data);
    for expected in [999, 1001, 0] {
        match s.put(&d, Some(expected), body(&data, 100)).await {
            Err(Error::SizeMismatch {
                expected: e,
                actual: 1000,
            }) => assert_eq!(e, expected),
            other => panic!("expected a size mismatch, got {other:?}"),
        }
    }
    assert_eq!(s.stat(&d).await.unwrap(), None);
}

async fn sha512(h: Harness) {
    let s = h.make();
    let data = pseudo_random(70_000, 5);
    let d = Digest::of(Algorithm::Sha512, &data);
    assert_eq!(s.put(&d, None, body(&data, 8192)).await.unwrap(), 70_000);
    assert_eq!(
        collect(s.get(&d, Some(100..200)).await.unwrap()).await,
        &data[100..200]
    );
    let wrong = Digest::of(Algorithm::Sha512, b"x");
    match s.put(&wrong, None, body(&data, 8192)).await {
        Err(Error::DigestMismatch { actual, .. }) => assert_eq!(actual, d),
        other => panic!("expected a digest mismatch, got {other:?}"),
    }
    // A chunked upload committed under a sha512 digest.
    let data = pseudo_random(90_000, 6);
    let d = Digest::of(Algorithm::Sha512, &data);
    s.append("u512", 0, body(&data[..40_000], 5000))
        .await
        .unwrap();
    s.append("u512", 40_000, body(&data[40_000..], 5000))
        .await
        .unwrap();
    assert_eq!(s.commit("u512", &d, None).await.unwrap(), 90_000);
    assert_eq!(collect(s.get(&d, None).await.unwrap()).await, data);
    // The same bytes are a different blob under sha256.
    assert_eq!(s.stat(&Digest::sha256(&data)).await.unwrap(), None);
}

async fn empty_blob(h: Harness) {
    let s = h.make();
    let d = Digest::sha256(b"");
    assert_eq!(s.put(&d, Some(0), body(b"", 1)).await.unwrap(), 0);
    assert_eq!(s.stat(&d).await.unwrap(), Some(0));
    assert!(collect(s.get(&d, None).await.unwrap()).await.is_empty());
    s.delete(&d).await.unwrap();
    // An upload that never received a byte commits to the empty blob.
    assert_eq!(s.upload_size("e").await.unwrap(), 0);
    assert_eq!(s.commit("e", &d, None).await.unwrap(), 0);
    assert_eq!(s.stat(&d).await.unwrap(), Some(0));
    s.delete(&d).await.unwrap();
    s.append("e2", 0, body(b"", 1)).await.unwrap();
    assert_eq!(s.commit("e2", &d, Some(body(b"", 1))).await.unwrap(), 0);
    assert_eq!(s.stat(&d).await.unwrap(), Some(0));
    assert!(s.list_uploads().await.unwrap().is_empty());
}

async fn truncated_put_stores_nothing(h: Harness) {
    let s = h.make();
    let data = pseudo_random(100_000, 7);
    let d = Digest::sha256(&data);
    assert!(matches!(
        s.put(&d, Some(100_000), failing_body(&data, 60_000, 8192))
            .await,
        Err(Error::Body(_))
    ));
    assert_eq!(s.stat(&d).await.unwrap(), None);
    assert_eq!(s.total_bytes().await.unwrap(), 0);
    // Also when the cut happens to leave a body that hashes right: a failed body is never kept.
    let d = Digest::sha256(&data[..60_000]);
    assert!(matches!(
        s.put(&d, None, failing_body(&data, 60_000, 8192)).await,
        Err(Error::Body(_))
    ));
    assert_eq!(s.stat(&d).await.unwrap(), None);
    assert!(s.list_uploads().await.unwrap().is_empty());
}

async fn chunked_upload(h: Harness) {
    let s = h.make();
    let data = pseudo_random(300_000, 8);
    let d = Digest::sha256(&data);
    let before = SystemTime::now();
    assert_eq!(s.upload_size("up-1").await.unwrap(), 0);
    let mut offset = 0u64;
    for (len, piece) in [(100_000, 8192), (150_000, 1000), (50_000, 50_000)] {
        let part = &data[offset as usize..offset as usize + len];
        offset = s.append("up-1", offset, body(part, piece)).await.unwrap();
        assert_eq!(s.upload_size("up-1").await.unwrap(), offset);
    }
    assert_eq!(offset, 300_000);
    let uploads = s.list_uploads().await.unwrap();
    assert_eq!(uploads.len(), 1, "{uploads:?}");
    assert_eq!(uploads[0].0, "up-1");
    let slack = Duration::from_secs(300);
    assert!(uploads[0].1 + slack > before && uploads[0].1 < SystemTime::now() + slack);
    // Not visible before the commit.
    assert_eq!(s.stat(&d).await.unwrap(), None);

    assert_eq!(s.commit("up-1", &d, None).await.unwrap(), 300_000);
    assert_eq!(s.stat(&d).await.unwrap(), Some(300_000));
    assert_eq!(collect(s.get(&d, None).await.unwrap()).await, data);
    let across = 99_000..251_000;
    assert_eq!(
        collect(s.get(&d, Some(across.clone())).await.unwrap()).await,
        &data[99_000..251_000]
    );
    assert_eq!(s.upload_size("up-1").await.unwrap(), 0);
    assert!(s.list_uploads().await.unwrap().is_empty());
}

async fn commit_with_tail(h: Harness) {
    let s = h.make();
    let data = pseudo_random(1500, 9);
    let d = Digest::sha256(&data);
    assert_eq!(
        s.append("t", 0, body(&data[..1000], 300)).await.unwrap(),
        1000
    );
    assert_eq!(
        s.commit("t", &d, Some(body(&data[1000..], 7)))
            .await
            .unwrap(),
        1500
    );
    assert_eq!(collect(s.get(&d, None).await.unwrap()).await, data);
    assert!(s.list_uploads().await.unwrap().is_empty());
}

async fn monolithic_through_commit(h: Harness) {
    let s = h.make();
    let data = pseudo_random(33_333, 10);
    let d = Digest::sha256(&data);
    assert_eq!(
        s.commit("m", &d, Some(body(&data, 4096))).await.unwrap(),
        33_333
    );
    assert_eq!(collect(s.get(&d, None).await.unwrap()).await, data);
}

async fn out_of_order_append(h: Harness) {
    let s = h.make();
    let data = pseudo_random(15, 11);
    assert_eq!(s.append("o", 0, body(&data[..10], 3)).await.unwrap(), 10);
    for got in [5, 20, 0] {
        match s.append("o", got, body(b"zzzzz", 5)).await {
            Err(Error::OutOfOrder {
                upload,
                expected: 10,
                got: g,
            }) => assert_eq!((upload.as_str(), g), ("o", got)),
            other => panic!("expected out of order, got {other:?}"),
        }
    }
    // A new upload starts at 0.
    assert!(matches!(
        s.append("o2", 1, body(b"x", 1)).await,
        Err(Error::OutOfOrder {
            expected: 0,
            got: 1,
            ..
        })
    ));
    assert_eq!(s.upload_size("o").await.unwrap(), 10);
    assert_eq!(s.append("o", 10, body(&data[10..], 2)).await.unwrap(), 15);
    let d = Digest::sha256(&data);
    assert_eq!(s.commit("o", &d, None).await.unwrap(), 15);
    assert_eq!(collect(s.get(&d, None).await.unwrap()).await, data);
}

async fn invalid_upload_ids(h: Harness) {
    let s = h.make();
    let d = Digest::sha256(b"");
    let long = "a".repeat(65);
    for bad in [
        "",
        "..",
        "../escape",
        "a/b",
        "a b",
        "a_b",
        "ü",
        long.as_str(),
    ] {
        let check = |r: Result<(), Error>, op: &str| match r {
            Err(Error::InvalidUpload(id)) => assert_eq!(id, bad),
            other => panic!("{op} {bad:?}: expected InvalidUpload, got {other:?}"),
        };
        check(s.append(bad, 0, body(b"x", 1)).await.map(drop), "append");
        check(s.upload_size(bad).await.map(drop), "upload_size");
        check(s.commit(bad, &d, None).await.map(drop), "commit");
        check(s.abort(bad).await, "abort");
    }
    assert!(s.list_uploads().await.unwrap().is_empty());
    assert_eq!(s.stat(&d).await.unwrap(), None);
}

async fn commit_digest_mismatch(h: Harness) {
    let s = h.make();
    let data = pseudo_random(20_000, 12);
    s.append("cm", 0, body(&data, 4000)).await.unwrap();
    let wrong = Digest::sha256(b"not it");
    match s.commit("cm", &wrong, None).await {
        Err(Error::DigestMismatch { expected, actual }) => {
            assert_eq!(expected, wrong);
            assert_eq!(actual, Digest::sha256(&data));
        }
        other => panic!("expected a digest mismatch, got {other:?}"),
    }
    assert_eq!(s.stat(&wrong).await.unwrap(), None);
    assert_eq!(s.stat(&Digest::sha256(&data)).await.unwrap(), None);
    assert_eq!(s.upload_size("cm").await.unwrap(), 0);
    assert!(s.list_uploads().await.unwrap().is_empty());
    assert_eq!(s.total_bytes().await.unwrap(), 0);
    // The same with a tail.
    s.append("cm2", 0, body(&data[..5000], 4000)).await.unwrap();
    assert!(matches!(
        s.commit("cm2", &wrong, Some(body(&data[5000..], 999)))
            .await,
        Err(Error::DigestMismatch { .. })
    ));
    assert_eq!(s.upload_size("cm2").await.unwrap(), 0);
    assert_eq!(s.total_bytes().await.unwrap(), 0);
}

async fn truncated_append_keeps_earlier_chunks(h: Harness) {
    let s = h.make();
    let data = pseudo_random(3000, 13);
    s.append("ta", 0, body(&data[..1000], 100)).await.unwrap();
    assert!(matches!(
        s.append("ta", 1000, failing_body(&data[1000..], 1500, 100))
            .await,
        Err(Error::Body(_))
    ));
    assert_eq!(s.upload_size("ta").await.unwrap(), 1000);
    assert_eq!(
        s.append("ta", 1000, body(&data[1000..], 512))
            .await
            .unwrap(),
        3000
    );
    let d = Digest::sha256(&data);
    assert_eq!(s.commit("ta", &d, None).await.unwrap(), 3000);
    assert_eq!(collect(s.get(&d, None).await.unwrap()).await, data);
    // A first chunk that fails leaves an empty upload.
    assert!(matches!(
        s.append("tb", 0, failing_body(&data, 10, 3)).await,
        Err(Error::Body(_))
    ));
    assert_eq!(s.upload_size("tb").await.unwrap(), 0);
    assert_eq!(s.append("tb", 0, body(&data, 1000)).await.unwrap(), 3000);
}

async fn truncated_tail_keeps_the_upload(h: Harness) {
    let s = h.make();
    let data = pseudo_random(2000, 14);
    let d = Digest::sha256(&data);
    s.append("tt", 0, body(&data[..1000], 100)).await.unwrap();
    assert!(matches!(
        s.commit("tt", &d, Some(failing_body(&data[1000..], 500, 100)))
            .await,
        Err(Error::Body(_))
    ));
    assert_eq!(s.stat(&d).await.unwrap(), None);
    assert_eq!(s.upload_size("tt").await.unwrap(), 1000);
    assert_eq!(
        s.commit("tt", &d, Some(body(&data[1000..], 100)))
            .await
            .unwrap(),
        2000
    );
    assert_eq!(collect(s.get(&d, None).await.unwrap()).await, data);
}

async fn abort(h: Harness) {
    let s = h.make();
    s.append("ab", 0, body(b"some bytes", 3)).await.unwrap();
    s.abort("ab").await.unwrap();
    assert_eq!(s.upload_size("ab").await.unwrap(), 0);
    assert!(s.list_uploads().await.unwrap().is_empty());
    s.abort("ab").await.unwrap();
    s.abort("never-existed").await.unwrap();
    // Another instance aborts an upload this one appended to; this one starts afresh.
    s.append("ab2", 0, body(b"old", 3)).await.unwrap();
    h.make().abort("ab2").await.unwrap();
    assert_eq!(s.append("ab2", 0, body(b"new", 3)).await.unwrap(), 3);
    let d = Digest::sha256(b"new");
    assert_eq!(s.commit("ab2", &d, None).await.unwrap(), 3);
}

async fn other_replica_continues_and_commits(h: Harness) {
    let a = h.make();
    let b = h.make();
    let data = pseudo_random(200_000, 15);
    let d = Digest::sha256(&data);
    assert_eq!(
        a.append("r", 0, body(&data[..80_000], 8192)).await.unwrap(),
        80_000
    );
    assert_eq!(b.upload_size("r").await.unwrap(), 80_000);
    assert_eq!(
        b.append("r", 80_000, body(&data[80_000..150_000], 8192))
            .await
            .unwrap(),
        150_000
    );
    // A's cached hash state is behind now; it appends once more anyway.
    assert!(matches!(
        a.append("r", 80_000, body(b"x", 1)).await,
        Err(Error::OutOfOrder {
            expected: 150_000,
            ..
        })
    ));
    assert_eq!(
        a.append("r", 150_000, body(&data[150_000..], 8192))
            .await
            .unwrap(),
        200_000
    );
    assert_eq!(b.commit("r", &d, None).await.unwrap(), 200_000);
    assert_eq!(collect(a.get(&d, None).await.unwrap()).await, data);

    // A restart: a new instance commits what the old one staged; and the old one, whose cache
    // covers everything, commits a second upload another instance would not have hashed.
    let data = pseudo_random(64_000, 16);
    let d = Digest::sha256(&data);
    a.append("r2", 0, body(&data, 4096)).await.unwrap();
    drop(a);
    let c = h.make();
    assert_eq!(c.commit("r2", &d, None).await.unwrap(), 64_000);
    assert_eq!(collect(b.get(&d, None).await.unwrap()).await, data);
}

async fn concurrent_puts_of_one_digest(h: Harness) {
    let data = Arc::new(pseudo_random(MIB + 12_345, 17));
    let d = Digest::sha256(&data);
    let mut tasks = Vec::new();
    for i in 0..6 {
        let (s, data, d) = (h.make(), Arc::clone(&data), d.clone());
        tasks.push(tokio::spawn(async move {
            s.put(&d, Some(data.len() as u64), body(&data, 10_000 + i * 777))
                .await
        }));
    }
    for t in tasks {
        assert_eq!(t.await.unwrap().unwrap(), data.len() as u64);
    }
    let s = h.make();
    assert_eq!(collect(s.get(&d, None).await.unwrap()).await, *data);
    assert_eq!(s.total_bytes().await.unwrap(), data.len() as u64);
    assert!(s.list_uploads().await.unwrap().is_empty());
}

async fn large_chunked_upload_across_replicas(h: Harness) {
    // ~12 MiB in 3 chunks (6, 4 and 2 MiB), the last appended and the whole committed by a
    // second instance, so it re-reads the staged chunks.
    let data = pseudo_random(12 * MIB + 4321, 18);
    let d = Digest::sha256(&data);
    let (a, b) = (h.make(), h.make());
    let cuts = [0, 6 * MIB, 10 * MIB, data.len()];
    a.append("big", 0, body(&data[cuts[0]..cuts[1]], 256 * 1024))
        .await
        .unwrap();
    a.append(
        "big",
        cuts[1] as u64,
        body(&data[cuts[1]..cuts[2]], 64 * 1024),
    )
    .await
    .unwrap();
    assert_eq!(
        b.append(
            "big",
            cuts[2] as u64,
            body(&data[cuts[2]..cuts[3]], 100_000)
        )
        .await
        .unwrap(),
        data.len() as u64
    );
    assert_eq!(b.upload_size("big").await.unwrap(), data.len() as u64);
    assert_eq!(b.commit("big", &d, None).await.unwrap(), data.len() as u64);
    assert_eq!(a.stat(&d).await.unwrap(), Some(data.len() as u64));
    assert!(collect(a.get(&d, None).await.unwrap()).await == data);
    // Ranges across the chunk and part boundaries.
    for (start, end) in [
        (6 * MIB - 10, 6 * MIB + 10),
        (8 * MIB - 100, 8 * MIB + 100),
        (MIB, 11 * MIB),
        (data.len() - 5, data.len()),
    ] {
        let got = collect(a.get(&d, Some(start as u64..end as u64)).await.unwrap()).await;
        assert!(got == data[start..end], "range {start}..{end}");
    }
    assert!(a.list_uploads().await.unwrap().is_empty());
}

async fn large_put(h: Harness) {
    let s = h.make();
    let data = pseudo_random(9 * MIB + 7, 19);
    let d = Digest::sha256(&data);
    assert_eq!(
        s.put(&d, Some(data.len() as u64), body(&data, 128 * 1024))
            .await
            .unwrap(),
        data.len() as u64
    );
    assert!(collect(s.get(&d, None).await.unwrap()).await == data);
    // A large wrong body leaves nothing either (the multipart upload is aborted).
    let wrong = Digest::sha256(b"wrong");
    assert!(matches!(
        s.put(&wrong, None, body(&data, 128 * 1024)).await,
        Err(Error::DigestMismatch { .. })
    ));
    assert!(matches!(
        s.put(&wrong, None, failing_body(&data, 7 * MIB, 128 * 1024))
            .await,
        Err(Error::Body(_))
    ));
    assert_eq!(s.stat(&wrong).await.unwrap(), None);
    assert_eq!(s.total_bytes().await.unwrap(), data.len() as u64);
}

async fn large_single_chunk_upload(h: Harness) {
    // One streamed PATCH with the whole blob, then a PUT without body: the common docker path.
    let s = h.make();
    let data = pseudo_random(7 * MIB + 3, 20);
    let d = Digest::sha256(&data);
    assert_eq!(
        s.append("one", 0, body(&data, 32 * 1024)).await.unwrap(),
        data.len() as u64
    );
    assert_eq!(
        s.commit("one", &d, Some(body(b"", 1))).await.unwrap(),
        data.len() as u64
    );
    assert!(collect(s.get(&d, None).await.unwrap()).await == data);
    assert!(s.list_uploads().await.unwrap().is_empty());
    // The same with a failing chunk first: nothing of it may stay staged.
    assert!(matches!(
        s.append("two", 0, failing_body(&data, 6 * MIB, 32 * 1024))
            .await,
        Err(Error::Body(_))
    ));
    assert_eq!(s.upload_size("two").await.unwrap(), 0);
}

async fn list_uploads_and_total_bytes(h: Harness) {
    let s = h.make();
    assert!(s.list_uploads().await.unwrap().is_empty());
    assert_eq!(s.total_bytes().await.unwrap(), 0);
    s.append("x", 0, body(b"abc", 1)).await.unwrap();
    s.append("y", 0, body(b"defg", 2)).await.unwrap();
    let mut ids: Vec<String> = s
        .list_uploads()
        .await
        .unwrap()
        .into_iter()
        .map(|(id, _)| id)
        .collect();
    ids.sort();
    assert_eq!(ids, ["x", "y"]);
    // Staged bytes are not blobs.
    assert_eq!(s.total_bytes().await.unwrap(), 0);
    let one = pseudo_random(1000, 21);
    let two = pseudo_random(2345, 22);
    s.put(&Digest::sha256(&one), None, body(&one, 100))
        .await
        .unwrap();
    s.put(&Digest::of(Algorithm::Sha512, &two), None, body(&two, 100))
        .await
        .unwrap();
    assert_eq!(s.total_bytes().await.unwrap(), 3345);
    s.abort("x").await.unwrap();
    let ids: Vec<String> = h
        .make()
        .list_uploads()
        .await
        .unwrap()
        .into_iter()
        .map(|(id, _)| id)
        .collect();
    assert_eq!(ids, ["y"]);
}
