//! The Alpine recipes: real `docker save` archives of Alpine 3.10.4 and 3.11.5 from the shared
//! data directory (`../shared/data/images/`, never copied into the repository), converted to an
//! OCI layout with skopeo. Their hash input is the archive's content.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use sha2::{Digest, Sha256};

use crate::cmd::{command, run};
use crate::oci;

/// `../shared/data/images/<file>` relative to the workspace root.
pub(crate) fn archive_path(file: &str) -> PathBuf {
    crate::workspace_root()
        .join("../shared/data/images")
        .join(file)
}

fn existing_archive(file: &str) -> Result<PathBuf> {
    let path = archive_path(file);
    if !path.is_file() {
        bail!(
            "shared test data {} is missing (expected the shared/ directory beside the workspace root)",
            path.display()
        );
    }
    Ok(path)
}

/// Hash inputs: the archive's SHA-256 (the file is a few MB, hashing takes milliseconds).
pub(crate) fn inputs(file: &str) -> Result<Vec<(String, Vec<u8>)>> {
    let path = existing_archive(file)?;
    let mut hasher = Sha256::new();
    let mut reader = fs_err::File::open(&path)?;
    std::io::copy(&mut reader, &mut hasher)
        .with_context(|| format!("could not read {}", path.display()))?;
    Ok(vec![(
        format!("archive:{file}"),
        hex::encode(hasher.finalize()).into_bytes(),
    )])
}

/// Converts the gzip'd docker archive to an OCI layout (skopeo reads only uncompressed docker
/// archives, so it is gunzipped first) and derives the other outputs.
pub(crate) fn build(name: &str, file: &str, out: &Path, work: &Path) -> Result<()> {
    oci::require_base_tools()?;
    let source = existing_archive(file)?;
    let plain = work.join("source.tar");
    oci::gunzip_file(&source, &plain)?;
    let layout = out.join(oci::OCI_DIR);
    run(command("skopeo", ["--insecure-policy", "copy", "--quiet"])
        .arg(format!("docker-archive:{}", plain.display()))
        .arg(format!("oci:{}:{}", layout.display(), oci::TAG)))?;
    oci::finish(out, name)
}
