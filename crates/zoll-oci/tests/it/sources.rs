//! Each source type opens, selects the right image and yields verified layers.

use zoll_core::{Digest, Platform};
use zoll_oci::model::{self, DescriptorPlatform, ImageConfig, Index};
use zoll_oci::{
    LayerExpect, LayoutWriter, Limits, OpenOptions, Opened, SourceSpec, open, walk_layer,
};

use crate::util::{E, Recorder, diff_id, files_under, gzip, tar};

fn image(o: Opened) -> Box<zoll_oci::Image> {
    match o {
        Opened::Image(i) => i,
        Opened::Rootfs { .. } => panic!("expected an image"),
    }
}

fn read_all_layers(img: &zoll_oci::Image) -> Vec<Vec<(String, Vec<u8>)>> {
    img.layers
        .iter()
        .map(|l| {
            let mut r = Recorder::default();
            let exp = LayerExpect {
                name: l.name(),
                blob_digest: l.blob.as_ref().map(|b| b.digest.clone()),
                blob_size: l.blob.as_ref().map(|b| b.size),
                diff_id: l.diff_id.clone(),
            };
            walk_layer(img.open_layer(l).unwrap(), &exp, &Limits::default(), &mut r).unwrap();
            r.seen.into_iter().map(|(p, _, d)| (p, d)).collect()
        })
        .collect()
}

fn config(arch: &str) -> ImageConfig {
    ImageConfig {
        architecture: arch.into(),
        os: "linux".into(),
        ..ImageConfig::default()
    }
}

#[test]
fn oci_layout_by_tag_and_digest() {
    let dir = tempfile::tempdir().unwrap();
    let mut w = LayoutWriter::create(dir.path()).unwrap();
    let l1 = tar(&[E::File("etc/os-release", b"ID=test\n")]);
    let l2 = tar(&[E::File("app/a", b"hello")]);
    let desc = w
        .image(
            Some("v1"),
            config("amd64"),
            &[
                (gzip(&l1), model::OCI_MANIFEST, diff_id(&l1)),
                (
                    l2.clone(),
                    "application/vnd.oci.image.layer.v1.tar",
                    diff_id(&l2),
                ),
            ],
        )
        .unwrap();
    w.image(
        Some("v2"),
        config("amd64"),
        &[(
            l2.clone(),
            "application/vnd.oci.image.layer.v1.tar",
            diff_id(&l2),
        )],
    )
    .unwrap();

    let spec: SourceSpec = format!("oci:{}:v1", dir.path().display()).parse().unwrap();
    let img = image(open(&spec, &OpenOptions::default()).unwrap());
    assert_eq!(img.target.manifest_digest.as_ref(), Some(&desc.digest));
    assert_eq!(img.layers.len(), 2);
    let layers = read_all_layers(&img);
    assert_eq!(layers[1], vec![("/app/a".to_owned(), b"hello".to_vec())]);

    let by_digest: SourceSpec = format!("oci:{}@{}", dir.path().display(), desc.digest)
        .parse()
        .unwrap();
    assert_eq!(
        image(open(&by_digest, &OpenOptions::default()).unwrap())
            .layers
            .len(),
        2
    );

    // Two images and no tag: ambiguous, and the error lists the tags.
    let err = open(
        &format!("oci:{}", dir.path().display()).parse().unwrap(),
        &OpenOptions::default(),
    )
    .unwrap_err();
    assert!(
        err.to_string().contains("v1") && err.to_string().contains("v2"),
        "{err}"
    );
    let err = open(
        &format!("oci:{}:nope", dir.path().display())
            .parse()
            .unwrap(),
        &OpenOptions::default(),
    )
    .unwrap_err();
    assert!(err.to_string().contains("nope"), "{err}");
}

#[test]
fn oci_layout_multi_platform_index() {
    let dir = tempfile::tempdir().unwrap();
    let mut w = LayoutWriter::create(dir.path()).unwrap();
    let mut manifests = Vec::new();
    for (arch, variant) in [("amd64", None), ("arm64", Some("v8"))] {
        let l = tar(&[E::File("arch", arch.as_bytes())]);
        let mut d = w
            .image(
                None,
                config(arch),
                &[(
                    l.clone(),
                    "application/vnd.oci.image.layer.v1.tar",
                    diff_id(&l),
                )],
            )
            .unwrap();
        d.platform = Some(DescriptorPlatform {
            architecture: arch.into(),
            os: "linux".into(),
            variant: variant.map(Into::into),
            os_version: None,
            os_features: Vec::new(),
        });
        manifests.push(d);
    }
    // index.json as written lists the two manifests; replace it with one nested index.
    let index = Index {
        schema_version: 2,
        media_type: Some(model::OCI_INDEX.into()),
        manifests,
        annotations: Default::default(),
        artifact_type: None,
        subject: None,
    };
    let bytes = serde_json::to_vec(&index).unwrap();
    let idx_desc = w.blob(model::OCI_INDEX, &bytes).unwrap();
    std::fs::remove_file(dir.path().join("index.json")).unwrap();
    let mut w = LayoutWriter::create(dir.path()).unwrap();
    w.add_to_index(idx_desc, Some("multi")).unwrap();

    let spec: SourceSpec = format!("oci:{}:multi", dir.path().display())
        .parse()
        .unwrap();
    for (platform, want) in [
        ("linux/arm64", "arm64"),
        ("linux/amd64", "amd64"),
        ("linux/arm64/v8", "arm64"),
    ] {
        let opts = OpenOptions {
            platform: Some(platform.parse::<Platform>().unwrap()),
            ..OpenOptions::default()
        };
        let img = image(open(&spec, &opts).unwrap());
        assert_eq!(img.config.architecture, want);
        assert_eq!(read_all_layers(&img)[0][0].1, want.as_bytes());
    }
    let err = open(
        &spec,
        &OpenOptions {
            platform: Some("linux/s390x".parse().unwrap()),
            ..OpenOptions::default()
        },
    )
    .unwrap_err();
    assert!(
        err.to_string().contains("linux/s390x") && err.to_string().contains("linux/arm64/v8"),
        "{err}"
    );
}

