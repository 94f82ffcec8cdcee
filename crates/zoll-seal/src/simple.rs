//! Where containers/image (skopeo, podman) keeps GPG simple signatures, so zoll reads and
//! writes them in the same places. Sources read: containers/image `docker/registries_d.go`
//! (`lookasideStorageBaseURL`, `lookasideStorageURL`), `docker/docker_client.go`
//! (`extensionSignature`, `extensionSignatureList`, `detectPropertiesHelper`),
//! `docker/docker_image_dest.go` (`putSignaturesToAPIExtension`) and
//! `docker/docker_image_src.go`.
//!
//! - A lookaside store (`registries.d` `lookaside`/`lookaside-staging`): the base URL plus
//!   `"/" + reference.Path(ref)`, the repository path **without the registry host** and
//!   without tag or digest; signature `n` (from 1) of a manifest is
//!   `<base>/<repository>@<algorithm>=<hex>/signature-<n>`. Readers stop at the first missing
//!   one, writers use the first free one. zoll writes only to directories (`file://` or a
//!   path), as containers/image does; it reads directories and `http(s)://` URLs.
//! - The registry's signature API extension, announced by `X-Registry-Supports-Signatures: 1`
//!   on the `GET /v2/` ping (read whether that answers 200 or 401). containers/image then uses
//!   it instead of the lookaside. `GET /extensions/v2/<repository>/signatures/<digest>` lists
//!   `{"signatures":[{"schemaVersion":2,"name":"<digest>@<32 hex>","type":"atomic",
//!   "content":"<base64>"}]}` (readers keep `schemaVersion` 2, type `atomic`); a `PUT` to the
//!   same path adds one such object (201), after checking the same bytes are not there yet.
//!   `zoll serve` offers it.

use std::path::PathBuf;

use zoll_core::{Digest, ImageRef};
use zoll_distribution::Client;
use zoll_distribution::types::ExtensionSignature;

use crate::{Error, b64};
use base64::Engine as _;

/// Most signatures read per manifest.
pub const MAX_SIGNATURES: usize = 64;
/// Largest signature read.
pub const MAX_SIGNATURE_BYTES: u64 = 64 << 10;

/// A lookaside signature store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Lookaside {
    Dir(PathBuf),
    Url(String),
}

impl std::str::FromStr for Lookaside {
    type Err = Error;
    fn from_str(s: &str) -> Result<Lookaside, Error> {
        if let Some(path) = s.strip_prefix("file://") {
            return Ok(Lookaside::Dir(PathBuf::from(path)));
        }
        if s.starts_with("http://") || s.starts_with("https://") {
            return Ok(Lookaside::Url(s.trim_end_matches('/').to_owned()));
        }
        if s.contains("://") {
            return Err(Error::invalid(
                s,
                "a lookaside is a directory, file://, http:// or https:// URL",
            ));
        }
        Ok(Lookaside::Dir(PathBuf::from(s)))
    }
}

/// The relative location of signature `n` (1-based) of `digest` in `image`'s repository.
pub fn lookaside_path(image: &ImageRef, digest: &Digest, n: usize) -> String {
    format!(
        "{}@{}={}/signature-{n}",
        image.repository(),
        digest.algorithm().as_str(),
        digest.hex()
    )
}

/// A signature and where it came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stored {
    pub signature: Vec<u8>,
    pub source: String,
}

/// Read every lookaside signature of `digest`.
pub fn read_lookaside(
    client: &Client,
    store: &Lookaside,
    image: &ImageRef,
    digest: &Digest,
) -> Result<Vec<Stored>, Error> {
    let mut out = Vec::new();
    for n in 1..=MAX_SIGNATURES {
        let rel = lookaside_path(image, digest, n);
        let (bytes, source) = match store {
            Lookaside::Dir(dir) => {
                let path = dir.join(&rel);
                let shown = path.display().to_string();
                match fs_err::metadata(&path) {
                    Ok(m) if m.len() > MAX_SIGNATURE_BYTES => {
                        return Err(Error::invalid(
                            shown,
                            format!("{} bytes is more than {MAX_SIGNATURE_BYTES}", m.len()),
                        ));
                    }
                    Ok(_) => {}
                    Err(e) if e.kind() == std::io::ErrorKind::NotFound => break,
                    Err(e) => {
                        return Err(Error::Io {
                            path: shown,
                            source: e,
                        });
                    }
                }
                let bytes = fs_err::read(&path).map_err(|e| Error::Io {
                    path: shown.clone(),
                    source: e,
                })?;
                (bytes, shown)
            }
            Lookaside::Url(base) => {
                let url = format!("{base}/{rel}");
                match client.get_url(&url, MAX_SIGNATURE_BYTES)? {
                    Some(b) => (b, url),
                    None => break,
                }
            }
        };
        out.push(Stored {
            signature: bytes,
            source,
        });
    }
    Ok(out)
}

