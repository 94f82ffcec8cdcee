//! `docker save` archives (`docker-archive:PATH[:TAG|:@N]`), plain or gzip-compressed, in the
//! current layout (`manifest.json`) and the older one (`repositories` + `<id>/json` chains).
//!
//! A plain archive is indexed once by seeking over its entries, so layers are read in place. A
//! gzip-compressed archive cannot be seeked, so it is first decompressed into an anonymous
//! temporary file, the only thing zoll writes while reading an image.

use std::collections::{BTreeMap, HashMap};
use std::io::{self, Read, Seek, SeekFrom};
use std::os::unix::fs::FileExt;
use std::path::Path;
use std::sync::Arc;

use fs_err as fs;
use serde::Deserialize;
use zoll_core::{Digest, Target};

use crate::SourceError;
use crate::image::{Image, ImageLayer, LayerOpener};
use crate::model::{ContainerConfig, Descriptor, ImageConfig};
use crate::spec::Selector;
use crate::walk::normalize_path;

const MAX_JSON: u64 = 8 << 20;

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct ManifestEntry {
    config: String,
    #[serde(default)]
    repo_tags: Option<Vec<String>>,
    layers: Vec<String>,
}

/// Legacy `<id>/json` (Docker image spec v1).
#[derive(Deserialize)]
struct LegacyJson {
    #[serde(default)]
    parent: Option<String>,
    #[serde(default)]
    config: Option<ContainerConfig>,
    #[serde(default)]
    architecture: Option<String>,
    #[serde(default)]
    os: Option<String>,
    #[serde(default)]
    created: Option<String>,
    #[serde(default)]
    container_config: Option<ContainerConfig>,
}

struct ArchiveOpener {
    file: Arc<std::fs::File>,
    path: String,
    entries: HashMap<String, (u64, u64)>,
}

/// A reader over one entry of the outer tar, by positional reads (`pread`), so any number of
/// layers can be read concurrently from one file without sharing a file offset.
struct Section {
    file: Arc<std::fs::File>,
    pos: u64,
    end: u64,
}

impl Read for Section {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.pos >= self.end {
            return Ok(0);
        }
        let max = buf
            .len()
            .min(usize::try_from(self.end - self.pos).unwrap_or(usize::MAX));
        let n = self.file.read_at(&mut buf[..max], self.pos)?;
        if n == 0 {
            return Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                "archive entry is truncated",
            ));
        }
        self.pos += n as u64;
        Ok(n)
    }
}

impl LayerOpener for ArchiveOpener {
    fn open(&self, layer: &ImageLayer) -> Result<Box<dyn Read + Send + '_>, SourceError> {
        let (offset, size) =
            *self
                .entries
                .get(&layer.location)
                .ok_or_else(|| SourceError::NotFound {
                    what: format!(
                        "{}: layer {} is not in the archive",
                        self.path, layer.location
                    ),
                })?;
        Ok(Box::new(Section {
            file: Arc::clone(&self.file),
            pos: offset,
            end: offset + size,
        }))
    }
}

fn norm(name: &str) -> String {
    normalize_path(name)
        .unwrap_or_else(|| name.to_owned())
        .trim_start_matches('/')
        .to_owned()
}

