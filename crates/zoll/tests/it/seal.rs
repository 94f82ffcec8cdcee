//! `zoll key`, `sign`, `attest`, `verify`, `verify-attestation` end to end against a real
//! `zoll serve` (child process), with every tampering case the issue names rejected with the
//! check that failed.

use std::io::Write as _;
use std::path::Path;
use std::process::Output;

use serde_json::Value;
use zoll_core::{Digest, ImageRef};
use zoll_distribution::types::{
    Descriptor, ImageManifest, OCI_CONFIG, OCI_LAYER_GZIP, OCI_MANIFEST,
};
use zoll_distribution::{Client, ClientOptions, Credentials};

use crate::serve::{Serve, registry_admin};
use crate::util::zoll;

pub(crate) const ADMIN: &str = "admin";
pub(crate) const ADMIN_PASSWORD: &str = "seal-test-admin-password";

/// A `zoll serve` with an administrator and a private organisation `acme`.
pub(crate) fn server(dir: &Path) -> Serve {
    let data = dir.join("data");
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
    Serve::start(&data, &[])
}

pub(crate) fn client() -> Client {
    Client::new(ClientOptions {
        credentials: Some(Credentials::new(ADMIN, ADMIN_PASSWORD)),
        insecure: true,
        docker_config: None,
        ..ClientOptions::default()
    })
    .unwrap()
}

/// A small real image (one gzip'd tar layer with one file), pushed as `addr/repo:tag`.
pub(crate) fn push_image(addr: &str, repo: &str, tag: &str, seed: &str) -> Digest {
    let mut tar = tar::Builder::new(Vec::new());
    let body = format!("image {seed}\n");
    let mut h = tar::Header::new_gnu();
    h.set_size(body.len() as u64);
    h.set_mode(0o644);
    h.set_cksum();
    tar.append_data(&mut h, "etc/seed", body.as_bytes())
        .unwrap();
    let tar = tar.into_inner().unwrap();
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(&tar).unwrap();
    let layer = gz.finish().unwrap();
    let config = serde_json::json!({
        "architecture": "amd64", "os": "linux",
        "config": {"Cmd": ["/bin/true"]},
        "rootfs": {"type": "layers", "diff_ids": [Digest::sha256(&tar).to_string()]},
    })
    .to_string();
    let image: ImageRef = format!("{addr}/{repo}:{tag}").parse().unwrap();
    let c = client();
    c.push_blob_bytes(&image, &layer).unwrap();
    c.push_blob_bytes(&image, config.as_bytes()).unwrap();
    let manifest = ImageManifest {
        schema_version: 2,
        media_type: Some(OCI_MANIFEST.to_owned()),
        artifact_type: None,
        config: Descriptor::of(OCI_CONFIG, config.as_bytes()),
        layers: vec![Descriptor::of(OCI_LAYER_GZIP, &layer)],
        subject: None,
        annotations: Default::default(),
    };
    let bytes = serde_json::to_vec(&manifest).unwrap();
    c.put_manifest(&image, &bytes, OCI_MANIFEST).unwrap()
}

/// Run zoll with registry credentials and a key password in the environment.
pub(crate) fn run(dir: &Path, args: &[&str]) -> Output {
    zoll()
        .current_dir(dir)
        .args(args)
        .env("ZOLL_USERNAME", ADMIN)
        .env("ZOLL_PASSWORD", ADMIN_PASSWORD)
        .env("ZOLL_KEY_PASSWORD", "key password 1")
        .env_remove("COSIGN_PASSWORD")
        .env_remove("ZOLL_TRUST")
        .output()
        .unwrap()
}

