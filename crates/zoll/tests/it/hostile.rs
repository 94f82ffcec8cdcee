//! Hostile layers through the whole command: exit code 2, an error naming the layer and the entry,
//! nothing written outside the temporary directory, and nothing cached for the bad layer.

use std::io::Write;
use std::path::Path;

use zoll_core::Digest;
use zoll_oci::LayoutWriter;
use zoll_oci::model::{ImageConfig, OCI_LAYER_GZIP, OCI_LAYER_TAR};

fn raw_tar(entries: &[(&str, tar::EntryType, &str, &[u8])]) -> Vec<u8> {
    let mut b = tar::Builder::new(Vec::new());
    for (name, kind, link, data) in entries {
        let mut h = tar::Header::new_old();
        h.as_old_mut().name[..name.len()].copy_from_slice(name.as_bytes());
        h.as_old_mut().linkname[..link.len()].copy_from_slice(link.as_bytes());
        h.set_entry_type(*kind);
        h.set_mode(0o644);
        h.set_size(data.len() as u64);
        h.set_cksum();
        b.append(&h, *data).unwrap();
    }
    b.into_inner().unwrap()
}

fn gzip(d: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    e.write_all(d).unwrap();
    e.finish().unwrap()
}

fn all_files(dir: &Path) -> Vec<String> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap().flatten() {
            if e.file_type().unwrap().is_dir() {
                stack.push(e.path());
            } else {
                out.push(e.path().strip_prefix(dir).unwrap().display().to_string());
            }
        }
    }
    out
}

/// An OCI layout with one good base layer and one hostile layer; scan it in a sandbox directory
/// (cwd, HOME, TMPDIR and cache all inside it) and return (exit code, stderr, files written).
fn scan(
    hostile: Vec<u8>,
    diff_id: Digest,
    extra: &[&str],
) -> (i32, String, Vec<String>, tempfile::TempDir) {
    let sandbox = tempfile::tempdir().unwrap();
    let layout = sandbox.path().join("layout");
    let base = raw_tar(&[(
        "etc/os-release",
        tar::EntryType::Regular,
        "",
        b"ID=alpine\nVERSION_ID=3.19.0\n",
    )]);
    let mut w = LayoutWriter::create(&layout).unwrap();
    let cfg = ImageConfig {
        architecture: "amd64".into(),
        os: "linux".into(),
        ..ImageConfig::default()
    };
    w.image(
        Some("bad"),
        cfg,
        &[
            (gzip(&base), OCI_LAYER_GZIP, Digest::sha256(&base)),
            (hostile, OCI_LAYER_TAR, diff_id),
        ],
    )
    .unwrap();
    let before: Vec<String> = all_files(sandbox.path());
    let work = sandbox.path().join("work");
    std::fs::create_dir_all(work.join("tmp")).unwrap();
    let cache = work.join("cache");
    let mut args = vec!["sbom".to_owned(), format!("oci:{}:bad", layout.display())];
    args.extend(extra.iter().map(|s| s.to_string()));
    let out = crate::util::zoll()
        .args(&args)
        .arg("--cache-dir")
        .arg(&cache)
        .current_dir(&work)
        .env("HOME", &work)
        .env("TMPDIR", work.join("tmp"))
        .output()
        .unwrap();
    let after: Vec<String> = all_files(sandbox.path())
        .into_iter()
        .filter(|f| !before.contains(f))
        .collect();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stderr).into_owned(),
        after,
        sandbox,
    )
}

fn assert_refused(code: i32, stderr: &str, written: &[String], needles: &[&str]) {
    assert_eq!(code, 2, "{stderr}");
    for n in needles {
        assert!(stderr.contains(n), "stderr lacks {n:?}: {stderr}");
    }
    // The base layer may be cached; nothing else may be written, and nothing outside `work/cache`.
    for f in written {
        assert!(
            f.starts_with("work/cache/layers/"),
            "unexpected file written: {f}"
        );
    }
    assert!(
        written.len() <= 1,
        "only the good layer may be cached: {written:?}"
    );
}

#[test]
fn path_traversal() {
    let t = raw_tar(&[(
        "../../../../tmp/zoll-evil",
        tar::EntryType::Regular,
        "",
        b"pwned",
    )]);
    let id = Digest::sha256(&t);
    let (code, err, written, _s) = scan(t, id.clone(), &[]);
    assert_refused(
        code,
        &err,
        &written,
        &[
            &id.to_string(),
            "../../../../tmp/zoll-evil",
            "escapes the image root",
        ],
    );
    assert!(!Path::new("/tmp/zoll-evil").exists());
}

#[test]
fn symlink_out_of_root() {
    let t = raw_tar(&[(
        "etc/passwd",
        tar::EntryType::Symlink,
        "../../../../../etc/shadow",
        b"",
    )]);
    let id = Digest::sha256(&t);
    let (code, err, written, _s) = scan(t, id.clone(), &[]);
    assert_refused(
        code,
        &err,
        &written,
        &[&id.to_string(), "etc/passwd", "symlink target"],
    );
}

#[test]
fn decompression_bomb() {
    let zeros = vec![0u8; 4 << 20];
    let t = raw_tar(&[("zeros", tar::EntryType::Regular, "", &zeros)]);
    let id = Digest::sha256(&t);
    let (code, err, written, _s) = scan(gzip(&t), id.clone(), &["--max-layer-size", "1048576"]);
    assert_refused(
        code,
        &err,
        &written,
        &[&id.to_string(), "decompression bomb"],
    );
}

#[test]
fn truncated_gzip() {
    let t = raw_tar(&[("a", tar::EntryType::Regular, "", &[5u8; 300_000])]);
    let id = Digest::sha256(&t);
    let gz = gzip(&t);
    let cut = gz[..gz.len() / 2].to_vec();
    // The layout records the truncated blob's own digest, so only the stream itself is wrong.
    let (code, err, written, _s) = scan(cut, id.clone(), &[]);
    assert_refused(code, &err, &written, &[&id.to_string(), "truncated"]);
}

#[test]
fn diff_id_mismatch() {
    let t = raw_tar(&[("a", tar::EntryType::Regular, "", b"content")]);
    let lie = Digest::sha256(b"another layer");
    let (code, err, written, _s) = scan(t.clone(), lie.clone(), &[]);
    assert_refused(
        code,
        &err,
        &written,
        &[
            &lie.to_string(),
            "diff-id mismatch",
            &Digest::sha256(&t).to_string(),
        ],
    );
}
