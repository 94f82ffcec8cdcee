//! OSV range evaluation, exactly as the OSV schema's "Evaluation" section defines it.
//!
//! For each `ECOSYSTEM` or `SEMVER` range: events are sorted by version (`introduced: "0"` first);
//! walking them in order, `introduced` at or below the version sets affected, `fixed` at or below
//! clears it, `last_affected` strictly below clears it. When a range has `limit` events, only
//! versions below some limit can be affected (`limit: "*"` is unbounded). `GIT` ranges were dropped
//! at import. A version listed in `versions` is affected whatever the ranges say.

use std::cmp::Ordering;

use zoll_db::{AffectedData, Event, RangeKind};
use zoll_version::{Ecosystem, Version};

/// The outcome of evaluating one affected entry.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Hit {
    /// The `fixed` event that ends the range the version is in, for each range that matched.
    pub fixed: Vec<String>,
}

/// Problems that stopped part of an entry from being evaluated (reported, never fatal).
#[derive(Clone, Debug, Default)]
pub struct Diagnostics {
    pub unparsable_events: Vec<String>,
}

enum Bound {
    Zero,
    At(Version),
}

fn cmp_bound(a: &Bound, b: &Bound) -> Ordering {
    match (a, b) {
        (Bound::Zero, Bound::Zero) => Ordering::Equal,
        (Bound::Zero, _) => Ordering::Less,
        (_, Bound::Zero) => Ordering::Greater,
        (Bound::At(x), Bound::At(y)) => x.cmp(y),
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    Introduced,
    Fixed,
    LastAffected,
    Limit,
}

/// The ordering a range uses: `SEMVER` ranges compare as SemVer 2 unless the package's own
/// ecosystem already orders by SemVer (npm, crates.io, Go, Hex keep theirs, so Go's `v` prefix
/// and pseudo-versions still work).
fn range_ordering(kind: RangeKind, eco: Ecosystem) -> Ecosystem {
    match kind {
        RangeKind::Ecosystem => eco,
        RangeKind::Semver => match eco {
            Ecosystem::Npm | Ecosystem::CratesIo | Ecosystem::Go | Ecosystem::Hex => eco,
            _ => Ecosystem::Npm,
        },
    }
}

/// An installed version, parsed once per package for each ordering its ranges may use (its
/// ecosystem's, and SemVer for `SEMVER` ranges of other ecosystems), not once per range.
pub struct Installed<'a> {
    text: &'a str,
    eco: Ecosystem,
    own: Option<Version>,
    semver: std::cell::OnceCell<Option<Version>>,
}

impl<'a> Installed<'a> {
    pub fn new(text: &'a str, eco: Ecosystem) -> Installed<'a> {
        Installed {
            text,
            eco,
            own: Version::parse(eco, text).ok(),
            semver: std::cell::OnceCell::new(),
        }
    }

    /// Whether the ecosystem's own ordering could parse the version.
    pub fn is_orderable(&self) -> bool {
        self.own.is_some()
    }

    fn in_ordering(&self, ordering: Ecosystem) -> Option<&Version> {
        if ordering == self.eco {
            self.own.as_ref()
        } else {
            self.semver
                .get_or_init(|| Version::parse(ordering, self.text).ok())
                .as_ref()
        }
    }
}

/// Whether `installed` is affected by `data`.
pub fn evaluate(
    installed: &Installed<'_>,
    data: &AffectedData,
    diags: &mut Diagnostics,
) -> Option<Hit> {
    let listed = data.versions.iter().any(|v| v == installed.text);
    let mut hit = Hit::default();
    let mut in_range = false;
    for r in &data.ranges {
        let ordering = range_ordering(r.kind, installed.eco);
        let Some(v) = installed.in_ordering(ordering) else {
            continue;
        };
        if let Some(fixed) = evaluate_range(v, ordering, &r.events, diags) {
            in_range = true;
            if let Some(f) = fixed {
                hit.fixed.push(f);
            }
        }
    }
    (listed || in_range).then_some(hit)
}

/// `Some(fixed)` when `v` is inside the range; `fixed` is the event that closes its interval.
fn evaluate_range(
    v: &Version,
    ordering: Ecosystem,
    events: &[Event],
    diags: &mut Diagnostics,
) -> Option<Option<String>> {
    let mut parsed: Vec<(Kind, Bound, &str)> = Vec::with_capacity(events.len());
    let mut limits: Vec<Option<Version>> = Vec::new();
    for e in events {
        let (kind, text) = if let Some(t) = &e.introduced {
            (Kind::Introduced, t)
        } else if let Some(t) = &e.fixed {
            (Kind::Fixed, t)
        } else if let Some(t) = &e.last_affected {
            (Kind::LastAffected, t)
        } else if let Some(t) = &e.limit {
            (Kind::Limit, t)
        } else {
            continue;
        };
        if kind == Kind::Introduced && text == "0" {
            parsed.push((kind, Bound::Zero, text));
            continue;
        }
        if kind == Kind::Limit && text == "*" {
            limits.push(None);
            continue;
        }
        match Version::parse(ordering, text) {
            Ok(x) if kind == Kind::Limit => limits.push(Some(x)),
            Ok(x) => parsed.push((kind, Bound::At(x), text)),
            Err(_) => {
                // An event we cannot order makes the whole range unknowable; skip the range
                // rather than guess (reported to the user as a diagnostic).
                diags.unparsable_events.push(format!("{ordering} {text:?}"));
                return None;
            }
        }
    }
    if !limits.is_empty() && !limits.iter().any(|l| l.as_ref().is_none_or(|l| v < l)) {
        return None;
    }
    parsed.sort_by(|a, b| cmp_bound(&a.1, &b.1));
    let mut affected = false;
    for (kind, bound, _) in &parsed {
        let at_or_below = match bound {
            Bound::Zero => true,
            Bound::At(x) => x <= v,
        };
        match kind {
            Kind::Introduced if at_or_below => affected = true,
            Kind::Fixed if at_or_below => affected = false,
            Kind::LastAffected => {
                if let Bound::At(x) = bound
                    && x < v
                {
                    affected = false;
                }
            }
            _ => {}
        }
    }
    if !affected {
        return None;
    }
    // The fix for the interval holding `v`: the first `fixed` event above it.
    let fixed = parsed
        .iter()
        .find_map(|(kind, bound, text)| match (kind, bound) {
            (Kind::Fixed, Bound::At(x)) if x > v => Some((*text).to_owned()),
            _ => None,
        });
    Some(fixed)
}

#[cfg(test)]
mod tests {
    use super::*;
    use zoll_db::StoredRange;

