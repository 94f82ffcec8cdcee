//! Severity: CVSS vectors scored by zoll (the `cvss` crate implements the v2.0, v3.0/3.1 and v4.0
//! formulas), or the ecosystem's own rating.
//!
//! Choice, per finding: for OS packages the distribution's own rating wins when it has one (it
//! rates the flaw as shipped in that distribution); otherwise CVSS, preferring v3.x (what NVD,
//! GHSA and the other scanners rank by, so gates stay comparable), then v4.0, then v2.0, taking the
//! highest score when merged advisories disagree; otherwise the advisory database's rating
//! (GHSA `database_specific.severity`); otherwise unknown. Every vector found is listed.

use std::str::FromStr;

use zoll_core::{Cvss, Severity, SeveritySource};
use zoll_db::OsvSeverity;

/// Score one OSV `severity` entry; `None` for non-CVSS types or vectors that do not parse.
pub fn score(entry: &OsvSeverity) -> Option<Cvss> {
    let (version, text) = match entry.kind.as_str() {
        "CVSS_V2" => ("2.0", entry.score.as_str()),
        "CVSS_V3" | "CVSS_V4" => {
            let v = entry.score.strip_prefix("CVSS:")?.split('/').next()?;
            (v, entry.score.as_str())
        }
        _ => return None,
    };
    let parsed = cvss::Cvss::from_str(text).ok()?;
    let score = parsed.score();
    let severity = match parsed {
        cvss::Cvss::CvssV20(_) => {
            // CVSS v2 has no "critical": NVD's v2 bands.
            if score >= 7.0 {
                Severity::High
            } else if score >= 4.0 {
                Severity::Medium
            } else {
                Severity::Low
            }
        }
        _ => Severity::from_cvss_score(score),
    };
    Some(Cvss {
        version: version.to_owned(),
        vector: entry.score.clone(),
        score,
        severity,
    })
}

fn rank(version: &str) -> u8 {
    match version {
        "3.1" | "3.0" => 3,
        "4.0" => 2,
        _ => 1,
    }
}

/// The CVSS rating a finding is ranked by, from all of its vectors.
pub fn preferred(all: &[Cvss]) -> Option<&Cvss> {
    all.iter().max_by(|a, b| {
        rank(&a.version).cmp(&rank(&b.version)).then(
            a.score
                .partial_cmp(&b.score)
                .unwrap_or(std::cmp::Ordering::Equal),
        )
    })
}

/// Pick the severity of a finding.
pub fn choose(
    is_os: bool,
    ecosystem_name: &str,
    ecosystem_rating: Option<&str>,
    database_rating: Option<(&str, &str)>,
    cvss: &[Cvss],
) -> (Severity, SeveritySource) {
    // A rating that says "not rated yet" is no rating: let CVSS speak.
    let eco = ecosystem_rating
        .and_then(Severity::from_ecosystem_word)
        .filter(|s| *s != Severity::Unknown);
    if is_os && let Some(s) = eco {
        return (
            s,
            SeveritySource::Ecosystem(ecosystem_name.to_ascii_lowercase()),
        );
    }
    if let Some(c) = preferred(cvss) {
        return (c.severity, SeveritySource::Cvss(c.version.clone()));
    }
    if let Some(s) = eco {
        return (
            s,
            SeveritySource::Ecosystem(ecosystem_name.to_ascii_lowercase()),
        );
    }
    if let Some((db, word)) = database_rating
        && let Some(s) = Severity::from_ecosystem_word(word)
    {
        return (s, SeveritySource::Ecosystem(db.to_owned()));
    }
    (Severity::Unknown, SeveritySource::None)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sev(kind: &str, score: &str) -> OsvSeverity {
        OsvSeverity {
            kind: kind.into(),
            score: score.into(),
        }
    }

    #[test]
    fn scores_every_cvss_version() {
        let v3 = score(&sev(
            "CVSS_V3",
            "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H",
        ))
        .unwrap();
        assert_eq!(
            (v3.version.as_str(), v3.score, v3.severity),
            ("3.1", 9.8, Severity::Critical)
        );
        let v30 = score(&sev(
            "CVSS_V3",
            "CVSS:3.0/AV:N/AC:L/PR:N/UI:R/S:U/C:N/I:N/A:H",
        ))
        .unwrap();
        assert_eq!((v30.score, v30.severity), (6.5, Severity::Medium));
        let v2 = score(&sev("CVSS_V2", "AV:N/AC:L/Au:N/C:P/I:P/A:P")).unwrap();
        assert_eq!((v2.score, v2.severity), (7.5, Severity::High));
        let v4 = score(&sev(
            "CVSS_V4",
            "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N",
        ))
        .unwrap();
        assert_eq!((v4.score, v4.severity), (9.3, Severity::Critical));
        assert!(score(&sev("CVSS_V3", "CVSS:3.1/garbage")).is_none());
        assert!(score(&sev("Ubuntu", "high")).is_none());
    }

    #[test]
    fn choice_order() {
        let v3 = score(&sev(
            "CVSS_V3",
            "CVSS:3.1/AV:N/AC:L/PR:N/UI:R/S:U/C:N/I:N/A:H",
        ))
        .unwrap();
        let v4 = score(&sev(
            "CVSS_V4",
            "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N",
        ))
        .unwrap();
        let both = [v4.clone(), v3.clone()];
        assert_eq!(choose(false, "PyPI", None, None, &both).0, Severity::Medium);
        assert_eq!(
            choose(true, "Debian", Some("low"), None, &both),
            (Severity::Low, SeveritySource::Ecosystem("debian".into()))
        );
        assert_eq!(
            choose(false, "npm", None, Some(("ghsa", "MODERATE")), &[]),
            (Severity::Medium, SeveritySource::Ecosystem("ghsa".into()))
        );
        assert_eq!(choose(false, "npm", None, None, &[]).0, Severity::Unknown);
        // Debian's "not yet assigned" does not hide a CVSS score.
        assert_eq!(
            choose(true, "Debian", Some("not yet assigned"), None, &both).0,
            Severity::Medium
        );
    }
}
