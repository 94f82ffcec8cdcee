//! Hostile layers: each is an error naming the layer and (where there is one) the entry.

use std::io::Cursor;

use zoll_core::Digest;
use zoll_oci::{LayerError, LayerExpect, Limits, walk_layer};

use crate::util::{E, Recorder, diff_id, gzip, tar};

fn expect(name: &str) -> LayerExpect {
    LayerExpect {
        name: name.to_owned(),
        ..LayerExpect::default()
    }
}

fn walk(data: &[u8], exp: &LayerExpect, limits: &Limits) -> Result<Recorder, LayerError> {
    let mut r = Recorder::default();
    walk_layer(Cursor::new(data), exp, limits, &mut r).map(|_| r)
}

#[test]
fn path_traversal_is_refused() {
    let layer = gzip(&tar(&[
        E::File("etc/ok", b"x"),
        E::File("../../evil", b"boom"),
    ]));
    let err = walk(&layer, &expect("sha256:aaaa"), &Limits::default()).unwrap_err();
    assert!(
        matches!(&err, LayerError::PathTraversal { entry, .. } if entry == "../../evil"),
        "{err:?}"
    );
    let msg = err.to_string();
    assert!(
        msg.contains("sha256:aaaa") && msg.contains("../../evil") && msg.contains("escapes"),
        "{msg}"
    );
    // A harmless `..` that stays inside the root is normalised, not refused.
    let ok = walk(
        &tar(&[E::File("usr/../etc/x", b"1")]),
        &expect("l"),
        &Limits::default(),
    )
    .unwrap();
    assert_eq!(ok.seen[0].0, "/etc/x");
}

#[test]
fn symlink_out_of_root_is_refused() {
    let layer = tar(&[
        E::Dir("etc"),
        E::Symlink("etc/passwd", "../../../../../../etc/shadow"),
    ]);
    let err = walk(&layer, &expect("layer-1"), &Limits::default()).unwrap_err();
    assert!(
        matches!(&err, LayerError::SymlinkEscape { entry, target, .. } if entry == "etc/passwd" && target.contains("shadow")),
        "{err:?}"
    );
    // Absolute targets are read inside the root, as a container runtime does.
    let ok = walk(
        &tar(&[
            E::Symlink("bin/sh", "/usr/bin/dash"),
            E::Symlink("etc/os-release", "../usr/lib/os-release"),
        ]),
        &expect("l"),
        &Limits::default(),
    );
    assert!(ok.is_ok(), "{ok:?}", ok = ok.err());
}

#[test]
fn hardlink_out_of_root_is_refused() {
    let layer = tar(&[E::Hardlink("etc/x", "../outside")]);
    let err = walk(&layer, &expect("layer-h"), &Limits::default()).unwrap_err();
    assert!(
        matches!(&err, LayerError::HardlinkEscape { entry, .. } if entry == "etc/x"),
        "{err:?}"
    );
}

#[test]
fn decompression_bomb_size_limit() {
    let zeros = vec![0u8; 8 << 20];
    let layer = gzip(&tar(&[E::File("big", &zeros)]));
    let limits = Limits {
        max_layer_bytes: 1 << 20,
        ..Limits::default()
    };
    let err = walk(&layer, &expect("bomb"), &limits).unwrap_err();
    assert!(
        matches!(&err, LayerError::SizeLimit { limit, .. } if *limit == 1 << 20),
        "{err:?}"
    );
    assert!(
        err.to_string().contains("bomb") && err.to_string().contains("decompression"),
        "{err}"
    );
}

#[test]
fn decompression_bomb_ratio_limit() {
    let zeros = vec![0u8; 16 << 20];
    let layer = gzip(&tar(&[E::File("zeros", &zeros)]));
    assert!(
        layer.len() < 200_000, // ~100:1 or better with any deflate backend
        "gzip should compress zeros well: {}",
        layer.len()
    );
    let limits = Limits {
        max_ratio: 50,
        ratio_grace: 1 << 20,
        ..Limits::default()
    };
    let err = walk(&layer, &expect("ratio"), &limits).unwrap_err();
    assert!(
        matches!(&err, LayerError::RatioLimit { limit: 50, .. }),
        "{err:?}"
    );
    // The same layer passes with the default limits (under the grace size).
    assert!(walk(&layer, &expect("ratio"), &Limits::default()).is_ok());
}