    fn ev(kind: &str, v: &str) -> Event {
        let mut e = Event {
            introduced: None,
            fixed: None,
            last_affected: None,
            limit: None,
        };
        match kind {
            "i" => e.introduced = Some(v.into()),
            "f" => e.fixed = Some(v.into()),
            "l" => e.last_affected = Some(v.into()),
            _ => e.limit = Some(v.into()),
        }
        e
    }

    fn data(events: &[(&str, &str)], versions: &[&str]) -> AffectedData {
        AffectedData {
            ranges: vec![StoredRange {
                kind: RangeKind::Ecosystem,
                events: events.iter().map(|(k, v)| ev(k, v)).collect(),
            }],
            versions: versions.iter().map(|s| s.to_string()).collect(),
            ..Default::default()
        }
    }

    fn check(v: &str, d: &AffectedData) -> Option<Vec<String>> {
        evaluate(
            &Installed::new(v, Ecosystem::PyPI),
            d,
            &mut Diagnostics::default(),
        )
        .map(|h| h.fixed)
    }

    #[test]
    fn introduced_fixed_pairs() {
        let d = data(
            &[("i", "1.0"), ("f", "1.5"), ("i", "2.0"), ("f", "2.5")],
            &[],
        );
        assert_eq!(check("0.9", &d), None);
        assert_eq!(check("1.0", &d), Some(vec!["1.5".into()]));
        assert_eq!(check("1.5", &d), None);
        assert_eq!(check("1.7", &d), None);
        assert_eq!(check("2.4", &d), Some(vec!["2.5".into()]));
        assert_eq!(check("3.0", &d), None);
    }

    #[test]
    fn events_in_any_order_and_zero() {
        let d = data(&[("f", "2.0"), ("i", "0")], &[]);
        assert_eq!(check("0.0.1", &d), Some(vec!["2.0".into()]));
        assert_eq!(check("2.0", &d), None);
    }

    #[test]
    fn last_affected_is_inclusive() {
        let d = data(&[("i", "1.0"), ("l", "1.4")], &[]);
        assert_eq!(check("1.4", &d), Some(vec![]));
        assert_eq!(check("1.4.1", &d), None);
    }

    #[test]
    fn limit_bounds_the_range() {
        let d = data(&[("i", "0"), ("l", "9.0"), ("lim", "2.0")], &[]);
        assert_eq!(check("1.9", &d), Some(vec![]));
        assert_eq!(check("2.0", &d), None);
        let d = data(&[("i", "0"), ("lim", "*")], &[]);
        assert_eq!(check("100", &d), Some(vec![]));
    }

    #[test]
    fn versions_list_matches_exactly() {
        let d = AffectedData {
            versions: vec!["1.2".into()],
            ..Default::default()
        };
        assert_eq!(check("1.2", &d), Some(vec![]));
        assert_eq!(check("1.3", &d), None);
    }

    #[test]
    fn unparsable_events_skip_the_range() {
        let d = data(&[("i", "0"), ("f", "not a version!")], &[]);
        let mut diags = Diagnostics::default();
        assert!(evaluate(&Installed::new("1.0", Ecosystem::PyPI), &d, &mut diags).is_none());
        assert_eq!(diags.unparsable_events.len(), 1);
    }
}
