//! The ignore file (`.zollignore`, TOML): vulnerabilities a team has accepted, each with a reason
//! and an expiry date, optionally for one package only.
//!
//! ```toml
//! [[ignore]]
//! id = "CVE-2023-32681"            # any id of the finding: CVE, GHSA, PYSEC, ...
//! reason = "proxy credentials are never set in this service"
//! expires = 2027-01-31             # a TOML date or "YYYY-MM-DD"; required
//! purl = "pkg:pypi/requests"       # optional: only this package (version optional)
//! ```
//!
//! An entry applies through the end of its `expires` day (UTC); after that it stops applying and
//! the scan warns. A reason and an expiry are required: accepting a risk forever, silently, is
//! what this file exists to prevent.

use std::path::Path;

use serde::Deserialize;
use time::{Date, OffsetDateTime};
use zoll_core::{Finding, Purl, Suppression};

use crate::Error;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFile {
    #[serde(default)]
    ignore: Vec<RawEntry>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawEntry {
    id: String,
    #[serde(default)]
    reason: Option<String>,
    #[serde(default)]
    expires: Option<toml::Value>,
    #[serde(default)]
    purl: Option<String>,
}

#[derive(Clone, Debug)]
pub struct IgnoreEntry {
    pub id: String,
    pub reason: String,
    pub expires: Date,
    pub purl: Option<Purl>,
}

#[derive(Clone, Debug)]
pub struct IgnoreFile {
    pub path: String,
    pub entries: Vec<IgnoreEntry>,
}

fn parse_date(v: &toml::Value) -> Option<Date> {
    let s = match v {
        toml::Value::String(s) => s.clone(),
        toml::Value::Datetime(d) => d.date.map(|d| d.to_string())?,
        _ => return None,
    };
    Date::parse(
        &s,
        time::macros::format_description!("[year]-[month]-[day]"),
    )
    .ok()
}

impl IgnoreFile {
    pub fn load(path: &Path) -> Result<IgnoreFile, Error> {
        let name = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|e| Error::Input {
            input: name.clone(),
            message: e.to_string().to_lowercase(),
        })?;
        Self::parse(&name, &text)
    }

    pub fn parse(name: &str, text: &str) -> Result<IgnoreFile, Error> {
        let bad = |m: String| Error::Input {
            input: name.to_owned(),
            message: m,
        };
        let raw: RawFile = toml::from_str(text).map_err(|e| bad(e.to_string()))?;
        let mut entries = Vec::new();
        for (i, e) in raw.ignore.into_iter().enumerate() {
            let at = format!("entry {} ({})", i + 1, e.id);
            let reason = e
                .reason
                .filter(|r| !r.trim().is_empty())
                .ok_or_else(|| bad(format!("{at}: a reason is required")))?;
            let expires = e.expires.as_ref().ok_or_else(|| {
                bad(format!(
                    "{at}: an expiry date is required (expires = YYYY-MM-DD)"
                ))
            })?;
            let expires = parse_date(expires)
                .ok_or_else(|| bad(format!("{at}: expires must be a date like 2027-01-31")))?;
            let purl = e
                .purl
                .map(|p| {
                    p.parse::<Purl>()
                        .map_err(|err| bad(format!("{at}: purl: {err}")))
                })
                .transpose()?;
            entries.push(IgnoreEntry {
                id: e.id,
                reason,
                expires,
                purl,
            });
        }
        Ok(IgnoreFile {
            path: name.to_owned(),
            entries,
        })
    }

    /// Warnings for entries that expired before `now`.
    pub fn expired(&self, now: OffsetDateTime) -> Vec<String> {
        self.entries
            .iter()
            .filter(|e| e.expires < now.date())
            .map(|e| {
                format!(
                    "ignore entry {} in {} expired on {}; it no longer applies",
                    e.id, self.path, e.expires
                )
            })
            .collect()
    }

    pub fn decide(&self, f: &Finding, now: OffsetDateTime) -> Option<Suppression> {
        let e = self.entries.iter().find(|e| {
            e.expires >= now.date()
                && (e.id == f.id || f.advisories.contains(&e.id) || f.aliases.contains(&e.id))
                && e.purl
                    .as_ref()
                    .is_none_or(|p| crate::purl_matches(p, &f.package.purl))
        })?;
        Some(Suppression::IgnoreFile {
            file: self.path.clone(),
            id: e.id.clone(),
            reason: e.reason.clone(),
            expires: Some(e.expires.to_string()),
        })
    }
}
