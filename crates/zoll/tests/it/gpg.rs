//! GPG simple signing end to end, both directions, with the real peers: zoll signs and
//! `skopeo copy` / `podman pull` accept the image under a `policy.json` `signedBy` rule; `skopeo
//! copy --sign-by` signs and `zoll verify --gpg-key` accepts it. Unsigned images and images
//! signed by another key are refused by all of them. Once through `zoll serve`'s signature API
//! extension, once through a lookaside directory (the extension switched off).

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use crate::seal::{ADMIN, ADMIN_PASSWORD, push_image, refused, run};
use crate::serve::{Serve, registry_admin};
use crate::util::need;

/// A throw-away GnuPG home with keys `a` and `b` (ed25519, primary keys that sign: the gpgme
/// mechanism of Debian's skopeo/podman reports a signing subkey's fingerprint, which `signedBy`
/// does not accept, so the keys have none).
struct Gpg {
    home: PathBuf,
}

impl Gpg {
    fn new(dir: &Path) -> Gpg {
        need("gpg", "apt-get install gnupg");
        let home = dir.join("gnupg");
        std::fs::create_dir_all(&home).unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            std::fs::set_permissions(&home, std::fs::Permissions::from_mode(0o700)).unwrap();
        }
        let g = Gpg { home };
        for who in ["a", "b"] {
            g.ok(&[
                "--passphrase",
                "",
                "--quick-gen-key",
                &format!("zoll test {who} <{who}@example.invalid>"),
                "ed25519",
                "sign",
                "never",
            ]);
        }
        g
    }

    fn cmd(&self) -> Command {
        let mut c = Command::new("gpg");
        c.env("GNUPGHOME", &self.home)
            .args(["--batch", "--yes", "--pinentry-mode", "loopback"]);
        c
    }

    #[track_caller]
    fn ok(&self, args: &[&str]) -> Output {
        let o = self.cmd().args(args).output().unwrap();
        assert!(
            o.status.success(),
            "gpg {args:?}: {}",
            String::from_utf8_lossy(&o.stderr)
        );
        o
    }

    fn fingerprint(&self, who: &str) -> String {
        let o = self.ok(&[
            "--with-colons",
            "--list-keys",
            &format!("{who}@example.invalid"),
        ]);
        String::from_utf8_lossy(&o.stdout)
            .lines()
            .find_map(|l| l.strip_prefix("fpr:::::::::"))
            .map(|f| f.trim_end_matches(':').to_owned())
            .unwrap()
    }

    /// Export `who`'s public (armored) and secret keys to files in `dir`.
    fn export(&self, who: &str, dir: &Path) -> (PathBuf, PathBuf) {
        let public = dir.join(format!("{who}.pub.asc"));
        let secret = dir.join(format!("{who}.sec.asc"));
        let id = format!("{who}@example.invalid");
        std::fs::write(&public, self.ok(&["--armor", "--export", &id]).stdout).unwrap();
        std::fs::write(
            &secret,
            self.ok(&["--passphrase", "", "--armor", "--export-secret-keys", &id])
                .stdout,
        )
        .unwrap();
        (public, secret)
    }

    fn stop_agent(&self) {
        let _ = Command::new("gpgconf")
            .env("GNUPGHOME", &self.home)
            .args(["--kill", "gpg-agent"])
            .output();
    }
}

impl Drop for Gpg {
    fn drop(&mut self) {
        self.stop_agent();
    }
}

/// `policy.json` requiring a signature by `key` for everything under `scope`, rejecting the rest.
fn policy(dir: &Path, scope: &str, key: &Path) -> PathBuf {
    let p = dir.join("policy.json");
    let doc = serde_json::json!({
        "default": [{"type": "reject"}],
        "transports": {
            "docker": {scope: [{"type": "signedBy", "keyType": "GPGKeys", "keyPath": key}]},
            "dir": {"": [{"type": "insecureAcceptAnything"}]},
            "oci": {"": [{"type": "insecureAcceptAnything"}]},
        }
    });
    std::fs::write(&p, doc.to_string()).unwrap();
    p
}

fn skopeo(gpg: &Gpg, args: &[&str]) -> Output {
    Command::new(need("skopeo", "apt-get install skopeo"))
        .env("GNUPGHOME", &gpg.home)
        .args(args)
        .output()
        .unwrap()
}

/// podman with its own storage in a temporary directory.
fn podman(root: &Path) -> Command {
    let mut c = Command::new(need("podman", "apt-get install podman"));
    c.arg("--root")
        .arg(root.join("root"))
        .arg("--runroot")
        .arg(root.join("run"))
        .args([
            "--storage-driver",
            "vfs",
            "--events-backend",
            "file",
            "--cgroup-manager",
            "cgroupfs",
        ])
        .env("XDG_RUNTIME_DIR", root.join("xdg"))
        .env("REGISTRY_AUTH_FILE", root.join("auth.json"));
    c
}

