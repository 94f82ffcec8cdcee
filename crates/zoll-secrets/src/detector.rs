//! The engine: one Aho-Corasick pass over the input finds keyword hits; each hit runs the
//! regexes of the rules owning that keyword over the hit's line (plus the rule's window);
//! matches go through the placeholder and allow lists and the rule's check; overlapping matches
//! keep the rule of highest priority; evidence is the redacted line.

use aho_corasick::{AhoCorasick, AhoCorasickKind, MatchKind};
use base64::Engine as _;
use regex::bytes::{Regex, RegexSet};
use sha2::{Digest as _, Sha256};
use zoll_core::{CheckFinding, Location, Scanner, Severity};

use crate::Error;
use crate::allow::{self, BUILTIN_ALLOWED_PATHS, BUILTIN_ALLOWED_VALUES};
use crate::config::SecretConfig;
use crate::rules::{BUILTIN, Check, RULES_VERSION, Redact};

/// Bytes looked at for a NUL when deciding whether a file is binary.
const BINARY_PROBE: usize = 8 * 1024;
/// At most this many findings per input (a generated file full of tokens stays bounded).
const MAX_FINDINGS: usize = 1000;
/// Evidence longer than this is cut around the secret.
const MAX_EVIDENCE: usize = 200;

const REMEDIATION: &str = "Remove the secret from the image (a later layer deleting it does not), \
    rotate it, and provide it at run time (a mounted secret or an environment variable set at deploy)";

struct Rule {
    id: String,
    title: String,
    severity: Severity,
    keywords: Vec<String>,
    requires: Vec<String>,
    regex: Regex,
    /// Capture groups holding the secret, first participating one wins; empty: the whole match.
    secret_groups: Vec<usize>,
    marker_group: Option<usize>,
    key_group: Option<usize>,
    min_entropy: Option<f64>,
    window: u8,
    check: Check,
    redact: Redact,
    only_paths: Option<Regex>,
    allow_paths: Option<RegexSet>,
    allow_values: Option<RegexSet>,
    /// Keyword pattern ids that must occur in the input.
    requires_ids: Vec<usize>,
}

/// Compiled rules and allowlists. Built once per scan; `Send + Sync`, shared by reference.
pub struct Detector {
    rules: Vec<Rule>,
    /// `None` when no rule is active (everything disabled).
    keywords: Option<AhoCorasick>,
    /// The same keywords for a non-overlapping search with a prefilter: it finds the lines that
    /// hold any keyword quickly; the overlapping DFA then runs on those lines only.
    lines: Option<AhoCorasick>,
    /// For each keyword pattern, the rules it triggers (indices into `rules`).
    triggers: Vec<Vec<usize>>,
    allowed_paths: RegexSet,
    allowed_values: RegexSet,
    scan_binary: bool,
    max_file_bytes: u64,
    fingerprint: String,
}

/// One match that passed every check, before overlap resolution.
#[derive(Clone, Copy, Debug)]
struct Candidate {
    rule: usize,
    /// The secret's byte range in the input.
    start: usize,
    end: usize,
    /// The marker's byte range, for [`Redact::Marker`] rules.
    marker: Option<(usize, usize)>,
}

impl Detector {
    /// The built-in rules and allowlist, with default limits.
    pub fn builtin() -> Detector {
        // The built-in tables are constant and a unit test compiles them; should they ever fail
        // to, scanning with no rules is reported through the fingerprint rather than a panic.
        Detector::new(&SecretConfig::default()).unwrap_or_else(|e| Detector {
            rules: Vec::new(),
            keywords: None,
            lines: None,
            triggers: Vec::new(),
            allowed_paths: RegexSet::empty(),
            allowed_values: RegexSet::empty(),
            scan_binary: false,
            max_file_bytes: 0,
            fingerprint: format!("invalid built-in rules: {e}"),
        })
    }