/// Open an image from a docker archive.
pub(crate) fn open(path: &Path, selector: &Selector, input: &str) -> Result<Image, SourceError> {
    let display = path.display().to_string();
    let io_err = |e: io::Error| SourceError::Io {
        what: display.clone(),
        source: e,
    };
    let mut file = fs::File::open(path).map_err(io_err)?;
    let mut magic = [0u8; 2];
    let gz = file.read(&mut magic).map_err(io_err)? == 2 && magic == [0x1f, 0x8b];
    file.seek(SeekFrom::Start(0)).map_err(io_err)?;
    let file = if gz {
        let mut tmp = tempfile::tempfile().map_err(io_err)?;
        let mut dec =
            flate2::read::MultiGzDecoder::new(io::BufReader::with_capacity(1 << 20, file));
        io::copy(&mut dec, &mut tmp).map_err(|e| SourceError::Io {
            what: format!("{display}: decompressing"),
            source: e,
        })?;
        tmp.seek(SeekFrom::Start(0)).map_err(io_err)?;
        fs::File::from_parts(tmp, path)
    } else {
        file
    };

    // Index the outer tar: name -> (data offset, size). Small JSON members are read on the way.
    let mut entries = HashMap::new();
    let mut json: BTreeMap<String, Vec<u8>> = BTreeMap::new();
    {
        let mut ar = tar::Archive::new(&file);
        let iter = ar.entries_with_seek().map_err(io_err)?;
        for e in iter {
            let mut e = e.map_err(|e| SourceError::Malformed {
                what: display.clone(),
                reason: format!("not a tar archive: {e}"),
            })?;
            let name = norm(&String::from_utf8_lossy(&e.path_bytes()));
            let size = e.size();
            if !e.header().entry_type().is_file() {
                continue;
            }
            entries.insert(name.clone(), (e.raw_file_position(), size));
            let is_meta = name == "manifest.json"
                || name == "repositories"
                || name.ends_with(".json")
                || name.ends_with("/json");
            if is_meta && size <= MAX_JSON {
                let mut buf = Vec::with_capacity(usize::try_from(size).unwrap_or(0));
                e.read_to_end(&mut buf).map_err(io_err)?;
                json.insert(name, buf);
            }
        }
    }
    let get = |name: &str| -> Result<&Vec<u8>, SourceError> {
        json.get(&norm(name)).ok_or_else(|| SourceError::Malformed {
            what: display.clone(),
            reason: format!("{name} is missing"),
        })
    };

    let (config_bytes, layer_names, tags) = if let Some(mj) = json.get("manifest.json") {
        let list: Vec<ManifestEntry> =
            serde_json::from_slice(mj).map_err(|e| SourceError::Malformed {
                what: format!("{display}: manifest.json"),
                reason: e.to_string(),
            })?;
        let chosen = match selector {
            Selector::Default => match list.as_slice() {
                [one] => one,
                [] => {
                    return Err(SourceError::NotFound {
                        what: format!("{input}: manifest.json lists no image"),
                    });
                }
                _ => {
                    let all: Vec<String> = list
                        .iter()
                        .flat_map(|m| m.repo_tags.clone().unwrap_or_default())
                        .collect();
                    return Err(SourceError::Ambiguous {
                        what: input.to_owned(),
                        choices: format!(
                            "{} images; name one as docker-archive:PATH:TAG or :@N (tags: {})",
                            list.len(),
                            all.join(", ")
                        ),
                    });
                }
            },
            Selector::Index(n) => list.get(*n).ok_or_else(|| SourceError::NotFound {
                what: format!("{input}: no image #{n}"),
            })?,
            Selector::Tag(t) => {
                list.iter()
                    .find(|m| {
                        m.repo_tags.iter().flatten().any(|rt| {
                            rt == t || rt.rsplit_once(':').is_some_and(|(_, tag)| tag == t)
                        })
                    })
                    .ok_or_else(|| SourceError::NotFound {
                        what: format!("{input}: no image tagged {t:?}"),
                    })?
            }
            Selector::Digest(d) => list
                .iter()
                .find(|m| m.config.contains(d.hex()))
                .ok_or_else(|| SourceError::NotFound {
                    what: format!("{input}: no image with config {d}"),
                })?,
        };
        let config = get(&chosen.config)?.clone();
        // The config's name is its digest (`<hex>.json` or `blobs/sha256/<hex>`): verify it.
        let stem = chosen.config.trim_end_matches(".json");
        let hex = stem.rsplit('/').next().unwrap_or(stem);
        let alg = if stem.contains("sha512") {
            "sha512"
        } else {
            "sha256"
        };
        if let Ok(expected) = format!("{alg}:{hex}").parse::<Digest>() {
            let actual = Digest::of(expected.algorithm(), &config);
            if actual != expected {
                return Err(SourceError::DigestMismatch {
                    what: format!("{display}: {}", chosen.config),
                    expected,
                    actual,
                });
            }
        }
        (
            config,
            chosen.layers.iter().map(|l| norm(l)).collect::<Vec<_>>(),
            chosen.repo_tags.clone().unwrap_or_default(),
        )
    } else {
        legacy(&json, selector, &display, input)?
    };

    let config_digest = Digest::sha256(&config_bytes);
    let layers: Vec<(Option<Descriptor>, String)> = layer_names
        .into_iter()
        .map(|name| {
            // New-style archives name layers by digest; old ones `<id>/layer.tar`.
            let blob = name
                .strip_prefix("blobs/")
                .and_then(|r| r.split_once('/'))
                .and_then(|(alg, hex)| format!("{alg}:{hex}").parse::<Digest>().ok())
                .and_then(|digest| {
                    entries.get(&name).map(|(_, size)| Descriptor {
                        size: *size,
                        digest,
                        ..Descriptor::of("", b"")
                    })
                });
            (blob, name)
        })
        .collect();
    for (_, name) in &layers {
        if !entries.contains_key(name) {
            return Err(SourceError::Malformed {
                what: display.clone(),
                reason: format!("layer {name} is missing"),
            });
        }
    }
    let target = Target {
        input: input.to_owned(),
        kind: "docker-archive".to_owned(),
        manifest_digest: None,
        config_digest: Some(config_digest),
        platform: None,
        layers: Vec::new(),
        tags,
    };
    let opener = ArchiveOpener {
        file: Arc::new(file.into_parts().0),
        path: display,
        entries,
    };
    Image::assemble(target, config_bytes, None, layers, Box::new(opener))
}