fn text(o: &Output) -> String {
    format!(
        "status {:?}\nstdout: {}\nstderr: {}",
        o.status.code(),
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

#[track_caller]
fn zoll_ok(dir: &Path, args: &[&str]) {
    let o = run(dir, args);
    assert_eq!(o.status.code(), Some(0), "zoll {args:?}\n{}", text(&o));
}

fn start(dir: &Path, extension: bool) -> Serve {
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
    let config = dir.join("serve.toml");
    std::fs::write(&config, format!("signature_extension = {extension}\n")).unwrap();
    Serve::start(&data, &["--config", config.to_str().unwrap()])
}

/// What both storage paths share: zoll → peers, peers → zoll, and the refusals.
fn both_directions(dir: &Path, server: &Serve, lookaside: Option<&Path>) {
    let gpg = Gpg::new(dir);
    let (a_pub, a_sec) = gpg.export("a", dir);
    let (b_pub, b_sec) = gpg.export("b", dir);
    let fpr_a = gpg.fingerprint("a");
    let addr = &server.addr;
    let signed = format!("{addr}/acme/app:signed");
    let unsigned = format!("{addr}/acme/app:unsigned");
    let by_b = format!("{addr}/acme/app:by-b");
    push_image(addr, "acme/app", "signed", "signed");
    push_image(addr, "acme/app", "unsigned", "unsigned");
    push_image(addr, "acme/app", "by-b", "by-b");
    let creds = format!("{ADMIN}:{ADMIN_PASSWORD}");
    let mut la: Vec<String> = Vec::new();
    let mut regd: Vec<String> = Vec::new();
    if let Some(l) = lookaside {
        la = vec!["--lookaside".into(), l.display().to_string()];
        let rd = dir.join("registries.d");
        std::fs::create_dir_all(&rd).unwrap();
        std::fs::write(
            rd.join("zoll.yaml"),
            format!(
                "docker:\n  {addr}:\n    lookaside: file://{l}\n    lookaside-staging: file://{l}\n",
                l = l.display()
            ),
        )
        .unwrap();
        regd = vec!["--registries.d".into(), rd.display().to_string()];
    }
    let la_ref: Vec<&str> = la.iter().map(String::as_str).collect();
    let regd_ref: Vec<&str> = regd.iter().map(String::as_str).collect();

    // zoll signs with a (and b for the other image).
    let sign = |image: &str, key: &Path| {
        let mut args = vec![
            "sign",
            image,
            "--gpg-key",
            key.to_str().unwrap(),
            "--insecure",
        ];
        args.extend(&la_ref);
        zoll_ok(dir, &args);
    };
    sign(&signed, &a_sec);
    sign(&by_b, &b_sec);

    // skopeo (gpgme) under signedBy a: accepts the zoll-signed image, refuses the others.
    let pol = policy(dir, &format!("{addr}/acme"), &a_pub);
    let pol = pol.to_str().unwrap();
    let copy = |image: &str, out: &str| {
        let mut args = vec!["--policy", pol];
        args.extend(&regd_ref);
        args.extend(["copy", "--src-tls-verify=false", "--src-creds", &creds]);
        let src = format!("docker://{image}");
        let dst = format!("dir:{}", dir.join(out).display());
        args.extend([src.as_str(), dst.as_str()]);
        skopeo(&gpg, &args)
    };
    let o = copy(&signed, "out-signed");
    assert!(
        o.status.success(),
        "skopeo refused zoll's signature:\n{}",
        text(&o)
    );
    for (image, out) in [(&unsigned, "out-unsigned"), (&by_b, "out-by-b")] {
        let o = copy(image, out);
        assert!(
            !o.status.success(),
            "skopeo accepted {image}:\n{}",
            text(&o)
        );
        assert!(text(&o).contains("ignature"), "{}", text(&o));
    }

    // podman pull under the same policy (it reads the extension; lookaside needs registries.d,
    // which podman takes only from the system directory, so podman runs on the extension path).
    if lookaside.is_none() {
        let root = dir.join("podman");
        std::fs::create_dir_all(root.join("xdg")).unwrap();
        std::fs::write(root.join("auth.json"), "{}").unwrap();
        let pull = |image: &str| {
            podman(&root)
                .args([
                    "pull",
                    "--tls-verify=false",
                    "--creds",
                    &creds,
                    "--signature-policy",
                    pol,
                    image,
                ])
                .output()
                .unwrap()
        };
        let o = pull(&signed);
        assert!(
            o.status.success(),
            "podman refused zoll's signature:\n{}",
            text(&o)
        );
        for image in [&unsigned, &by_b] {
            let o = pull(image);
            assert!(
                !o.status.success(),
                "podman accepted {image}:\n{}",
                text(&o)
            );
        }
    }

    // zoll verify: a's signature passes with a, fails with b; unsigned and b-signed refused.
    let verify = |image: &str, key: &Path| {
        let mut v: Vec<&str> = vec![
            "verify",
            image,
            "--gpg-key",
            key.to_str().unwrap(),
            "--insecure",
        ];
        v.extend(&la_ref);
        v.iter().map(|s| s.to_string()).collect::<Vec<_>>()
    };
    let args = verify(&signed, &a_pub);
    zoll_ok(dir, &args.iter().map(String::as_str).collect::<Vec<_>>());
    let args = verify(&signed, &b_pub);
    refused(
        dir,
        &args.iter().map(String::as_str).collect::<Vec<_>>(),
        "untrusted key",
    );
    let args = verify(&unsigned, &a_pub);
    refused(
        dir,
        &args.iter().map(String::as_str).collect::<Vec<_>>(),
        "no signatures",
    );
    let args = verify(&by_b, &a_pub);
    refused(
        dir,
        &args.iter().map(String::as_str).collect::<Vec<_>>(),
        "untrusted key",
    );

    // A fingerprint names a key in an exported keyring file.
    let by_fpr = format!("{addr}/acme/app:by-fpr");
    push_image(addr, "acme/app", "by-fpr", "by-fpr");
    let mut args = vec![
        "sign",
        &by_fpr,
        "--gpg-key",
        &fpr_a,
        "--gpg-keyring",
        b_sec.to_str().unwrap(),
        "--gpg-keyring",
        a_sec.to_str().unwrap(),
        "--insecure",
    ];
    args.extend(&la_ref);
    zoll_ok(dir, &args);
    let args = verify(&by_fpr, &a_pub);
    zoll_ok(dir, &args.iter().map(String::as_str).collect::<Vec<_>>());

    // skopeo signs (--sign-by, gpgme with the GNUPGHOME keyring) while copying into zoll serve;
    // zoll verifies.
    let src = format!("dir:{}", dir.join("out-signed").display());
    let dest = format!("docker://{addr}/acme/app:skopeo-signed");
    let mut args: Vec<&str> = vec!["--policy", pol];
    args.extend(&regd_ref);
    args.extend([
        "copy",
        "--dest-tls-verify=false",
        "--dest-creds",
        &creds,
        "--sign-by",
        &fpr_a,
    ]);
    args.extend([src.as_str(), dest.as_str()]);
    let insecure = policy_insecure(dir);
    args[1] = insecure.to_str().unwrap();
    let o = skopeo(&gpg, &args);
    assert!(o.status.success(), "skopeo --sign-by:\n{}", text(&o));
    let image = format!("{addr}/acme/app:skopeo-signed");
    let args = verify(&image, &a_pub);
    zoll_ok(dir, &args.iter().map(String::as_str).collect::<Vec<_>>());
    let args = verify(&image, &b_pub);
    refused(
        dir,
        &args.iter().map(String::as_str).collect::<Vec<_>>(),
        "untrusted key",
    );
}

/// A policy accepting anything (for skopeo's source side when it signs).
fn policy_insecure(dir: &Path) -> PathBuf {
    let p = dir.join("insecure.json");
    std::fs::write(&p, r#"{"default":[{"type":"insecureAcceptAnything"}]}"#).unwrap();
    p
}

#[test]
fn gpg_simple_signing_through_the_signature_extension() {
    let dir = tempfile::tempdir().unwrap();
    let server = start(dir.path(), true);
    both_directions(dir.path(), &server, None);
}

#[test]
fn gpg_simple_signing_through_a_lookaside_directory() {
    let dir = tempfile::tempdir().unwrap();
    let server = start(dir.path(), false);
    let lookaside = dir.path().join("sigstore");
    std::fs::create_dir_all(&lookaside).unwrap();
    both_directions(dir.path(), &server, Some(&lookaside));
    // The signatures are files where containers/image puts them.
    let found = walk(&lookaside);
    assert!(
        found
            .iter()
            .any(|p| p.ends_with("signature-1") && p.contains("acme/app@sha256=")),
        "{found:?}"
    );
}

fn walk(dir: &Path) -> Vec<String> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            out.extend(walk(&p));
        } else {
            out.push(p.display().to_string());
        }
    }
    out
}
