//! Interoperability of zoll-sign with an independent implementation of the same formats
//! (`tests/py/cosign_formats.py`, Python `cryptography` + `pynacl`), both ways: key files,
//! simple-signing signatures, DSSE attestations and Sigstore bundles.
//!
//! Needs the tools venv (`$ZOLL_TOOLS_VENV`, default `/opt/zoll-venv`, installed by `.ci/run`
//! from `crates/zoll-registry/tests/py/requirements.txt`); without it the tests fail, they never
//! skip.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use zoll_core::Digest;
use zoll_sign::bundle::{Bundle, BundleContent, key_hint};
use zoll_sign::dsse::{Envelope, IN_TOTO_PAYLOAD_TYPE};
use zoll_sign::intoto::{Statement, predicate_type_uri};
use zoll_sign::keys::{FileSigner, PublicKey, generate_key_pair};
use zoll_sign::simple::SimpleSigning;
use zoll_sign::verify::{
    AttestationCandidate, AttestationPolicy, IdentityRule, Policy, SignatureCandidate, TrustedKeys,
    VerifyError, check_envelope, verify_attestations, verify_signatures,
};

const REFERENCE: &str = "registry.example/team/app";

fn digest() -> Digest {
    Digest::sha256(b"a manifest")
}

fn python() -> PathBuf {
    let venv = std::env::var_os("ZOLL_TOOLS_VENV").unwrap_or_else(|| "/opt/zoll-venv".into());
    let python = Path::new(&venv).join("bin/python");
    assert!(
        python.exists(),
        "{} is missing: the zoll-sign interop tests need the tools venv with `cryptography` and \
         `pynacl` (run .ci/run, or pip install -r crates/zoll-registry/tests/py/requirements.txt \
         into $ZOLL_TOOLS_VENV)",
        python.display()
    );
    python
}

/// Run a subcommand of cosign_formats.py; returns (success, stdout, stderr).
fn py(args: &[&str]) -> (bool, String, String) {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/py/cosign_formats.py");
    let out = Command::new(python())
        .arg(&script)
        .args(args)
        .output()
        .expect("run python");
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    // Exit 2 or a traceback is a broken test setup (missing module, bad arguments), never an
    // acceptable "verification failed".
    assert!(
        out.status.code() == Some(0) || out.status.code() == Some(1),
        "cosign_formats.py {args:?} crashed ({}):\n{stderr}",
        out.status
    );
    (out.status.success(), stdout, stderr)
}

fn py_ok(args: &[&str]) -> String {
    let (ok, stdout, stderr) = py(args);
    assert!(ok, "cosign_formats.py {args:?} failed:\n{stderr}");
    stdout
}

fn write(dir: &Path, name: &str, bytes: impl AsRef<[u8]>) -> String {
    let path = dir.join(name);
    fs_err::write(&path, bytes).unwrap();
    path.to_str().unwrap().to_owned()
}

fn read(path: &str) -> Vec<u8> {
    fs_err::read(path).unwrap()
}

fn s(path: &Path) -> String {
    path.to_str().unwrap().to_owned()
}

#[test]
fn python_decrypts_zoll_key_files() {
    let dir = tempfile::tempdir().unwrap();
    for password in ["correct horse", ""] {
        let pair = generate_key_pair(password.as_bytes()).unwrap();
        let key = write(dir.path(), "cosign.key", &pair.private_pem);
        let public = py_ok(&["decrypt-key", "--key", &key, "--password", password]);
        let from_python = PublicKey::from_pem("python", &public).unwrap();
        assert_eq!(from_python.id(), &pair.key_id);
    }
    let pair = generate_key_pair(b"right").unwrap();
    let key = write(dir.path(), "cosign.key", &pair.private_pem);
    let (ok, _, stderr) = py(&["decrypt-key", "--key", &key, "--password", "wrong"]);
    assert!(!ok && stderr.contains("wrong password"), "{stderr}");
}