    /// Built-in rules plus the user's; user rules take priority, `disable` removes rules.
    pub fn new(config: &SecretConfig) -> Result<Detector, Error> {
        let mut rules = Vec::new();
        let mut ids = std::collections::BTreeSet::new();
        for u in &config.rules {
            if BUILTIN.iter().any(|b| b.id == u.id) || !ids.insert(u.id.clone()) {
                return Err(Error::DuplicateRule(u.id.clone()));
            }
            if u.keywords.iter().all(|k| k.is_empty()) {
                return Err(Error::NoKeywords(u.id.clone()));
            }
            let regex = Regex::new(&u.regex).map_err(|e| Error::Regex {
                what: format!("rule {:?}", u.id),
                pattern: u.regex.clone(),
                message: e.to_string(),
            })?;
            let secret_groups = match u.secret_group {
                Some(g) if g >= regex.captures_len() => {
                    return Err(Error::NoSuchGroup {
                        rule: u.id.clone(),
                        group: g,
                        groups: regex.captures_len().saturating_sub(1),
                    });
                }
                Some(g) => vec![g],
                None => secret_groups(&regex),
            };
            rules.push(Rule {
                id: u.id.clone(),
                title: u.title.clone().unwrap_or_else(|| u.id.clone()),
                severity: u.severity.unwrap_or(Severity::High),
                keywords: u
                    .keywords
                    .iter()
                    .filter(|k| !k.is_empty())
                    .cloned()
                    .collect(),
                requires: Vec::new(),
                marker_group: None,
                key_group: None,
                secret_groups,
                regex,
                min_entropy: u.min_entropy,
                window: 0,
                check: Check::None,
                redact: Redact::Line,
                only_paths: None,
                allow_paths: None,
                allow_values: None,
                requires_ids: Vec::new(),
            });
        }
        for b in BUILTIN {
            let regex = builtin_regex(b.id, b.regex)?;
            rules.push(Rule {
                id: b.id.to_owned(),
                title: b.title.to_owned(),
                severity: b.severity,
                keywords: b.keywords.iter().map(|k| (*k).to_owned()).collect(),
                requires: b.requires.iter().map(|k| (*k).to_owned()).collect(),
                secret_groups: secret_groups(&regex),
                marker_group: group(&regex, "marker"),
                key_group: group(&regex, "key"),
                regex,
                min_entropy: None,
                window: b.window,
                check: b.check,
                redact: b.redact,
                only_paths: b.only_paths.map(|p| builtin_regex(b.id, p)).transpose()?,
                allow_paths: None,
                allow_values: None,
                requires_ids: Vec::new(),
            });
        }
        for d in &config.disable {
            if !rules.iter().any(|r| &r.id == d) {
                return Err(Error::UnknownRule {
                    key: "disable",
                    rule: d.clone(),
                });
            }
        }
        rules.retain(|r| !config.disable.contains(&r.id));

        // Rule-scoped allows: the built-in ones (lock files, nsswitch.conf), then the user's.
        let mut scoped: Vec<(String, Vec<String>, Vec<String>)> = allow::BUILTIN_RULE_PATHS
            .iter()
            .flat_map(|(ids, path, _)| {
                ids.iter()
                    .map(|r| ((*r).to_owned(), vec![(*path).to_owned()], Vec::new()))
            })
            .collect();
        for a in &config.allow.rules {
            let known = rules.iter().any(|r| r.id == a.rule) || config.disable.contains(&a.rule);
            if !known {
                return Err(Error::UnknownRule {
                    key: "allow.rules",
                    rule: a.rule.clone(),
                });
            }
            scoped.push((a.rule.clone(), a.paths.clone(), a.values.clone()));
        }
        for rule in &mut rules {
            let (paths, values): (Vec<&String>, Vec<&String>) = scoped
                .iter()
                .filter(|(id, _, _)| *id == rule.id)
                .fold((Vec::new(), Vec::new()), |(mut p, mut v), (_, ps, vs)| {
                    p.extend(ps);
                    v.extend(vs);
                    (p, v)
                });
            let what = format!("allow.rules for {:?}", rule.id);
            rule.allow_paths = optional_set(&what, &paths)?;
            rule.allow_values = optional_set(&what, &values)?;
        }

        // One automaton over every keyword (deduplicated, ASCII case-insensitive).
        let mut patterns: Vec<String> = Vec::new();
        let mut triggers: Vec<Vec<usize>> = Vec::new();
        let pattern_id = |k: &str, patterns: &mut Vec<String>, triggers: &mut Vec<Vec<usize>>| {
            let lower = k.to_ascii_lowercase();
            match patterns.iter().position(|p| *p == lower) {
                Some(i) => i,
                None => {
                    patterns.push(lower);
                    triggers.push(Vec::new());
                    patterns.len() - 1
                }
            }
        };
        for (i, rule) in rules.iter_mut().enumerate() {
            for k in &rule.keywords {
                let id = pattern_id(k, &mut patterns, &mut triggers);
                if let Some(t) = triggers.get_mut(id)
                    && !t.contains(&i)
                {
                    t.push(i);
                }
            }
            rule.requires_ids = rule
                .requires
                .iter()
                .map(|k| pattern_id(k, &mut patterns, &mut triggers))
                .collect();
        }
        let lines = if patterns.is_empty() {
            None
        } else {
            Some(
                AhoCorasick::builder()
                    .ascii_case_insensitive(true)
                    .match_kind(MatchKind::Standard)
                    .build(&patterns)
                    .map_err(|e| Error::Keywords(e.to_string()))?,
            )
        };
        let keywords = if patterns.is_empty() {
            None
        } else {
            Some(
                AhoCorasick::builder()
                    .ascii_case_insensitive(true)
                    .match_kind(MatchKind::Standard)
                    .kind(Some(AhoCorasickKind::DFA))
                    .build(&patterns)
                    .map_err(|e| Error::Keywords(e.to_string()))?,
            )
        };

        let user_paths: Vec<&String> = config.allow.paths.iter().collect();
        let mut path_patterns: Vec<&str> = BUILTIN_ALLOWED_PATHS.iter().map(|(p, _)| *p).collect();
        path_patterns.extend(user_paths.iter().map(|s| s.as_str()));
        let allowed_paths = regex_set("allow.paths", &path_patterns)?;
        let mut value_patterns: Vec<&str> =
            BUILTIN_ALLOWED_VALUES.iter().map(|(p, _)| *p).collect();
        value_patterns.extend(config.allow.values.iter().map(String::as_str));
        let allowed_values = regex_set("allow.values", &value_patterns)?;

        let fingerprint = fingerprint(config, &rules, &path_patterns, &value_patterns, &scoped);
        Ok(Detector {
            rules,
            keywords,
            lines,
            triggers,
            allowed_paths,
            allowed_values,
            scan_binary: config.scan_binary,
            max_file_bytes: config.max_file_bytes(),
            fingerprint,
        })
    }