#[test]
fn truncated_gzip_is_an_error() {
    let layer = gzip(&tar(&[E::File("a", &[7u8; 200_000]), E::File("b", b"x")]));
    let cut = &layer[..layer.len() / 2];
    let err = walk(cut, &expect("sha256:trunc"), &Limits::default()).unwrap_err();
    assert!(matches!(&err, LayerError::Truncated { .. }), "{err:?}");
    assert!(
        err.to_string().contains("sha256:trunc") && err.to_string().contains("truncated"),
        "{err}"
    );
}

#[test]
fn diff_id_mismatch_is_an_error() {
    let t = tar(&[E::File("a", b"x")]);
    let other = diff_id(b"something else");
    let exp = LayerExpect {
        name: "l".into(),
        diff_id: Some(other.clone()),
        ..LayerExpect::default()
    };
    let err = walk(&gzip(&t), &exp, &Limits::default()).unwrap_err();
    assert!(
        matches!(&err, LayerError::DiffIdMismatch { expected, actual, .. } if *expected == other && *actual == diff_id(&t)),
        "{err:?}"
    );
}

#[test]
fn blob_digest_and_size_are_verified() {
    let blob = gzip(&tar(&[E::File("a", b"x")]));
    let good = LayerExpect {
        name: "l".into(),
        blob_digest: Some(Digest::sha256(&blob)),
        blob_size: Some(blob.len() as u64),
        diff_id: None,
    };
    assert!(walk(&blob, &good, &Limits::default()).is_ok());
    let wrong = LayerExpect {
        blob_digest: Some(Digest::sha256(b"nope")),
        ..good.clone()
    };
    assert!(matches!(
        walk(&blob, &wrong, &Limits::default()),
        Err(LayerError::DigestMismatch { .. })
    ));
    let size = LayerExpect {
        blob_size: Some(3),
        ..good
    };
    assert!(matches!(
        walk(&blob, &size, &Limits::default()),
        Err(LayerError::SizeMismatch { expected: 3, .. })
    ));
}

#[test]
fn garbage_is_an_error_not_a_panic() {
    for data in [
        &b"not a tar at all, just text that goes on"[..],
        &[0x1f, 0x8b, 0, 1, 2, 3][..],
        &[0x28, 0xb5, 0x2f, 0xfd, 9, 9][..],
    ] {
        let r = walk(data, &expect("junk"), &Limits::default());
        assert!(
            r.is_err() || r.as_ref().is_ok_and(|r| r.seen.is_empty()),
            "{data:?}"
        );
    }
}

#[test]
fn whiteouts_and_zstd() {
    let t = tar(&[
        E::File("etc/.wh.gone", b""),
        E::File("var/cache/.wh..wh..opq", b""),
        E::File("x", b"1"),
    ]);
    let blob = zstd::encode_all(&t[..], 3).unwrap();
    let exp = LayerExpect {
        name: "z".into(),
        diff_id: Some(diff_id(&t)),
        ..LayerExpect::default()
    };
    let mut r = Recorder::default();
    let summary = walk_layer(Cursor::new(&blob), &exp, &Limits::default(), &mut r).unwrap();
    assert_eq!(summary.compression, zoll_oci::Compression::Zstd);
    use zoll_oci::EntryKind::*;
    let kinds: Vec<_> = r
        .seen
        .iter()
        .map(|(p, k, _)| (p.as_str(), k.clone()))
        .collect();
    assert_eq!(
        kinds,
        vec![
            ("/etc/.wh.gone", Whiteout("/etc/gone".into())),
            ("/var/cache/.wh..wh..opq", Opaque("/var/cache".into())),
            ("/x", File)
        ]
    );
}