#[test]
fn zoll_decrypts_python_key_files_and_signs() {
    let dir = tempfile::tempdir().unwrap();
    let (key, public) = (s(&dir.path().join("py.key")), s(&dir.path().join("py.pub")));
    py_ok(&[
        "generate-key",
        "--password",
        "pw",
        "--private",
        &key,
        "--public",
        &public,
    ]);

    let signer = FileSigner::read_pem_file(Path::new(&key), b"pw").unwrap();
    let python_public = PublicKey::read_pem_file(Path::new(&public)).unwrap();
    assert_eq!(signer.public().id(), python_public.id());
    let err = FileSigner::read_pem_file(Path::new(&key), b"nope").unwrap_err();
    assert_eq!(
        err.to_string(),
        format!("wrong password for key {key} (or the encrypted key is corrupted)")
    );

    // The decrypted key signs, and Python verifies with its own public key file.
    let payload = SimpleSigning::cosign(REFERENCE, digest(), None).to_json();
    let signature = zoll_sign::sign_message(&signer, &payload).unwrap();
    let payload_file = write(dir.path(), "payload.json", &payload);
    let signature_file = write(dir.path(), "payload.sig", base64_std(signature.as_bytes()));
    py_ok(&[
        "verify-signature",
        "--public",
        &public,
        "--payload",
        &payload_file,
        "--signature",
        &signature_file,
        "--digest",
        &digest().to_string(),
        "--reference",
        REFERENCE,
    ]);
}

#[test]
fn python_verifies_zoll_signatures() {
    let dir = tempfile::tempdir().unwrap();
    let signer = FileSigner::generate("zoll").unwrap();
    let public = write(dir.path(), "zoll.pub", signer.public().to_pem());
    let mut annotations = BTreeMap::new();
    annotations.insert("env".to_owned(), serde_json::Value::from("prod"));
    let payload = SimpleSigning::cosign(REFERENCE, digest(), Some(annotations)).to_json();
    let signature = zoll_sign::sign_message(&signer, &payload).unwrap();
    let payload_file = write(dir.path(), "payload.json", &payload);
    let signature_file = write(dir.path(), "sig", base64_std(signature.as_bytes()));
    py_ok(&[
        "verify-signature",
        "--public",
        &public,
        "--payload",
        &payload_file,
        "--signature",
        &signature_file,
        "--digest",
        &digest().to_string(),
        "--annotation",
        "env=prod",
    ]);
    // Python rejects a tampered payload too (the test's oracle is not a rubber stamp).
    let mut tampered = payload.clone();
    tampered[10] ^= 1;
    let tampered_file = write(dir.path(), "tampered.json", &tampered);
    let (ok, _, _) = py(&[
        "verify-signature",
        "--public",
        &public,
        "--payload",
        &tampered_file,
        "--signature",
        &signature_file,
    ]);
    assert!(!ok);
}