    /// Whether a file is worth reading, from its path and size alone: not over the size limit,
    /// not an allowlisted path (test fixtures, distribution docs, the user's `allow.paths`), not
    /// a name that says binary or compressed (`.so`, `.png`, `.gz`, ...). Empty files are skipped.
    pub fn wants(&self, path: &str, size: u64) -> bool {
        size > 0
            && size <= self.max_file_bytes
            && self.keywords.is_some()
            && (self.scan_binary || !allow::is_binary_name(path))
            && !self.allowed_paths.is_match(relative(path).as_bytes())
    }

    /// Whether a file whose first bytes are `head` is worth reading further: false for binary
    /// content (a NUL in the first 8 KiB) unless `scan_binary`. Lets a streaming caller stop
    /// after the first 8 KiB of an executable instead of reading it whole.
    pub fn wants_head(&self, head: &[u8]) -> bool {
        let probe = head.get(..BINARY_PROBE).unwrap_or(head);
        self.scan_binary || memchr::memchr(0, probe).is_none()
    }

    /// How many leading bytes [`Detector::wants_head`] looks at.
    pub const HEAD_BYTES: usize = BINARY_PROBE;

    /// Scan one file. Binary files (a NUL in the first 8 KiB, or a binary name) are skipped unless
    /// `scan_binary`; allowlisted paths are skipped.
    /// Findings have `location.path = path` and the 1-based line of the secret.
    pub fn scan_file(&self, path: &str, bytes: &[u8]) -> Vec<CheckFinding> {
        let probe = bytes.get(..BINARY_PROBE).unwrap_or(bytes);
        if !self.scan_binary && memchr::memchr(0, probe).is_some() {
            return Vec::new();
        }
        if (!self.scan_binary && allow::is_binary_name(path))
            || self.allowed_paths.is_match(relative(path).as_bytes())
        {
            return Vec::new();
        }
        self.scan(path, bytes)
    }

