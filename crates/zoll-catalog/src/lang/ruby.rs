//! Ruby: installed gem specifications (`specifications/*.gemspec`, the Ruby source RubyGems
//! writes at install time, also shipped by Debian's `ruby-*` packages under
//! `/usr/share/rubygems-integration/`). Purl `pkg:gem/<name>@<version>`.
//!
//! The gemspec is Ruby code; like Syft's `ruby-installed-gemspec-cataloger` it is read line by
//! line for `x.name = ...`, `x.version = ...`, `x.license(s) = ...` assignments whose values are
//! string literals (optionally `.freeze`d), `Gem::Version.new("...")`, arrays of those, or `%w[]`.

use zoll_core::{Package, PackageType};

use super::{NewPackage, text};
use crate::{CatalogError, FileCataloger, FileMeta};

/// Gemspecs are small; anything bigger is not one.
const MAX_GEMSPEC: u64 = 4 * 1024 * 1024;

/// What a gemspec declares.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Gemspec {
    pub name: String,
    pub version: String,
    pub licenses: Vec<String>,
}

/// String literals in a Ruby expression, in order (`"a".freeze`, `'b'`, `%w[c d]`).
fn string_literals(expr: &str) -> Vec<String> {
    let mut out = Vec::new();
    let b = expr.as_bytes();
    let mut i = 0;
    while i < b.len() {
        match b.get(i) {
            Some(&q) if q == b'"' || q == b'\'' => {
                let mut s = String::new();
                let mut j = i + 1;
                let mut closed = false;
                while let Some(&c) = b.get(j) {
                    if c == b'\\' {
                        if let Some(&n) = b.get(j + 1) {
                            s.push(n as char);
                        }
                        j += 2;
                        continue;
                    }
                    if c == q {
                        closed = true;
                        break;
                    }
                    // Multi-byte UTF-8 is copied through below.
                    s.push(c as char);
                    j += 1;
                }
                if !closed {
                    break;
                }
                // Rebuild from the original slice to keep UTF-8 intact when no escapes were used.
                let raw = expr.get(i + 1..j).unwrap_or("");
                out.push(if raw.contains('\\') {
                    s
                } else {
                    raw.to_owned()
                });
                i = j + 1;
            }
            Some(b'#') => break, // comment
            Some(b'%') if matches!(b.get(i + 1), Some(b'w' | b'W')) => {
                let (open, close) = match b.get(i + 2) {
                    Some(b'[') => (b'[', b']'),
                    Some(b'(') => (b'(', b')'),
                    Some(b'{') => (b'{', b'}'),
                    _ => {
                        i += 1;
                        continue;
                    }
                };
                let _ = open;
                let start = i + 3;
                let end = b
                    .get(start..)
                    .and_then(|r| r.iter().position(|&c| c == close))
                    .map(|p| start + p);
                let Some(end) = end else { break };
                out.extend(
                    expr.get(start..end)
                        .unwrap_or("")
                        .split_whitespace()
                        .map(str::to_owned),
                );
                i = end + 1;
            }
            _ => i += 1,
        }
    }
    out
}

/// Parse a gemspec's Ruby source.
pub fn parse_gemspec(data: &[u8]) -> Result<Gemspec, String> {
    let src = text(data);
    let mut g = Gemspec::default();
    for line in src.lines() {
        let line = line.trim();
        // `<receiver>.<field> = <expr>`, receiver an identifier (s, spec, gem ...).
        let Some((lhs, rhs)) = line.split_once('=') else {
            continue;
        };
        if rhs.starts_with('=') || rhs.starts_with('~') || lhs.ends_with(['!', '<', '>']) {
            continue; // ==, =~, !=, <=, >=
        }
        let Some((recv, field)) = lhs.trim().split_once('.') else {
            continue;
        };
        if recv.is_empty() || !recv.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
            continue;
        }
        let values = string_literals(rhs);
        match field.trim() {
            "name" if g.name.is_empty() => g.name = values.into_iter().next().unwrap_or_default(),
            "version" if g.version.is_empty() => {
                g.version = values.into_iter().next().unwrap_or_default()
            }
            "license" | "licenses" => {
                for v in values {
                    if !g.licenses.contains(&v) {
                        g.licenses.push(v);
                    }
                }
            }
            _ => {}
        }
    }
    if g.name.is_empty() && g.version.is_empty() && !src.contains("Gem::Specification") {
        return Err("not a gem specification".to_owned());
    }
    Ok(g)
}