/// Add a signature to a lookaside directory (the first free `signature-<n>`); returns its path.
pub fn write_lookaside(
    store: &Lookaside,
    image: &ImageRef,
    digest: &Digest,
    signature: &[u8],
) -> Result<PathBuf, Error> {
    let Lookaside::Dir(dir) = store else {
        return Err(Error::invalid(
            format!("{store:?}"),
            "signatures can only be written to a lookaside directory (file:// or a path)",
        ));
    };
    for n in 1..=MAX_SIGNATURES {
        let path = dir.join(lookaside_path(image, digest, n));
        let io = |e| Error::Io {
            path: path.display().to_string(),
            source: e,
        };
        if let Some(parent) = path.parent() {
            fs_err::create_dir_all(parent).map_err(io)?;
        }
        match fs_err::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&path)
        {
            Ok(mut f) => {
                use std::io::Write as _;
                f.write_all(signature).map_err(|e| Error::Io {
                    path: path.display().to_string(),
                    source: e,
                })?;
                f.sync_all().map_err(|e| Error::Io {
                    path: path.display().to_string(),
                    source: e,
                })?;
                return Ok(path);
            }
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                if fs_err::read(&path).ok().as_deref() == Some(signature) {
                    return Ok(path);
                }
            }
            Err(e) => return Err(io(e)),
        }
    }
    Err(Error::invalid(
        dir.display().to_string(),
        format!("{digest} already has {MAX_SIGNATURES} signatures"),
    ))
}

/// Read the signatures of `digest` through the registry's API extension.
pub fn read_extension(
    client: &Client,
    image: &ImageRef,
    digest: &Digest,
) -> Result<Vec<Stored>, Error> {
    let list = client.extension_signatures(image, digest)?;
    let mut out = Vec::new();
    for s in list.into_iter().take(MAX_SIGNATURES) {
        let source = format!("{} signature {}", image.name(), s.name);
        if s.kind != "atomic" || s.version != 2 {
            continue;
        }
        let signature = b64()
            .decode(s.content.as_bytes())
            .map_err(|e| Error::invalid(source.clone(), format!("content is not base64: {e}")))?;
        out.push(Stored { signature, source });
    }
    Ok(out)
}

/// Add a signature through the registry's API extension, unless the same bytes are there.
pub fn write_extension(
    client: &Client,
    image: &ImageRef,
    digest: &Digest,
    signature: &[u8],
) -> Result<String, Error> {
    if read_extension(client, image, digest)?
        .iter()
        .any(|s| s.signature == signature)
    {
        return Ok(format!("{} (already there)", image.name()));
    }
    let name = format!("{digest}@{}", uuid::Uuid::new_v4().simple());
    client.put_extension_signature(
        image,
        digest,
        &ExtensionSignature {
            version: 2,
            name: name.clone(),
            kind: "atomic".to_owned(),
            content: b64().encode(signature),
        },
    )?;
    Ok(format!("{} signature {name}", image.name()))
}

/// Store a signature where containers/image will look for it: through the extension when the
/// registry announces it, else in the lookaside directory. Returns a description of where.
pub fn store(
    client: &Client,
    image: &ImageRef,
    digest: &Digest,
    signature: &[u8],
    lookaside: Option<&Lookaside>,
) -> Result<String, Error> {
    if client.supports_signature_extension(image.registry())? {
        return write_extension(client, image, digest, signature);
    }
    match lookaside {
        Some(l) => Ok(write_lookaside(l, image, digest, signature)?
            .display()
            .to_string()),
        None => Err(Error::invalid(
            image.registry(),
            "the registry has no signature API extension: give a lookaside directory",
        )),
    }
}

/// Every signature of `digest` where containers/image would read it (extension first, as it
/// does, else the lookaside).
pub fn load(
    client: &Client,
    image: &ImageRef,
    digest: &Digest,
    lookaside: Option<&Lookaside>,
) -> Result<Vec<Stored>, Error> {
    if client.supports_signature_extension(image.registry())? {
        return read_extension(client, image, digest);
    }
    match lookaside {
        Some(l) => read_lookaside(client, l, image, digest),
        None => Ok(Vec::new()),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn lookaside_paths_follow_containers_image() {
        let image: ImageRef = "localhost:5000/acme/app:v1".parse().unwrap();
        let d = Digest::sha256(b"x");
        assert_eq!(
            lookaside_path(&image, &d, 1),
            format!("acme/app@sha256={}/signature-1", d.hex())
        );
    }

    #[test]
    fn lookaside_directory_round_trip() {
        let dir = tempfile::tempdir().unwrap();
        let store = Lookaside::Dir(dir.path().to_path_buf());
        let image: ImageRef = "localhost:5000/acme/app:v1".parse().unwrap();
        let d = Digest::sha256(b"x");
        let client = Client::new(zoll_distribution::ClientOptions::default()).unwrap();
        assert!(
            read_lookaside(&client, &store, &image, &d)
                .unwrap()
                .is_empty()
        );
        write_lookaside(&store, &image, &d, b"one").unwrap();
        write_lookaside(&store, &image, &d, b"two").unwrap();
        write_lookaside(&store, &image, &d, b"one").unwrap();
        let got: Vec<_> = read_lookaside(&client, &store, &image, &d)
            .unwrap()
            .into_iter()
            .map(|s| s.signature)
            .collect();
        assert_eq!(got, vec![b"one".to_vec(), b"two".to_vec()]);
        assert!("ftp://x".parse::<Lookaside>().is_err());
        assert_eq!(
            "file:///tmp/s".parse::<Lookaside>().unwrap(),
            Lookaside::Dir("/tmp/s".into())
        );
    }
}