/// The pre-1.10 layout: `repositories` maps repo -> tag -> top layer id; each `<id>/json` names
/// its parent. The image config is synthesised from the top layer's json; diff-ids are unknown
/// until the layers are read.
/// Config bytes, layer member names and tags of the chosen image.
type Chosen = (Vec<u8>, Vec<String>, Vec<String>);

fn legacy(
    json: &BTreeMap<String, Vec<u8>>,
    selector: &Selector,
    display: &str,
    input: &str,
) -> Result<Chosen, SourceError> {
    let repos_bytes = json
        .get("repositories")
        .ok_or_else(|| SourceError::Malformed {
            what: display.to_owned(),
            reason: "not a docker archive: neither manifest.json nor repositories found".to_owned(),
        })?;
    let repos: BTreeMap<String, BTreeMap<String, String>> = serde_json::from_slice(repos_bytes)
        .map_err(|e| SourceError::Malformed {
            what: format!("{display}: repositories"),
            reason: e.to_string(),
        })?;
    let all: Vec<(String, String)> = repos
        .iter()
        .flat_map(|(r, tags)| {
            tags.iter()
                .map(move |(t, id)| (format!("{r}:{t}"), id.clone()))
        })
        .collect();
    let (tag, top) = match selector {
        Selector::Tag(t) => all
            .iter()
            .find(|(rt, _)| rt == t || rt.rsplit_once(':').is_some_and(|(_, tag)| tag == t))
            .cloned()
            .ok_or_else(|| SourceError::NotFound {
                what: format!("{input}: no image tagged {t:?}"),
            })?,
        Selector::Index(n) => all.get(*n).cloned().ok_or_else(|| SourceError::NotFound {
            what: format!("{input}: no image #{n}"),
        })?,
        _ => match all.as_slice() {
            [one] => one.clone(),
            _ => {
                return Err(SourceError::Ambiguous {
                    what: input.to_owned(),
                    choices: format!("{} images in repositories", all.len()),
                });
            }
        },
    };
    let mut chain = Vec::new();
    let mut id = Some(top.clone());
    let mut top_json: Option<LegacyJson> = None;
    while let Some(cur) = id {
        if chain.len() > 500 || chain.contains(&cur) {
            return Err(SourceError::Malformed {
                what: display.to_owned(),
                reason: format!("layer parent chain loops at {cur}"),
            });
        }
        let raw = json
            .get(&format!("{cur}/json"))
            .ok_or_else(|| SourceError::Malformed {
                what: display.to_owned(),
                reason: format!("{cur}/json is missing"),
            })?;
        let lj: LegacyJson = serde_json::from_slice(raw).map_err(|e| SourceError::Malformed {
            what: format!("{display}: {cur}/json"),
            reason: e.to_string(),
        })?;
        id = lj.parent.clone().filter(|p| !p.is_empty());
        chain.push(cur);
        if top_json.is_none() {
            top_json = Some(lj);
        }
    }
    chain.reverse();
    let layers = chain.iter().map(|id| format!("{id}/layer.tar")).collect();
    let top_json = top_json.unwrap_or(LegacyJson {
        parent: None,
        config: None,
        architecture: None,
        os: None,
        created: None,
        container_config: None,
    });
    let config = ImageConfig {
        architecture: top_json.architecture.unwrap_or_default(),
        os: top_json.os.unwrap_or_else(|| "linux".to_owned()),
        created: top_json.created,
        config: top_json
            .config
            .or(top_json.container_config)
            .unwrap_or_default(),
        ..ImageConfig::default()
    };
    let bytes = serde_json::to_vec(&config).map_err(|e| SourceError::Malformed {
        what: display.to_owned(),
        reason: e.to_string(),
    })?;
    Ok((bytes, layers, vec![tag]))
}
