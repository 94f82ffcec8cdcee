//! Against a real CNCF Distribution (`docker-registry`): anonymous, htpasswd basic auth and TLS
//! with a private CA; pushing with this client and with `skopeo`, pulling, tags, indexes.

use std::io::Read;
use std::process::Command;

use zoll_core::{Digest, ImageRef};
use zoll_distribution::types::{self, Descriptor, DescriptorPlatform, ImageIndex};
use zoll_distribution::{Client, ClientOptions, Error};

use crate::support::*;

fn push_image(c: &Client, image: &ImageRef, img: &TestImage) -> Digest {
    c.push_blob_bytes(image, &img.config).unwrap();
    // One layer streamed monolithically, one in chunks.
    let l0 = img.layers[0].clone();
    let d0 = Digest::sha256(&l0);
    c.push_blob(
        image,
        std::io::Cursor::new(l0.clone()),
        l0.len() as u64,
        &d0,
    )
    .unwrap();
    let d1 = Digest::sha256(&img.layers[1]);
    c.push_blob_chunked(image, &img.layers[1][..], &d1, 100)
        .unwrap();
    c.put_manifest(image, &img.manifest, types::OCI_MANIFEST)
        .unwrap()
}

fn pull_and_verify(c: &Client, image: &ImageRef, img: &TestImage, want: &Digest) {
    let m = c.get_manifest(image).unwrap();
    assert_eq!(m.bytes, img.manifest);
    assert_eq!(&m.digest, want);
    assert_eq!(m.media_type, types::OCI_MANIFEST);
    let parsed = m.image_manifest().unwrap();
    let config = c
        .get_blob_bytes(
            image,
            &parsed.config.digest,
            Some(parsed.config.size),
            1 << 20,
        )
        .unwrap();
    assert_eq!(config, img.config);
    for (layer, data) in parsed.layers.iter().zip(&img.layers) {
        let mut blob = c.get_blob(image, &layer.digest, Some(layer.size)).unwrap();
        let mut got = Vec::new();
        blob.read_to_end(&mut got).unwrap();
        assert!(blob.is_verified());
        assert_eq!(&got, data);
    }
    // By digest too.
    let by_digest = image.with_digest(want.clone());
    assert_eq!(c.get_manifest(&by_digest).unwrap().bytes, img.manifest);
    let (d, mt, size) = c.head_manifest(image).unwrap().unwrap();
    assert_eq!(
        (&d, mt.as_str(), size),
        (want, types::OCI_MANIFEST, img.manifest.len() as u64)
    );
}

