//! What `zoll scan` and `zoll lint` read from untrusted images and repositories besides packages:
//! Dockerfiles (parse, then lint), Kubernetes manifests, file bytes and config strings through
//! the secret rules, secret config files, malware blocklists, and image configs with account
//! files through the image checks.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&selector, rest)) = data.split_first() else {
        return;
    };
    let text = String::from_utf8_lossy(rest);
    match selector % 6 {
        0 => {
            if let Ok(df) = zoll_dockerfile::parse(&text) {
                drop(zoll_dockerfile::lint(&df, "fuzz", &zoll_dockerfile::LintOptions::default()));
            }
        }
        1 => drop(zoll_kube::check_manifests(&text, "fuzz")),
        2 => {
            let d = zoll_secrets::Detector::builtin();
            drop(d.scan_file("/fuzz/.env", rest));
            drop(d.scan_text("config:Env", &text));
        }
        3 => drop(zoll_secrets::SecretConfig::parse(&text, "fuzz")),
        4 => drop(zoll_malware::blocklist::Blocklist::parse(std::path::Path::new("fuzz"), &text)),
        _ => {
            // The first line is the config JSON, the rest /etc/passwd, /etc/shadow, /etc/group.
            let mut parts = text.splitn(4, '\u{0}');
            let config = parts.next().unwrap_or_default();
            let Ok(config) = serde_json::from_str::<zoll_oci::model::ImageConfig>(config) else {
                return;
            };
            let mut facts = zoll_sbom::ImageFacts::default();
            for (path, body) in ["/etc/passwd", "/etc/shadow", "/etc/group"].iter().zip(parts) {
                facts.account_files.insert((*path).to_owned(), (body.to_owned(), None));
            }
            let sbom = zoll_core::Sbom {
                target: zoll_core::Target {
                    input: "fuzz".into(),
                    kind: "oci".into(),
                    manifest_digest: None,
                    config_digest: None,
                    platform: None,
                    layers: vec![],
                    tags: vec!["latest".into()],
                },
                distro: None,
                packages: vec![],
                diagnostics: vec![],
            };
            drop(zoll_scan::image::check(&zoll_scan::image::ImageInput {
                config: &config,
                facts: &facts,
                sbom: &sbom,
                names: &sbom.target.tags,
            }));
        }
    }
});