/// `gemspec-installed`: `.gemspec` files under a `specifications/` directory.
pub struct GemspecCataloger;

impl FileCataloger for GemspecCataloger {
    fn name(&self) -> &'static str {
        "gemspec-installed"
    }

    fn selects(&self, path: &str, meta: &FileMeta) -> bool {
        meta.size <= MAX_GEMSPEC && path.ends_with(".gemspec") && path.contains("/specifications/")
    }

    fn catalog(&self, path: &str, data: &[u8]) -> Result<Vec<Package>, CatalogError> {
        let g = parse_gemspec(data).map_err(|e| CatalogError::malformed(path, e))?;
        if g.name.is_empty() || g.version.is_empty() {
            return Ok(Vec::new());
        }
        let p = NewPackage {
            name: &g.name,
            version: &g.version,
            kind: PackageType::Gem,
            purl_type: "gem",
            namespace: None,
            purl_name: &g.name,
            licenses: g.licenses.clone(),
            location: path,
            found_by: self.name(),
        }
        .build()?;
        Ok(vec![p])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // Debian bookworm ruby-rack, /usr/share/rubygems-integration/all/specifications/rack-2.2.22.gemspec (abridged)
    const RACK: &str = r#"# -*- encoding: utf-8 -*-
# stub: rack 2.2.22 ruby lib

Gem::Specification.new do |s|
  s.name = "rack".freeze
  s.version = "2.2.22"

  s.required_rubygems_version = Gem::Requirement.new(">= 0".freeze) if s.respond_to? :required_rubygems_version=
  s.metadata = { "bug_tracker_uri" => "https://github.com/rack/rack/issues" } if s.respond_to? :metadata=
  s.require_paths = ["lib".freeze]
  s.authors = ["Leah Neukirchen".freeze]
  s.email = "leah@vuxu.org".freeze
  s.executables = ["rackup".freeze]
  s.homepage = "https://github.com/rack/rack".freeze
  s.licenses = ["MIT".freeze]
  s.required_ruby_version = Gem::Requirement.new(">= 2.3.0".freeze)
  s.rubygems_version = "3.3.15".freeze

  s.add_development_dependency(%q<minitest>.freeze, ["~> 5.0"])
end
"#;

    #[test]
    fn debian_rack() {
        let path = "/usr/share/rubygems-integration/all/specifications/rack-2.2.22.gemspec";
        assert!(GemspecCataloger.selects(path, &FileMeta::default()));
        let p = &GemspecCataloger.catalog(path, RACK.as_bytes()).unwrap()[0];
        assert_eq!(p.name, "rack");
        assert_eq!(p.version, "2.2.22");
        assert_eq!(p.purl.to_string(), "pkg:gem/rack@2.2.22");
        assert_eq!(p.licenses, vec!["MIT"]);
        assert_eq!(p.kind, PackageType::Gem);
    }

    #[test]
    fn other_forms() {
        let src = "Gem::Specification.new do |spec|\n  spec.name    = 'nokogiri'\n  spec.version = Gem::Version.new(\"1.15.4\") # pinned\n  spec.license = 'MIT'\n  spec.licenses = %w[MIT Apache-2.0]\n  spec.name == \"x\"\nend\n";
        let g = parse_gemspec(src.as_bytes()).unwrap();
        assert_eq!(g.name, "nokogiri");
        assert_eq!(g.version, "1.15.4");
        assert_eq!(g.licenses, vec!["MIT", "Apache-2.0"]);
        assert!(parse_gemspec(b"hello").is_err());
        assert!(
            GemspecCataloger
                .catalog(
                    "/x/specifications/a.gemspec",
                    b"Gem::Specification.new do |s|\nend\n"
                )
                .unwrap()
                .is_empty()
        );
        assert!(!GemspecCataloger.selects("/src/app/app.gemspec", &FileMeta::default()));
    }
}
