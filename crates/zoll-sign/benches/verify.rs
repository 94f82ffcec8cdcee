//! Verification throughput: one cosign signature checked with a prepared (already parsed) key.
//! Target: at least 20,000 verifications per second on one core.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use zoll_sign::keys::FileSigner;
use zoll_sign::simple::SimpleSigning;
use zoll_sign::verify::{Policy, SignatureCandidate, TrustedKeys, verify_signatures};

fn bench_verify(c: &mut Criterion) {
    let signer = FileSigner::generate("bench").unwrap();
    let digest: zoll_core::Digest = format!("sha256:{}", "ab".repeat(32)).parse().unwrap();
    let payload = SimpleSigning::cosign("registry.example/app", digest.clone(), None).to_json();
    let signature = zoll_sign::sign_message(&signer, &payload).unwrap();
    let key = signer.public().clone();

    c.bench_function("ecdsa_p256_verify_message", |b| {
        b.iter(|| assert!(key.verify_message(black_box(&payload), black_box(signature.as_bytes()))))
    });

    let keys: TrustedKeys = [("bench".to_owned(), key.clone())].into_iter().collect();
    let policy = Policy::new(digest);
    let candidates = [SignatureCandidate::new(
        payload.clone(),
        signature.as_bytes().to_vec(),
    )];
    c.bench_function("verify_signatures_one_candidate", |b| {
        b.iter(|| verify_signatures(black_box(&candidates), &keys, &policy).unwrap())
    });
}

criterion_group!(benches, bench_verify);
criterion_main!(benches);
