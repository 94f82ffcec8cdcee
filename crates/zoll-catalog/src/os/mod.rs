//! OS package databases (dpkg, apk, rpm) and OS release detection.
//!
//! Catalogers see one file at a time and do not know the image's distro, so they build OS package
//! purls with a placeholder namespace (`debian` for deb, `alpine` for apk, none for rpm) and no
//! `distro` qualifier. [`finalize`] rewrites them once the distro is known, the way Syft 1.18
//! writes them:
//!
//! - `pkg:deb/debian/libc6@2.36-9%2Bdeb12u4?arch=amd64&distro=debian-12&upstream=glibc`
//!   (`upstream=NAME%40VERSION` when dpkg records a source version different from the binary's);
//! - `pkg:apk/alpine/musl-utils@1.1.22-r3?arch=x86_64&distro=alpine-3.10.4&upstream=musl`
//!   (`upstream` only when the origin differs from the package name);
//! - `pkg:rpm/redhat/curl@7.76.0-6.el9?arch=x86_64&distro=rhel-9.3&epoch=1&upstream=curl-7.76.0-6.el9.src.rpm`
//!   (version without epoch, which goes in the `epoch` qualifier; namespace = os-release `ID`,
//!   except `rhel` which becomes `redhat`).
//!
//! Without a distro the placeholders stay (Syft writes no purl at all for deb and apk then).

use zoll_core::{Distro, Package, PackageType, Purl};

use crate::FileCataloger;

pub mod apk;
pub mod dpkg;
pub mod release;
pub mod rpm;
#[cfg(test)]
mod tests;

pub(crate) fn catalogers() -> Vec<Box<dyn FileCataloger>> {
    vec![
        Box::new(dpkg::DpkgCataloger),
        Box::new(apk::ApkCataloger),
        Box::new(rpm::RpmCataloger),
    ]
}

/// The purl namespace Syft uses for `kind` packages of `distro`.
fn namespace(kind: PackageType, distro: &Distro) -> String {
    match (kind, distro.id.as_str()) {
        (PackageType::Rpm, "rhel") => "redhat".to_owned(),
        (_, id) => id.to_owned(),
    }
}

pub(crate) fn finalize(packages: &mut [Package], distro: Option<&Distro>) {
    let Some(distro) = distro else { return };
    if distro.id.is_empty() {
        return;
    }
    for p in packages.iter_mut().filter(|p| p.kind.is_os()) {
        let old = &p.purl;
        let ns = namespace(p.kind, distro);
        let Ok(mut purl) = Purl::new(old.ty(), Some(&ns), old.name(), old.version()) else {
            continue;
        };
        for (k, v) in old.qualifiers() {
            purl = purl.with_qualifier(k, v);
        }
        p.purl = purl.with_qualifier("distro", &distro.purl_qualifier());
    }
}

/// An OS package purl before [`finalize`]: placeholder namespace, given qualifiers (empty values
/// are dropped). `None` only for an empty name, which the parsers never produce.
fn os_purl(
    kind: PackageType,
    name: &str,
    version: &str,
    qualifiers: &[(&str, &str)],
) -> Option<Purl> {
    let ns = match kind {
        PackageType::Deb => Some("debian"),
        PackageType::Apk => Some("alpine"),
        _ => None,
    };
    let mut purl = Purl::new(kind.as_str(), ns, name, Some(version)).ok()?;
    for (k, v) in qualifiers {
        purl = purl.with_qualifier(k, v);
    }
    Some(purl)
}

/// Blank-line separated stanzas of `lines`, shared by the dpkg and apk parsers. Lines keep their
/// trailing `\r` stripped.
fn stanzas(text: &str) -> impl Iterator<Item = Vec<&str>> {
    let mut current = Vec::new();
    let mut lines = text.split('\n').map(|l| l.strip_suffix('\r').unwrap_or(l));
    let mut done = false;
    std::iter::from_fn(move || {
        if done {
            return None;
        }
        loop {
            match lines.next() {
                Some(l) if l.trim().is_empty() => {
                    if !current.is_empty() {
                        return Some(std::mem::take(&mut current));
                    }
                }
                Some(l) => current.push(l),
                None => {
                    done = true;
                    return if current.is_empty() {
                        None
                    } else {
                        Some(std::mem::take(&mut current))
                    };
                }
            }
        }
    })
}

#[cfg(test)]
mod unit_tests {
    use super::*;

    fn pkg(kind: PackageType, purl: &str) -> Package {
        Package {
            name: "x".into(),
            version: "1".into(),
            kind,
            purl: purl.parse().unwrap(),
            licenses: vec![],
            source: None,
            arch: None,
            locations: vec![],
            layer: None,
            found_by: "test".into(),
        }
    }

    fn distro(id: &str, v: &str) -> Distro {
        Distro {
            id: id.into(),
            version_id: Some(v.into()),
            ..Distro::default()
        }
    }

    #[test]
    fn finalize_rewrites_os_purls_only() {
        let mut ps = vec![
            pkg(
                PackageType::Deb,
                "pkg:deb/debian/libc6@2.36-9%2Bdeb12u4?arch=amd64&upstream=glibc",
            ),
            pkg(
                PackageType::Rpm,
                "pkg:rpm/curl@7.76.0-6.el9?arch=x86_64&epoch=1",
            ),
            pkg(PackageType::Python, "pkg:pypi/django@4.2"),
        ];
        finalize(&mut ps, Some(&distro("ubuntu", "22.04")));
        assert_eq!(
            ps[0].purl.to_string(),
            "pkg:deb/ubuntu/libc6@2.36-9%2Bdeb12u4?arch=amd64&distro=ubuntu-22.04&upstream=glibc"
        );
        assert_eq!(ps[2].purl.to_string(), "pkg:pypi/django@4.2");
        finalize(&mut ps, Some(&distro("rhel", "9.3")));
        assert_eq!(
            ps[1].purl.to_string(),
            "pkg:rpm/redhat/curl@7.76.0-6.el9?arch=x86_64&distro=rhel-9.3&epoch=1"
        );
        let before = ps.clone();
        finalize(&mut ps, None);
        assert_eq!(ps, before, "no distro, no change");
    }

    #[test]
    fn stanzas_split_on_blank_lines() {
        let s: Vec<Vec<&str>> = stanzas("\n\na: 1\r\nb: 2\n \t\nc: 3\n\n\n").collect();
        assert_eq!(s, vec![vec!["a: 1", "b: 2"], vec!["c: 3"]]);
        assert_eq!(stanzas("").count(), 0);
        assert_eq!(stanzas("x").collect::<Vec<_>>(), vec![vec!["x"]]);
    }
}