    /// Scan a string of the image config (`KEY=value` of `Env`, `key=value` of a label, a
    /// history `created_by`); `origin` becomes `location.path` (`config:Env`, `config:history[3]`).
    pub fn scan_text(&self, origin: &str, text: &str) -> Vec<CheckFinding> {
        self.scan(origin, text.as_bytes())
    }

    /// A stable hash of everything that decides findings (rules, allowlists, limits, the crate's
    /// rule version); a layer cache keyed on it invalidates itself when any of them changes.
    pub fn fingerprint(&self) -> String {
        self.fingerprint.clone()
    }

    /// The ids of the active rules, in priority order.
    pub fn rule_ids(&self) -> impl Iterator<Item = &str> {
        self.rules.iter().map(|r| r.id.as_str())
    }

    fn scan(&self, path: &str, hay: &[u8]) -> Vec<CheckFinding> {
        let Some(ac) = &self.keywords else {
            return Vec::new();
        };
        let Some(lines) = &self.lines else {
            return Vec::new();
        };
        // Fast path: a prefiltered search finds the lines holding a keyword; files without one
        // allocate nothing and run no regex. Every keyword on those lines (overlaps included)
        // comes from the overlapping DFA, run on the lines alone.
        let mut hits: Vec<(usize, usize)> = Vec::new();
        let mut next_line = 0usize;
        for m in lines.find_iter(hay) {
            if m.start() < next_line {
                continue;
            }
            let ls = memchr::memrchr(b'\n', hay.get(..m.start()).unwrap_or_default())
                .map_or(0, |i| i + 1);
            let le = line_end(hay, m.start());
            next_line = le;
            let line = hay.get(ls..le).unwrap_or_default();
            hits.extend(
                ac.find_overlapping_iter(line)
                    .map(|k| (k.pattern().as_usize(), ls + k.start())),
            );
        }
        if hits.is_empty() {
            return Vec::new();
        }
        let mut seen = vec![false; self.triggers.len()];
        for &(p, _) in &hits {
            if let Some(s) = seen.get_mut(p) {
                *s = true;
            }
        }
        let rel = relative(path);
        let code = allow::is_source_code(path);
        // Per rule: 0 not yet decided for this path, 1 runs, 2 never runs here.
        let mut state = vec![0u8; self.rules.len()];
        // Per rule: the end of the last line it ran on; hits before it are already covered.
        let mut covered = vec![0usize; self.rules.len()];
        let mut found: Vec<Candidate> = Vec::new();

        for &(pattern, start) in &hits {
            if found.len() > MAX_FINDINGS * 4 {
                break;
            }
            let Some(rules) = self.triggers.get(pattern) else {
                continue;
            };
            for &r in rules {
                let Some(rule) = self.rules.get(r) else {
                    continue;
                };
                let (Some(st), Some(cov)) = (state.get_mut(r), covered.get_mut(r)) else {
                    continue;
                };
                if *st == 0 {
                    let runs = rule
                        .requires_ids
                        .iter()
                        .all(|&i| seen.get(i).copied().unwrap_or(false))
                        && rule
                            .only_paths
                            .as_ref()
                            .is_none_or(|p| p.is_match(rel.as_bytes()))
                        && rule
                            .allow_paths
                            .as_ref()
                            .is_none_or(|p| !p.is_match(rel.as_bytes()));
                    *st = if runs { 1 } else { 2 };
                }
                if *st != 1 || start < *cov {
                    continue;
                }
                let line_start = memchr::memrchr(b'\n', hay.get(..start).unwrap_or_default())
                    .map_or(0, |i| i + 1);
                let line_end = line_end(hay, start);
                *cov = line_end;
                let mut win_end = line_end;
                for _ in 0..rule.window {
                    if win_end >= hay.len() {
                        break;
                    }
                    win_end = self::line_end(hay, win_end + 1);
                }
                let mut window = hay.get(line_start..win_end).unwrap_or_default();
                if rule.window == 0 {
                    window = window.strip_suffix(b"\r").unwrap_or(window);
                }
                self.run_rule(r, rule, window, line_start, code, &mut found);
            }
        }
        if found.is_empty() {
            return Vec::new();
        }
        let accepted = resolve_overlaps(found);
        self.findings(path, hay, &accepted)
    }

