//! OpenVEX (v0.2.0, and v0.0.x documents where `vulnerability` and products are plain strings).
//!
//! A statement applies to a finding when its vulnerability (name or aliases) is one of the
//! finding's ids and one of its products names the package (a purl: type, namespace and name
//! equal, version equal when the statement gives one, qualifiers ignored), or names the image
//! (`pkg:oci/...`, the image reference or its manifest digest) with no subcomponents, or with a
//! subcomponent naming the package. When several statements apply, the latest by `timestamp`
//! (then by order in the documents) decides; `not_affected` and `fixed` suppress the finding,
//! `affected` and `under_investigation` keep it.

use std::path::Path;

use serde::Deserialize;
use zoll_core::{Finding, Purl, Suppression, Target};

use crate::Error;

#[derive(Debug, Deserialize)]
struct RawDoc {
    #[serde(rename = "@context", default)]
    context: String,
    #[serde(default)]
    timestamp: Option<String>,
    #[serde(default)]
    statements: Vec<RawStatement>,
}

#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum RawVuln {
    Name(String),
    Object {
        #[serde(default)]
        name: String,
        #[serde(rename = "@id", default)]
        id: Option<String>,
        #[serde(default)]
        aliases: Vec<String>,
    },
}

#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum RawProduct {
    Id(String),
    Object {
        #[serde(rename = "@id", default)]
        id: Option<String>,
        #[serde(default)]
        identifiers: Option<serde_json::Map<String, serde_json::Value>>,
        #[serde(default)]
        subcomponents: Vec<RawProduct>,
    },
}

#[derive(Debug, Deserialize)]
struct RawStatement {
    vulnerability: RawVuln,
    #[serde(default)]
    products: Vec<RawProduct>,
    #[serde(default)]
    subcomponents: Vec<RawProduct>,
    status: String,
    #[serde(default)]
    justification: Option<String>,
    #[serde(default)]
    impact_statement: Option<String>,
    #[serde(default)]
    action_statement: Option<String>,
    #[serde(default)]
    status_notes: Option<String>,
    #[serde(default)]
    timestamp: Option<String>,
}

#[derive(Clone, Debug)]
struct Product {
    ids: Vec<String>,
    subcomponents: Vec<Vec<String>>,
}

#[derive(Clone, Debug)]
struct Statement {
    vulns: Vec<String>,
    products: Vec<Product>,
    status: String,
    justification: Option<String>,
    text: Option<String>,
    timestamp: String,
    order: usize,
}

/// One loaded OpenVEX document.
#[derive(Clone, Debug)]
pub struct VexDocument {
    path: String,
    statements: Vec<Statement>,
}

fn product_ids(p: &RawProduct) -> Vec<String> {
    match p {
        RawProduct::Id(s) => vec![s.clone()],
        RawProduct::Object {
            id, identifiers, ..
        } => {
            let mut v: Vec<String> = id.iter().cloned().collect();
            if let Some(m) = identifiers {
                v.extend(m.values().filter_map(|x| x.as_str().map(str::to_owned)));
            }
            v
        }
    }
}

const STATUSES: [&str; 4] = ["not_affected", "affected", "fixed", "under_investigation"];

impl VexDocument {
    pub fn load(path: &Path) -> Result<VexDocument, Error> {
        let name = path.display().to_string();
        let bytes = std::fs::read(path).map_err(|e| Error::Input {
            input: name.clone(),
            message: e.to_string().to_lowercase(),
        })?;
        Self::parse(&name, &bytes)
    }

