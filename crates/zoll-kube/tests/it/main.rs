#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
//! End-to-end: the corpus under `tests/corpus` against `expected.toml`, and against checkov.

mod checkov;
mod corpus;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use zoll_core::{CheckFinding, PssLevel};

pub(crate) fn corpus_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/corpus")
}

/// One workload's results: its level and its findings as `RULE[ container NAME] @ LINE`.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Observed {
    pub level: PssLevel,
    pub findings: Vec<String>,
    pub raw: Vec<CheckFinding>,
}

/// Runs zoll-kube over every corpus file: (file, object) -> results.
pub(crate) fn run_corpus() -> BTreeMap<(String, String), Observed> {
    let mut out = BTreeMap::new();
    let mut files: Vec<PathBuf> = std::fs::read_dir(corpus_dir())
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "yaml"))
        .collect();
    files.sort();
    assert!(files.len() >= 7, "corpus files missing: {files:?}");
    for path in files {
        let file = path.file_name().unwrap().to_string_lossy().into_owned();
        let text = std::fs::read_to_string(&path).unwrap();
        let report = zoll_kube::check_manifests(&text, &file).unwrap();
        for level in &report.levels {
            let prefix = level.object.clone();
            let raw: Vec<CheckFinding> = report
                .findings
                .iter()
                .filter(|f| {
                    let o = f.location.object.as_deref().unwrap_or_default();
                    o == prefix || o.starts_with(&format!("{prefix} container "))
                })
                .cloned()
                .collect();
            let mut findings: Vec<String> = raw
                .iter()
                .map(|f| {
                    let o = f.location.object.as_deref().unwrap_or_default();
                    let suffix = o.strip_prefix(&prefix).unwrap_or_default();
                    format!("{}{suffix} @ {}", f.rule, f.location.line.unwrap_or(0))
                })
                .collect();
            findings.sort();
            let key = (file.clone(), level.object.clone());
            assert!(!out.contains_key(&key), "duplicate workload {key:?}");
            out.insert(
                key,
                Observed {
                    level: level.level,
                    findings,
                    raw,
                },
            );
        }
    }
    out
}
