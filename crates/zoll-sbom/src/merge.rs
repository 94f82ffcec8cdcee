//! Stacking layer analyses into the final filesystem view, and attributing packages to layers.

use std::collections::{BTreeMap, HashMap};

use zoll_core::{Digest, Distro, Package, Sbom, Target};

use crate::analysis::{FileResult, LayerAnalysis};

/// The versions of one path, lowest layer first, since it was last deleted.
type History<'a> = Vec<(usize, &'a FileResult)>;

fn remove_under(view: &mut BTreeMap<String, History<'_>>, dir: &str) {
    let prefix = if dir == "/" {
        "/".to_owned()
    } else {
        format!("{dir}/")
    };
    let doomed: Vec<String> = view
        .range(prefix.clone()..)
        .take_while(|(k, _)| k.starts_with(&prefix))
        .map(|(k, _)| k.clone())
        .collect();
    for k in doomed {
        view.remove(&k);
    }
}

fn identity(p: &Package) -> (&str, &str, zoll_core::PackageType) {
    (&p.name, &p.version, p.kind)
}

/// Which release file wins when several exist (os-release first; see `zoll_catalog::os::release`).
fn release_rank(path: &str) -> u8 {
    zoll_catalog::os::release::priority(path).unwrap_or(u8::MAX)
}