#[test]
fn oci_layout_tampered_manifest_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let mut w = LayoutWriter::create(dir.path()).unwrap();
    let l = tar(&[E::File("a", b"1")]);
    let desc = w
        .image(
            Some("t"),
            config("amd64"),
            &[(
                l.clone(),
                "application/vnd.oci.image.layer.v1.tar",
                diff_id(&l),
            )],
        )
        .unwrap();
    let path = dir.path().join("blobs/sha256").join(desc.digest.hex());
    let mut m = std::fs::read(&path).unwrap();
    let n = m.len();
    m[n - 2] = b' ';
    std::fs::write(&path, m).unwrap();
    let err = open(
        &format!("oci:{}:t", dir.path().display()).parse().unwrap(),
        &OpenOptions::default(),
    )
    .unwrap_err();
    assert!(
        err.to_string().contains("digest mismatch") && err.to_string().contains(desc.digest.hex()),
        "{err}"
    );
}

/// A `docker save` archive in the current layout (manifest.json + repositories).
fn docker_archive(layers: &[Vec<u8>], legacy: bool) -> Vec<u8> {
    let mut b = tar::Builder::new(Vec::new());
    let mut add = |name: &str, data: &[u8]| {
        let mut h = tar::Header::new_gnu();
        h.set_size(data.len() as u64);
        h.set_mode(0o644);
        h.set_cksum();
        b.append_data(&mut h, name, data).unwrap();
    };
    let ids: Vec<String> = (0..layers.len())
        .map(|i| format!("{:064x}", i + 1))
        .collect();
    for (i, l) in layers.iter().enumerate() {
        add(&format!("{}/layer.tar", ids[i]), l);
        add(&format!("{}/VERSION", ids[i]), b"1.0");
        let parent = if i == 0 {
            String::new()
        } else {
            format!(r#","parent":"{}""#, ids[i - 1])
        };
        add(&format!("{}/json", ids[i]), format!(r#"{{"id":"{}"{parent},"architecture":"amd64","os":"linux","config":{{"User":"app"}}}}"#, ids[i]).as_bytes());
    }
    let top = ids.last().unwrap();
    add(
        "repositories",
        format!(r#"{{"example/app":{{"1.0":"{top}"}}}}"#).as_bytes(),
    );
    if !legacy {
        let cfg = serde_json::json!({
            "architecture": "amd64", "os": "linux", "config": {"User": "app"},
            "rootfs": {"type": "layers", "diff_ids": layers.iter().map(|l| diff_id(l).to_string()).collect::<Vec<_>>()},
            "history": layers.iter().enumerate().map(|(i, _)| serde_json::json!({"created_by": format!("step {i}")})).collect::<Vec<_>>(),
        });
        let cfg = serde_json::to_vec(&cfg).unwrap();
        let cfg_name = format!("{}.json", Digest::sha256(&cfg).hex());
        add(&cfg_name, &cfg);
        let manifest = serde_json::json!([{"Config": cfg_name, "RepoTags": ["example/app:1.0"], "Layers": ids.iter().map(|i| format!("{i}/layer.tar")).collect::<Vec<_>>()}]);
        add("manifest.json", &serde_json::to_vec(&manifest).unwrap());
    }
    b.into_inner().unwrap()
}

#[test]
fn docker_archive_plain_gzip_and_legacy() {
    let layers = vec![
        tar(&[E::File("etc/a", b"A")]),
        tar(&[E::File("etc/b", b"B"), E::File("etc/.wh.a", b"")]),
    ];
    let dir = tempfile::tempdir().unwrap();
    for (name, legacy, gz) in [
        ("plain.tar", false, false),
        ("plain.tar.gz", false, true),
        ("legacy.tar", true, false),
    ] {
        let data = docker_archive(&layers, legacy);
        let path = dir.path().join(name);
        std::fs::write(&path, if gz { gzip(&data) } else { data }).unwrap();
        let spec: SourceSpec = format!("docker-archive:{}", path.display())
            .parse()
            .unwrap();
        let img = image(open(&spec, &OpenOptions::default()).unwrap());
        assert_eq!(img.layers.len(), 2, "{name}");
        assert_eq!(img.config.config.user.as_deref(), Some("app"), "{name}");
        assert_eq!(
            img.target.tags,
            vec!["example/app:1.0".to_owned()],
            "{name}"
        );
        if !legacy {
            assert_eq!(img.layers[1].diff_id.as_ref(), Some(&diff_id(&layers[1])));
            assert_eq!(img.layers[1].created_by.as_deref(), Some("step 1"));
        }
        let read = read_all_layers(&img);
        assert_eq!(
            read[0],
            vec![("/etc/a".to_owned(), b"A".to_vec())],
            "{name}"
        );
        // by tag
        let spec: SourceSpec = format!("docker-archive:{}:example/app:1.0", path.display())
            .parse()
            .unwrap();
        assert!(
            open(&spec, &OpenOptions::default()).is_ok(),
            "{name} by tag"
        );
    }
}

#[test]
fn docker_archive_with_tampered_layer_fails_diff_id() {
    let layers = vec![tar(&[E::File("etc/a", b"A")])];
    let mut data = docker_archive(&layers, false);
    // Flip the file content byte inside the inner layer tar ("A" -> "Z").
    let pos = data.windows(3).position(|w| w == b"A\0\0").unwrap();
    data[pos] = b'Z';
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("t.tar");
    std::fs::write(&path, data).unwrap();
    let img = image(
        open(
            &format!("docker-archive:{}", path.display())
                .parse()
                .unwrap(),
            &OpenOptions::default(),
        )
        .unwrap(),
    );
    let l = &img.layers[0];
    let exp = LayerExpect {
        name: l.name(),
        diff_id: l.diff_id.clone(),
        ..LayerExpect::default()
    };
    let err = walk_layer(
        img.open_layer(l).unwrap(),
        &exp,
        &Limits::default(),
        &mut Recorder::default(),
    )
    .unwrap_err();
    assert!(err.to_string().contains("diff-id mismatch"), "{err}");
}

#[test]
fn dir_source_walks_without_following_symlinks() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("root");
    std::fs::create_dir_all(root.join("etc")).unwrap();
    std::fs::write(root.join("etc/os-release"), b"ID=x\n").unwrap();
    std::os::unix::fs::symlink("/etc/shadow", root.join("etc/evil")).unwrap();
    let spec: SourceSpec = format!("dir:{}", root.display()).parse().unwrap();
    let Opened::Rootfs { path, .. } = open(&spec, &OpenOptions::default()).unwrap() else {
        panic!()
    };
    let mut r = Recorder::default();
    zoll_oci::walk_dir(&path, &mut r, &mut |_| {}).unwrap();
    let os = r
        .seen
        .iter()
        .find(|(p, _, _)| p == "/etc/os-release")
        .unwrap();
    assert_eq!(os.2, b"ID=x\n");
    let evil = r.seen.iter().find(|(p, _, _)| p == "/etc/evil").unwrap();
    assert_eq!(evil.1, zoll_oci::EntryKind::Symlink("/etc/shadow".into()));
    assert!(evil.2.is_empty(), "a symlink's target must never be read");
    assert_eq!(
        files_under(&root),
        vec!["etc/evil".to_owned(), "etc/os-release".to_owned()],
        "the walk must not write"
    );
}

#[test]
fn oci_layout_entry_that_is_not_an_image_is_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let mut w = LayoutWriter::create(dir.path()).unwrap();
    // An artifact (e.g. a signature bundle) tagged in the layout: not an image manifest.
    let desc = w
        .blob(
            "application/vnd.dev.sigstore.bundle.v0.3+json",
            br#"{"mediaType":"application/vnd.dev.sigstore.bundle.v0.3+json"}"#,
        )
        .unwrap();
    w.add_to_index(desc, Some("sig")).unwrap();
    let err = open(
        &format!("oci:{}:sig", dir.path().display()).parse().unwrap(),
        &OpenOptions::default(),
    )
    .unwrap_err();
    let msg = err.to_string();
    assert!(
        msg.contains("unsupported media type") && msg.contains("sigstore"),
        "{msg}"
    );
}

#[test]
fn oci_layout_index_entry_without_media_type_is_sniffed() {
    let dir = tempfile::tempdir().unwrap();
    let mut w = LayoutWriter::create(dir.path()).unwrap();
    let l = tar(&[E::File("a", b"1")]);
    let mut desc = w
        .image(
            None,
            config("amd64"),
            &[(l.clone(), model::OCI_LAYER_TAR, diff_id(&l))],
        )
        .unwrap();
    desc.media_type.clear();
    std::fs::remove_file(dir.path().join("index.json")).unwrap();
    let mut w = LayoutWriter::create(dir.path()).unwrap();
    w.add_to_index(desc, Some("t")).unwrap();
    let img = image(
        open(
            &format!("oci:{}:t", dir.path().display()).parse().unwrap(),
            &OpenOptions::default(),
        )
        .unwrap(),
    );
    assert_eq!(img.layers.len(), 1);
}
