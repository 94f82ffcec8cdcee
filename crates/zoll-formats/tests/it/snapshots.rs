//! Snapshots of every format for the fixture SBOM (in `tests/snapshots/`), plus determinism.

use zoll_formats::{SbomFormat, render};

use crate::fixture;

fn rendered(sbom: &zoll_core::Sbom, format: SbomFormat, color: bool) -> String {
    let mut opts = fixture::options();
    opts.color = color;
    String::from_utf8(render(sbom, format, &opts).unwrap()).unwrap()
}

macro_rules! snapshot {
    ($name:expr, $value:expr) => {
        insta::with_settings!({ snapshot_path => "../snapshots", prepend_module_to_snapshot => false }, {
            insta::assert_snapshot!($name, $value);
        })
    };
}

#[test]
fn table() {
    snapshot!(
        "table",
        rendered(&fixture::sbom(), SbomFormat::Table, false)
    );
    snapshot!(
        "table_empty_dir",
        rendered(&fixture::empty_dir(), SbomFormat::Table, false)
    );
}

#[test]
fn table_colour_only_when_asked() {
    let plain = rendered(&fixture::sbom(), SbomFormat::Table, false);
    assert!(!plain.contains('\x1b'));
    let colour = rendered(&fixture::sbom(), SbomFormat::Table, true);
    assert!(colour.contains("\x1b[1mNAME"));
    let stripped = colour
        .replace("\x1b[1m", "")
        .replace("\x1b[2m", "")
        .replace("\x1b[0m", "");
    assert_eq!(stripped, plain, "colour must not change the layout");
}

#[test]
fn json() {
    snapshot!("json", rendered(&fixture::sbom(), SbomFormat::Json, false));
}

#[test]
fn cyclonedx() {
    snapshot!(
        "cyclonedx",
        rendered(&fixture::sbom(), SbomFormat::CycloneDxJson, false)
    );
    snapshot!(
        "cyclonedx_empty_dir",
        rendered(&fixture::empty_dir(), SbomFormat::CycloneDxJson, false)
    );
}

#[test]
fn spdx() {
    snapshot!(
        "spdx",
        rendered(&fixture::sbom(), SbomFormat::SpdxJson, false)
    );
    snapshot!(
        "spdx_empty_dir",
        rendered(&fixture::empty_dir(), SbomFormat::SpdxJson, false)
    );
}

#[test]
fn json_roundtrips_to_the_sbom() {
    let sbom = fixture::sbom();
    let text = rendered(&sbom, SbomFormat::Json, false);
    let v: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert_eq!(v["schema"], "zoll.sbom/v1");
    assert_eq!(v["tool"]["name"], "zoll");
    let back: zoll_core::Sbom = serde_json::from_value(v).unwrap();
    assert_eq!(back, sbom);
}

#[test]
fn output_is_deterministic_and_ids_follow_content() {
    let a = fixture::sbom();
    let mut shuffled = a.clone();
    shuffled.packages.reverse();
    for format in [
        SbomFormat::Table,
        SbomFormat::CycloneDxJson,
        SbomFormat::SpdxJson,
    ] {
        assert_eq!(
            rendered(&a, format, false),
            rendered(&a, format, false),
            "{format}"
        );
    }
    let serial = |s: &zoll_core::Sbom| {
        let v: serde_json::Value =
            serde_json::from_str(&rendered(s, SbomFormat::CycloneDxJson, false)).unwrap();
        v["serialNumber"].as_str().unwrap().to_owned()
    };
    let mut changed = a.clone();
    changed.packages[0].version = "7.24.1".into();
    assert_ne!(serial(&a), serial(&changed));
    // Package order in the output does not depend on cataloger order.
    let components = |s: &zoll_core::Sbom| {
        let v: serde_json::Value =
            serde_json::from_str(&rendered(s, SbomFormat::CycloneDxJson, false)).unwrap();
        v["components"].clone()
    };
    assert_eq!(components(&a), components(&shuffled));
}

#[test]
fn write_sbom_writes_what_render_returns() {
    let sbom = fixture::sbom();
    let mut out = Vec::new();
    zoll_formats::write_sbom(&sbom, SbomFormat::SpdxJson, &mut out, &fixture::options()).unwrap();
    assert_eq!(
        String::from_utf8(out).unwrap(),
        rendered(&sbom, SbomFormat::SpdxJson, false)
    );
}