fn text(o: &Output) -> String {
    format!(
        "status {:?}\nstdout:\n{}\nstderr:\n{}",
        o.status.code(),
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

#[track_caller]
pub(crate) fn ok(dir: &Path, args: &[&str]) -> Output {
    let o = run(dir, args);
    assert_eq!(o.status.code(), Some(0), "zoll {args:?}\n{}", text(&o));
    o
}

/// The command must exit 1 (not verified) and say `needle` on stderr.
#[track_caller]
pub(crate) fn refused(dir: &Path, args: &[&str], needle: &str) {
    let o = run(dir, args);
    let t = text(&o);
    assert_eq!(o.status.code(), Some(1), "zoll {args:?} should exit 1\n{t}");
    assert!(
        String::from_utf8_lossy(&o.stderr).contains(needle),
        "zoll {args:?} should say {needle:?}\n{t}"
    );
}

fn json(o: &Output) -> Value {
    serde_json::from_slice(&o.stdout).unwrap_or_else(|e| panic!("not JSON ({e}): {}", text(o)))
}

#[test]
fn cosign_signatures_attestations_and_bundles_through_zoll_serve() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let server = server(d);
    let addr = server.addr.clone();
    let digest = push_image(&addr, "acme/app", "1.0", "app");
    let other = push_image(&addr, "acme/app", "2.0", "other");
    let image = format!("{addr}/acme/app:1.0");
    let reg = ["--insecure"];
    let with = |args: &[&str]| -> Vec<String> {
        args.iter()
            .chain(reg.iter())
            .map(|s| s.to_string())
            .collect()
    };
    let ok_ = |args: &[&str]| {
        let v = with(args);
        ok(d, &v.iter().map(String::as_str).collect::<Vec<_>>())
    };
    let refused_ = |args: &[&str], needle: &str| {
        let v = with(args);
        refused(d, &v.iter().map(String::as_str).collect::<Vec<_>>(), needle)
    };

    // Keys: two pairs; the key file is cosign's encrypted type; nothing is overwritten.
    ok(d, &["key", "generate", "--output-key-prefix", "k1"]);
    ok(d, &["key", "generate", "--output-key-prefix", "k2"]);
    ok(d, &["key", "generate", "--output-key-prefix", "other"]);
    let pem = std::fs::read_to_string(d.join("k1.key")).unwrap();
    assert!(
        pem.starts_with("-----BEGIN ENCRYPTED SIGSTORE PRIVATE KEY-----"),
        "{pem}"
    );
    assert!(
        std::fs::read_to_string(d.join("k1.pub"))
            .unwrap()
            .contains("BEGIN PUBLIC KEY")
    );
    let again = run(d, &["key", "generate", "--output-key-prefix", "k1"]);
    assert_eq!(again.status.code(), Some(2), "{}", text(&again));
    let wrong_pw = zoll()
        .current_dir(d)
        .args(["sign", &image, "--key", "k1.key", "--insecure"])
        .env("ZOLL_USERNAME", ADMIN)
        .env("ZOLL_PASSWORD", ADMIN_PASSWORD)
        .env("COSIGN_PASSWORD", "not it")
        .env_remove("ZOLL_KEY_PASSWORD")
        .output()
        .unwrap();
    assert_eq!(wrong_pw.status.code(), Some(2));
    assert!(
        text(&wrong_pw).contains("wrong password"),
        "{}",
        text(&wrong_pw)
    );

    // The password may come from a file instead of the environment.
    std::fs::write(d.join("pw"), "file password 1\n").unwrap();
    let o = zoll()
        .current_dir(d)
        .args([
            "key",
            "generate",
            "--output-key-prefix",
            "kf",
            "--password-file",
            "pw",
        ])
        .env_remove("ZOLL_KEY_PASSWORD")
        .env_remove("COSIGN_PASSWORD")
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let o = zoll()
        .current_dir(d)
        .args([
            "key",
            "public-key",
            "--key",
            "kf.key",
            "--password-file",
            "pw",
        ])
        .env_remove("ZOLL_KEY_PASSWORD")
        .env_remove("COSIGN_PASSWORD")
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    assert_eq!(o.stdout, std::fs::read(d.join("kf.pub")).unwrap());

    // Unsigned: refused, saying so.
    refused_(&["verify", &image, "--key", "k1.pub"], "no signatures");

    // Sign by tag: the digest is what is signed, in cosign's tag layout.
    ok_(&["sign", &image, "--key", "k1.key", "-a", "env=prod"]);
    let sig_tag: ImageRef = format!("{addr}/acme/app:sha256-{}.sig", digest.hex())
        .parse()
        .unwrap();
    let sig = client().get_manifest(&sig_tag).unwrap();
    let sig: ImageManifest = sig.image_manifest().unwrap();
    assert_eq!(sig.layers.len(), 1);
    assert_eq!(
        sig.layers[0].media_type,
        "application/vnd.dev.cosign.simplesigning.v1+json"
    );
    assert!(
        sig.layers[0]
            .annotations
            .contains_key("dev.cosignproject.cosign/signature")
    );

    let v = json(&ok_(&["verify", &image, "--key", "k1.pub"]));
    let payload = &v[0]["payload"];
    assert_eq!(
        payload["critical"]["image"]["docker-manifest-digest"],
        digest.to_string()
    );
    assert_eq!(
        payload["critical"]["identity"]["docker-reference"],
        format!("{addr}/acme/app")
    );
    assert_eq!(
        payload["critical"]["type"],
        "cosign container image signature"
    );
    assert_eq!(payload["optional"]["env"], "prod");
    // By digest too; and a directory of keys.
    ok_(&[
        "verify",
        &format!("{addr}/acme/app@{digest}"),
        "--key",
        "k1.pub",
        "-a",
        "env=prod",
    ]);
    std::fs::create_dir(d.join("keys")).unwrap();
    std::fs::copy(d.join("k2.pub"), d.join("keys/k2.pub")).unwrap();
    std::fs::copy(d.join("k1.pub"), d.join("keys/k1.pub")).unwrap();
    ok_(&["verify", &image, "--key", "keys"]);

    // Tampering and policy failures, each naming its check.
    refused_(
        &["verify", &image, "--key", "k2.pub"],
        "signature check failed",
    );
    refused_(
        &["verify", &image, "--key", "k1.pub", "-a", "env=dev"],
        "annotation",
    );
    refused_(
        &["verify", &image, "--key", "k1.pub", "--identity", "exact"],
        "identity",
    );
    // A second signature by the same key does not make a threshold of 2.
    ok_(&["sign", &image, "--key", "k1.key", "-a", "run=2"]);
    refused_(
        &["verify", &image, "--key", "keys", "--min-signatures", "2"],
        "threshold",
    );
    // Two distinct keys do.
    ok_(&["sign", &image, "--key", "k2.key"]);
    let v = json(&ok_(&[
        "verify",
        &image,
        "--key",
        "keys",
        "--min-signatures",
        "2",
    ]));
    assert_eq!(v.as_array().unwrap().len(), 3);
    // A signature copied onto another image: its payload names the first digest.
    let layers = client().get_manifest(&sig_tag).unwrap().bytes;
    let other_tag: ImageRef = format!("{addr}/acme/app:sha256-{}.sig", other.hex())
        .parse()
        .unwrap();
    client()
        .put_manifest(&other_tag, &layers, OCI_MANIFEST)
        .unwrap();
    refused_(
        &["verify", &format!("{addr}/acme/app:2.0"), "--key", "k1.pub"],
        "digest",
    );
    // A changed payload: the same signature over other bytes.
    let mut m: ImageManifest = serde_json::from_slice(&layers).unwrap();
    let forged = String::from_utf8(
        client()
            .get_blob_bytes(&sig_tag, &m.layers[0].digest, None, 1 << 20)
            .unwrap(),
    )
    .unwrap()
    .replace("prod", "dev!");
    let forged_image: ImageRef = format!("{addr}/acme/app:sha256-{}.sig", other.hex())
        .parse()
        .unwrap();
    client()
        .push_blob_bytes(&forged_image, forged.as_bytes())
        .unwrap();
    m.layers.truncate(1);
    m.layers[0].digest = Digest::sha256(forged.as_bytes());
    m.layers[0].size = forged.len() as u64;
    client()
        .put_manifest(
            &forged_image,
            &serde_json::to_vec(&m).unwrap(),
            OCI_MANIFEST,
        )
        .unwrap();
    refused_(
        &["verify", &format!("{addr}/acme/app:2.0"), "--key", "k1.pub"],
        "signature check failed",
    );

    // A Sigstore bundle in a referrer.
    let bundled = push_image(&addr, "acme/bundled", "1", "bundled");
    let bimage = format!("{addr}/acme/bundled:1");
    ok_(&[
        "sign", &bimage, "--key", "k2.key", "--format", "bundle", "-a", "env=prod",
    ]);
    let refs = client()
        .referrers(
            &bimage.parse().unwrap(),
            &bundled,
            Some("application/vnd.dev.sigstore.bundle.v0.3+json"),
        )
        .unwrap();
    assert_eq!(refs.manifests.len(), 1);
    let v = json(&ok_(&[
        "verify", &bimage, "--key", "k2.pub", "-a", "env=prod",
    ]));
    assert_eq!(
        v[0]["statement"]["predicateType"],
        "https://sigstore.dev/cosign/sign/v1"
    );
    refused_(
        &["verify", &bimage, "--key", "k1.pub"],
        "signature check failed",
    );
    refused_(
        &["verify", &bimage, "--key", "k2.pub", "-a", "env=dev"],
        "annotation",
    );

    // Attestations: .att tag and referrer; type checked; tampering refused.
    std::fs::write(
        d.join("bom.json"),
        r#"{"bomFormat":"CycloneDX","specVersion":"1.6","components":[]}"#,
    )
    .unwrap();
    ok_(&[
        "attest",
        &image,
        "--predicate",
        "bom.json",
        "--type",
        "cyclonedx",
        "--key",
        "k1.key",
    ]);
    let v = json(&ok_(&[
        "verify-attestation",
        &image,
        "--type",
        "cyclonedx",
        "--key",
        "k1.pub",
    ]));
    assert_eq!(
        v.as_array().unwrap().len(),
        1,
        "one attestation, found twice (tag and referrer)"
    );
    assert_eq!(
        v[0]["statement"]["predicateType"],
        "https://cyclonedx.org/bom"
    );
    assert_eq!(
        v[0]["statement"]["subject"][0]["digest"]["sha256"],
        digest.hex()
    );
    assert_eq!(v[0]["statement"]["predicate"]["bomFormat"], "CycloneDX");
    refused_(
        &[
            "verify-attestation",
            &image,
            "--type",
            "spdx",
            "--key",
            "k1.pub",
        ],
        "predicate",
    );
    refused_(
        &[
            "verify-attestation",
            &image,
            "--type",
            "cyclonedx",
            "--key",
            "k2.pub",
        ],
        "signature check failed",
    );
    // A truncated envelope in the .att tag of another image.
    let att_tag: ImageRef = format!("{addr}/acme/app:sha256-{}.att", digest.hex())
        .parse()
        .unwrap();
    let att: ImageManifest = client()
        .get_manifest(&att_tag)
        .unwrap()
        .image_manifest()
        .unwrap();
    let env = client()
        .get_blob_bytes(&att_tag, &att.layers[0].digest, None, 1 << 20)
        .unwrap();
    let cut = &env[..env.len() / 2];
    let other_att: ImageRef = format!("{addr}/acme/app:sha256-{}.att", other.hex())
        .parse()
        .unwrap();
    client().push_blob_bytes(&other_att, cut).unwrap();
    let mut m2 = att.clone();
    m2.layers[0].digest = Digest::sha256(cut);
    m2.layers[0].size = cut.len() as u64;
    client()
        .put_manifest(&other_att, &serde_json::to_vec(&m2).unwrap(), OCI_MANIFEST)
        .unwrap();
    refused_(
        &[
            "verify-attestation",
            &format!("{addr}/acme/app:2.0"),
            "--type",
            "cyclonedx",
            "--key",
            "k1.pub",
        ],
        "malformed",
    );

    // sbom --attest attaches a CycloneDX SBOM of the image.
    ok_(&[
        "sbom",
        &image,
        "--attest",
        &image,
        "--key",
        "k2.key",
        "-f",
        "json",
        "--no-cache",
    ]);
    let v = json(&ok_(&[
        "verify-attestation",
        &image,
        "--type",
        "cyclonedx",
        "--key",
        "k2.pub",
    ]));
    assert_eq!(v[0]["statement"]["predicate"]["bomFormat"], "CycloneDX");

    // Offline: the image and its .sig tag copied into an OCI layout by skopeo.
    let layout = d.join("layout");
    let creds = format!("{ADMIN}:{ADMIN_PASSWORD}");
    for tag in ["1.0".to_owned(), format!("sha256-{}.sig", digest.hex())] {
        let o = std::process::Command::new(crate::util::need("skopeo", "apt-get install skopeo"))
            .args(["copy", "--src-tls-verify=false", "--src-creds", &creds])
            .arg(format!("docker://{addr}/acme/app:{tag}"))
            .arg(format!("oci:{}:{tag}", layout.display()))
            .output()
            .unwrap();
        assert!(o.status.success(), "skopeo copy {tag}: {}", text(&o));
    }
    let oci = format!("oci:{}:1.0", layout.display());
    let v = json(&ok(
        d,
        &["verify", &oci, "--key", "k1.pub", "-a", "env=prod"],
    ));
    assert_eq!(
        v[0]["payload"]["critical"]["image"]["docker-manifest-digest"],
        digest.to_string()
    );
    refused(
        d,
        &["verify", &oci, "--key", "other.pub"],
        "signature check failed",
    );

    // A trust file gives the keys, threshold and annotations.
    std::fs::write(
        d.join("trust.toml"),
        format!("[[trust]]\nscope = \"{addr}/acme/**\"\nkeys = [\"k1.pub\", \"k2.pub\"]\nthreshold = 2\n"),
    )
    .unwrap();
    ok_(&["verify", &image, "--trust", "trust.toml"]);
    refused_(&["verify", &bimage, "--trust", "trust.toml"], "threshold");

    // Unknown images are errors (exit 2), and nothing is signed.
    let o = run(
        d,
        &with(&["sign", &format!("{addr}/acme/none:1"), "--key", "k1.key"])
            .iter()
            .map(String::as_str)
            .collect::<Vec<_>>(),
    );
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(text(&o).contains("cannot resolve"), "{}", text(&o));
}

/// Keys that cannot be copied: for a SoftHSM2 token and a software TPM 2.0 (tpm2-pkcs11), zoll
/// generates the key inside the token, signs an image with it, verifies with the exported public
/// key, and the token refuses to hand out the private key.
fn hardware_bound(kind: &str, env: Vec<(String, std::ffi::OsString)>, module: &Path) {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let server = server(d);
    let addr = server.addr.clone();
    let digest = push_image(&addr, &format!("acme/{kind}"), "1", kind);
    let image = format!("{addr}/acme/{kind}:1");
    let uri = format!(
        "pkcs11:token={};object=release?module-path={}&pin-value={}",
        zoll_testenv::tokens::LABEL,
        module.display(),
        zoll_testenv::tokens::PIN
    );
    let with_token = |args: &[&str]| {
        let o = zoll()
            .current_dir(d)
            .args(args)
            .envs(env.iter().map(|(k, v)| (k, v)))
            .env("ZOLL_USERNAME", ADMIN)
            .env("ZOLL_PASSWORD", ADMIN_PASSWORD)
            .output()
            .unwrap();
        assert_eq!(
            o.status.code(),
            Some(0),
            "{kind}: zoll {args:?}\n{}",
            text(&o)
        );
        o
    };
    with_token(&[
        "key",
        "generate",
        "--pkcs11",
        &uri,
        "--output-key-prefix",
        "hw",
    ]);
    assert!(
        std::fs::read_to_string(d.join("hw.pub"))
            .unwrap()
            .contains("BEGIN PUBLIC KEY"),
        "{kind}: public key exported"
    );
    assert!(!d.join("hw.key").exists(), "{kind}: no private key file");
    with_token(&["sign", &image, "--key", &uri, "--insecure"]);
    // Verification needs only the exported public key, no token.
    let v = json(&ok(d, &["verify", &image, "--key", "hw.pub", "--insecure"]));
    assert_eq!(
        v[0]["payload"]["critical"]["image"]["docker-manifest-digest"],
        digest.to_string()
    );
    // And the key in the token verifies too (its public half read from the token).
    with_token(&["verify", &image, "--key", &uri, "--insecure"]);
    ok(d, &["key", "generate", "--output-key-prefix", "other"]);
    refused(
        d,
        &["verify", &image, "--key", "other.pub", "--insecure"],
        "signature check failed",
    );
    // The private key does not leave the token: pkcs11-tool cannot read it.
    let tool = zoll_testenv::tokens::tool("pkcs11-tool", "opensc", &[]).unwrap();
    let out = std::process::Command::new(tool)
        .envs(env.iter().map(|(k, v)| (k, v)))
        .args(["--module"])
        .arg(module)
        .args([
            "--login",
            "--pin",
            zoll_testenv::tokens::PIN,
            "--read-object",
            "--type",
            "privkey",
            "--label",
            "release",
        ])
        .output()
        .unwrap();
    let said = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        !out.status.success() || said.contains("not (yet) supported") || said.contains("sensitive"),
        "{kind}: pkcs11-tool read the private key:\n{said}"
    );
    assert!(!said.contains("PRIVATE KEY"), "{kind}: {said}");
}

