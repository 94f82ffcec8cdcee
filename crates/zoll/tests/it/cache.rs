//! The layer-analysis cache: a second scan of a known image reads no layer at all.

use crate::util::{purls, sbom_json};

#[test]
fn warm_rescan_reads_no_layer_blob() {
    let img = zoll_testimages::build("alpine-310").unwrap();
    // Work on a copy of the layout, so its layer blobs can be removed.
    let dir = tempfile::tempdir().unwrap();
    let layout = dir.path().join("oci");
    let status = std::process::Command::new("cp")
        .arg("-a")
        .arg(&img.oci_layout)
        .arg(&layout)
        .status()
        .unwrap();
    assert!(status.success());
    let cache = dir.path().join("cache");
    let source = format!("oci:{}:{}", layout.display(), img.oci_tag);
    let cold = sbom_json(&source, &[], &cache);
    assert!(!purls(&cold).is_empty());
    // Remove every layer blob: only the cache can answer now.
    let manifest_layers: Vec<String> = cold["target"]["layers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| {
            l["digest"]
                .as_str()
                .or(l["diff_id"].as_str())
                .unwrap()
                .to_owned()
        })
        .collect();
    for d in &manifest_layers {
        let hex = d.split_once(':').unwrap().1;
        std::fs::remove_file(layout.join("blobs/sha256").join(hex)).unwrap();
    }
    let warm = sbom_json(&source, &[], &cache);
    assert_eq!(
        warm["packages"], cold["packages"],
        "a warm scan must give the same packages"
    );
    // Without the cache the same scan must fail: the blobs are gone.
    let out = crate::util::run(&["sbom", &source, "--no-cache"], &cache);
    assert_eq!(out.status.code(), Some(2));
}