pub(crate) fn merge(
    mut target: Target,
    layers: &[LayerAnalysis],
    layer_ids: &[Option<Digest>],
) -> Sbom {
    let mut view: BTreeMap<String, History<'_>> = BTreeMap::new();
    let mut diagnostics = Vec::new();
    for (i, layer) in layers.iter().enumerate() {
        for dir in &layer.opaque_dirs {
            remove_under(&mut view, dir);
        }
        for path in &layer.whiteouts {
            view.remove(path);
            remove_under(&mut view, path);
        }
        for path in layer.symlinks.keys() {
            view.remove(path);
        }
        for (path, result) in &layer.files {
            view.entry(path.clone()).or_default().push((i, result));
        }
        diagnostics.extend(layer.diagnostics.iter().cloned());
    }

    let mut distro: Option<(u8, Distro)> = None;
    let mut packages: Vec<Package> = Vec::new();
    for (path, history) in &view {
        let Some(&(top_layer, top)) = history.last() else {
            continue;
        };
        for e in &top.errors {
            diagnostics.push(format!("{path}: {e}"));
        }
        if let Some(d) = &top.distro {
            let rank = release_rank(path);
            if distro.as_ref().is_none_or(|(r, _)| rank < *r) {
                distro = Some((rank, d.clone()));
            }
        }
        for p in &top.packages {
            // Walk down while the lower versions of this file still list the same package.
            let mut added = top_layer;
            for &(layer, version) in history.iter().rev().skip(1) {
                if version.packages.iter().any(|q| identity(q) == identity(p)) {
                    added = layer;
                } else {
                    break;
                }
            }
            let mut p = p.clone();
            p.layer = layer_ids.get(added).cloned().flatten();
            packages.push(p);
        }
    }
    let distro = distro.map(|(_, d)| d);
    zoll_catalog::finalize(&mut packages, distro.as_ref());

    // One package per purl: the same package found by two catalogers (a lock file and the
    // installed metadata) is reported once, with both locations.
    let mut by_purl: HashMap<String, usize> = HashMap::new();
    let mut unique: Vec<Package> = Vec::with_capacity(packages.len());
    for p in packages {
        let key = p.purl.to_string();
        match by_purl.get(&key) {
            Some(&i) => {
                let existing = &mut unique[i];
                for l in p.locations {
                    if !existing.locations.contains(&l) {
                        existing.locations.push(l);
                    }
                }
                if existing.licenses.is_empty() {
                    existing.licenses = p.licenses;
                }
            }
            None => {
                by_purl.insert(key, unique.len());
                unique.push(p);
            }
        }
    }
    unique.sort_by(|a, b| {
        (&a.name, &a.version, a.kind, a.purl.to_string()).cmp(&(
            &b.name,
            &b.version,
            b.kind,
            b.purl.to_string(),
        ))
    });
    target
        .layers
        .iter_mut()
        .zip(layer_ids)
        .for_each(|(info, id)| {
            if let Some(id) = id {
                info.diff_id = id.clone();
            }
        });
    Sbom {
        target,
        distro,
        packages: unique,
        diagnostics,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use zoll_core::{PackageType, Purl};

    fn pkg(name: &str, version: &str, path: &str) -> Package {
        Package {
            name: name.into(),
            version: version.into(),
            kind: PackageType::Python,
            purl: Purl::new("pypi", None, name, Some(version)).unwrap(),
            licenses: vec![],
            source: None,
            arch: None,
            locations: vec![path.into()],
            layer: None,
            found_by: "test".into(),
        }
    }

    fn layer(files: &[(&str, Vec<Package>)], whiteouts: &[&str], opaque: &[&str]) -> LayerAnalysis {
        LayerAnalysis {
            files: files
                .iter()
                .map(|(p, pk)| {
                    (
                        p.to_string(),
                        FileResult {
                            packages: pk.clone(),
                            ..FileResult::default()
                        },
                    )
                })
                .collect(),
            whiteouts: whiteouts.iter().map(|s| s.to_string()).collect(),
            opaque_dirs: opaque.iter().map(|s| s.to_string()).collect(),
            ..LayerAnalysis::default()
        }
    }

    fn target(n: usize) -> (Target, Vec<Option<Digest>>) {
        let ids: Vec<Digest> = (0..n).map(|i| Digest::sha256(&[i as u8])).collect();
        let t = Target {
            input: "test".into(),
            kind: "oci".into(),
            manifest_digest: None,
            config_digest: None,
            platform: None,
            layers: ids
                .iter()
                .map(|d| zoll_core::LayerInfo {
                    diff_id: d.clone(),
                    digest: None,
                    size: None,
                    created_by: None,
                })
                .collect(),
            tags: vec![],
        };
        (t, ids.into_iter().map(Some).collect())
    }

    fn names(s: &Sbom) -> Vec<String> {
        s.packages
            .iter()
            .map(|p| format!("{}@{}", p.name, p.version))
            .collect()
    }

    #[test]
    fn whiteouts_and_opaque_dirs_delete_lower_files() {
        let a = "/site/a-1.dist-info/METADATA";
        let b = "/site/b-1.dist-info/METADATA";
        let c = "/opt/c-1.dist-info/METADATA";
        let layers = vec![
            layer(
                &[
                    (a, vec![pkg("a", "1", a)]),
                    (b, vec![pkg("b", "1", b)]),
                    (c, vec![pkg("c", "1", c)]),
                ],
                &[],
                &[],
            ),
            layer(&[], &["/site/a-1.dist-info"], &["/opt"]),
        ];
        let (t, ids) = target(2);
        assert_eq!(names(&merge(t, &layers, &ids)), vec!["b@1"]);
    }

    #[test]
    fn upper_file_replaces_lower_and_layers_are_attributed() {
        let status = "/var/lib/dpkg/status";
        let layers = vec![
            layer(
                &[(
                    status,
                    vec![pkg("base", "1", status), pkg("old", "1", status)],
                )],
                &[],
                &[],
            ),
            layer(
                &[(
                    status,
                    vec![
                        pkg("base", "1", status),
                        pkg("old", "2", status),
                        pkg("new", "1", status),
                    ],
                )],
                &[],
                &[],
            ),
            layer(
                &[(
                    status,
                    vec![
                        pkg("base", "1", status),
                        pkg("old", "2", status),
                        pkg("new", "1", status),
                    ],
                )],
                &[],
                &[],
            ),
        ];
        let (t, ids) = target(3);
        let s = merge(t, &layers, &ids);
        assert_eq!(names(&s), vec!["base@1", "new@1", "old@2"]);
        let layer_of = |n: &str| {
            s.packages
                .iter()
                .find(|p| p.name == n)
                .unwrap()
                .layer
                .clone()
        };
        assert_eq!(
            layer_of("base"),
            ids[0],
            "base has been there since layer 0"
        );
        assert_eq!(
            layer_of("old"),
            ids[1],
            "old@2 was introduced by the upgrade in layer 1"
        );
        assert_eq!(layer_of("new"), ids[1]);
    }

    #[test]
    fn re_added_after_deletion_counts_from_the_re_add() {
        let f = "/site/x-1.dist-info/METADATA";
        let layers = vec![
            layer(&[(f, vec![pkg("x", "1", f)])], &[], &[]),
            layer(&[], &[f], &[]),
            layer(&[(f, vec![pkg("x", "1", f)])], &[], &[]),
        ];
        let (t, ids) = target(3);
        let s = merge(t, &layers, &ids);
        assert_eq!(s.packages[0].layer, ids[2]);
    }

    #[test]
    fn same_purl_from_two_files_is_one_package() {
        let lock = "/app/package-lock.json";
        let pj = "/app/node_modules/x/package.json";
        let layers = vec![layer(
            &[
                (lock, vec![pkg("x", "1", lock)]),
                (pj, vec![pkg("x", "1", pj)]),
            ],
            &[],
            &[],
        )];
        let (t, ids) = target(1);
        let s = merge(t, &layers, &ids);
        assert_eq!(s.packages.len(), 1);
        assert_eq!(s.packages[0].locations.len(), 2);
    }
}