#[test]
fn keys_generated_in_softhsm2_sign_and_never_leave_it() {
    let hsm =
        zoll_testenv::tokens::SoftHsm::start().unwrap_or_else(|e| panic!("starting SoftHSM2: {e}"));
    hardware_bound("softhsm", hsm.env(), &hsm.module);
}

#[test]
fn keys_generated_in_a_tpm_sign_and_never_leave_it() {
    let tpm =
        zoll_testenv::tokens::Tpm::start().unwrap_or_else(|e| panic!("starting the TPM: {e}"));
    hardware_bound("tpm", tpm.env(), &tpm.module);
}

/// The independent implementation of cosign's formats (Python `cryptography` + `pynacl`,
/// written from the specifications: `crates/zoll-sign/tests/py/cosign_formats.py`).
fn py(args: &[&str]) -> Output {
    let venv = std::env::var("ZOLL_TOOLS_VENV").unwrap_or_else(|_| "/opt/zoll-venv".to_owned());
    let python = Path::new(&venv).join("bin/python");
    assert!(
        python.is_file(),
        "{} is required (.ci/run installs the venv with cryptography and pynacl)",
        python.display()
    );
    let script =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../zoll-sign/tests/py/cosign_formats.py");
    std::process::Command::new(python)
        .arg(script)
        .args(args)
        .output()
        .unwrap()
}

