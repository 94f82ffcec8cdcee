//! Interoperability with the real GnuPG and skopeo's gpgme mechanism.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::{Mutex, OnceLock};

use zoll_core::Digest;
use zoll_gpg::{
    Error, Fingerprint, PublicKeyring, SecretKeyring, SignedIdentity, SimpleSigning, check, sign,
    verify, verify_with_fingerprints,
};

const PASS: &str = "zoll test passphrase";
const REF: &str = "registry.example/team/app:1.0";

struct Fixture {
    home: tempfile::TempDir,
    lock: Mutex<()>,
    ed: String,
    rsa: String,
    ec: String,
    /// certify-only primary with an ed25519 signing subkey
    sub_primary: String,
    sub_signing: String,
}

fn gpg_raw(home: &Path, args: &[&str], stdin: Option<&[u8]>) -> Output {
    let mut cmd = Command::new("gpg");
    cmd.arg("--homedir")
        .arg(home)
        .args([
            "--batch",
            "--no-tty",
            "--pinentry-mode",
            "loopback",
            "--passphrase",
            PASS,
        ])
        .args(args)
        .stdin(if stdin.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = match cmd.spawn() {
        Ok(c) => c,
        Err(e) => panic!(
            "cannot run `gpg` ({e}): these tests need GnuPG 2.2+ on PATH (Debian: apt-get install gnupg)"
        ),
    };
    if let Some(data) = stdin {
        use std::io::Write;
        child.stdin.take().unwrap().write_all(data).unwrap();
    }
    child.wait_with_output().unwrap()
}

static FIXTURE: OnceLock<Fixture> = OnceLock::new();

fn fixture() -> &'static Fixture {
    FIXTURE.get_or_init(|| {
        let home = tempfile::tempdir().unwrap();
        let h = home.path();
        let gen_key = |uid: &str, algo: &str, usage: &str| -> String {
            let out = gpg_raw(h, &["--quick-gen-key", uid, algo, usage, "never"], None);
            assert!(
                out.status.success(),
                "gpg --quick-gen-key {algo}: {}",
                String::from_utf8_lossy(&out.stderr)
            );
            fingerprints(h, uid)[0].clone()
        };
        let ed = gen_key("zoll test <t@example.invalid>", "ed25519", "sign");
        let rsa = gen_key("zoll rsa <r@example.invalid>", "rsa3072", "sign");
        let ec = gen_key("zoll ec <e@example.invalid>", "nistp256", "sign");
        let sub_primary = gen_key("zoll sub <s@example.invalid>", "ed25519", "cert");
        let out = gpg_raw(
            h,
            &["--quick-add-key", &sub_primary, "ed25519", "sign", "never"],
            None,
        );
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let sub_signing = fingerprints(h, "zoll sub <s@example.invalid>")[1].clone();
        Fixture {
            home,
            lock: Mutex::new(()),
            ed,
            rsa,
            ec,
            sub_primary,
            sub_signing,
        }
    })
}

/// All fingerprints (primary first, then subkeys) of the key matching `who`.
fn fingerprints(home: &Path, who: &str) -> Vec<String> {
    let out = gpg_raw(home, &["--with-colons", "--list-keys", who], None);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .filter(|l| l.starts_with("fpr:"))
        .map(|l| l.split(':').nth(9).unwrap().to_owned())
        .collect()
}

/// Stops the fixture's gpg-agent when a test ends (the next gpg call starts it again), so
/// no agent outlives the test binary.
struct AgentGuard;

impl Drop for AgentGuard {
    fn drop(&mut self) {
        if let Some(f) = FIXTURE.get() {
            let _g = f.lock.lock().unwrap_or_else(|p| p.into_inner());
            let _ = Command::new("gpgconf")
                .arg("--homedir")
                .arg(f.home.path())
                .args(["--kill", "gpg-agent"])
                .output();
        }
    }
}

impl Fixture {
    fn skopeo(&self, args: &[&str]) -> Output {
        let _g = self.lock.lock().unwrap_or_else(|p| p.into_inner());
        Command::new("skopeo")
            .env("GNUPGHOME", self.home.path())
            .args(args)
            .output()
            .unwrap()
    }

    fn gpg(&self, args: &[&str], stdin: Option<&[u8]>) -> Output {
        let _g = self.lock.lock().unwrap_or_else(|p| p.into_inner());
        gpg_raw(self.home.path(), args, stdin)
    }

