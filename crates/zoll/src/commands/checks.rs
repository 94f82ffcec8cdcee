//! Secrets, malware and misconfiguration for `zoll scan` and `zoll lint`: the inspectors that run
//! inside the layer walk, the checks of the image config, and the config files (Dockerfiles,
//! Kubernetes manifests) read from disk.

use std::path::{Path, PathBuf};
use std::sync::Mutex;

use anyhow::Context;
use fs_err as fs;
use zoll_core::{CheckFinding, WorkloadLevel};
use zoll_sbom::{InspectError, Inspector, LayerInspector};

/// Secret detection as an inspector of file bytes.
pub(crate) struct Secrets(pub(crate) zoll_secrets::Detector);

struct SecretWorker<'a>(&'a zoll_secrets::Detector);

impl LayerInspector for SecretWorker<'_> {
    fn inspect(&mut self, path: &str, bytes: &[u8]) -> Result<Vec<CheckFinding>, InspectError> {
        Ok(self.0.scan_file(path, bytes))
    }
}

impl Inspector for Secrets {
    fn fingerprint(&self) -> Option<String> {
        Some(format!("secrets:{}", self.0.fingerprint()))
    }
    fn wants(&self, path: &str, size: u64) -> bool {
        self.0.wants(path, size)
    }
    fn wants_head(&self, head: &[u8]) -> bool {
        self.0.wants_head(head)
    }
    fn layer(&self) -> Result<Box<dyn LayerInspector + '_>, InspectError> {
        Ok(Box::new(SecretWorker(&self.0)))
    }
}

/// The malware engines as an inspector; never cached (signatures change outside zoll).
pub(crate) struct Malware {
    pub(crate) engines: zoll_malware::Engines,
    /// Files an engine could not look at (over a size limit, a rule timeout): warnings.
    pub(crate) diagnostics: Mutex<Vec<String>>,
}

struct MalwareWorker<'a> {
    scanner: zoll_malware::FileScanner<'a>,
    diagnostics: &'a Mutex<Vec<String>>,
}

impl LayerInspector for MalwareWorker<'_> {
    fn inspect(&mut self, path: &str, bytes: &[u8]) -> Result<Vec<CheckFinding>, InspectError> {
        let scanned = self
            .scanner
            .scan(path, bytes)
            .map_err(|e| InspectError(e.to_string()))?;
        if !scanned.diagnostics.is_empty()
            && let Ok(mut d) = self.diagnostics.lock()
        {
            d.extend(scanned.diagnostics);
        }
        Ok(scanned.findings)
    }
}

impl Inspector for Malware {
    fn fingerprint(&self) -> Option<String> {
        None
    }
    /// Every file: the engines skip (and report) files over their own size limit.
    fn wants(&self, _path: &str, _size: u64) -> bool {
        true
    }
    fn layer(&self) -> Result<Box<dyn LayerInspector + '_>, InspectError> {
        let scanner = self
            .engines
            .scanner()
            .map_err(|e| InspectError(e.to_string()))?;
        Ok(Box::new(MalwareWorker {
            scanner,
            diagnostics: &self.diagnostics,
        }))
    }
}

/// What a config file is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum ConfigKind {
    Dockerfile,
    Kubernetes,
}

/// Decide by name: `*.yaml`, `*.yml` and `*.json` are Kubernetes manifests; `Dockerfile`,
/// `Containerfile`, `*.Dockerfile`, `Dockerfile.*` and `*.dockerfile` are Dockerfiles.
pub(crate) fn kind_of(path: &Path) -> Option<ConfigKind> {
    let name = path.file_name()?.to_string_lossy().to_ascii_lowercase();
    if name.ends_with(".yaml") || name.ends_with(".yml") || name.ends_with(".json") {
        return Some(ConfigKind::Kubernetes);
    }
    let docker = name == "dockerfile"
        || name == "containerfile"
        || name.starts_with("dockerfile.")
        || name.starts_with("containerfile.")
        || name.ends_with(".dockerfile")
        || name.ends_with(".containerfile");
    docker.then_some(ConfigKind::Dockerfile)
}

/// The config files under `path` (the file itself, or every recognised file below a directory,
/// in name order; hidden directories are skipped).
pub(crate) fn config_files(path: &Path) -> anyhow::Result<Vec<(PathBuf, ConfigKind)>> {
    let meta = fs::metadata(path)?;
    if meta.is_file() {
        // A file named on the command line is linted even with an unusual name: YAML by
        // extension, else a Dockerfile.
        return Ok(vec![(
            path.to_path_buf(),
            kind_of(path).unwrap_or(ConfigKind::Dockerfile),
        )]);
    }
    let mut out = Vec::new();
    let mut stack = vec![path.to_path_buf()];
    while let Some(dir) = stack.pop() {
        let mut entries: Vec<_> = fs::read_dir(&dir)?.filter_map(Result::ok).collect();
        entries.sort_by_key(|e| e.file_name());
        for e in entries.into_iter().rev() {
            let p = e.path();
            let hidden = e.file_name().to_string_lossy().starts_with('.');
            let ft = e.file_type()?;
            if ft.is_dir() && !hidden {
                stack.push(p);
            } else if ft.is_file()
                && let Some(k) = kind_of(&p)
            {
                out.push((p, k));
            }
        }
    }
    out.sort();
    Ok(out)
}

/// Everything the config files yielded.
#[derive(Default)]
pub(crate) struct Linted {
    pub(crate) checks: Vec<CheckFinding>,
    pub(crate) workloads: Vec<WorkloadLevel>,
    pub(crate) files: usize,
}

/// Lint every config file under each path.
pub(crate) fn lint_paths(paths: &[PathBuf], ignored: &[String]) -> anyhow::Result<Linted> {
    let mut out = Linted::default();
    let opts = zoll_dockerfile::LintOptions {
        ignored: ignored.to_vec(),
    };
    for root in paths {
        let files =
            config_files(root).with_context(|| format!("cannot read {}", root.display()))?;
        if files.is_empty() {
            anyhow::bail!(
                "{}: no Dockerfile or Kubernetes manifest found (names: Dockerfile, *.dockerfile, Containerfile, *.yaml, *.yml, *.json)",
                root.display()
            );
        }
        for (file, kind) in files {
            let text = fs::read_to_string(&file)?;
            let name = file.display().to_string();
            out.files += 1;
            match kind {
                ConfigKind::Dockerfile => {
                    let df = zoll_dockerfile::parse(&text)
                        .with_context(|| format!("cannot parse {name}"))?;
                    out.checks.extend(zoll_dockerfile::lint(&df, &name, &opts));
                }
                ConfigKind::Kubernetes => {
                    let report = zoll_kube::check_manifests(&text, &name)
                        .with_context(|| format!("cannot check {name}"))?;
                    out.checks.extend(
                        report
                            .findings
                            .into_iter()
                            .filter(|c| !ignored.contains(&c.rule)),
                    );
                    out.workloads.extend(report.levels);
                }
            }
        }
    }
    Ok(out)
}