#[track_caller]
fn py_ok(args: &[&str]) {
    let o = py(args);
    assert_eq!(
        o.status.code(),
        Some(0),
        "cosign_formats.py {args:?}\n{}",
        text(&o)
    );
}

#[test]
fn an_independent_cosign_implementation_reads_and_writes_what_zoll_stores_in_a_registry() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let server = server(d);
    let addr = server.addr.clone();
    let digest = push_image(&addr, "acme/app", "1", "interop");
    let image = format!("{addr}/acme/app:1");
    let p = |name: &str| d.join(name).display().to_string();
    ok(d, &["key", "generate", "--output-key-prefix", "z"]);
    ok(
        d,
        &[
            "sign",
            &image,
            "--key",
            "z.key",
            "--insecure",
            "-a",
            "env=prod",
        ],
    );
    ok(
        d,
        &[
            "sign",
            &image,
            "--key",
            "z.key",
            "--insecure",
            "--format",
            "bundle",
        ],
    );
    std::fs::write(
        d.join("p.json"),
        r#"{"bomFormat":"CycloneDX","specVersion":"1.6"}"#,
    )
    .unwrap();
    ok(
        d,
        &[
            "attest",
            &image,
            "--key",
            "z.key",
            "--insecure",
            "--type",
            "cyclonedx",
            "--predicate",
            "p.json",
        ],
    );

    // Python verifies what zoll stored, read back from the registry.
    let named: ImageRef = image.parse().unwrap();
    let found = zoll_seal::cosign::fetch(&client(), &named, &digest).unwrap();
    assert_eq!(found.signatures.len(), 1);
    assert_eq!(found.attestations.len(), 1);
    assert_eq!(found.bundles.len(), 1);
    std::fs::write(d.join("payload"), &found.signatures[0].payload).unwrap();
    use base64::Engine as _;
    std::fs::write(
        d.join("sig"),
        base64::engine::general_purpose::STANDARD.encode(&found.signatures[0].signature),
    )
    .unwrap();
    let dg = digest.to_string();
    let repo = format!("{addr}/acme/app");
    py_ok(&[
        "verify-signature",
        "--public",
        &p("z.pub"),
        "--payload",
        &p("payload"),
        "--signature",
        &p("sig"),
        "--digest",
        &dg,
        "--reference",
        &repo,
        "--annotation",
        "env=prod",
    ]);
    std::fs::write(d.join("envelope"), &found.attestations[0].envelope).unwrap();
    py_ok(&[
        "verify-attestation",
        "--public",
        &p("z.pub"),
        "--envelope",
        &p("envelope"),
        "--digest",
        &dg,
        "--predicate-type",
        "https://cyclonedx.org/bom",
    ]);
    std::fs::write(d.join("bundle"), &found.bundles[0].bundle).unwrap();
    py_ok(&[
        "verify-bundle",
        "--public",
        &p("z.pub"),
        "--bundle",
        &p("bundle"),
        "--digest",
        &dg,
        "--predicate-type",
        "https://sigstore.dev/cosign/sign/v1",
    ]);
    // And refuses them with another key (the check can fail).
    py_ok(&[
        "generate-key",
        "--password",
        "py password",
        "--private",
        &p("py.key"),
        "--public",
        &p("py.pub"),
    ]);
    let o = py(&[
        "verify-signature",
        "--public",
        &p("py.pub"),
        "--payload",
        &p("payload"),
        "--signature",
        &p("sig"),
        "--digest",
        &dg,
    ]);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));

    // zoll verifies a signature Python made, appended to the .sig tag.
    py_ok(&[
        "sign-payload",
        "--key",
        &p("py.key"),
        "--password",
        "py password",
        "--reference",
        &repo,
        "--digest",
        &dg,
        "--annotation",
        "by=python",
        "--payload-out",
        &p("py-payload"),
        "--signature-out",
        &p("py-sig"),
    ]);
    let sig = base64::engine::general_purpose::STANDARD
        .decode(std::fs::read_to_string(d.join("py-sig")).unwrap().trim())
        .unwrap();
    zoll_seal::cosign::append_signature(
        &client(),
        &named,
        &digest,
        &std::fs::read(d.join("py-payload")).unwrap(),
        &sig,
    )
    .unwrap();
    let v = json(&ok(
        d,
        &[
            "verify",
            &image,
            "--key",
            "py.pub",
            "--insecure",
            "-a",
            "by=python",
        ],
    ));
    assert_eq!(v.as_array().unwrap().len(), 1);

    // Key files both ways: zoll signs with Python's key; Python opens zoll's.
    let o = zoll()
        .current_dir(d)
        .args([
            "sign",
            &image,
            "--key",
            "py.key",
            "--insecure",
            "-a",
            "signer=zoll-with-py-key",
        ])
        .env("ZOLL_USERNAME", ADMIN)
        .env("ZOLL_PASSWORD", ADMIN_PASSWORD)
        .env("COSIGN_PASSWORD", "py password")
        .env_remove("ZOLL_KEY_PASSWORD")
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    ok(
        d,
        &[
            "verify",
            &image,
            "--key",
            "py.pub",
            "--insecure",
            "-a",
            "signer=zoll-with-py-key",
        ],
    );
    let o = py(&[
        "decrypt-key",
        "--key",
        &p("z.key"),
        "--password",
        "key password 1",
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    assert_eq!(
        String::from_utf8_lossy(&o.stdout).trim(),
        std::fs::read_to_string(d.join("z.pub")).unwrap().trim()
    );
}

/// `zoll scan --attest`: the report goes to the image as a signed `vuln` attestation.
#[test]
fn scan_attaches_its_report_as_a_vuln_attestation() {
    let db = &crate::scan::fixture().db;
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let server = server(d);
    let addr = server.addr.clone();
    let digest = push_image(&addr, "acme/scanned", "1", "scanned");
    let image = format!("{addr}/acme/scanned:1");
    ok(d, &["key", "generate", "--output-key-prefix", "k"]);
    let db = db.to_str().unwrap();
    #[rustfmt::skip]
    ok(d, &["scan", &image, "--insecure", "--no-cache", "--db-dir", db, "-f", "json", "--attest", &image, "--key", "k.key"]);
    let v = json(&ok(
        d,
        &[
            "verify-attestation",
            &image,
            "--type",
            "vuln",
            "--key",
            "k.pub",
            "--insecure",
        ],
    ));
    let st = &v[0]["statement"];
    assert_eq!(
        st["predicateType"],
        "https://cosign.sigstore.dev/attestation/vuln/v1"
    );
    assert_eq!(st["subject"][0]["digest"]["sha256"], digest.hex());
    assert!(st["predicate"]["scanner"]["result"].is_object(), "{st}");
    // --attest without --key is refused before anything runs.
    let o = run(
        d,
        &[
            "scan",
            &image,
            "--insecure",
            "--no-cache",
            "--db-dir",
            db,
            "--attest",
            &image,
        ],
    );
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
}
