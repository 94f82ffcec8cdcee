//! The trust store: which keys must have signed which images.
//!
//! One TOML file (section `[[trust]]`, repeatable) maps image patterns to keys and thresholds.
//! `zoll verify`, the registry and the admission controller read the same file, so a policy is
//! written once. Example:
//!
//! ```toml
//! [[trust]]
//! scope = "registry.example/acme/**"      # every repository under acme
//! keys = ["keys/release.pub", "pkcs11:token=zoll;object=release?module-path=/usr/lib/softhsm/libsofthsm2.so"]
//! gpg-keys = ["keys/release.asc"]
//! threshold = 2                            # distinct keys that must have signed
//! identity = "repository"                  # exact | repository | ignore
//! annotations = { env = "prod" }           # every signature must carry these
//!
//! [[trust]]
//! scope = "registry.example/acme/legacy"
//! keys = ["keys/legacy.pub"]
//! ```
//!
//! A scope is `REGISTRY/PATH` split on `/`: `*` within a segment matches any characters but `/`,
//! a whole segment `**` matches any number of segments (at least one). When several scopes
//! match, the most specific wins (the one with most literal characters), so exceptions are
//! written next to the rule. Relative key paths are relative to the trust file's directory.
//! Decision: the file's keys are references (paths, PKCS#11 URIs); loading them is the caller's
//! job, since that needs the PKCS#11 module and the OpenPGP parser.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::Error;

/// How a signature's `docker-reference` must relate to the image being verified.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum IdentityRule {
    /// The reference exactly as given (tag included).
    Exact,
    /// The same repository, whatever the tag or digest (cosign's default).
    #[default]
    Repository,
    /// Not checked.
    Ignore,
}

impl std::str::FromStr for IdentityRule {
    type Err = Error;
    fn from_str(s: &str) -> Result<IdentityRule, Error> {
        match s {
            "exact" => Ok(IdentityRule::Exact),
            "repository" => Ok(IdentityRule::Repository),
            "ignore" => Ok(IdentityRule::Ignore),
            _ => Err(Error::invalid(
                s,
                "identity rule must be exact, repository or ignore",
            )),
        }
    }
}

/// A key as the trust file names it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeyRef {
    /// A cosign public key file (SPKI PEM).
    File(PathBuf),
    /// A public key in a PKCS#11 token (RFC 7512 URI).
    Pkcs11(String),
    /// An OpenPGP public key file (armored or binary).
    Gpg(PathBuf),
}

/// One `[[trust]]` entry, resolved against the file's directory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rule {
    pub scope: String,
    pub keys: Vec<KeyRef>,
    pub threshold: usize,
    pub identity: IdentityRule,
    pub annotations: BTreeMap<String, String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct RawRule {
    scope: String,
    #[serde(default)]
    keys: Vec<String>,
    #[serde(default)]
    gpg_keys: Vec<String>,
    #[serde(default)]
    threshold: Option<usize>,
    #[serde(default)]
    identity: IdentityRule,
    #[serde(default)]
    annotations: BTreeMap<String, String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFile {
    #[serde(default)]
    trust: Vec<RawRule>,
}

/// Every rule of a trust file.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TrustStore {
    pub rules: Vec<Rule>,
}

impl TrustStore {
    /// Read a trust file.
    pub fn load(path: &Path) -> Result<TrustStore, Error> {
        let text = fs_err::read_to_string(path).map_err(|e| Error::Io {
            path: path.display().to_string(),
            source: e,
        })?;
        let base = path.parent().unwrap_or(Path::new("."));
        TrustStore::parse(&path.display().to_string(), &text, base)
    }

    /// Parse a trust file's text; `name` is used in errors, `base` resolves relative paths.
    pub fn parse(name: &str, text: &str, base: &Path) -> Result<TrustStore, Error> {
        let raw: RawFile = toml::from_str(text).map_err(|e| Error::invalid(name, e.to_string()))?;
        let mut rules = Vec::new();
        for (i, r) in raw.trust.into_iter().enumerate() {
            let at = format!("{name}: trust entry {} ({})", i + 1, r.scope);
            check_scope(&r.scope).map_err(|m| Error::invalid(&at, m))?;
            let resolve = |p: &str| {
                let p = Path::new(p);
                if p.is_absolute() {
                    p.to_path_buf()
                } else {
                    base.join(p)
                }
            };
            let mut keys: Vec<KeyRef> = r
                .keys
                .iter()
                .map(|k| {
                    if k.starts_with("pkcs11:") {
                        KeyRef::Pkcs11(k.clone())
                    } else {
                        KeyRef::File(resolve(k))
                    }
                })
                .collect();
            keys.extend(r.gpg_keys.iter().map(|k| KeyRef::Gpg(resolve(k))));
            if keys.is_empty() {
                return Err(Error::invalid(at, "names no keys"));
            }
            let threshold = r.threshold.unwrap_or(1);
            if threshold == 0 || threshold > keys.len() {
                return Err(Error::invalid(
                    at,
                    format!(
                        "threshold {threshold} must be between 1 and the number of keys ({})",
                        keys.len()
                    ),
                ));
            }
            rules.push(Rule {
                scope: r.scope,
                keys,
                threshold,
                identity: r.identity,
                annotations: r.annotations,
            });
        }
        Ok(TrustStore { rules })
    }

