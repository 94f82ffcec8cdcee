//! Vulnerability matching: the packages of an SBOM against zoll's OSV database.
//!
//! 1. Each package gets a [`target::MatchKey`]: OS packages by source package and source version
//!    within their distribution's release (`Debian:12`, `Alpine:v3.10`, ...), language packages by
//!    their (normalised) name within their ecosystem; Go binaries' `stdlib` is a package like the
//!    modules.
//! 2. The database returns the affected entries for that key; [`range::evaluate`] applies the OSV
//!    rules with the ecosystem's own version ordering (`zoll-version`).
//! 3. Hits on one package whose ids or aliases overlap are merged into one finding
//!    (`aliases`, and `upstream` when it names exactly one vulnerability, as distribution
//!    records like `DEBIAN-CVE-2023-1234` do), listing every advisory that matched.
//! 4. [`scan`] then applies VEX documents and the ignore file (suppressed, with the reason),
//!    then `--severity`/`--ignore-unfixed` (counted as filtered).

pub mod ignore;
pub mod image;
pub mod input;
pub mod range;
pub mod severity;
pub mod target;
pub mod vex;

use std::collections::{BTreeMap, BTreeSet, HashMap};

use time::OffsetDateTime;
use zoll_core::{AffectedPackage, Cvss, DbInfo, Finding, Package, Sbom, Severity, VulnReport};
use zoll_db::{AdvisoryBody, AffectedRow, Db};
use zoll_version::Version;

pub use ignore::IgnoreFile;
pub use input::read_sbom;
pub use vex::VexDocument;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error(transparent)]
    Db(#[from] zoll_db::Error),
    #[error("{input}: {message}")]
    Input { input: String, message: String },
}

/// What matching produced, before suppression and filters.
#[derive(Debug, Default)]
pub struct Matched {
    pub findings: Vec<Finding>,
    pub warnings: Vec<String>,
}

struct PackageHit<'a> {
    row: &'a AffectedRow,
    fixed: Vec<String>,
}

fn lookup(db: &Db, key: &target::MatchKey) -> Result<Vec<AffectedRow>, zoll_db::Error> {
    match &key.lookup {
        target::Lookup::Exact(ecos) => {
            let mut rows = Vec::new();
            for e in ecos {
                rows.extend(db.affected(e, &key.name)?);
            }
            Ok(rows)
        }
        target::Lookup::Prefix { prefix, release } => Ok(db
            .affected_prefix(prefix, &key.name)?
            .into_iter()
            .filter(|r| target::release_matches(&r.ecosystem, release.as_deref()))
            .collect()),
    }
}

/// `DEBIAN-CVE-2023-1` and `ALPINE-CVE-2023-1` name `CVE-2023-1` for one distribution.
fn canonical(id: &str) -> &str {
    for p in ["DEBIAN-", "ALPINE-", "UBUNTU-", "SUSE-", "REDHAT-"] {
        if let Some(rest) = id.strip_prefix(p)
            && rest.starts_with("CVE-")
        {
            return rest;
        }
    }
    id
}

/// The ids a record is known by: its own, its aliases, and its `upstream` ids when they all name
/// one vulnerability (a DSA fixing three CVEs stays its own finding; a DSA or distribution record
/// about one CVE merges with that CVE).
fn ids_of(body: &AdvisoryBody) -> BTreeSet<String> {
    let mut ids: BTreeSet<String> = body.aliases.iter().cloned().collect();
    ids.insert(body.id.clone());
    let upstream: BTreeSet<&str> = body.upstream.iter().map(|u| canonical(u)).collect();
    if upstream.len() == 1 {
        ids.extend(body.upstream.iter().cloned());
        ids.extend(upstream.iter().map(|u| (*u).to_owned()));
    }
    ids
}

fn database_name(id: &str) -> String {
    id.split('-').next().unwrap_or(id).to_ascii_lowercase()
}

/// The id shown for a group: its CVE, else its GHSA, else the smallest advisory id.
fn primary_id(all: &BTreeSet<String>, advisories: &BTreeSet<String>) -> String {
    all.iter()
        .find(|i| i.starts_with("CVE-"))
        .or_else(|| all.iter().find(|i| i.starts_with("GHSA-")))
        .or_else(|| advisories.iter().next())
        .cloned()
        .unwrap_or_default()
}