#[test]
fn anonymous_push_pull_tags_delete() {
    let (reg, _) = Registry::start(None, false);
    let c = client(opts());
    let image = reg.image("zoll/app:v1");
    let img = test_image("amd64", "anon");
    let digest = push_image(&c, &image, &img);
    pull_and_verify(&c, &image, &img, &digest);

    // Pushing again is a no-op for existing blobs.
    assert_eq!(
        c.head_blob(&image, &Digest::sha256(&img.config)).unwrap(),
        Some(img.config.len() as u64)
    );
    c.push_blob_bytes(&image, &img.config).unwrap();

    // Tags, paginated through Link headers.
    for t in ["v2", "v3", "a-tag", "z"] {
        c.put_manifest(
            &reg.image(&format!("zoll/app:{t}")),
            &img.manifest,
            types::OCI_MANIFEST,
        )
        .unwrap();
    }
    let mut all = c.list_tags(&image).unwrap();
    all.sort();
    assert_eq!(all, ["a-tag", "v1", "v2", "v3", "z"]);
    let mut paged = c.list_tags_paged(&image, Some(2)).unwrap();
    paged.sort();
    assert_eq!(paged, all);

    // Errors name the reference and carry the registry's code.
    let missing = reg.image("zoll/app:nope");
    let e = c.get_manifest(&missing).unwrap_err();
    assert!(matches!(e, Error::ManifestUnknown { .. }), "{e:?}");
    let msg = e.to_string();
    assert!(
        msg.starts_with(&format!(
            "manifest unknown: {}/zoll/app:nope (MANIFEST_UNKNOWN: ",
            reg.host
        )),
        "{msg}"
    );
    assert_eq!(c.head_manifest(&missing).unwrap(), None);
    let e = c.list_tags(&reg.image("zoll/none")).unwrap_err();
    assert!(matches!(e, Error::NameUnknown { .. }), "{e:?}");
    let absent = Digest::sha256(b"absent");
    let e = c.get_blob(&image, &absent, None).unwrap_err();
    assert!(matches!(e, Error::BlobUnknown { .. }), "{e:?}");
    assert_eq!(c.head_blob(&image, &absent).unwrap(), None);

    // A chunked push of data that does not match the digest is cancelled before commit.
    let e = c
        .push_blob_chunked(&image, &b"some other data"[..], &absent, 4)
        .unwrap_err();
    assert!(matches!(e, Error::DigestMismatch { .. }), "{e:?}");
    assert_eq!(c.head_blob(&image, &absent).unwrap(), None);
    // The registry refuses a monolithic push with a wrong digest.
    let e = c
        .push_blob(&image, std::io::Cursor::new(b"xyz".to_vec()), 3, &absent)
        .unwrap_err();
    assert!(e.to_string().contains("DIGEST_INVALID"), "{e}");

    // Cross-repository mount.
    let other = reg.image("zoll/other:v1");
    let cfg = Digest::sha256(&img.config);
    assert!(c.mount_blob(&other, &cfg, &image).unwrap());
    assert_eq!(
        c.head_blob(&other, &cfg).unwrap(),
        Some(img.config.len() as u64)
    );
    assert!(!c.mount_blob(&other, &absent, &image).unwrap());

    // Delete by digest.
    let pinned = image.with_digest(digest.clone());
    c.delete_manifest(&pinned).unwrap();
    assert!(c.get_manifest(&pinned).unwrap_err().is_not_found());
}

#[test]
fn basic_auth_with_htpasswd() {
    let creds = basic_creds();
    let (reg, _) = Registry::start(Some((&creds.username, &creds.password)), false);
    let image = reg.image("private/app:v1");
    let img = test_image("arm64", "basic");

    let anon = client(opts());
    let e = anon.get_manifest(&image).unwrap_err();
    assert!(matches!(e, Error::Unauthorized { .. }), "{e:?}");
    assert!(e.to_string().starts_with("unauthorized: "), "{e}");

    let wrong = client(ClientOptions {
        credentials: Some("alice:wrong".parse().unwrap()),
        ..opts()
    });
    let e = wrong.get_manifest(&image).unwrap_err();
    assert!(matches!(e, Error::Unauthorized { .. }), "{e:?}");
    assert!(!e.to_string().contains("wrong"), "{e}");

    let c = client(ClientOptions {
        credentials: Some(creds.clone()),
        ..opts()
    });
    let digest = push_image(&c, &image, &img);
    pull_and_verify(&c, &image, &img, &digest);
    assert_eq!(c.list_tags(&image).unwrap(), ["v1"]);

    // Credentials from a docker config file.
    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("config.json");
    std::fs::write(
        &cfg,
        serde_json::json!({"auths": {format!("http://{}", reg.host): {"username": creds.username, "password": creds.password}}})
            .to_string(),
    )
    .unwrap();
    let from_file = client(ClientOptions {
        docker_config: Some(cfg),
        ..opts()
    });
    assert_eq!(from_file.get_manifest(&image).unwrap().digest, digest);
}