    fn run_rule(
        &self,
        r: usize,
        rule: &Rule,
        window: &[u8],
        offset: usize,
        code: bool,
        found: &mut Vec<Candidate>,
    ) {
        #[cfg(test)]
        counter::record(&rule.id);
        for caps in rule.regex.captures_iter(window) {
            let secret = if rule.secret_groups.is_empty() {
                caps.get(0)
            } else {
                rule.secret_groups.iter().find_map(|&g| caps.get(g))
            };
            let Some(secret) = secret else { continue };
            let value = secret.as_bytes();
            if rule.redact == Redact::Line && allow::is_placeholder(value) {
                continue;
            }
            if self.allowed_values.is_match(value)
                || rule
                    .allow_values
                    .as_ref()
                    .is_some_and(|s| s.is_match(value))
            {
                continue;
            }
            if rule
                .min_entropy
                .is_some_and(|m| allow::shannon_entropy(value) < m)
            {
                continue;
            }
            let quoted = secret
                .start()
                .checked_sub(1)
                .and_then(|i| window.get(i))
                .is_some_and(|&b| b == b'"' || b == b'\'');
            let key = rule
                .key_group
                .and_then(|g| caps.get(g))
                .map(|m| m.as_bytes());
            let passes = match rule.check {
                Check::None => true,
                Check::Jwt => is_jwt(value),
                Check::DockerAuth => is_docker_auth(value),
                Check::Assignment => {
                    assignment_ok(value, quoted, code) && !allow::is_password_label(value)
                }
                Check::Entropy => assignment_ok(value, quoted, code) && random_enough(value, key),
            };
            if !passes {
                continue;
            }
            let marker = rule
                .marker_group
                .and_then(|g| caps.get(g))
                .map(|m| (offset + m.start(), offset + m.end()));
            // Marker rules: the secret is the whole match (the key body), for overlaps.
            let (start, end) = match (rule.redact, caps.get(0)) {
                (Redact::Marker, Some(whole)) => (offset + whole.start(), offset + whole.end()),
                _ => (offset + secret.start(), offset + secret.end()),
            };
            found.push(Candidate {
                rule: r,
                start,
                end,
                marker,
            });
        }
    }

    fn findings(&self, path: &str, hay: &[u8], accepted: &[Candidate]) -> Vec<CheckFinding> {
        let mut out = Vec::with_capacity(accepted.len().min(MAX_FINDINGS));
        let mut cursor = (0usize, 1u32); // (byte offset, its line number)
        for c in accepted.iter().take(MAX_FINDINGS) {
            let Some(rule) = self.rules.get(c.rule) else {
                continue;
            };
            let line = line_number(hay, &mut cursor, c.start);
            let end_line = line_number(hay, &mut cursor, c.end.saturating_sub(1).max(c.start));
            cursor = (c.start, line);
            let evidence = match (rule.redact, c.marker) {
                (Redact::Marker, Some((s, e))) => {
                    String::from_utf8_lossy(hay.get(s..e).unwrap_or_default()).into_owned()
                }
                _ => redacted_line(hay, c, accepted),
            };
            out.push(CheckFinding {
                scanner: Scanner::Secret,
                rule: rule.id.clone(),
                title: rule.title.clone(),
                severity: rule.severity,
                location: Location {
                    path: path.to_owned(),
                    layer: None,
                    line: Some(line),
                    end_line: (end_line > line).then_some(end_line),
                    object: None,
                },
                evidence: Some(evidence),
                remediation: Some(REMEDIATION.to_owned()),
                aliases: Vec::new(),
                references: Vec::new(),
            });
        }
        out
    }
}

/// The path as allowlist patterns see it: no leading `/` or `./`.
fn relative(path: &str) -> &str {
    let p = path.strip_prefix("./").unwrap_or(path);
    p.trim_start_matches('/')
}

fn line_end(hay: &[u8], from: usize) -> usize {
    hay.get(from..)
        .and_then(|rest| memchr::memchr(b'\n', rest))
        .map_or(hay.len(), |i| from + i)
}