    /// The most specific rule whose scope matches `registry/repository`.
    pub fn rule_for(&self, name: &str) -> Option<&Rule> {
        self.rules
            .iter()
            .filter(|r| scope_matches(&r.scope, name))
            .max_by_key(|r| r.scope.chars().filter(|c| *c != '*').count())
    }
}

fn check_scope(scope: &str) -> Result<(), String> {
    if scope.is_empty() || scope.split('/').any(str::is_empty) {
        return Err("scope must be REGISTRY/PATH without empty segments".to_owned());
    }
    if scope.split('/').any(|s| s.contains("**") && s != "**") {
        return Err("`**` must be a whole path segment".to_owned());
    }
    Ok(())
}

/// Whether `name` (`registry/repository`) matches the scope pattern.
pub fn scope_matches(scope: &str, name: &str) -> bool {
    let pat: Vec<&str> = scope.split('/').collect();
    let segs: Vec<&str> = name.split('/').collect();
    match_segments(&pat, &segs)
}

fn match_segments(pat: &[&str], segs: &[&str]) -> bool {
    match pat.split_first() {
        None => segs.is_empty(),
        Some((&"**", rest)) => (1..=segs.len()).any(|k| match_segments(rest, &segs[k..])),
        Some((p, rest)) => match segs.split_first() {
            Some((s, srest)) => glob(p, s) && match_segments(rest, srest),
            None => false,
        },
    }
}

/// `*` matches any run of characters within one segment.
fn glob(pattern: &str, text: &str) -> bool {
    let parts: Vec<&str> = pattern.split('*').collect();
    if parts.len() == 1 {
        return pattern == text;
    }
    let (first, last) = (parts[0], parts[parts.len() - 1]);
    if !text.starts_with(first) || !text[first.len()..].ends_with(last) {
        return false;
    }
    let mut rest = &text[first.len()..text.len() - last.len()];
    for mid in &parts[1..parts.len() - 1] {
        match rest.find(mid) {
            Some(i) => rest = &rest[i + mid.len()..],
            None => return false,
        }
    }
    true
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn scopes_match_segments_and_globs() {
        assert!(scope_matches("r.example/acme/**", "r.example/acme/app"));
        assert!(scope_matches("r.example/acme/**", "r.example/acme/a/b"));
        assert!(!scope_matches("r.example/acme/**", "r.example/acme"));
        assert!(!scope_matches("r.example/acme/**", "r.example/other/app"));
        assert!(scope_matches("r.example/acme/*", "r.example/acme/app"));
        assert!(!scope_matches("r.example/acme/*", "r.example/acme/a/b"));
        assert!(scope_matches(
            "*.example/acme/app-*",
            "r.example/acme/app-1"
        ));
        assert!(!scope_matches(
            "*.example/acme/app-*",
            "r.example/acme/web-1"
        ));
        assert!(scope_matches("localhost:5000/a", "localhost:5000/a"));
        assert!(!scope_matches("localhost:5000/a", "localhost:5000/ab"));
    }

    #[test]
    fn the_most_specific_rule_wins_and_paths_are_resolved() {
        let text = r#"
[[trust]]
scope = "r.example/acme/**"
keys = ["a.pub", "pkcs11:token=zoll;object=k"]
threshold = 2

[[trust]]
scope = "r.example/acme/legacy"
keys = ["/abs/legacy.pub"]
gpg-keys = ["old.asc"]
identity = "exact"
annotations = { env = "prod" }
"#;
        let t = TrustStore::parse("trust.toml", text, Path::new("/etc/zoll")).unwrap();
        let r = t.rule_for("r.example/acme/app").unwrap();
        assert_eq!(r.threshold, 2);
        assert_eq!(
            r.keys,
            vec![
                KeyRef::File("/etc/zoll/a.pub".into()),
                KeyRef::Pkcs11("pkcs11:token=zoll;object=k".into())
            ]
        );
        let l = t.rule_for("r.example/acme/legacy").unwrap();
        assert_eq!(l.identity, IdentityRule::Exact);
        assert_eq!(l.keys[1], KeyRef::Gpg("/etc/zoll/old.asc".into()));
        assert_eq!(l.annotations["env"], "prod");
        assert!(t.rule_for("r.example/other/app").is_none());
    }

    #[test]
    fn bad_files_name_the_entry() {
        for (text, needle) in [
            ("[[trust]]\nscope = \"a/b\"\n", "names no keys"),
            (
                "[[trust]]\nscope = \"a/b\"\nkeys=[\"k\"]\nthreshold = 2\n",
                "threshold 2",
            ),
            (
                "[[trust]]\nscope = \"a//b\"\nkeys=[\"k\"]\n",
                "empty segments",
            ),
            (
                "[[trust]]\nscope = \"a/x**\"\nkeys=[\"k\"]\n",
                "whole path segment",
            ),
            (
                "[[trust]]\nscope = \"a/b\"\nkeys=[\"k\"]\nidentity=\"loose\"\n",
                "trust.toml",
            ),
            ("[[trust]]\nscope = \"a/b\"\nkey=[\"k\"]\n", "unknown field"),
        ] {
            let e = TrustStore::parse("trust.toml", text, Path::new(".")).unwrap_err();
            assert!(e.to_string().contains(needle), "{text}: {e}");
        }
    }
}