fn first_line(s: &str, max: usize) -> String {
    let line = s
        .lines()
        .map(str::trim)
        .find(|l| !l.is_empty())
        .unwrap_or("");
    if line.chars().count() <= max {
        line.to_owned()
    } else {
        let mut t: String = line.chars().take(max.saturating_sub(1)).collect();
        t.push('…');
        t
    }
}

/// Match every package of `sbom` against `db`.
pub fn match_sbom(sbom: &Sbom, db: &Db) -> Result<Matched, Error> {
    let mut out = Matched::default();
    let mut bodies: HashMap<i64, AdvisoryBody> = HashMap::new();
    let mut unmatched: BTreeMap<String, usize> = BTreeMap::new();
    let mut unparsable: Vec<String> = Vec::new();
    let mut bad_events: BTreeSet<String> = BTreeSet::new();
    for pkg in &sbom.packages {
        let key = match target::match_key(pkg, sbom.distro.as_ref()) {
            Ok(k) => k,
            Err(reason) => {
                *unmatched.entry(reason).or_default() += 1;
                continue;
            }
        };
        let rows = lookup(db, &key)?;
        if rows.is_empty() {
            continue;
        }
        let installed = range::Installed::new(&key.version, key.ordering);
        if !installed.is_orderable() {
            unparsable.push(format!("{} {} ({})", pkg.name, key.version, key.ordering));
        }
        let mut diags = range::Diagnostics::default();
        let hits: Vec<PackageHit<'_>> = rows
            .iter()
            .filter_map(|row| {
                range::evaluate(&installed, &row.data, &mut diags).map(|h| PackageHit {
                    row,
                    fixed: h.fixed,
                })
            })
            .collect();
        bad_events.extend(diags.unparsable_events);
        for h in &hits {
            if let std::collections::hash_map::Entry::Vacant(slot) = bodies.entry(h.row.advisory) {
                slot.insert(db.body(h.row.advisory)?);
            }
        }
        out.findings.extend(merge(pkg, &key, &hits, &bodies));
    }
    for (reason, n) in unmatched {
        out.warnings
            .push(format!("{n} package(s) not matched: {reason}"));
    }
    if !unparsable.is_empty() {
        out.warnings.push(format!(
            "{} package version(s) could not be ordered, so only exact version lists were checked: {}",
            unparsable.len(),
            unparsable.join(", ")
        ));
    }
    if !bad_events.is_empty() {
        out.warnings.push(format!(
            "{} advisory range bound(s) could not be ordered and their ranges were skipped: {}",
            bad_events.len(),
            bad_events
                .into_iter()
                .take(10)
                .collect::<Vec<_>>()
                .join(", ")
        ));
    }
    sort_findings(&mut out.findings);
    Ok(out)
}

/// Whether `purl` is the package `pattern` names: same type, namespace and name (purl parsing
/// already normalised their case where the type is case-insensitive), and the same version when
/// `pattern` gives one; qualifiers are ignored. VEX products and ignore-file entries use it.
pub(crate) fn purl_matches(pattern: &zoll_core::Purl, purl: &zoll_core::Purl) -> bool {
    pattern.ty() == purl.ty()
        && pattern.namespace() == purl.namespace()
        && pattern.name() == purl.name()
        && pattern.version().is_none_or(|v| Some(v) == purl.version())
}

/// Most severe first, then package, then id.
pub fn sort_findings(f: &mut [Finding]) {
    f.sort_by(|a, b| {
        b.severity
            .cmp(&a.severity)
            .then_with(|| a.package.name.cmp(&b.package.name))
            .then_with(|| a.package.version.cmp(&b.package.version))
            .then_with(|| a.id.cmp(&b.id))
    });
}

