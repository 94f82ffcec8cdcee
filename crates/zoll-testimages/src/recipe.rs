//! The list of images, what goes into each recipe hash, and dispatch to the builders.

use std::path::Path;

use anyhow::{Result, bail};
use sha2::{Digest, Sha256};

/// Bumped whenever the build steps change in a way the hashed inputs do not show.
const BUILDER_VERSION: &str = "zoll-testimages/1";

/// The builder's own source: any change to the build steps changes every recipe hash.
const BUILDER_SOURCES: &[&str] = &[
    include_str!("recipe.rs"),
    include_str!("oci.rs"),
    include_str!("debian.rs"),
    include_str!("alpine.rs"),
];

/// Every image this crate builds.
pub(crate) const NAMES: &[&str] = &["debian-full", "debian-min", "alpine-310", "alpine-311"];

enum Kind {
    DebianMin,
    DebianFull,
    Alpine { archive: &'static str },
}

pub(crate) struct Recipe {
    name: &'static str,
    kind: Kind,
}

impl Recipe {
    pub(crate) fn get(name: &str) -> Result<Self> {
        let (name, kind) = match name {
            "debian-full" => ("debian-full", Kind::DebianFull),
            "debian-min" => ("debian-min", Kind::DebianMin),
            "alpine-310" => (
                "alpine-310",
                Kind::Alpine {
                    archive: "alpine-310.tar.gz",
                },
            ),
            "alpine-311" => (
                "alpine-311",
                Kind::Alpine {
                    archive: "alpine-311.tar.gz",
                },
            ),
            other => bail!("unknown test image {other:?}; known: {}", NAMES.join(", ")),
        };
        Ok(Self { name, kind })
    }

    pub(crate) fn name(&self) -> &'static str {
        self.name
    }

    /// First 16 hex digits of SHA-256 over the builder version and sources, the name and every input
    /// (length-prefixed key and value, so no two input lists hash alike).
    pub(crate) fn hash(&self) -> Result<String> {
        let inputs = match &self.kind {
            Kind::DebianMin => crate::debian::min_inputs(),
            Kind::DebianFull => crate::debian::full_inputs(),
            Kind::Alpine { archive } => crate::alpine::inputs(archive)?,
        };
        let mut hasher = Sha256::new();
        let mut feed = |bytes: &[u8]| {
            hasher.update((bytes.len() as u64).to_le_bytes());
            hasher.update(bytes);
        };
        feed(BUILDER_VERSION.as_bytes());
        for source in BUILDER_SOURCES {
            feed(source.as_bytes());
        }
        feed(self.name.as_bytes());
        for (key, value) in &inputs {
            feed(key.as_bytes());
            feed(value);
        }
        let digest = hex::encode(hasher.finalize());
        Ok(digest[..16].to_owned())
    }

    /// Builds all outputs into `out`, using `work` for scratch files and `cache_root` for caches
    /// shared between builds (cargo target dir, Go build cache).
    pub(crate) fn build_into(&self, out: &Path, work: &Path, cache_root: &Path) -> Result<()> {
        match &self.kind {
            Kind::DebianMin => crate::debian::build_min(out, work),
            Kind::DebianFull => crate::debian::build_full(out, work, cache_root),
            Kind::Alpine { archive } => crate::alpine::build(self.name, archive, out, work),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_are_stable_and_distinct() {
        let mut seen = Vec::new();
        for name in ["debian-full", "debian-min"] {
            let recipe = Recipe::get(name).unwrap();
            let hash = recipe.hash().unwrap();
            assert_eq!(hash, recipe.hash().unwrap());
            assert_eq!(hash.len(), 16);
            assert!(!seen.contains(&hash));
            seen.push(hash);
        }
        assert!(Recipe::get("debian").is_err());
    }
}