/// The 1-based line of `pos`, counting from a cursor that usually sits just before it.
fn line_number(hay: &[u8], cursor: &mut (usize, u32), pos: usize) -> u32 {
    let (cpos, cline) = *cursor;
    let line = if pos >= cpos {
        let n = memchr::memchr_iter(b'\n', hay.get(cpos..pos).unwrap_or_default()).count();
        cline.saturating_add(u32::try_from(n).unwrap_or(u32::MAX))
    } else {
        let n = memchr::memchr_iter(b'\n', hay.get(..pos).unwrap_or_default()).count();
        u32::try_from(n).unwrap_or(u32::MAX).saturating_add(1)
    };
    *cursor = (pos, line);
    line
}

/// Keeps, among overlapping candidates, the one of the highest-priority rule (lowest index);
/// returns them in input order.
fn resolve_overlaps(mut found: Vec<Candidate>) -> Vec<Candidate> {
    found.sort_by_key(|c| (c.rule, c.start));
    let mut accepted: Vec<Candidate> = Vec::new();
    for c in found {
        if !accepted.iter().any(|a| a.start < c.end && c.start < a.end) {
            accepted.push(c);
        }
    }
    accepted.sort_by_key(|c| (c.start, c.rule));
    accepted
}

/// The line holding the secret's start, with every accepted secret on it replaced by its first
/// characters (at most 4, at most a third of it) and `*****`; cut to [`MAX_EVIDENCE`] bytes.
fn redacted_line(hay: &[u8], c: &Candidate, accepted: &[Candidate]) -> String {
    let ls = memchr::memrchr(b'\n', hay.get(..c.start).unwrap_or_default()).map_or(0, |i| i + 1);
    let mut le = line_end(hay, c.start);
    if le > ls && hay.get(le - 1) == Some(&b'\r') {
        le -= 1;
    }
    // Show at most MAX_EVIDENCE bytes of context around this secret.
    let from = c.start.saturating_sub(MAX_EVIDENCE / 2).max(ls);
    let to = c.end.saturating_add(MAX_EVIDENCE / 2).min(le).max(from);
    let mut spans: Vec<(usize, usize)> = accepted
        .iter()
        .filter(|a| a.start < to && a.end > from)
        .map(|a| (a.start, a.end))
        .collect();
    spans.sort_unstable();
    let mut out = String::new();
    if from > ls {
        out.push('…');
    }
    let mut pos = from;
    for (s, e) in spans {
        // Anything in a span is hidden, even the part before `from` or after the line.
        let s_vis = s.max(pos);
        if s_vis > pos {
            out.push_str(&String::from_utf8_lossy(
                hay.get(pos..s_vis).unwrap_or_default(),
            ));
        }
        if e > pos {
            if s >= from {
                let secret = String::from_utf8_lossy(hay.get(s..e).unwrap_or_default());
                let keep = (secret.chars().count() / 3).min(4);
                out.extend(secret.chars().take(keep));
            }
            out.push_str("*****");
            pos = e.min(to).max(pos);
        }
    }
    if to > pos {
        out.push_str(&String::from_utf8_lossy(
            hay.get(pos..to).unwrap_or_default(),
        ));
    }
    if to < le {
        out.push('…');
    }
    out
}

fn assignment_ok(value: &[u8], quoted: bool, code: bool) -> bool {
    if quoted {
        return value.len() >= 4;
    }
    // Unquoted: a literal in a config file, an expression in code.
    !code && value.len() >= 4 && !value.iter().any(|b| matches!(b, b'(' | b')' | b'[' | b']'))
}

fn random_enough(value: &[u8], key: Option<&[u8]>) -> bool {
    if key.is_some_and(allow::is_non_secret_key) {
        return false;
    }
    let has_digit = value.iter().any(u8::is_ascii_digit);
    let has_alpha = value.iter().any(u8::is_ascii_alphabetic);
    if !has_digit
        || !has_alpha
        || allow::is_identifier_like(value)
        || allow::is_camel_identifier(value)
    {
        return false;
    }
    let hex = value.iter().all(u8::is_ascii_hexdigit);
    let threshold = if hex { 3.0 } else { 3.5 };
    allow::shannon_entropy(value) >= threshold
}