    fn gpg_ok(&self, args: &[&str], stdin: Option<&[u8]>) -> Vec<u8> {
        let out = self.gpg(args, stdin);
        assert!(
            out.status.success(),
            "gpg {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        out.stdout
    }

    fn public(&self, fpr: &str) -> PublicKeyring {
        PublicKeyring::from_bytes(fpr, &self.gpg_ok(&["--export", fpr], None)).unwrap()
    }

    fn secret(&self, fpr: &str, armor: bool) -> SecretKeyring {
        let mut args = vec!["--export-secret-keys"];
        if armor {
            args.push("--armor");
        }
        args.push(fpr);
        SecretKeyring::from_bytes(fpr, &self.gpg_ok(&args, None)).unwrap()
    }
}

fn digest() -> Digest {
    Digest::sha256(b"a manifest")
}

fn payload() -> Vec<u8> {
    SimpleSigning {
        docker_reference: REF.to_owned(),
        manifest_digest: digest(),
        creator: Some("atomic 5.23.1".to_owned()),
        timestamp: Some(1_700_000_000),
    }
    .to_json()
    .unwrap()
}

fn tmpfile(dir: &Path, name: &str, data: &[u8]) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, data).unwrap();
    p
}

#[test]
fn gpg_signed_messages_verify_in_zoll() {
    let _agent = AgentGuard;
    let f = fixture();
    let dir = tempfile::tempdir().unwrap();
    let input = tmpfile(dir.path(), "payload.json", &payload());
    for fpr in [&f.ed, &f.rsa, &f.ec] {
        let ring = f.public(fpr);
        for extra in [
            &[][..],
            &["--compress-algo", "none"][..],
            &["--compress-algo", "zlib"][..],
            &["--compress-algo", "bzip2"][..],
        ] {
            let mut args = vec!["--local-user", fpr.as_str(), "--output", "-"];
            args.extend_from_slice(extra);
            args.push("--sign");
            args.push(input.to_str().unwrap());
            let sig = f.gpg_ok(&args, None);
            let v = verify(&sig, &ring).unwrap_or_else(|e| panic!("{fpr} {extra:?}: {e}"));
            assert_eq!(v.fingerprint.as_str(), fpr);
            assert_eq!(v.payload_bytes, payload());
            assert_eq!(v.payload.docker_reference, REF);
            check(&v, &digest(), REF, &SignedIdentity::default()).unwrap();
        }
    }
}