#[test]
fn tls_with_private_ca() {
    let (reg, tls) = Registry::start(None, true);
    let tls = tls.unwrap();
    let image = reg.image("tls/app:v1");
    let img = test_image("amd64", "tls");

    let secure = ClientOptions {
        insecure: false,
        ca_certs: vec![tls.ca.clone()],
        ..opts()
    };
    let c = client(secure);
    let digest = push_image(&c, &image, &img);
    pull_and_verify(&c, &image, &img, &digest);

    // Without the CA the certificate is rejected (and not retried for long).
    let untrusted = client(ClientOptions {
        insecure: false,
        ..opts()
    });
    let started = std::time::Instant::now();
    let e = untrusted.get_manifest(&image).unwrap_err();
    assert!(matches!(e, Error::Http { .. }), "{e:?}");
    assert!(started.elapsed() < std::time::Duration::from_secs(5));

    // A file that is not a certificate is refused up front.
    let bad = ClientOptions {
        ca_certs: vec![tls.key.with_extension("missing")],
        ..opts()
    };
    assert!(matches!(Client::new(bad), Err(Error::CaCertificate { .. })));
}

#[test]
fn multi_arch_index() {
    let (reg, _) = Registry::start(None, false);
    let c = client(opts());
    let mut entries = Vec::new();
    for (arch, variant) in [("amd64", None), ("arm64", Some("v8"))] {
        let img = test_image(arch, "multi");
        let digest = push_image(&c, &reg.image(&format!("multi/app:{arch}")), &img);
        let mut d = Descriptor::of(types::OCI_MANIFEST, &img.manifest);
        assert_eq!(d.digest, digest);
        d.platform = Some(DescriptorPlatform {
            architecture: arch.to_owned(),
            os: "linux".to_owned(),
            variant: variant.map(str::to_owned),
            os_version: None,
            os_features: vec![],
        });
        entries.push(d);
    }
    let index = ImageIndex {
        schema_version: 2,
        media_type: Some(types::OCI_INDEX.to_owned()),
        artifact_type: None,
        manifests: entries.clone(),
        subject: None,
        annotations: Default::default(),
    };
    let bytes = serde_json::to_vec(&index).unwrap();
    let image = reg.image("multi/app:latest");
    let digest = c.put_manifest(&image, &bytes, types::OCI_INDEX).unwrap();
    let m = c.get_manifest(&image).unwrap();
    assert!(m.is_index());
    assert_eq!(
        (m.digest.clone(), m.media_type.as_str()),
        (digest, types::OCI_INDEX)
    );
    let parsed = m.index().unwrap();
    assert_eq!(parsed.manifests, entries);
    let arm = parsed
        .find_platform(&"linux/arm64".parse().unwrap())
        .unwrap();
    let child = c
        .get_manifest(&image.with_digest(arm.digest.clone()))
        .unwrap();
    assert_eq!(child.image_manifest().unwrap().layers.len(), 2);
}

#[test]
fn skopeo_push_then_pull_with_client() {
    let skopeo = require_tool("skopeo", "skopeo");
    let (reg, _) = Registry::start(None, false);
    let img = test_image("amd64", "skopeo");
    // An OCI layout.
    let dir = tempfile::tempdir().unwrap();
    let layout = dir.path().join("layout");
    let blobs = layout.join("blobs/sha256");
    std::fs::create_dir_all(&blobs).unwrap();
    for b in [&img.config, &img.manifest].into_iter().chain(&img.layers) {
        std::fs::write(blobs.join(Digest::sha256(b).hex()), b).unwrap();
    }
    std::fs::write(
        layout.join("oci-layout"),
        r#"{"imageLayoutVersion":"1.0.0"}"#,
    )
    .unwrap();
    let mut desc = Descriptor::of(types::OCI_MANIFEST, &img.manifest);
    desc.annotations
        .insert("org.opencontainers.image.ref.name".into(), "v1".into());
    let index = serde_json::json!({"schemaVersion": 2, "manifests": [desc]});
    std::fs::write(layout.join("index.json"), index.to_string()).unwrap();
    let policy = dir.path().join("policy.json");
    std::fs::write(
        &policy,
        r#"{"default":[{"type":"insecureAcceptAnything"}]}"#,
    )
    .unwrap();

    let out = Command::new(skopeo)
        .arg("--policy")
        .arg(&policy)
        .args(["copy", "--quiet", "--dest-tls-verify=false"])
        .arg(format!("oci:{}:v1", layout.display()))
        .arg(format!("docker://{}/skopeo/app:v1", reg.host))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "skopeo: {}",
        String::from_utf8_lossy(&out.stderr)
    );

    let c = client(opts());
    let image = reg.image("skopeo/app:v1");
    let m = c.get_manifest(&image).unwrap();
    let parsed = m.image_manifest().unwrap();
    assert_eq!(parsed.layers.len(), 2);
    assert_eq!(
        c.get_blob_bytes(
            &image,
            &parsed.config.digest,
            Some(parsed.config.size),
            1 << 20
        )
        .unwrap(),
        img.config
    );
    for (layer, data) in parsed.layers.iter().zip(&img.layers) {
        let got = c
            .get_blob_bytes(&image, &layer.digest, Some(layer.size), 1 << 20)
            .unwrap();
        assert_eq!(&got, data);
    }
    assert_eq!(c.list_tags(&image).unwrap(), ["v1"]);
}

