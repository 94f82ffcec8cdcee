//! Every line of every version-ordering vector file in ../shared/data/version-order holds, checked
//! through `zoll version sort` (one run per file and ecosystem, then ranks compared line by line).

use std::collections::HashMap;
use std::io::Write;
use std::process::Stdio;

use crate::alpine::shared_data;
use crate::util::zoll;

fn sort(ecosystem: &str, input: &str) -> std::process::Output {
    let mut child = zoll()
        .args(["version", "sort", "--ecosystem", ecosystem])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // zoll may exit before reading stdin (an unknown ecosystem is refused up front): a broken
    // pipe here is not the test's business, the exit status is.
    let _ = child.stdin.take().unwrap().write_all(input.as_bytes());
    child.wait_with_output().unwrap()
}

fn parse_line(line: &str) -> Option<(&str, &str, &str)> {
    let t = line.trim();
    if t.is_empty() || t.starts_with('#') || t.starts_with("//") {
        return None;
    }
    for op in [" < ", " = ", " > "] {
        if let Some((a, b)) = t.split_once(op) {
            return Some((a.trim(), op.trim(), b.trim()));
        }
    }
    panic!("unreadable vector line {line:?}");
}

#[test]
fn every_vector_holds() {
    let dir = shared_data().join("version-order");
    let files: &[(&str, &[&str])] = &[
        ("alpine-versions.txt", &["apk"]),
        ("cran-versions.txt", &["cran"]),
        ("debian-versions.txt", &["dpkg"]),
        ("hackage-versions.txt", &["hackage"]),
        ("maven-versions.txt", &["maven"]),
        ("nuget-versions.txt", &["nuget"]),
        ("packagist-versions.txt", &["packagist"]),
        ("pub-versions.txt", &["pub"]),
        ("pypi-versions.txt", &["pypi"]),
        ("redhat-versions.txt", &["rpm"]),
        ("rubygems-versions.txt", &["rubygems"]),
        ("semver-versions.txt", &["npm", "crates.io", "hex"]),
    ];
    let present: Vec<String> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e} (the shared data is required)", dir.display()))
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    for f in &present {
        assert!(
            files.iter().any(|(n, _)| n == f),
            "vector file {f} has no ecosystem here"
        );
    }
    let mut failures = Vec::new();
    let mut checked = 0;
    for (file, ecosystems) in files {
        let text = std::fs::read_to_string(dir.join(file)).unwrap();
        let lines: Vec<(usize, (&str, &str, &str))> = text
            .lines()
            .enumerate()
            .filter_map(|(i, l)| parse_line(l).map(|p| (i + 1, p)))
            .collect();
        let mut input = String::new();
        for (_, (a, _, b)) in &lines {
            input.push_str(a);
            input.push('\n');
            input.push_str(b);
            input.push('\n');
        }
        for eco in *ecosystems {
            let out = sort(eco, &input);
            assert!(
                out.status.success(),
                "{file} ({eco}): {}",
                String::from_utf8_lossy(&out.stderr)
            );
            let mut rank: HashMap<String, usize> = HashMap::new();
            for l in String::from_utf8(out.stdout).unwrap().lines() {
                let (r, v) = l.split_once('\t').expect("RANK<TAB>VERSION");
                rank.insert(v.to_owned(), r.parse().unwrap());
            }
            for (n, (a, op, b)) in &lines {
                let holds = |ra: usize, rb: usize| match *op {
                    "<" => ra < rb,
                    "=" => ra == rb,
                    _ => ra > rb,
                };
                checked += 1;
                if holds(rank[*a], rank[*b]) {
                    continue;
                }
                // The vectors are pairwise facts and a few ecosystems' orders are not transitive
                // (Composer: `1.2.3.# = 1.2.3` and `1.2.3.# = 1.2.3.1`, yet `1.2.3 < 1.2.3.1`),
                // so one sort of the whole file cannot satisfy them all: check such a line on its
                // own, with a sort of just its two versions.
                let out = sort(eco, &format!("{a}\n{b}\n"));
                assert!(
                    out.status.success(),
                    "{}",
                    String::from_utf8_lossy(&out.stderr)
                );
                let pair: HashMap<String, usize> = String::from_utf8(out.stdout)
                    .unwrap()
                    .lines()
                    .map(|l| {
                        let (r, v) = l.split_once('\t').unwrap();
                        (v.to_owned(), r.parse().unwrap())
                    })
                    .collect();
                let (ra, rb) = (pair[*a], pair[*b]);
                if !holds(ra, rb) {
                    failures.push(format!(
                        "{file}:{n} ({eco}): {a} {op} {b} but ranks {ra} and {rb}"
                    ));
                }
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {checked} failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
    assert!(checked > 1500, "{checked}");
}

#[test]
fn output_ranks_and_errors() {
    let out = sort("maven", "1.10\n1.9\n1.9.0\n\n1.0-alpha\n");
    assert!(out.status.success());
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        "1\t1.0-alpha\n2\t1.9\n2\t1.9.0\n3\t1.10\n"
    );
    let out = sort("dpkg", "1.0-1\n1:\n");
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("line 2"), "{err}");
    let out = sort("banana", "1\n");
    assert_eq!(out.status.code(), Some(2));
}