#[test]
fn zoll_signatures_verify_with_gpg() {
    let _agent = AgentGuard;
    let f = fixture();
    let dir = tempfile::tempdir().unwrap();
    for (fpr, armor) in [(&f.ed, true), (&f.rsa, false), (&f.ec, true)] {
        let keys = f.secret(fpr, armor);
        let key = keys.select(&fpr.parse().unwrap()).unwrap();
        let sig = sign(&payload(), &key, PASS).unwrap();
        let path = tmpfile(dir.path(), "sig", &sig);
        let p = path.to_str().unwrap();
        let out = f.gpg(&["--status-fd", "1", "--verify", p], None);
        let status = String::from_utf8_lossy(&out.stdout);
        assert!(
            out.status.success(),
            "gpg --verify: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(status.contains(&format!("VALIDSIG {fpr}")), "{status}");
        let decrypted = f.gpg_ok(&["--decrypt", p], None);
        assert_eq!(decrypted, payload());
        // Packet structure: one-pass signature, literal data, signature; no compression.
        let packets = String::from_utf8(f.gpg_ok(&["--list-packets", p], None)).unwrap();
        let kinds: Vec<&str> = packets
            .lines()
            .filter(|l| l.starts_with(':'))
            .map(|l| l.split(':').nth(1).unwrap())
            .collect();
        assert_eq!(
            kinds,
            [
                "onepass_sig packet",
                "literal data packet",
                "signature packet"
            ],
            "{packets}"
        );
        // And zoll verifies its own output, also with the public half of the secret file.
        let v = verify(&sig, &keys.public_keyring()).unwrap();
        assert_eq!(v.fingerprint.as_str(), fpr);
    }
}

#[test]
fn unknown_key_bad_signature_and_mismatches() {
    let _agent = AgentGuard;
    let f = fixture();
    let ed_ring = f.public(&f.ed);
    // Signed by another key.
    let rsa_keys = f.secret(&f.rsa, false);
    let sig = sign(
        &payload(),
        &rsa_keys.select(&f.rsa.parse().unwrap()).unwrap(),
        PASS,
    )
    .unwrap();
    match verify(&sig, &ed_ring) {
        Err(Error::UnknownKey { fingerprint }) => assert_eq!(fingerprint, f.rsa),
        other => panic!("{other:?}"),
    }
    // Trusted keyring but fingerprint not in the accepted list.
    let rsa_ring = f.public(&f.rsa);
    let other: Fingerprint = f.ed.parse().unwrap();
    assert!(matches!(
        verify_with_fingerprints(&sig, &rsa_ring, &[other]),
        Err(Error::UnknownKey { .. })
    ));
    assert!(verify_with_fingerprints(&sig, &rsa_ring, &[f.rsa.parse().unwrap()]).is_ok());

    // Changed payload bytes (same length) inside the uncompressed message.
    let mut tampered = sig.clone();
    let at = tampered.windows(4).position(|w| w == b"team").unwrap();
    tampered[at] = b'T';
    assert!(
        matches!(
            verify(&tampered, &rsa_ring),
            Err(Error::BadSignature { .. })
        ),
        "{:?}",
        verify(&tampered, &rsa_ring)
    );

    // Garbage is not a signed message.
    assert!(matches!(
        verify(b"\x8c\x01\x02", &rsa_ring),
        Err(Error::MalformedSignature { .. })
    ));

    // Digest and identity mismatches.
    let v = verify(&sig, &rsa_ring).unwrap();
    assert!(matches!(
        check(
            &v,
            &Digest::sha256(b"other"),
            REF,
            &SignedIdentity::default()
        ),
        Err(Error::DigestMismatch { .. })
    ));
    assert!(matches!(
        check(
            &v,
            &digest(),
            "registry.example/team/app:2.0",
            &SignedIdentity::default()
        ),
        Err(Error::IdentityMismatch { .. })
    ));
    check(
        &v,
        &digest(),
        &format!("registry.example/team/app@{}", digest()),
        &SignedIdentity::default(),
    )
    .unwrap();
    assert!(matches!(
        check(
            &v,
            &digest(),
            &format!("registry.example/team/app@{}", digest()),
            &SignedIdentity::MatchExact
        ),
        Err(Error::IdentityMismatch { .. })
    ));
}

#[test]
fn malformed_payload_is_reported_after_signature_verification() {
    let _agent = AgentGuard;
    let f = fixture();
    let keys = f.secret(&f.ed, false);
    let bad = br#"{"critical":{"identity":{"docker-reference":"a/b:c"},"image":{"docker-manifest-digest":"sha256:00"},"type":"atomic container signature"},"optional":{}}"#;
    let sig = sign(bad, &keys.select(&f.ed.parse().unwrap()).unwrap(), PASS).unwrap();
    assert!(matches!(
        verify(&sig, &f.public(&f.ed)),
        Err(Error::MalformedPayload { .. })
    ));
}

#[test]
fn key_import_and_passphrases() {
    let _agent = AgentGuard;
    let f = fixture();
    // Several keys in one binary export and in one armored export; two concatenated armor blocks.
    let bin = f.gpg_ok(&["--export", &f.ed, &f.rsa, &f.ec], None);
    let ring = PublicKeyring::from_bytes("all.gpg", &bin).unwrap();
    assert_eq!(ring.len(), 3);
    let mut armored = f.gpg_ok(&["--export", "--armor", &f.ed, &f.rsa], None);
    armored.extend(f.gpg_ok(&["--export", "--armor", &f.ec], None));
    let mut ring = PublicKeyring::from_bytes("all.asc", &armored).unwrap();
    let fps: Vec<String> = ring
        .fingerprints()
        .iter()
        .map(ToString::to_string)
        .collect();
    assert_eq!(fps, [f.ed.clone(), f.rsa.clone(), f.ec.clone()]);
    ring.add_bytes("sub.gpg", &f.gpg_ok(&["--export", &f.sub_primary], None))
        .unwrap();
    assert_eq!(ring.len(), 4);

    // Secret keys, armored and binary, protected with PASS.
    let secret = f.gpg_ok(&["--export-secret-keys", "--armor", &f.ec], None);
    let keys = SecretKeyring::from_bytes("ec.asc", &secret).unwrap();
    let lower: Fingerprint = f.ec.to_lowercase().parse().unwrap();
    let key = keys.select(&lower).unwrap();
    assert!(matches!(
        sign(b"x", &key, "wrong"),
        Err(Error::BadPassphrase { .. })
    ));
    assert!(matches!(
        sign(b"x", &key, ""),
        Err(Error::BadPassphrase { .. })
    ));
    assert!(sign(b"x", &key, PASS).is_ok());
    assert!(matches!(
        keys.select(&f.ed.parse().unwrap()),
        Err(Error::KeyNotFound { .. })
    ));
    // A public key file is not a secret key file.
    assert!(matches!(
        SecretKeyring::from_bytes("pub.gpg", &bin),
        Err(Error::NoKeys { .. })
    ));
}

#[test]
fn signing_subkeys() {
    let _agent = AgentGuard;
    let f = fixture();
    let dir = tempfile::tempdir().unwrap();
    let ring = f.public(&f.sub_primary);
    // gpg picks the signing subkey for the primary fingerprint.
    let input = tmpfile(dir.path(), "payload.json", &payload());
    let sig = f.gpg_ok(
        &[
            "--local-user",
            &f.sub_primary,
            "--output",
            "-",
            "--sign",
            input.to_str().unwrap(),
        ],
        None,
    );
    let v = verify(&sig, &ring).unwrap();
    assert_eq!(
        v.fingerprint.as_str(),
        f.sub_primary,
        "the primary is the identity"
    );
    assert_eq!(v.signing_key.as_str(), f.sub_signing);

    // zoll does the same, by primary or by subkey fingerprint.
    let keys = f.secret(&f.sub_primary, false);
    for fpr in [&f.sub_primary, &f.sub_signing] {
        let key = keys.select(&fpr.parse().unwrap()).unwrap();
        assert_eq!(key.fingerprint().as_str(), f.sub_signing);
        let sig = sign(&payload(), &key, PASS).unwrap();
        let path = tmpfile(dir.path(), "sig", &sig);
        let out = f.gpg(
            &["--status-fd", "1", "--verify", path.to_str().unwrap()],
            None,
        );
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let v = verify(&sig, &ring).unwrap();
        assert_eq!(v.fingerprint.as_str(), f.sub_primary);
    }
}

/// skopeo 1.9 (Debian) uses containers/image's gpgme mechanism; exercise it offline with
/// `standalone-sign` / `standalone-verify` against the fixture's GNUPGHOME.
#[test]
fn skopeo_standalone_interop() {
    if Command::new("skopeo").arg("--version").output().is_err() {
        panic!("skopeo is required (apt-get install skopeo; .ci/run installs it)");
    }
    let _agent = AgentGuard;
    let f = fixture();
    let dir = tempfile::tempdir().unwrap();
    let manifest = br#"{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a","size":2},"layers":[]}"#;
    let mpath = tmpfile(dir.path(), "manifest.json", manifest);
    let mdigest = Digest::sha256(manifest);

    // zoll signs, skopeo (gpgme) verifies.
    let keys = f.secret(&f.sub_primary, false);
    let sig =
        zoll_gpg::sign_image(&keys, &f.sub_primary.parse().unwrap(), PASS, REF, &mdigest).unwrap();
    let spath = tmpfile(dir.path(), "zoll.sig", &sig);
    // containers/image 5.23's gpgme mechanism reports the fingerprint of the key that made
    // the signature: for a subkey signature that is the subkey's, not the primary's.
    let out = f.skopeo(&[
        "standalone-verify",
        mpath.to_str().unwrap(),
        REF,
        &f.sub_primary,
        spath.to_str().unwrap(),
    ]);
    assert!(
        !out.status.success(),
        "gpgme now reports primary fingerprints for subkey signatures"
    );
    let out = f.skopeo(&[
        "standalone-verify",
        mpath.to_str().unwrap(),
        REF,
        &f.sub_signing,
        spath.to_str().unwrap(),
    ]);
    assert!(
        out.status.success(),
        "skopeo standalone-verify: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(text.contains("Signature verified"), "{text}");
    // zoll accepts either fingerprint in an accepted list.
    let ring = f.public(&f.sub_primary);
    assert!(verify_with_fingerprints(&sig, &ring, &[f.sub_signing.parse().unwrap()]).is_ok());
    assert!(verify_with_fingerprints(&sig, &ring, &[f.sub_primary.parse().unwrap()]).is_ok());

    let keys = f.secret(&f.ed, false);
    let sig = zoll_gpg::sign_image(&keys, &f.ed.parse().unwrap(), PASS, REF, &mdigest).unwrap();
    let spath = tmpfile(dir.path(), "zoll-ed.sig", &sig);
    let out = f.skopeo(&[
        "standalone-verify",
        mpath.to_str().unwrap(),
        REF,
        &f.ed,
        spath.to_str().unwrap(),
    ]);
    assert!(
        out.status.success(),
        "skopeo standalone-verify: {}",
        String::from_utf8_lossy(&out.stderr)
    );

    // skopeo (gpgme) signs, zoll verifies.
    let pass = tmpfile(dir.path(), "pass", PASS.as_bytes());
    let sk = dir.path().join("skopeo.sig");
    let out = f.skopeo(&[
        "standalone-sign",
        "--passphrase-file",
        pass.to_str().unwrap(),
        mpath.to_str().unwrap(),
        REF,
        &f.rsa,
        "-o",
        sk.to_str().unwrap(),
    ]);
    assert!(
        out.status.success(),
        "skopeo standalone-sign: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v = verify(&std::fs::read(&sk).unwrap(), &f.public(&f.rsa)).unwrap();
    assert_eq!(v.fingerprint.as_str(), f.rsa);
    check(&v, &mdigest, REF, &SignedIdentity::MatchExact).unwrap();
    assert!(
        v.payload
            .creator
            .as_deref()
            .unwrap_or("")
            .starts_with("atomic "),
        "{:?}",
        v.payload.creator
    );
}
