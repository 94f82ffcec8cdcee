//! The secret scanner end to end: the planted-secret corpus of zoll-secrets
//! (`crates/zoll-secrets/tests/corpus`: secrets in real formats generated for the test, and
//! look-alikes) put into an image, one file of it deleted by a later layer, one secret in an ENV
//! and one in a history step. Every secret is found with its layer, no look-alike is, and no
//! output format carries a secret in clear.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use serde_json::Value;
use zoll_oci::LayoutWriter;
use zoll_oci::model::{History, OCI_LAYER_GZIP};

use crate::checks::{E, base_layer, clean_config, layer};

fn corpus() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../zoll-secrets/tests/corpus")
}

fn files_under(root: &Path) -> Vec<(String, Vec<u8>)> {
    let mut out = Vec::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap().flatten() {
            let p = e.path();
            if e.file_type().unwrap().is_dir() {
                stack.push(p);
            } else {
                let rel = p.strip_prefix(root).unwrap().display().to_string();
                out.push((rel, std::fs::read(&p).unwrap()));
            }
        }
    }
    out.sort();
    out
}

#[test]
fn every_planted_secret_is_found_with_its_layer_and_no_lookalike_is() {
    let expected: toml::Table =
        toml::from_str(&std::fs::read_to_string(corpus().join("expected.toml")).unwrap()).unwrap();
    let secrets = expected["secret"].as_array().unwrap();
    let env = &expected["env"].as_array().unwrap()[0];
    let history = &expected["history"].as_array().unwrap()[0];
    let deleted: Vec<&str> = secrets
        .iter()
        .filter(|s| s.get("deleted").and_then(|d| d.as_bool()) == Some(true))
        .map(|s| s["path"].as_str().unwrap())
        .collect();
    assert_eq!(deleted.len(), 1, "the corpus marks one file as deleted");

    let tree = files_under(&corpus().join("tree"));
    let (l0, d0) = layer(&base_layer());
    let entries: Vec<E<'_>> = tree
        .iter()
        .map(|(p, data)| E::File(p.as_str(), 0o644, data.as_slice()))
        .collect();
    let (l1, d1) = layer(&entries);
    let gone = deleted[0].trim_start_matches('/');
    let (l2, d2) = layer(&[E::Whiteout(gone)]);
    let mut config = clean_config();
    config
        .config
        .env
        .get_or_insert_default()
        .push(env["value"].as_str().unwrap().to_owned());
    config.history.push(History {
        created_by: Some(history["created_by"].as_str().unwrap().to_owned()),
        empty_layer: true,
        ..History::default()
    });
    let history_index = config.history.len() - 1;
    let dir = tempfile::tempdir().unwrap();
    let layout = dir.path().join("layout");
    let mut w = LayoutWriter::create(&layout).unwrap();
    w.image(
        Some("1.0"),
        config,
        &[
            (l0, OCI_LAYER_GZIP, d0),
            (l1, OCI_LAYER_GZIP, d1.clone()),
            (l2, OCI_LAYER_GZIP, d2),
        ],
    )
    .unwrap();
    let image = format!("oci:{}:1.0", layout.display());

    let run = |format: &str| {
        let out = crate::util::zoll()
            .args([
                "scan",
                "--scanners",
                "secret",
                "--no-cache",
                "-f",
                format,
                &image,
            ])
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    };
    let json = run("json");
    let v: Value = serde_json::from_str(&json).unwrap();
    let found: BTreeSet<(String, u64, String, String)> = v["checks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            assert_eq!(c["scanner"], "secret");
            (
                c["location"]["path"].as_str().unwrap().to_owned(),
                c["location"]["line"].as_u64().unwrap_or(0),
                c["rule"].as_str().unwrap().to_owned(),
                c["location"]["layer"].as_str().unwrap_or("").to_owned(),
            )
        })
        .collect();
    let mut want: BTreeSet<(String, u64, String, String)> = secrets
        .iter()
        .map(|s| {
            (
                s["path"].as_str().unwrap().to_owned(),
                s["line"].as_integer().unwrap() as u64,
                s["rule"].as_str().unwrap().to_owned(),
                d1.to_string(),
            )
        })
        .collect();
    let config_line = |c: &str| {
        v["checks"]
            .as_array()
            .unwrap()
            .iter()
            .find(|x| x["location"]["path"] == c)
            .and_then(|x| x["location"]["line"].as_u64())
            .unwrap_or(0)
    };
    want.insert((
        "config:Env".to_owned(),
        config_line("config:Env"),
        env["rule"].as_str().unwrap().to_owned(),
        String::new(),
    ));
    let h = format!("config:history[{history_index}]");
    want.insert((
        h.clone(),
        config_line(&h),
        history["rule"].as_str().unwrap().to_owned(),
        String::new(),
    ));
    let missing: Vec<_> = want.difference(&found).collect();
    let extra: Vec<_> = found.difference(&want).collect();
    assert!(
        missing.is_empty() && extra.is_empty(),
        "missing (secrets not found): {missing:#?}\nextra (look-alikes or wrong places reported): {extra:#?}"
    );
    assert!(want.len() >= 17, "the corpus plants at least 15 secrets");

    // No output format carries a planted secret in clear.
    let mut texts: Vec<String> = secrets
        .iter()
        .map(|s| s["text"].as_str().unwrap().to_owned())
        .collect();
    texts.push(env["text"].as_str().unwrap().to_owned());
    texts.push(history["text"].as_str().unwrap().to_owned());
    for format in ["json", "table", "sarif", "cyclonedx-json", "junit"] {
        let out = if format == "json" {
            json.clone()
        } else {
            run(format)
        };
        for t in &texts {
            assert!(
                !out.contains(t.as_str()),
                "{format} output shows a secret: {t}"
            );
        }
    }
}
