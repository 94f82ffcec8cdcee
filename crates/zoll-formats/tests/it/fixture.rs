//! A hand-built SBOM that exercises what the formats must get right: Debian versions with epochs
//! and `+`, an npm scoped package, the Go stdlib, a Maven package, licences of every kind (SPDX id,
//! expression, common spelling, free-form name), two layers and a diagnostic.

use time::macros::datetime;
use zoll_core::{
    Digest, Distro, LayerInfo, Package, PackageType, Platform, Purl, Sbom, SourceInfo, Target,
};
use zoll_formats::RenderOptions;

pub(crate) fn options() -> RenderOptions {
    RenderOptions::new("0.1.0", datetime!(2024-05-06 07:08:09.123 UTC))
}

fn deb(
    name: &str,
    version: &str,
    source: Option<(&str, Option<&str>)>,
    licenses: &[&str],
    layer: &Digest,
) -> Package {
    let mut purl = Purl::new("deb", Some("debian"), name, Some(version))
        .unwrap()
        .with_qualifier("arch", "amd64")
        .with_qualifier("distro", "debian-12");
    if let Some((src, _)) = source {
        purl = purl.with_qualifier("upstream", src);
    }
    Package {
        name: name.into(),
        version: version.into(),
        kind: PackageType::Deb,
        purl,
        licenses: licenses.iter().map(|s| s.to_string()).collect(),
        source: source.map(|(n, v)| SourceInfo {
            name: n.into(),
            version: v.map(Into::into),
        }),
        arch: Some("amd64".into()),
        locations: vec![
            "/var/lib/dpkg/status".into(),
            format!("/usr/share/doc/{name}/copyright"),
        ],
        layer: Some(layer.clone()),
        found_by: "dpkg".into(),
    }
}

#[allow(clippy::too_many_arguments)]
fn lang(
    kind: PackageType,
    purl: &str,
    name: &str,
    version: &str,
    licenses: &[&str],
    location: &str,
    layer: &Digest,
    found_by: &str,
) -> Package {
    Package {
        name: name.into(),
        version: version.into(),
        kind,
        purl: purl.parse().unwrap(),
        licenses: licenses.iter().map(|s| s.to_string()).collect(),
        source: None,
        arch: None,
        locations: vec![location.into()],
        layer: Some(layer.clone()),
        found_by: found_by.into(),
    }
}

pub(crate) fn sbom() -> Sbom {
    let base = Digest::sha256(b"base layer");
    let app = Digest::sha256(b"app layer");
    let target = Target {
        input: "docker.io/acme/shop:1.4.2".into(),
        kind: "registry".into(),
        manifest_digest: Some(Digest::sha256(b"manifest")),
        config_digest: Some(Digest::sha256(b"config")),
        platform: Some(Platform {
            os: "linux".into(),
            architecture: "amd64".into(),
            variant: None,
        }),
        layers: vec![
            LayerInfo {
                diff_id: base.clone(),
                digest: Some(Digest::sha256(b"base layer.gz")),
                size: Some(29_124_567),
                created_by: Some("# debian.sh --arch 'amd64' out/ 'bookworm' '@1714953600'".into()),
            },
            LayerInfo {
                diff_id: app.clone(),
                digest: Some(Digest::sha256(b"app layer.gz")),
                size: Some(4_321),
                created_by: Some("COPY /app /app # buildkit".into()),
            },
        ],
        tags: vec!["acme/shop:1.4.2".into()],
    };
    let distro = Distro {
        id: "debian".into(),
        version_id: Some("12".into()),
        version_codename: Some("bookworm".into()),
        pretty_name: Some("Debian GNU/Linux 12 (bookworm)".into()),
        id_like: vec![],
        distroless: false,
    };
    let packages = vec![
        // Cataloger order, deliberately not sorted.
        lang(
            PackageType::Npm,
            "pkg:npm/%40babel/core@7.24.0",
            "@babel/core",
            "7.24.0",
            &["MIT"],
            "/app/node_modules/@babel/core/package.json",
            &app,
            "javascript-package",
        ),
        deb(
            "libc6",
            "2.36-9+deb12u4",
            Some(("glibc", None)),
            &["GPL-2+", "LGPL-2.1+", "BSD", "public-domain"],
            &base,
        ),
        deb(
            "bash",
            "5.2.15-2+b2",
            Some(("bash", Some("5.2.15-2"))),
            &["GPL-3+"],
            &base,
        ),
        deb(
            "libgcc-s1",
            "1:12.2.0-14",
            Some(("gcc-12", None)),
            &["GPL-3.0-or-later WITH GCC-exception-3.1"],
            &base,
        ),
        deb(
            "perl-base",
            "5.36.0-7+deb12u1",
            Some(("perl", None)),
            &["GPL-1+ or Artistic-1.0-Perl", "Zlib"],
            &base,
        ),
        lang(
            PackageType::GoModule,
            "pkg:golang/stdlib@1.22.1",
            "stdlib",
            "go1.22.1",
            &["BSD-3-Clause"],
            "/app/bin/shop",
            &app,
            "go-module-binary",
        ),
        lang(
            PackageType::GoModule,
            "pkg:golang/github.com/gorilla/mux@v1.8.1",
            "github.com/gorilla/mux",
            "v1.8.1",
            &[],
            "/app/bin/shop",
            &app,
            "go-module-binary",
        ),
        lang(
            PackageType::Maven,
            "pkg:maven/org.apache.logging.log4j/log4j-core@2.14.1",
            "log4j-core",
            "2.14.1",
            &["The Apache Software License, Version 2.0"],
            "/app/lib/log4j-core-2.14.1.jar",
            &app,
            "java-archive",
        ),
        lang(
            PackageType::Python,
            "pkg:pypi/shop-utils@0.3.0",
            "shop-utils",
            "0.3.0",
            &["MIT OR Apache-2.0", "Acme Proprietary License"],
            "/app/lib/python3.11/site-packages/shop_utils-0.3.0.dist-info/METADATA",
            &app,
            "python-installed",
        ),
    ];
    Sbom {
        target,
        distro: Some(distro),
        packages,
        diagnostics: vec!["could not read /app/lib/broken.jar: truncated zip".into()],
    }
}

/// The smallest SBOM: a directory, no distro, no packages, no digests.
pub(crate) fn empty_dir() -> Sbom {
    Sbom {
        target: Target {
            input: "./rootfs".into(),
            kind: "dir".into(),
            manifest_digest: None,
            config_digest: None,
            platform: None,
            layers: vec![],
            tags: vec![],
        },
        distro: None,
        packages: vec![],
        diagnostics: vec![],
    }
}