fn is_jwt(value: &[u8]) -> bool {
    let Some(header) = value.split(|&b| b == b'.').next() else {
        return false;
    };
    let trimmed: Vec<u8> = header.iter().copied().filter(|&b| b != b'=').collect();
    let Ok(json) = base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(trimmed) else {
        return false;
    };
    serde_json::from_slice::<serde_json::Map<String, serde_json::Value>>(&json)
        .is_ok_and(|m| m.get("alg").is_some_and(serde_json::Value::is_string))
}

fn is_docker_auth(value: &[u8]) -> bool {
    let Ok(decoded) = base64::engine::general_purpose::STANDARD.decode(value) else {
        return false;
    };
    let Some(colon) = memchr::memchr(b':', &decoded) else {
        return false;
    };
    let (user, password) = (decoded.get(..colon), decoded.get(colon + 1..));
    user.is_some_and(|u| !u.is_empty())
        && password.is_some_and(|p| !allow::is_placeholder(p) && p.len() >= 4)
}

fn builtin_regex(id: &str, pattern: &str) -> Result<Regex, Error> {
    Regex::new(pattern).map_err(|e| Error::Regex {
        what: format!("built-in rule {id:?}"),
        pattern: pattern.to_owned(),
        message: e.to_string(),
    })
}

fn group(regex: &Regex, name: &str) -> Option<usize> {
    regex.capture_names().position(|n| n == Some(name))
}

/// Groups named `secret` or `secret_*`, in order.
fn secret_groups(regex: &Regex) -> Vec<usize> {
    regex
        .capture_names()
        .enumerate()
        .filter(|(_, n)| n.is_some_and(|n| n == "secret" || n.starts_with("secret_")))
        .map(|(i, _)| i)
        .collect()
}

fn regex_set(what: &str, patterns: &[&str]) -> Result<RegexSet, Error> {
    for p in patterns {
        if let Err(e) = Regex::new(p) {
            return Err(Error::Regex {
                what: what.to_owned(),
                pattern: (*p).to_owned(),
                message: e.to_string(),
            });
        }
    }
    RegexSet::new(patterns).map_err(|e| Error::Regex {
        what: what.to_owned(),
        pattern: patterns.join(" | "),
        message: e.to_string(),
    })
}

fn optional_set(what: &str, patterns: &[&String]) -> Result<Option<RegexSet>, Error> {
    if patterns.is_empty() {
        return Ok(None);
    }
    let p: Vec<&str> = patterns.iter().map(|s| s.as_str()).collect();
    regex_set(what, &p).map(Some)
}

fn fingerprint(
    config: &SecretConfig,
    rules: &[Rule],
    paths: &[&str],
    values: &[&str],
    scoped: &[(String, Vec<String>, Vec<String>)],
) -> String {
    let mut h = Sha256::new();
    let mut put = |s: &str| {
        h.update(s.len().to_le_bytes());
        h.update(s.as_bytes());
    };
    put(&format!("zoll-secrets rules v{RULES_VERSION}"));
    for r in rules {
        put(&r.id);
        put(r.severity.as_str());
        put(&r.title);
        put(r.regex.as_str());
        put(&r.keywords.join("\u{0}"));
        put(&r.requires.join("\u{0}"));
        put(&format!(
            "{:?}{:?}{:?}{:?}{:?}{}",
            r.secret_groups,
            r.min_entropy,
            r.check,
            r.redact,
            r.window,
            r.only_paths.as_ref().map_or("", |p| p.as_str())
        ));
    }
    put(&paths.join("\u{0}"));
    put(&values.join("\u{0}"));
    for (id, p, v) in scoped {
        put(id);
        put(&p.join("\u{0}"));
        put(&v.join("\u{0}"));
    }
    put(&format!(
        "{} {}",
        config.scan_binary,
        config.max_file_bytes()
    ));
    format!("sha256:{}", hex::encode(h.finalize()))
}

/// Test-only: which rules' regexes ran on this thread.
#[cfg(test)]
pub(crate) mod counter {
    use std::cell::RefCell;

    thread_local! {
        static RUNS: RefCell<Vec<String>> = const { RefCell::new(Vec::new()) };
    }

    pub(crate) fn record(id: &str) {
        RUNS.with(|r| r.borrow_mut().push(id.to_owned()));
    }

    /// The rule ids whose regex ran since the last call.
    pub(crate) fn take() -> Vec<String> {
        RUNS.with(|r| std::mem::take(&mut *r.borrow_mut()))
    }
}
