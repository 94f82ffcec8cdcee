//! Pieces the formats share: timestamps, deterministic document ids, package ordering and ids,
//! and what to call the image.

use std::collections::HashMap;

use serde::Serialize;
use sha2::{Digest as _, Sha256};
use time::macros::format_description;
use uuid::Uuid;
use zoll_core::{Digest, ImageRef, Package, Purl, Sbom, Target};

use crate::{Error, RenderOptions, SbomFormat};

/// Pretty JSON with a trailing newline.
pub(crate) fn to_json<T: Serialize>(format: SbomFormat, value: &T) -> Result<Vec<u8>, Error> {
    let mut out =
        serde_json::to_vec_pretty(value).map_err(|source| Error::Serialize { format, source })?;
    out.push(b'\n');
    Ok(out)
}

/// `YYYY-MM-DDThh:mm:ssZ` in UTC: the form SPDX 2.3 requires and CycloneDX accepts.
pub(crate) fn timestamp(now: time::OffsetDateTime) -> Result<String, Error> {
    let utc = now.to_offset(time::UtcOffset::UTC);
    utc.format(format_description!(
        "[year]-[month]-[day]T[hour]:[minute]:[second]Z"
    ))
    .map_err(|e| Error::Timestamp(now, e))
}

/// A UUID v5 of the SBOM's content, the format and the tool version: the same input gives the same
/// document id, different content a different one. The creation time is left out on purpose.
pub(crate) fn document_uuid(
    sbom: &Sbom,
    format: SbomFormat,
    opts: &RenderOptions,
) -> Result<Uuid, Error> {
    let namespace = Uuid::new_v5(&Uuid::NAMESPACE_URL, b"urn:zoll:sbom");
    let content = serde_json::to_vec(sbom).map_err(|source| Error::Serialize { format, source })?;
    let mut h = Sha256::new();
    h.update(format.as_str().as_bytes());
    h.update([0]);
    h.update(opts.tool_version.as_bytes());
    h.update([0]);
    h.update(&content);
    Ok(Uuid::new_v5(&namespace, &h.finalize()))
}

/// The packages in output order: by name, type, version, then purl and locations, so the order
/// never depends on the order catalogers ran in.
pub(crate) fn sorted_packages(sbom: &Sbom) -> Vec<&Package> {
    let mut pkgs: Vec<&Package> = sbom.packages.iter().collect();
    pkgs.sort_by(|a, b| {
        (&a.name, a.kind, &a.version, &a.purl, &a.locations, &a.layer).cmp(&(
            &b.name,
            b.kind,
            &b.version,
            &b.purl,
            &b.locations,
            &b.layer,
        ))
    });
    pkgs
}

/// Stable ids for packages: 16 hex digits of a hash over what identifies a package (as syft's
/// package ids), with `-2`, `-3`, ... added for packages that are exact duplicates.
pub(crate) struct PackageIds {
    seen: HashMap<String, usize>,
}

impl PackageIds {
    pub(crate) fn new() -> PackageIds {
        PackageIds {
            seen: HashMap::new(),
        }
    }

    pub(crate) fn id(&mut self, p: &Package) -> String {
        let mut h = Sha256::new();
        for part in [
            p.name.as_str(),
            p.version.as_str(),
            p.kind.as_str(),
            &p.purl.to_string(),
            &p.found_by,
        ] {
            h.update(part.as_bytes());
            h.update([0]);
        }
        for loc in &p.locations {
            h.update(loc.as_bytes());
            h.update([0]);
        }
        if let Some(layer) = &p.layer {
            h.update(layer.to_string().as_bytes());
        }
        let full = hex::encode(h.finalize());
        let base = full.get(..16).unwrap_or(&full).to_owned();
        let n = self.seen.entry(base.clone()).or_insert(0);
        *n += 1;
        if *n == 1 { base } else { format!("{base}-{n}") }
    }
}

/// The digest that identifies the image: the manifest digest, else the config digest.
pub(crate) fn image_digest(target: &Target) -> Option<&Digest> {
    target
        .manifest_digest
        .as_ref()
        .or(target.config_digest.as_ref())
}

/// The image's repository and tag when they can be known: from the input of a registry target,
/// else from the first tag the image carries that names a repository (an OCI layout's
/// `org.opencontainers.image.ref.name` may be a bare `1.0`, which names none).
pub(crate) fn image_ref(target: &Target) -> Option<ImageRef> {
    let from_input = (target.kind == "registry")
        .then(|| target.input.parse::<ImageRef>().ok())
        .flatten();
    from_input.or_else(|| {
        target
            .tags
            .iter()
            .filter(|t| t.contains([':', '@']))
            .find_map(|t| t.parse::<ImageRef>().ok())
    })
}

/// `pkg:oci/NAME@DIGEST?repository_url=REGISTRY/REPOSITORY&tag=TAG` when the manifest digest and the
/// repository are known (the purl spec's `oci` type names an image by its manifest digest).
pub(crate) fn image_purl(target: &Target) -> Option<Purl> {
    let digest = target.manifest_digest.as_ref()?;
    let r = image_ref(target)?;
    let name = r.repository().rsplit('/').next().unwrap_or(r.repository());
    let mut purl = Purl::new("oci", None, name, Some(&digest.to_string())).ok()?;
    purl = purl.with_qualifier("repository_url", &r.name());
    if let Some(tag) = r.tag() {
        purl = purl.with_qualifier("tag", tag);
    }
    if let Some(p) = &target.platform {
        purl = purl.with_qualifier("arch", &p.architecture);
        purl = purl.with_qualifier("os", &p.os);
    }
    Some(purl)
}

/// `os/arch[/variant]`.
pub(crate) fn platform_string(target: &Target) -> Option<String> {
    let p = target.platform.as_ref()?;
    Some(match &p.variant {
        Some(v) => format!("{}/{}/{}", p.os, p.architecture, v),
        None => format!("{}/{}", p.os, p.architecture),
    })
}

/// Keep only `[A-Za-z0-9.-]`, replacing anything else with `-` (SPDX ids and `LicenseRef-`s).
pub(crate) fn spdx_id_chars(s: &str) -> String {
    s.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '.' || c == '-' {
                c
            } else {
                '-'
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamp_is_utc_whole_seconds() {
        let t = time::macros::datetime!(2024-03-01 12:34:56.789 +02:00);
        assert_eq!(timestamp(t).unwrap(), "2024-03-01T10:34:56Z");
    }

    #[test]
    fn spdx_chars() {
        assert_eq!(spdx_id_chars("@babel/core_x+1.0"), "-babel-core-x-1.0");
    }
}
