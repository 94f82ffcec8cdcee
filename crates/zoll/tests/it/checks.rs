//! Image configuration and content checks through `zoll scan --scanners config`: for every
//! check, an image that trips it and one that does not (real OCI layouts written here, read by
//! the binary like any other image).

use std::collections::BTreeMap;
use std::io::Write;
use std::path::Path;

use serde_json::{Value, json};
use zoll_core::Digest;
use zoll_oci::LayoutWriter;
use zoll_oci::model::{History, ImageConfig, OCI_LAYER_GZIP};

/// One tar entry.
pub(crate) enum E<'a> {
    File(&'a str, u32, &'a [u8]),
    Dir(&'a str, u32),
    /// `.wh.` of a path.
    Whiteout(&'a str),
}

pub(crate) fn layer(entries: &[E<'_>]) -> (Vec<u8>, Digest) {
    let mut b = tar::Builder::new(Vec::new());
    for e in entries {
        let mut h = tar::Header::new_gnu();
        let (path, mode, data, kind): (String, u32, &[u8], tar::EntryType) = match e {
            E::File(p, m, d) => ((*p).to_owned(), *m, d, tar::EntryType::Regular),
            E::Dir(p, m) => ((*p).to_owned(), *m, b"", tar::EntryType::Directory),
            E::Whiteout(p) => {
                let (dir, name) = p.rsplit_once('/').unwrap();
                (
                    format!("{dir}/.wh.{name}"),
                    0o644,
                    b"",
                    tar::EntryType::Regular,
                )
            }
        };
        h.set_entry_type(kind);
        h.set_mode(mode);
        h.set_size(data.len() as u64);
        h.set_path(path.trim_start_matches('/')).unwrap();
        h.set_cksum();
        b.append(&h, data).unwrap();
    }
    let tar = b.into_inner().unwrap();
    let diff_id = Digest::sha256(&tar);
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    gz.write_all(&tar).unwrap();
    (gz.finish().unwrap(), diff_id)
}

const PASSWD: &[u8] = b"root:x:0:0:root:/root:/bin/sh\napp:x:1000:1000::/home/app:/bin/sh\n";
const SHADOW: &[u8] = b"root:*:19000:0:99999:7:::\napp:!:19000:0:99999:7:::\n";
const GROUP: &[u8] = b"root:x:0:\napp:x:1000:\n";

/// The clean image: a non-root user, a health check, clean history and accounts.
pub(crate) fn clean_config() -> ImageConfig {
    let mut c: ImageConfig = serde_json::from_value(json!({
        "architecture": "amd64",
        "os": "linux",
        "config": {
            "User": "app",
            "Env": ["PATH=/usr/bin:/bin", "DB_PASSWORD_FILE=/run/secrets/db"],
            "ExposedPorts": {"8080/tcp": {}},
            "Healthcheck": {"Test": ["CMD", "/app/health"], "Interval": 30000000000u64},
        },
    }))
    .unwrap();
    c.history = vec![
        History {
            created_by: Some("/bin/sh -c #(nop) ADD file:0a1b2c in / ".into()),
            ..History::default()
        },
        History {
            created_by: Some("COPY app.py /srv/ # buildkit".into()),
            ..History::default()
        },
    ];
    c
}

pub(crate) fn base_layer() -> Vec<E<'static>> {
    vec![
        E::Dir("etc", 0o755),
        E::File("etc/passwd", 0o644, PASSWD),
        E::File("etc/shadow", 0o640, SHADOW),
        E::File("etc/group", 0o644, GROUP),
        E::Dir("tmp", 0o1777),
        E::File("usr/bin/passwd", 0o755, b"\x7fELF"),
        E::File("srv/app.py", 0o644, b"print('hi')\n"),
    ]
}

/// Record a build step that made no layer (as ENV, ARG, ADD of nothing new do).
fn step(c: &mut ImageConfig, created_by: &str) {
    c.history.push(History {
        created_by: Some(created_by.to_owned()),
        empty_layer: true,
        ..History::default()
    });
}

/// Write an image with two layers (the base and `top`) and scan it; returns the rules found.
fn rules_of(
    dir: &Path,
    name: &str,
    config: ImageConfig,
    base: &[E<'_>],
    top: &[E<'_>],
    tag: &str,
) -> BTreeMap<String, Vec<Value>> {
    let layout = dir.join(name);
    let mut w = LayoutWriter::create(&layout).unwrap();
    let (b, bd) = layer(base);
    let (t, td) = layer(top);
    w.image(
        Some(tag),
        config,
        &[(b, OCI_LAYER_GZIP, bd), (t, OCI_LAYER_GZIP, td)],
    )
    .unwrap();
    let out = crate::util::zoll()
        .args(["scan", "--scanners", "config", "-f", "json", "--no-cache"])
        .arg(format!("oci:{}:{tag}", layout.display()))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{name}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["scanners"], json!(["config"]), "{name}");
    let mut rules: BTreeMap<String, Vec<Value>> = BTreeMap::new();
    for c in v["checks"].as_array().unwrap() {
        assert_eq!(c["scanner"], "config");
        rules
            .entry(c["rule"].as_str().unwrap().to_owned())
            .or_default()
            .push(c.clone());
    }
    rules
}

#[test]
fn every_image_check_has_an_image_that_trips_it_and_one_that_does_not() {
    let dir = tempfile::tempdir().unwrap();
    let clean = rules_of(
        dir.path(),
        "clean",
        clean_config(),
        &base_layer(),
        &[],
        "1.0",
    );
    assert!(
        clean.is_empty(),
        "the clean image trips {:?}",
        clean.keys().collect::<Vec<_>>()
    );

    // (rule, image name, config change, extra base entries, top layer, tag)
    type Change = fn(&mut ImageConfig);
    struct Case {
        rule: &'static str,
        name: &'static str,
        change: Change,
        base: Vec<E<'static>>,
        top: Vec<E<'static>>,
        tag: &'static str,
    }
    let case = |rule, name, change: Change, base, top, tag| Case {
        rule,
        name,
        change,
        base,
        top,
        tag,
    };
    let none: Change = |_| {};
    let cases = vec![
        case("CIS-DI-0001", "no-user", |c| c.config.user = None, vec![], vec![], "1.0"),
        case("CIS-DI-0001", "user-0", |c| c.config.user = Some("0:0".into()), vec![], vec![], "1.0"),
        case(
            "CIS-DI-0001",
            "renamed-root",
            |c| c.config.user = Some("toor".into()),
            vec![],
            vec![E::File("etc/passwd", 0o644, b"toor:x:0:0::/root:/bin/sh\n")],
            "1.0",
        ),
        case(
            "CIS-DI-0006",
            "no-healthcheck",
            |c| {
                c.config.extra.remove("Healthcheck");
            },
            vec![],
            vec![],
            "1.0",
        ),
        case(
            "CIS-DI-0006",
            "healthcheck-none",
            |c| {
                c.config
                    .extra
                    .insert("Healthcheck".into(), json!({"Test": ["NONE"]}));
            },
            vec![],
            vec![],
            "1.0",
        ),
        case("CIS-DI-0008", "setuid", none, vec![], vec![E::File("usr/bin/su", 0o4755, b"x")], "1.0"),
        case("CIS-DI-0008", "setgid", none, vec![], vec![E::File("usr/bin/wall", 0o2755, b"x")], "1.0"),
        case(
            "CIS-DI-0009",
            "add-file",
            |c| step(c, "ADD app.py /srv/ # buildkit"),
            vec![],
            vec![],
            "1.0",
        ),
        case(
            "ZOLL-DI-0001",
            "add-url",
            |c| step(c, "ADD https://example.org/tool.bin /usr/local/bin/tool # buildkit"),
            vec![],
            vec![],
            "1.0",
        ),
        case(
            "CIS-DI-0010",
            "env-secret",
            |c| c.config.env.get_or_insert_default().push("DB_PASSWORD=s3cr3t-Pa55".into()),
            vec![],
            vec![],
            "1.0",
        ),
        case(
            "CIS-DI-0010",
            "arg-secret",
            |c| step(c, "RUN |1 API_TOKEN=tok-8f2d1c /bin/sh -c ./fetch # buildkit"),
            vec![],
            vec![],
            "1.0",
        ),
        case("DKL-DI-0001", "sudo", none, vec![], vec![E::File("usr/bin/sudo", 0o755, b"x")], "1.0"),
        case(
            "DKL-DI-0003",
            "dist-upgrade",
            |c| step(c, "/bin/sh -c apt-get update && apt-get -y dist-upgrade"),
            vec![],
            vec![],
            "1.0",
        ),
        case(
            "DKL-DI-0003",
            "upgrade",
            |c| step(c, "RUN /bin/sh -c apt-get upgrade -y # buildkit"),
            vec![],
            vec![],
            "1.0",
        ),
        case(
            "DKL-DI-0004",
            "apk-cache",
            none,
            vec![],
            vec![E::File("var/cache/apk/APKINDEX.00740ba1.tar.gz", 0o644, b"idx")],
            "1.0",
        ),
        case(
            "DKL-DI-0005",
            "apt-lists",
            none,
            vec![],
            vec![E::File(
                "var/lib/apt/lists/deb.debian.org_debian_dists_bookworm_InRelease",
                0o644,
                b"rel",
            )],
            "1.0",
        ),
        case(
            "DKL-DI-0005",
            "apt-archives",
            none,
            vec![],
            vec![E::File("var/cache/apt/archives/curl_7.88.1-10_amd64.deb", 0o644, b"deb")],
            "1.0",
        ),
        case(
            "ZOLL-DI-0003",
            "pip-cache",
            none,
            vec![],
            vec![E::File("root/.cache/pip/http-v2/a/b/c.body", 0o644, b"whl")],
            "1.0",
        ),
        case("DKL-DI-0006", "latest", none, vec![], vec![], "latest"),
        case(
            "DKL-LI-0001",
            "empty-password",
            none,
            vec![],
            vec![E::File("etc/shadow", 0o640, b"root:*:19000:0:99999:7:::\nguest::19000:0:99999:7:::\n")],
            "1.0",
        ),
        case(
            "DKL-LI-0002",
            "duplicate-uid",
            none,
            vec![],
            vec![E::File(
                "etc/passwd",
                0o644,
                b"root:x:0:0::/root:/bin/sh\napp:x:1000:1000::/home/app:/bin/sh\nops:x:1000:1000::/home/ops:/bin/sh\n",
            )],
            "1.0",
        ),
        case(
            "DKL-LI-0002",
            "duplicate-gid",
            none,
            vec![],
            vec![E::File("etc/group", 0o644, b"root:x:0:\napp:x:1000:\nops:x:1000:\n")],
            "1.0",
        ),
        case(
            "ZOLL-DI-0002",
            "world-writable-file",
            none,
            vec![],
            vec![E::File("srv/data.db", 0o666, b"db")],
            "1.0",
        ),
        case(
            "ZOLL-DI-0002",
            "world-writable-dir",
            none,
            vec![],
            vec![E::Dir("srv/uploads", 0o777)],
            "1.0",
        ),
        case(
            "ZOLL-DI-0004",
            "ssh",
            |c| {
                c.config
                    .exposed_ports
                    .get_or_insert_default()
                    .insert("22/tcp".into(), json!({}));
            },
            vec![],
            vec![],
            "1.0",
        ),
    ];
    let mut tripped = std::collections::BTreeSet::new();
    for c in cases {
        let mut config = clean_config();
        (c.change)(&mut config);
        let mut base = base_layer();
        base.extend(c.base);
        let found = rules_of(dir.path(), c.name, config, &base, &c.top, c.tag);
        let keys: Vec<&String> = found.keys().collect();
        assert_eq!(keys, [c.rule], "{}: expected only {}", c.name, c.rule);
        tripped.insert(c.rule);
    }
    let all: std::collections::BTreeSet<&str> = zoll_scan::image::rules()
        .into_iter()
        .map(|(id, _)| id)
        .collect();
    assert_eq!(tripped, all, "every image check needs a tripping image");
}

#[test]
fn later_layers_that_remove_a_problem_clear_it() {
    let dir = tempfile::tempdir().unwrap();
    let mut base = base_layer();
    base.extend([
        E::File("usr/bin/su", 0o4755, b"x"),
        E::File("usr/bin/sudo", 0o755, b"x"),
        E::Dir("var/lib/apt/lists", 0o755),
        E::File("var/lib/apt/lists/deb.debian.org_InRelease", 0o644, b"r"),
        E::File("srv/data.db", 0o666, b"db"),
    ]);
    let top = [
        // chmod u-s, rm sudo, rm -rf /var/lib/apt/lists/*, chmod o-w.
        E::File("usr/bin/su", 0o755, b"x"),
        E::Whiteout("usr/bin/sudo"),
        E::Whiteout("var/lib/apt/lists/deb.debian.org_InRelease"),
        E::File("srv/data.db", 0o644, b"db"),
    ];
    let found = rules_of(dir.path(), "fixed", clean_config(), &base, &top, "1.0");
    assert!(found.is_empty(), "{:?}", found.keys().collect::<Vec<_>>());
    // The same base without the fixing layer trips all four.
    let found = rules_of(dir.path(), "unfixed", clean_config(), &base, &[], "1.0");
    let keys: Vec<&str> = found.keys().map(String::as_str).collect();
    assert_eq!(
        keys,
        ["CIS-DI-0008", "DKL-DI-0001", "DKL-DI-0005", "ZOLL-DI-0002"]
    );
    // Findings name the layer the file came from.
    let su = &found["CIS-DI-0008"][0];
    assert_eq!(su["location"]["path"], "/usr/bin/su");
    assert!(
        su["location"]["layer"]
            .as_str()
            .unwrap()
            .starts_with("sha256:")
    );
}