#[test]
fn zoll_verifies_python_signatures() {
    let dir = tempfile::tempdir().unwrap();
    let (key, public) = (s(&dir.path().join("py.key")), s(&dir.path().join("py.pub")));
    py_ok(&[
        "generate-key",
        "--password",
        "",
        "--private",
        &key,
        "--public",
        &public,
    ]);
    let (payload_file, signature_file) =
        (s(&dir.path().join("payload")), s(&dir.path().join("sig")));
    py_ok(&[
        "sign-payload",
        "--key",
        &key,
        "--reference",
        REFERENCE,
        "--digest",
        &digest().to_string(),
        "--annotation",
        "env=prod",
        "--payload-out",
        &payload_file,
        "--signature-out",
        &signature_file,
    ]);
    let payload = read(&payload_file);
    let signature = base64_decode(&String::from_utf8(read(&signature_file)).unwrap());
    let trusted_key = PublicKey::read_pem_file(Path::new(&public)).unwrap();
    let mut keys = TrustedKeys::new();
    keys.add("py.pub", trusted_key.clone());
    let mut policy = Policy::new(digest());
    policy.identity = IdentityRule::Repository(format!("{REFERENCE}:latest"));
    policy
        .annotations
        .insert("env".to_owned(), "prod".to_owned());
    let candidate = SignatureCandidate::new(payload.clone(), signature.clone());
    let verified = verify_signatures(&[candidate], &keys, &policy).unwrap();
    assert_eq!(&verified[0].key_id, trusted_key.id());

    // Python's payload bytes are what zoll would write for the same content.
    let parsed = SimpleSigning::parse("py", &payload).unwrap();
    assert_eq!(parsed.to_json(), payload);

    let mut other = Policy::new(Digest::sha256(b"another manifest"));
    other.identity = IdentityRule::Ignore;
    let err = verify_signatures(
        &[SignatureCandidate::new(payload, signature)],
        &keys,
        &other,
    )
    .unwrap_err();
    assert!(matches!(err, VerifyError::DigestMismatch { .. }), "{err}");
}

#[test]
fn dsse_attestations_both_ways() {
    let dir = tempfile::tempdir().unwrap();
    let slsa = predicate_type_uri("slsaprovenance").unwrap();

    // zoll signs, Python verifies.
    let signer = FileSigner::generate("zoll").unwrap();
    let zoll_public = write(dir.path(), "zoll.pub", signer.public().to_pem());
    let statement = Statement::new(
        REFERENCE,
        &digest(),
        slsa.as_str(),
        serde_json::json!({"builder": {"id": "https://example.com/b"}}),
    );
    let envelope = Envelope::sign(IN_TOTO_PAYLOAD_TYPE, statement.to_json(), &signer, "").unwrap();
    let envelope_file = write(dir.path(), "zoll.att.json", envelope.to_json());
    py_ok(&[
        "verify-attestation",
        "--public",
        &zoll_public,
        "--envelope",
        &envelope_file,
        "--digest",
        &digest().to_string(),
        "--predicate-type",
        &slsa,
    ]);
    let (ok, _, _) = py(&[
        "verify-attestation",
        "--public",
        &zoll_public,
        "--envelope",
        &envelope_file,
        "--digest",
        &Digest::sha256(b"other").to_string(),
    ]);
    assert!(!ok, "python must reject a statement about another digest");

    // Python signs, zoll verifies.
    let (key, public) = (s(&dir.path().join("py.key")), s(&dir.path().join("py.pub")));
    py_ok(&[
        "generate-key",
        "--password",
        "x",
        "--private",
        &key,
        "--public",
        &public,
    ]);
    let py_envelope = s(&dir.path().join("py.att.json"));
    py_ok(&[
        "sign-attestation",
        "--key",
        &key,
        "--password",
        "x",
        "--subject",
        REFERENCE,
        "--digest",
        &digest().to_string(),
        "--predicate-type",
        &slsa,
        "--predicate",
        r#"{"buildType":"x"}"#,
        "--out",
        &py_envelope,
    ]);
    let mut keys = TrustedKeys::new();
    keys.add(
        "py.pub",
        PublicKey::read_pem_file(Path::new(&public)).unwrap(),
    );
    let policy = AttestationPolicy {
        manifest_digest: digest(),
        predicate_type: Some(slsa.clone()),
        threshold: 1,
    };
    let verified = verify_attestations(
        &[AttestationCandidate::new(read(&py_envelope)).with_source("py.att.json")],
        &keys,
        &policy,
    )
    .unwrap();
    assert_eq!(verified[0].statement.predicate["buildType"], "x");
}