fn merge(
    pkg: &Package,
    key: &target::MatchKey,
    hits: &[PackageHit<'_>],
    bodies: &HashMap<i64, AdvisoryBody>,
) -> Vec<Finding> {
    // Union-find over hits whose id sets overlap.
    let ids: Vec<BTreeSet<String>> = hits
        .iter()
        .map(|h| bodies.get(&h.row.advisory).map(ids_of).unwrap_or_default())
        .collect();
    let mut parent: Vec<usize> = (0..hits.len()).collect();
    fn find(p: &mut [usize], mut i: usize) -> usize {
        while p[i] != i {
            p[i] = p[p[i]];
            i = p[i];
        }
        i
    }
    let mut owner: HashMap<&str, usize> = HashMap::new();
    for (i, set) in ids.iter().enumerate() {
        for id in set {
            match owner.get(id.as_str()) {
                Some(&j) => {
                    let (a, b) = (find(&mut parent, i), find(&mut parent, j));
                    if a != b {
                        parent[a] = b;
                    }
                }
                None => {
                    owner.insert(id, i);
                }
            }
        }
    }
    let mut groups: BTreeMap<usize, Vec<usize>> = BTreeMap::new();
    for i in 0..hits.len() {
        let r = find(&mut parent, i);
        groups.entry(r).or_default().push(i);
    }
    let affected = AffectedPackage {
        name: pkg.name.clone(),
        version: pkg.version.clone(),
        kind: pkg.kind,
        purl: pkg.purl.clone(),
        ecosystem: key.ecosystem.clone(),
        matched_name: (key.name != pkg.name).then(|| key.name.clone()),
        matched_version: (key.version != pkg.version).then(|| key.version.clone()),
        locations: pkg.locations.clone(),
        layer: pkg.layer.clone(),
    };
    let mut out = Vec::new();
    for members in groups.into_values() {
        let mut all: BTreeSet<String> = BTreeSet::new();
        let mut advisories: BTreeSet<String> = BTreeSet::new();
        let mut fixed: Vec<String> = Vec::new();
        let mut cvss: Vec<Cvss> = Vec::new();
        let mut eco_rating: Option<(Severity, String)> = None;
        let mut db_rating: Option<(String, String)> = None;
        let mut refs: Vec<String> = Vec::new();
        let mut published: Option<String> = None;
        let mut modified: Option<String> = None;
        let mut member_bodies: Vec<&AdvisoryBody> = Vec::new();
        for &i in &members {
            let h = &hits[i];
            all.extend(ids[i].iter().cloned());
            advisories.insert(h.row.advisory_id.clone());
            fixed.extend(h.fixed.iter().cloned());
            for s in &h.row.data.cvss {
                if let Some(c) = severity::score(s)
                    && !cvss.iter().any(|x| x.vector == c.vector)
                {
                    cvss.push(c);
                }
            }
            if let Some(word) = &h.row.data.severity
                && let Some(s) = Severity::from_ecosystem_word(word)
                && eco_rating.as_ref().is_none_or(|(old, _)| s > *old)
            {
                eco_rating = Some((s, word.clone()));
            }
            let Some(b) = bodies.get(&h.row.advisory) else {
                continue;
            };
            if !member_bodies.iter().any(|m| m.id == b.id) {
                member_bodies.push(b);
            }
        }
        // GHSA first: its summaries are written for people; then the rest in id order.
        member_bodies.sort_by_key(|b| (!b.id.starts_with("GHSA-"), b.id.clone()));
        for b in &member_bodies {
            for s in &b.severity {
                if let Some(c) = severity::score(s)
                    && !cvss.iter().any(|x| x.vector == c.vector)
                {
                    cvss.push(c);
                }
            }
            if db_rating.is_none()
                && let Some(w) = &b.database_severity
            {
                db_rating = Some((database_name(&b.id), w.clone()));
            }
            for r in &b.references {
                if !refs.contains(r) {
                    refs.push(r.clone());
                }
            }
            if let Some(p) = &b.published
                && published.as_ref().is_none_or(|x| p < x)
            {
                published = Some(p.clone());
            }
            if !b.modified.is_empty() && modified.as_ref().is_none_or(|x| b.modified > *x) {
                modified = Some(b.modified.clone());
            }
        }
        let summary = member_bodies
            .iter()
            .find_map(|b| b.summary.clone())
            .or_else(|| {
                member_bodies
                    .iter()
                    .find_map(|b| b.details.as_deref().map(|d| first_line(d, 120)))
            });
        let details = member_bodies.iter().find_map(|b| b.details.clone());
        // Fixed versions in ascending version order, without duplicates.
        fixed.sort_by(|a, b| {
            match (
                Version::parse(key.ordering, a),
                Version::parse(key.ordering, b),
            ) {
                (Ok(x), Ok(y)) => x.cmp(&y),
                _ => a.cmp(b),
            }
        });
        fixed.dedup();
        let distro_name = key.ecosystem.split(':').next().unwrap_or("").to_owned();
        let (severity, severity_source) = severity::choose(
            pkg.kind.is_os(),
            &distro_name,
            eco_rating.as_ref().map(|(_, w)| w.as_str()),
            db_rating.as_ref().map(|(d, w)| (d.as_str(), w.as_str())),
            &cvss,
        );
        cvss.sort_by(|a, b| b.version.cmp(&a.version).then(a.vector.cmp(&b.vector)));
        let id = primary_id(&all, &advisories);
        let aliases: Vec<String> = all
            .into_iter()
            .filter(|i| *i != id && !advisories.contains(i))
            .collect();
        out.push(Finding {
            id,
            advisories: advisories.into_iter().collect(),
            aliases,
            package: affected.clone(),
            severity,
            severity_source,
            cvss,
            fixed_versions: fixed,
            summary,
            details,
            references: refs,
            published,
            modified,
            suppressed: None,
        });
    }
    out
}

/// How to post-process matches.
#[derive(Clone, Debug)]
pub struct ScanOptions {
    /// Only findings at or above this severity count.
    pub min_severity: Option<Severity>,
    pub ignore_unfixed: bool,
    pub vex: Vec<VexDocument>,
    pub ignore: Option<IgnoreFile>,
    pub now: OffsetDateTime,
    /// Warn when the database is older than this.
    pub max_db_age: Option<time::Duration>,
}

impl ScanOptions {
    pub fn new(now: OffsetDateTime) -> ScanOptions {
        ScanOptions {
            min_severity: None,
            ignore_unfixed: false,
            vex: vec![],
            ignore: None,
            now,
            max_db_age: Some(time::Duration::days(7)),
        }
    }
}

/// Facts about `db` for reports.
pub fn db_info(db: &Db) -> DbInfo {
    DbInfo {
        schema: zoll_db::SCHEMA,
        built_at: db.built_at().to_owned(),
        advisories: db.advisories(),
        sources: db.sources().iter().map(|s| s.source.clone()).collect(),
    }
}

/// Match, suppress and filter: the whole of `zoll scan` after the SBOM is built.
pub fn scan(sbom: Sbom, db: &Db, opts: &ScanOptions) -> Result<VulnReport, Error> {
    let matched = match_sbom(&sbom, db)?;
    let mut warnings = Vec::new();
    if let (Some(max), Some(age)) = (opts.max_db_age, db.age(opts.now))
        && age > max
    {
        warnings.push(format!(
            "the vulnerability database is {} days old (built {}); run `zoll db update`",
            age.whole_days(),
            db.built_at()
        ));
    }
    warnings.extend(sbom.diagnostics.iter().cloned());
    warnings.extend(matched.warnings);
    if let Some(ig) = &opts.ignore {
        warnings.extend(ig.expired(opts.now));
    }
    let mut findings = Vec::new();
    let mut suppressed = Vec::new();
    let mut filtered = 0;
    for mut f in matched.findings {
        let s = vex::decide(&opts.vex, &f, &sbom.target)
            .or_else(|| opts.ignore.as_ref().and_then(|ig| ig.decide(&f, opts.now)));
        if let Some(s) = s {
            f.suppressed = Some(s);
            suppressed.push(f);
            continue;
        }
        if opts.min_severity.is_some_and(|m| f.severity < m)
            || (opts.ignore_unfixed && !f.is_fixable())
        {
            filtered += 1;
            continue;
        }
        findings.push(f);
    }
    Ok(VulnReport {
        db: db_info(db),
        sbom,
        findings,
        suppressed,
        filtered,
        warnings,
        scanners: vec![zoll_core::Scanner::Vuln],
        checks: Vec::new(),
        workloads: Vec::new(),
    })
}