/// Credentials from `credHelpers`: a `docker-credential-zolltest` script on `PATH`. The client
/// runs in a child test process so that `PATH` is changed for it alone.
#[test]
fn credential_helper_from_docker_config() {
    let creds = basic_creds();
    let (reg, _) = Registry::start(Some((&creds.username, &creds.password)), false);
    let image = reg.image("helper/app:v1");
    let img = test_image("amd64", "helper");
    let c = client(ClientOptions {
        credentials: Some(creds.clone()),
        ..opts()
    });
    let digest = push_image(&c, &image, &img);

    let dir = tempfile::tempdir().unwrap();
    let script = dir.path().join("docker-credential-zolltest");
    std::fs::write(
        &script,
        format!(
            "#!/bin/sh\n[ \"$1\" = get ] || exit 3\nread -r server\n[ \"$server\" = \"{}\" ] || {{ echo 'credentials not found in native keychain'; exit 1; }}\nprintf '{{\"ServerURL\":\"%s\",\"Username\":\"{}\",\"Secret\":\"{}\"}}' \"$server\"\n",
            reg.host, creds.username, creds.password
        ),
    )
    .unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).unwrap();
    let cfg = dir.path().join("config.json");
    std::fs::write(
        &cfg,
        serde_json::json!({"credHelpers": {reg.host.clone(): "zolltest"}}).to_string(),
    )
    .unwrap();

    let path = format!(
        "{}:{}",
        dir.path().display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let out = Command::new(std::env::current_exe().unwrap())
        .args([
            "registry::credential_helper_child",
            "--exact",
            "--nocapture",
            "--test-threads=1",
        ])
        .env("PATH", path)
        .env("ZOLL_TEST_HELPER_CONFIG", &cfg)
        .env("ZOLL_TEST_HELPER_IMAGE", image.to_string())
        .env("ZOLL_TEST_HELPER_DIGEST", digest.to_string())
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "child failed: {stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        stdout.contains("helper child ok"),
        "the child test did not run: {stdout}"
    );
}

/// The child half of [`credential_helper_from_docker_config`]; does nothing when run on its own.
#[test]
fn credential_helper_child() {
    let Ok(cfg) = std::env::var("ZOLL_TEST_HELPER_CONFIG") else {
        return;
    };
    let image: ImageRef = std::env::var("ZOLL_TEST_HELPER_IMAGE")
        .unwrap()
        .parse()
        .unwrap();
    let digest: Digest = std::env::var("ZOLL_TEST_HELPER_DIGEST")
        .unwrap()
        .parse()
        .unwrap();
    let c = client(ClientOptions {
        docker_config: Some(cfg.into()),
        ..opts()
    });
    assert_eq!(c.get_manifest(&image).unwrap().digest, digest);
    println!("helper child ok");
}