#[test]
fn bundles_both_ways() {
    let dir = tempfile::tempdir().unwrap();
    let artifact = write(dir.path(), "artifact.bin", b"some artifact bytes");
    let slsa = predicate_type_uri("slsaprovenance1").unwrap();

    // zoll's bundles, verified by Python.
    let signer = FileSigner::generate("zoll").unwrap();
    let zoll_public = write(dir.path(), "zoll.pub", signer.public().to_pem());
    let bundle = Bundle::sign_artifact(&signer, &read(&artifact)).unwrap();
    let bundle_file = write(dir.path(), "zoll.sigstore.json", bundle.to_json());
    py_ok(&[
        "verify-bundle",
        "--public",
        &zoll_public,
        "--bundle",
        &bundle_file,
        "--artifact",
        &artifact,
    ]);
    let other_artifact = write(dir.path(), "other.bin", b"different");
    let (ok, _, _) = py(&[
        "verify-bundle",
        "--public",
        &zoll_public,
        "--bundle",
        &bundle_file,
        "--artifact",
        &other_artifact,
    ]);
    assert!(!ok);
    let statement = Statement::new(REFERENCE, &digest(), slsa.as_str(), serde_json::Value::Null);
    let envelope = Envelope::sign(IN_TOTO_PAYLOAD_TYPE, statement.to_json(), &signer, "").unwrap();
    let dsse_bundle = Bundle::from_envelope(envelope, key_hint(signer.public()));
    let dsse_file = write(dir.path(), "zoll.dsse.sigstore.json", dsse_bundle.to_json());
    py_ok(&[
        "verify-bundle",
        "--public",
        &zoll_public,
        "--bundle",
        &dsse_file,
        "--digest",
        &digest().to_string(),
        "--predicate-type",
        &slsa,
    ]);

    // Python's bundles, verified by zoll.
    let (key, public) = (s(&dir.path().join("py.key")), s(&dir.path().join("py.pub")));
    py_ok(&["generate-key", "--private", &key, "--public", &public]);
    let py_public = PublicKey::read_pem_file(Path::new(&public)).unwrap();
    let py_bundle = s(&dir.path().join("py.sigstore.json"));
    py_ok(&[
        "sign-bundle",
        "--key",
        &key,
        "--artifact",
        &artifact,
        "--out",
        &py_bundle,
    ]);
    let parsed = Bundle::parse("py.sigstore.json", &read(&py_bundle)).unwrap();
    assert_eq!(parsed.public_key_hint, key_hint(&py_public));
    parsed
        .verify(
            "py.sigstore.json",
            &py_public,
            Some(&zoll_sign::sha256(&read(&artifact))),
        )
        .unwrap();
    assert!(
        parsed
            .verify("py.sigstore.json", signer.public(), None)
            .is_err()
    );

    let (py_envelope, py_dsse_bundle) = (
        s(&dir.path().join("py.att.json")),
        s(&dir.path().join("py.dsse.sigstore.json")),
    );
    py_ok(&[
        "sign-attestation",
        "--key",
        &key,
        "--subject",
        REFERENCE,
        "--digest",
        &digest().to_string(),
        "--predicate-type",
        &slsa,
        "--out",
        &py_envelope,
        "--bundle-out",
        &py_dsse_bundle,
    ]);
    let parsed = Bundle::parse("py.dsse.sigstore.json", &read(&py_dsse_bundle)).unwrap();
    parsed
        .verify("py.dsse.sigstore.json", &py_public, None)
        .unwrap();
    let BundleContent::Dsse(envelope) = parsed.content else {
        panic!("expected a DSSE bundle");
    };
    let mut keys = TrustedKeys::new();
    keys.add("py.pub", py_public);
    let policy = AttestationPolicy {
        manifest_digest: digest(),
        predicate_type: Some(slsa),
        threshold: 1,
    };
    check_envelope("py.dsse.sigstore.json".to_owned(), envelope, &keys, &policy).unwrap();
}

fn base64_std(bytes: &[u8]) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

fn base64_decode(text: &str) -> Vec<u8> {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD
        .decode(text.trim())
        .unwrap()
}