    pub fn parse(name: &str, bytes: &[u8]) -> Result<VexDocument, Error> {
        let bad = |m: String| Error::Input {
            input: name.to_owned(),
            message: m,
        };
        let raw: RawDoc = serde_json::from_slice(bytes)
            .map_err(|e| bad(format!("not an OpenVEX document: {e}")))?;
        if !raw.context.contains("openvex") {
            return Err(bad(format!(
                "not an OpenVEX document: @context is {:?}, expected https://openvex.dev/ns/...",
                raw.context
            )));
        }
        let mut statements = Vec::new();
        for (i, s) in raw.statements.into_iter().enumerate() {
            if !STATUSES.contains(&s.status.as_str()) {
                return Err(bad(format!(
                    "statement {}: unknown status {:?}",
                    i + 1,
                    s.status
                )));
            }
            let vulns = match s.vulnerability {
                RawVuln::Name(n) => vec![n],
                RawVuln::Object { name, id, aliases } => {
                    let mut v = vec![name];
                    v.extend(id);
                    v.extend(aliases);
                    v.retain(|x| !x.is_empty());
                    v
                }
            };
            let mut products: Vec<Product> = s
                .products
                .iter()
                .map(|p| Product {
                    ids: product_ids(p),
                    subcomponents: match p {
                        RawProduct::Object { subcomponents, .. } => {
                            subcomponents.iter().map(product_ids).collect()
                        }
                        RawProduct::Id(_) => vec![],
                    },
                })
                .collect();
            // v0.0.x: statement-level subcomponents apply to every product.
            if !s.subcomponents.is_empty() {
                let subs: Vec<Vec<String>> = s.subcomponents.iter().map(product_ids).collect();
                for p in &mut products {
                    p.subcomponents.extend(subs.iter().cloned());
                }
            }
            statements.push(Statement {
                vulns,
                products,
                status: s.status,
                justification: s.justification,
                text: s.impact_statement.or(s.action_statement).or(s.status_notes),
                timestamp: s
                    .timestamp
                    .or_else(|| raw.timestamp.clone())
                    .unwrap_or_default(),
                order: i,
            });
        }
        Ok(VexDocument {
            path: name.to_owned(),
            statements,
        })
    }
}

fn purl_matches(pattern: &str, purl: &Purl) -> bool {
    pattern
        .parse::<Purl>()
        .is_ok_and(|p| crate::purl_matches(&p, purl))
}

fn names_image(id: &str, target: &Target) -> bool {
    if id.starts_with("pkg:oci/") {
        return match &target.manifest_digest {
            Some(d) => id.contains(&d.to_string()) || !id.contains('@'),
            None => true,
        };
    }
    id == target.input
        || target.tags.iter().any(|t| t == id)
        || target
            .manifest_digest
            .as_ref()
            .is_some_and(|d| id.ends_with(&d.to_string()))
}

impl Statement {
    fn applies(&self, f: &Finding, target: &Target) -> bool {
        let ids_match = self.vulns.iter().any(|v| {
            *v == f.id || f.advisories.iter().any(|a| a == v) || f.aliases.iter().any(|a| a == v)
        });
        if !ids_match {
            return false;
        }
        let pkg = &f.package.purl;
        self.products.iter().any(|p| {
            if p.ids.iter().any(|id| purl_matches(id, pkg)) {
                return true;
            }
            if p.ids.iter().any(|id| names_image(id, target)) {
                return p.subcomponents.is_empty()
                    || p.subcomponents
                        .iter()
                        .flatten()
                        .any(|id| purl_matches(id, pkg));
            }
            false
        })
    }
}

/// The suppression the documents decide for `f`, if any.
pub fn decide(docs: &[VexDocument], f: &Finding, target: &Target) -> Option<Suppression> {
    let mut best: Option<(&VexDocument, &Statement, usize)> = None;
    for (di, d) in docs.iter().enumerate() {
        for s in &d.statements {
            if !s.applies(f, target) {
                continue;
            }
            let later = match &best {
                None => true,
                Some((_, b, bdi)) => {
                    (s.timestamp.as_str(), di, s.order) >= (b.timestamp.as_str(), *bdi, b.order)
                }
            };
            if later {
                best = Some((d, s, di));
            }
        }
    }
    let (d, s, _) = best?;
    matches!(s.status.as_str(), "not_affected" | "fixed").then(|| Suppression::Vex {
        document: d.path.clone(),
        status: s.status.clone(),
        justification: s.justification.clone(),
        statement: s.text.clone(),
    })
}
