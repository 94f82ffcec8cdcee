//! The rules: what each checks, and the metadata `zoll lint --help` and the docs print.

use std::collections::{BTreeMap, BTreeSet};

use zoll_core::{CheckFinding, Location, Scanner, Severity};

use crate::expand::{self, Vars};
use crate::parse::{CommandLine, Dockerfile, Flag, Healthcheck, Kind, Run, Transfer};
use crate::shell::{self, Command, Script};

/// One rule: its id, what it means, and how it maps to hadolint.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RuleInfo {
    /// `DL3007` (hadolint's id, same rule) or `ZD001` (zoll's own).
    pub id: &'static str,
    pub title: &'static str,
    pub severity: Severity,
    /// The hadolint rule this is, when hadolint has it.
    pub hadolint: Option<&'static str>,
    /// Other tools' ids for the same check.
    pub aliases: &'static [&'static str],
    pub remediation: &'static str,
}

macro_rules! rule {
    ($id:literal, $sev:ident, hadolint, $title:literal, $fix:literal) => {
        RuleInfo {
            id: $id,
            title: $title,
            severity: Severity::$sev,
            hadolint: Some($id),
            aliases: &[],
            remediation: $fix,
        }
    };
    ($id:literal, $sev:ident, zoll, $aliases:expr, $title:literal, $fix:literal) => {
        RuleInfo {
            id: $id,
            title: $title,
            severity: Severity::$sev,
            hadolint: None,
            aliases: $aliases,
            remediation: $fix,
        }
    };
}

static RULES: &[RuleInfo] = &[
    rule!(
        "DL3002",
        High,
        hadolint,
        "Last USER should not be root",
        "Switch to an unprivileged USER at the end of the stage."
    ),
    rule!(
        "DL3003",
        Low,
        hadolint,
        "Use WORKDIR to switch to a directory",
        "Replace `cd DIR` with `WORKDIR DIR`."
    ),
    rule!(
        "DL3004",
        Medium,
        hadolint,
        "Do not use sudo as it leads to unpredictable behavior",
        "RUN already runs as the current USER; use USER, or gosu/su-exec at runtime."
    ),
    rule!(
        "DL3006",
        Medium,
        hadolint,
        "Always tag the version of an image explicitly",
        "Name a tag (and better, a digest): `FROM debian:12.5`."
    ),
    rule!(
        "DL3007",
        Medium,
        hadolint,
        "Using latest is prone to errors if the image will ever update",
        "Pin a release tag (and better, a digest) instead of `latest`."
    ),
    rule!(
        "DL3008",
        Medium,
        hadolint,
        "Pin versions in apt-get install",
        "Use `apt-get install PACKAGE=VERSION`."
    ),
    rule!(
        "DL3009",
        Low,
        hadolint,
        "Delete the apt-get lists after installing something",
        "End the RUN with `rm -rf /var/lib/apt/lists/*`, or use a cache mount for /var/lib/apt/lists."
    ),
    rule!(
        "DL3013",
        Medium,
        hadolint,
        "Pin versions in pip",
        "Use `pip install PACKAGE==VERSION` or `pip install -r requirements.txt` with pinned requirements."
    ),
    rule!(
        "DL3014",
        Low,
        hadolint,
        "Use the -y switch to avoid manual input with apt-get install",
        "Use `apt-get install -y`."
    ),
    rule!(
        "DL3015",
        Low,
        hadolint,
        "Avoid additional packages by specifying --no-install-recommends",
        "Use `apt-get install --no-install-recommends`."
    ),
    rule!(
        "DL3016",
        Medium,
        hadolint,
        "Pin versions in npm",
        "Use `npm install PACKAGE@VERSION`, or `npm ci` with a lock file."
    ),
    rule!(
        "DL3018",
        Medium,
        hadolint,
        "Pin versions in apk add",
        "Use `apk add PACKAGE=VERSION`."
    ),
    rule!(
        "DL3020",
        Medium,
        hadolint,
        "Use COPY instead of ADD for files and folders",
        "Use COPY; ADD is for remote URLs and local archives to extract."
    ),
    rule!(
        "DL3025",
        Low,
        hadolint,
        "Use JSON notation for CMD, ENTRYPOINT and HEALTHCHECK arguments",
        "Write `CMD [\"executable\", \"arg\"]` so the process gets signals directly."
    ),
    rule!(
        "DL3028",
        Medium,
        hadolint,
        "Pin versions in gem install",
        "Use `gem install GEM:VERSION`."
    ),
    rule!(
        "DL4003",
        Low,
        hadolint,
        "Multiple CMD instructions in one stage: only the last takes effect",
        "Keep one CMD per stage."
    ),
    rule!(
        "DL4004",
        Medium,
        hadolint,
        "Multiple ENTRYPOINT instructions in one stage: only the last takes effect",
        "Keep one ENTRYPOINT per stage."
    ),
    rule!(
        "DL4006",
        Medium,
        hadolint,
        "Set the SHELL option -o pipefail before RUN with a pipe in it",
        "Add `SHELL [\"/bin/bash\", \"-o\", \"pipefail\", \"-c\"]` before the RUN, so a failing download fails the build."
    ),
    rule!(
        "ZD001",
        Low,
        zoll,
        &[],
        "Base image is not pinned by digest",
        "Add the digest: `FROM IMAGE:TAG@sha256:...`, and let a bot update it."
    ),
    rule!(
        "ZD002",
        High,
        zoll,
        &[],
        "Remote script piped into a shell or interpreter",
        "Download to a file, verify its checksum or signature, then run it."
    ),
    rule!(
        "ZD003",
        Medium,
        zoll,
        &[],
        "ADD from a URL without --checksum",
        "Use `ADD --checksum=sha256:... URL DEST`, or download and verify in a RUN."
    ),
    rule!(
        "ZD004",
        Low,
        zoll,
        &["CIS-DI-0006"],
        "No HEALTHCHECK in the final stage",
        "Add `HEALTHCHECK CMD ...` (or `HEALTHCHECK NONE` to state there is none)."
    ),
    rule!(
        "ZD005",
        High,
        zoll,
        &[],
        "Secret-looking ENV or ARG with a literal value",
        "Pass secrets at build time with `RUN --mount=type=secret` and at run time from the environment; never bake them into the image."
    ),
];

/// Every rule zoll checks in a Dockerfile.
pub fn rules() -> &'static [RuleInfo] {
    RULES
}

/// What [`lint`] leaves out.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct LintOptions {
    /// Rule ids never reported (hadolint's or zoll's).
    pub ignored: Vec<String>,
}

/// hadolint rules that hadolint also applies to the instruction inside `ONBUILD`.
const ONBUILD_RULES: &[&str] = &[
    "DL3004", "DL3008", "DL3009", "DL3013", "DL3014", "DL3015", "DL3016", "DL3018", "DL3028",
];

const MAX_EVIDENCE: usize = 160;

struct Hit {
    rule: &'static str,
    line: u32,
    end_line: u32,
    stage: Option<usize>,
    evidence: String,
    /// The instruction whose inline ignores apply.
    instruction: Option<usize>,
}

/// A `FROM` image split into name, tag and digest.
#[derive(Clone, Debug, PartialEq, Eq)]
struct ImageName {
    name: String,
    tag: Option<String>,
    digest: Option<String>,
}

fn split_image(s: &str) -> ImageName {
    let (rest, digest) = match s.split_once('@') {
        Some((r, d)) => (r, Some(d.to_owned())),
        None => (s, None),
    };
    let slash = rest.rfind('/').map_or(0, |i| i + 1);
    let (name, tag) = match rest.get(slash..).and_then(|last| last.rfind(':')) {
        Some(i) => {
            let at = slash + i;
            (
                rest.get(..at).unwrap_or(rest).to_owned(),
                rest.get(at + 1..).map(str::to_owned),
            )
        }
        None => (rest.to_owned(), None),
    };
    ImageName { name, tag, digest }
}

struct Stage {
    alias: Option<String>,
    /// The FROM as written: (image, alias, platform), for hadolint's DL3009 "same FROM" test.
    key: (String, Option<String>, Option<String>),
    /// The image name as written, without tag and digest.
    raw_name: String,
    line: u32,
    /// The earlier stage this one builds on.
    parent: Option<usize>,
    has_healthcheck: bool,
}

fn stage_label(stages: &[Stage], i: usize) -> String {
    match stages.get(i).and_then(|s| s.alias.as_deref()) {
        Some(a) => a.to_owned(),
        None => format!("stage {i}"),
    }
}

fn short(s: &str) -> String {
    let s = s.split_whitespace().collect::<Vec<_>>().join(" ");
    if s.chars().count() <= MAX_EVIDENCE {
        return s;
    }
    let mut t: String = s.chars().take(MAX_EVIDENCE).collect();
    t.push('…');
    t
}

fn command_text(c: &Command) -> String {
    let mut s = c.name.clone();
    for a in &c.args {
        s.push(' ');
        s.push_str(a);
    }
    short(&s)
}

/// The script a `RUN` runs: its command line, plus the first here-document when that is the
/// script (`RUN <<EOF`, `RUN <<EOF bash`), not data for another program (`RUN python3 <<EOF`).
fn run_script(run: &Run) -> Script {
    let mut script = shell::parse(&run.command.as_script());
    if let (Some(h), CommandLine::Shell(_)) = (run.heredocs.first(), &run.command) {
        let is_script = match script.commands.first() {
            None => true,
            Some(c) => matches!(c.basename(), "sh" | "bash" | "ash" | "dash" | "zsh" | "ksh"),
        };
        if is_script {
            let body = shell::parse(&h.body);
            let base = script
                .commands
                .iter()
                .map(|c| c.pipeline)
                .max()
                .unwrap_or(0)
                + 1;
            script.has_pipes |= body.has_pipes;
            for mut c in body.commands {
                c.pipeline = c.pipeline.saturating_add(base);
                script.commands.push(c);
            }
        }
    }
    script
}

fn has_arg(c: &Command, a: &str) -> bool {
    c.args.iter().any(|x| x == a)
}

fn strip_install_prefix<'a>(args: &[&'a str]) -> Vec<&'a str> {
    args.iter()
        .skip_while(|a| **a != "install")
        .skip_while(|a| **a == "install")
        .copied()
        .collect()
}

fn apt_get_install(c: &Command) -> bool {
    c.is_with_arg("apt-get", &["install"])
}

/// DL3008: the first apt-get install with an unpinned package.
fn dl3008(c: &Command) -> bool {
    apt_get_install(c)
        && c.args_no_flags(Some(&["t", "target-release"]))
            .into_iter()
            .filter(|a| *a != "install")
            .any(|p| !(p.contains('=') || p.contains('/') || p.ends_with(".deb")))
}

fn dl3014(c: &Command) -> bool {
    apt_get_install(c) && !c.has_flag(&["y", "yes", "q", "assume-yes"])
}

fn dl3015(c: &Command) -> bool {
    apt_get_install(c)
        && !(c.has_flag(&["no-install-recommends"]) || has_arg(c, "APT::Install-Recommends=false"))
}

const PIP_VALUE_FLAGS: &[&str] = &[
    "abi",
    "b",
    "build",
    "e",
    "editable",
    "extra-index-url",
    "f",
    "find-links",
    "i",
    "index-url",
    "implementation",
    "no-binary",
    "only-binary",
    "platform",
    "prefix",
    "progress-bar",
    "proxy",
    "python-version",
    "root",
    "src",
    "t",
    "target",
    "trusted-host",
    "upgrade-strategy",
];

const PIP_VCS: &[&str] = &[
    "git+file",
    "git+https",
    "git+ssh",
    "git+http",
    "git+git",
    "git",
    "hg+file",
    "hg+http",
    "hg+https",
    "hg+ssh",
    "hg+static-http",
    "svn",
    "svn+svn",
    "svn+http",
    "svn+https",
    "svn+ssh",
    "bzr+http",
    "bzr+https",
    "bzr+ssh",
    "bzr+sftp",
    "bzr+ftp",
    "bzr+lp",
];

fn pip_pinned(p: &str) -> bool {
    let vcs = PIP_VCS.iter().any(|s| p.starts_with(s));
    ["==", ">=", "<=", ">", "<", "!=", "~=", "==="]
        .iter()
        .any(|s| p.contains(s))
        || (vcs && p.contains('@'))
        || p.ends_with(".whl")
        || p.ends_with(".tar.gz")
        || (!vcs && p.contains('/'))
}

/// DL3013. zoll differs from hadolint in one way: the command may be named by path
/// (`/opt/venv/bin/pip`), which hadolint does not recognise.
fn dl3013(c: &Command) -> bool {
    let name = c.basename();
    let windows = |w: &[&str]| {
        c.args
            .windows(w.len())
            .any(|x| x.iter().map(String::as_str).eq(w.iter().copied()))
    };
    let install = (name.starts_with("pip") && has_arg(c, "install"))
        || (name.starts_with("python") && windows(&["-m", "pip", "install"]));
    if !install || c.has_flag(&["constraint", "c"]) {
        return false;
    }
    if has_arg(c, "--requirement") || has_arg(c, "-r") || has_arg(c, ".") {
        return false;
    }
    let args = c.args_no_flags(Some(PIP_VALUE_FLAGS));
    strip_install_prefix(&args).iter().any(|p| !pip_pinned(p))
}

fn npm_pinned(p: &str) -> bool {
    if ["git://", "git+ssh://", "git+http://", "git+https://"]
        .iter()
        .any(|g| p.starts_with(g))
    {
        return p.contains('#');
    }
    if [".tar", ".tar.gz", ".tgz"].iter().any(|s| p.ends_with(s)) {
        return true;
    }
    if ["/", "./", "../", "~/"].iter().any(|s| p.starts_with(s)) {
        return true;
    }
    // hadolint drops a scope by skipping the leading characters above '/'.
    let unscoped = if p.starts_with('@') {
        p.trim_start_matches(|c: char| c > '/')
    } else {
        p
    };
    unscoped.contains('@')
}

fn dl3016(c: &Command) -> bool {
    if !c.is_with_arg("npm", &["install"]) {
        return false;
    }
    let args = c.args_no_flags(Some(&[]));
    args.first() == Some(&"install") && strip_install_prefix(&args).iter().any(|p| !npm_pinned(p))
}

fn dl3018(c: &Command) -> bool {
    c.is_with_arg("apk", &["add"])
        && c.args_no_flags(Some(&["t", "virtual", "repository", "X"]))
            .into_iter()
            .filter(|a| *a != "add")
            .any(|p| !(p.contains('=') || p.contains('~') || p.ends_with(".apk")))
}

fn dl3028(c: &Command) -> bool {
    c.is_with_arg("gem", &["install", "i"])
        && !has_arg(c, "-v")
        && !has_arg(c, "--version")
        && !c.args.iter().any(|a| a.starts_with("--version="))
        && c.args_no_flags(None)
            .into_iter()
            .filter(|a| !matches!(*a, "install" | "i" | "--"))
            .any(|p| !p.contains(':'))
}

/// DL3009's trigger: `apt-get|apt|aptitude update` without `rm -rf /var/lib/apt/lists/*` (as
/// hadolint: any `rm` with the word `-rf` or `/var/lib/apt/lists/*` counts as the cleanup).
fn dl3009_forgot(script: &Script) -> Option<String> {
    let update = script.commands.iter().find(|c| {
        matches!(c.name.as_str(), "apt-get" | "apt" | "aptitude") && has_arg(c, "update")
    })?;
    let cleaned = script
        .commands
        .iter()
        .any(|c| c.is_with_arg("rm", &["-rf", "/var/lib/apt/lists/*"]));
    (!cleaned).then(|| command_text(update))
}

fn cache_mount_targets(flags: &[Flag]) -> Vec<String> {
    let mut out = Vec::new();
    for f in flags.iter().filter(|f| f.name == "mount") {
        let Some(v) = &f.value else { continue };
        let mut is_cache = false;
        let mut target = None;
        for kv in v.split(',') {
            match kv.split_once('=') {
                Some(("type", "cache")) => is_cache = true,
                Some(("target" | "dst" | "destination", t)) => target = Some(t.to_owned()),
                _ => {}
            }
        }
        if let (true, Some(t)) = (is_cache, target) {
            out.push(t);
        }
    }
    out
}

fn dl3009_cached(flags: &[Flag]) -> bool {
    let t = cache_mount_targets(flags);
    let has = |d: &str| t.iter().any(|x| x.starts_with(d));
    has("/var/lib/apt/lists") || (has("/var/lib/apt") && has("/var/cache/apt"))
}

const FETCHERS: &[&str] = &["curl", "wget"];
const SINKS: &[&str] = &[
    "sh", "bash", "zsh", "ash", "dash", "ksh", "python", "python2", "python3", "perl", "ruby",
    "node", "php",
];

/// The program a wrapper (`sudo`, `env`, `exec`, `command`, `nohup`) runs.
fn effective_name(c: &Command) -> &str {
    let b = c.basename();
    if matches!(b, "sudo" | "env" | "exec" | "command" | "nohup") {
        c.args
            .iter()
            .find(|a| !a.starts_with('-') && !a.contains('='))
            .map_or(b, |a| shell::basename(a))
    } else {
        b
    }
}

fn fetches(c: &Command) -> bool {
    FETCHERS.contains(&effective_name(c))
        || c.substituted
            .iter()
            .any(|n| FETCHERS.contains(&shell::basename(n)))
}

/// ZD002: `curl URL | sh`, `wget -qO- URL | sudo bash`, `sh -c "$(curl URL)"`, `bash <(curl URL)`.
fn zd002(script: &Script) -> Option<String> {
    // The first fetching command of each pipeline seen so far (commands are in source order).
    let mut fetcher: BTreeMap<usize, &Command> = BTreeMap::new();
    for c in &script.commands {
        let name = effective_name(c);
        let runs_code = SINKS.contains(&name);
        if runs_code && let Some(f) = fetcher.get(&c.pipeline) {
            return Some(format!("{} | {}", command_text(f), command_text(c)));
        }
        let evaluates = runs_code || matches!(name, "eval" | "source" | ".");
        if evaluates
            && c.substituted
                .iter()
                .any(|n| FETCHERS.contains(&shell::basename(n)))
        {
            return Some(command_text(c));
        }
        if fetches(c) {
            fetcher.entry(c.pipeline).or_insert(c);
        }
    }
    None
}

fn is_root(user: &str) -> bool {
    let u = user.trim();
    u == "root" || u == "0" || u.starts_with("root:") || u.starts_with("0:")
}

fn secret_name(name: &str) -> bool {
    // Split snake, kebab and camel case into upper-case tokens.
    let mut tokens: Vec<String> = Vec::new();
    let mut cur = String::new();
    let mut prev_lower = false;
    for c in name.chars() {
        if !c.is_ascii_alphanumeric() {
            if !cur.is_empty() {
                tokens.push(std::mem::take(&mut cur));
            }
            prev_lower = false;
            continue;
        }
        if c.is_ascii_uppercase() && prev_lower && !cur.is_empty() {
            tokens.push(std::mem::take(&mut cur));
        }
        prev_lower = c.is_ascii_lowercase() || c.is_ascii_digit();
        cur.push(c.to_ascii_uppercase());
    }
    if !cur.is_empty() {
        tokens.push(cur);
    }
    let Some(last) = tokens.last() else {
        return false;
    };
    // Names of a place or a property of a secret, not the secret.
    if matches!(
        last.as_str(),
        "FILE"
            | "FILES"
            | "PATH"
            | "DIR"
            | "LOCATION"
            | "ID"
            | "NAME"
            | "LENGTH"
            | "LEN"
            | "SIZE"
            | "TTL"
            | "TIMEOUT"
            | "EXPIRY"
            | "ENABLED"
            | "DISABLED"
            | "MODE"
            | "TYPE"
            | "VERSION"
            | "HEADER"
            | "URL"
            | "ENDPOINT"
    ) {
        return false;
    }
    let single = tokens.iter().any(|t| {
        matches!(
            t.as_str(),
            "PASSWORD"
                | "PASSWD"
                | "PASS"
                | "PASSPHRASE"
                | "SECRET"
                | "TOKEN"
                | "APIKEY"
                | "CREDENTIALS"
                | "CREDENTIAL"
                | "PRIVATEKEY"
        )
    });
    let pair = tokens.windows(2).any(|w| {
        matches!(
            (w.first().map(String::as_str), w.get(1).map(String::as_str)),
            (
                Some("API" | "ACCESS" | "PRIVATE" | "AUTH" | "ENCRYPTION" | "SIGNING" | "MASTER"),
                Some("KEY")
            )
        )
    });
    single || pair
}

fn literal_secret(value: &str) -> bool {
    let v = value.trim();
    if v.is_empty() {
        return false;
    }
    if matches!(
        v.to_ascii_lowercase().as_str(),
        "true" | "false" | "yes" | "no" | "on" | "off" | "0" | "1" | "none" | "null"
    ) {
        return false;
    }
    // A reference to a build argument or another variable is not a literal.
    let inner = v
        .strip_prefix("${")
        .and_then(|r| r.strip_suffix('}'))
        .or_else(|| v.strip_prefix('$'));
    !inner.is_some_and(|n| {
        !n.is_empty()
            && n.chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == ':' || c == '-')
    })
}

/// Whether `NAME=VALUE` (an ENV or a build ARG) puts a literal secret into an image: the name
/// says it holds a credential (`DB_PASSWORD`, `apiKey`, `GITHUB_TOKEN`; not `*_FILE`, `*_PATH`,
/// `*_ID`, ...) and the value is a literal (not empty, not a boolean, not `$VAR`). Shared by
/// ZD005 and the image check CIS-DI-0010 (zoll-scan), which reads the same assignments from an
/// image config.
pub fn is_secret_assignment(name: &str, value: &str) -> bool {
    secret_name(name) && literal_secret(value)
}

fn zd005<'a>(
    keyword: &str,
    mut pairs: impl Iterator<Item = (&'a str, Option<&'a str>)>,
) -> Option<String> {
    pairs
        .find_map(|(k, v)| is_secret_assignment(k, v?).then(|| format!("{keyword} {k}=<redacted>")))
}

fn is_url(s: &str) -> bool {
    let l = s.to_ascii_lowercase();
    l.starts_with("http://") || l.starts_with("https://")
}

fn drop_quotes(s: &str) -> &str {
    s.trim_matches(|c| c == '"' || c == '\'')
}

const ARCHIVES: &[&str] = &[
    ".tar", ".Z", ".bz2", ".gz", ".lz", ".lzma", ".tZ", ".tb2", ".tbz", ".tbz2", ".tgz", ".tlz",
    ".tpz", ".txz", ".xz",
];

fn dl3020(t: &Transfer) -> Option<String> {
    t.sources
        .iter()
        .map(|s| drop_quotes(s))
        .find(|s| {
            !(ARCHIVES.iter().any(|a| s.ends_with(a))
                || s.starts_with("https://")
                || s.starts_with("http://"))
        })
        .map(short)
}

fn zd003(t: &Transfer) -> Option<String> {
    if t.flags.iter().any(|f| f.name == "checksum") {
        return None;
    }
    t.sources
        .iter()
        .map(|s| drop_quotes(s))
        .find(|s| is_url(s))
        .map(short)
}

type CommandCheck = fn(&Command) -> bool;

fn dl3004(c: &Command) -> bool {
    c.name == "sudo"
}

/// Rules that look at one command at a time; one finding per `RUN`, at the first command.
static COMMAND_RULES: &[(&str, CommandCheck)] = &[
    ("DL3004", dl3004),
    ("DL3008", dl3008),
    ("DL3013", dl3013),
    ("DL3014", dl3014),
    ("DL3015", dl3015),
    ("DL3016", dl3016),
    ("DL3018", dl3018),
    ("DL3028", dl3028),
];

/// The findings of one `RUN` (`top_level`: not inside `ONBUILD`), and the evidence for DL3009
/// when the `RUN` leaves apt lists behind (judged per stage at the end).
fn run_hits(
    run: &Run,
    top_level: bool,
    pipefail: bool,
) -> (Vec<(&'static str, String)>, Option<String>) {
    let script = run_script(run);
    let mut out = Vec::new();
    for (id, check) in COMMAND_RULES {
        if !top_level && !ONBUILD_RULES.contains(id) {
            continue;
        }
        if let Some(c) = script.commands.iter().find(|c| check(c)) {
            out.push((*id, command_text(c)));
        }
    }
    if top_level {
        if let Some(c) = script.commands.iter().find(|c| c.name == "cd") {
            out.push(("DL3003", command_text(c)));
        }
        if !pipefail && script.has_pipes {
            out.push(("DL4006", short(&run.command.as_script())));
        }
    }
    if let Some(e) = zd002(&script) {
        out.push(("ZD002", e));
    }
    let apt = dl3009_forgot(&script).filter(|_| !dl3009_cached(&run.flags));
    (out, apt)
}

/// Checks `df` (read from `path`) against every rule not ignored.
pub fn lint(df: &Dockerfile, path: &str, opts: &LintOptions) -> Vec<CheckFinding> {
    let mut hits: Vec<Hit> = Vec::new();
    let mut stages: Vec<Stage> = Vec::new();
    let mut global_args: Vars = BTreeMap::new();
    // Stage names (lower case, as BuildKit compares them) to stage index.
    let mut aliases: BTreeMap<String, usize> = BTreeMap::new();
    // Per stage state.
    let mut pipefail = false;
    let mut cmds = 0usize;
    let mut entrypoints = 0usize;
    let mut last_user: BTreeMap<usize, (u32, String, usize)> = BTreeMap::new();
    let mut apt_lists: Vec<(usize, u32, String, usize)> = Vec::new();

    for (idx, ins) in df.instructions.iter().enumerate() {
        let stage = stages.len().checked_sub(1);
        let mut hit = |rule: &'static str, evidence: String| {
            hits.push(Hit {
                rule,
                line: ins.line,
                end_line: ins.end_line,
                stage,
                evidence,
                instruction: Some(idx),
            });
        };
        match &ins.kind {
            Kind::From(f) => {
                let resolved = expand::expand(&f.image, &global_args, df.escape);
                let parent = resolved.as_deref().and_then(|r| {
                    let img = split_image(r);
                    if img.tag.is_some() || img.digest.is_some() {
                        return None;
                    }
                    aliases.get(&img.name.to_ascii_lowercase()).copied()
                });
                let n = stages.len();
                if let Some(a) = &f.alias {
                    // The first stage of a name wins, as in BuildKit.
                    aliases.entry(a.to_ascii_lowercase()).or_insert(n);
                }
                stages.push(Stage {
                    alias: f.alias.clone(),
                    key: (f.image.clone(), f.alias.clone(), f.platform.clone()),
                    raw_name: split_image(&f.image).name,
                    line: ins.line,
                    parent,
                    has_healthcheck: false,
                });
                pipefail = false;
                cmds = 0;
                entrypoints = 0;
                let stage = Some(n);
                let mut hit = |rule: &'static str, evidence: String| {
                    hits.push(Hit {
                        rule,
                        line: ins.line,
                        end_line: ins.end_line,
                        stage,
                        evidence,
                        instruction: Some(idx),
                    });
                };
                // An image that depends on a build argument without a default is not judged.
                let Some(resolved) = resolved else { continue };
                if resolved == "scratch" || parent.is_some() {
                    continue;
                }
                let img = split_image(&resolved);
                let ev = if resolved == f.image {
                    resolved.clone()
                } else {
                    format!("{} (= {resolved})", f.image)
                };
                if img.digest.is_none() {
                    match img.tag.as_deref() {
                        None => hit("DL3006", ev.clone()),
                        Some("latest") => hit("DL3007", ev.clone()),
                        Some(_) => {}
                    }
                    hit("ZD001", ev);
                }
            }
            // RUN, ENV and ARG, on their own or inside ONBUILD (where an ONBUILD RUN gets only
            // the rules hadolint applies there, `ONBUILD_RULES`).
            Kind::Arg(_) | Kind::Env(_) | Kind::Run(_) | Kind::Onbuild(_) => {
                let (body, prefix) = match &ins.kind {
                    Kind::Onbuild(inner) => (inner.as_ref(), "ONBUILD "),
                    k => (k, ""),
                };
                match body {
                    Kind::Arg(pairs) => {
                        if prefix.is_empty() && stages.is_empty() {
                            for (k, v) in pairs {
                                global_args.insert(k.clone(), v.clone());
                            }
                        }
                        let pairs = pairs.iter().map(|(k, v)| (k.as_str(), v.as_deref()));
                        if let Some(e) = zd005(&format!("{prefix}ARG"), pairs) {
                            hit("ZD005", e);
                        }
                    }
                    Kind::Env(pairs) => {
                        let pairs = pairs.iter().map(|(k, v)| (k.as_str(), Some(v.as_str())));
                        if let Some(e) = zd005(&format!("{prefix}ENV"), pairs) {
                            hit("ZD005", e);
                        }
                    }
                    Kind::Run(run) => {
                        let (found, apt) = run_hits(run, prefix.is_empty(), pipefail);
                        for (id, e) in found {
                            hit(id, e);
                        }
                        if let (Some(s), Some(e)) = (stage, apt) {
                            apt_lists.push((s, ins.line, e, idx));
                        }
                    }
                    _ => {}
                }
            }
            Kind::Cmd(c) => {
                if matches!(c, CommandLine::Shell(_)) {
                    hit("DL3025", short(&ins.text));
                }
                cmds += 1;
                if cmds > 1 {
                    hit("DL4003", short(&ins.text));
                }
            }
            Kind::Entrypoint(c) => {
                if matches!(c, CommandLine::Shell(_)) {
                    hit("DL3025", short(&ins.text));
                }
                entrypoints += 1;
                if entrypoints > 1 {
                    hit("DL4004", short(&ins.text));
                }
            }
            Kind::Healthcheck(h) => {
                if let Healthcheck::Check {
                    command: CommandLine::Shell(_),
                    ..
                } = h
                {
                    hit("DL3025", short(&ins.text));
                }
                if let Some(s) = stage.and_then(|s| stages.get_mut(s)) {
                    s.has_healthcheck = true;
                }
            }
            Kind::Shell(v) => {
                let text = v.join(" ");
                pipefail = if ["pwsh", "powershell", "cmd"]
                    .iter()
                    .any(|p| text.starts_with(p))
                {
                    true
                } else {
                    shell::parse(&text).commands.iter().any(|c| {
                        matches!(c.basename(), "bash" | "zsh" | "ash")
                            && c.has_flag(&["o"])
                            && has_arg(c, "pipefail")
                    })
                };
            }
            Kind::User(u) => {
                if let Some(s) = stage {
                    if is_root(u) {
                        last_user.insert(s, (ins.line, short(&ins.text), idx));
                    } else {
                        last_user.remove(&s);
                    }
                }
            }
            Kind::Add(t) => {
                if let Some(e) = dl3020(t) {
                    hit("DL3020", e);
                }
                if let Some(e) = zd003(t) {
                    hit("ZD003", e);
                }
            }
            _ => {}
        }
    }

    for (s, (line, evidence, idx)) in last_user {
        hits.push(Hit {
            rule: "DL3002",
            line,
            end_line: line,
            stage: Some(s),
            evidence,
            instruction: Some(idx),
        });
    }

    // DL3009, as hadolint: only for the last stage (or one written exactly like it), and for
    // stages that a later FROM builds on.
    if let Some(last) = stages.last() {
        let from_names: BTreeSet<String> = stages
            .iter()
            .map(|s| s.raw_name.to_ascii_lowercase())
            .collect();
        for (s, line, evidence, idx) in apt_lists {
            let Some(st) = stages.get(s) else { continue };
            let used = st
                .alias
                .as_deref()
                .is_some_and(|a| from_names.contains(&a.to_ascii_lowercase()));
            if st.key == last.key || used {
                hits.push(Hit {
                    rule: "DL3009",
                    line,
                    end_line: line,
                    stage: Some(s),
                    evidence,
                    instruction: Some(idx),
                });
            }
        }
    }

    // ZD004: the final stage, or a stage it builds on, has a HEALTHCHECK.
    if let Some(final_idx) = stages.len().checked_sub(1) {
        let mut cur = Some(final_idx);
        let mut has = false;
        let mut guard = 0usize;
        while let Some(i) = cur {
            let Some(s) = stages.get(i) else { break };
            if s.has_healthcheck {
                has = true;
                break;
            }
            cur = s.parent;
            guard += 1;
            if guard > stages.len() {
                break;
            }
        }
        if !has && let Some(s) = stages.get(final_idx) {
            let from = df.instructions.iter().position(|i| i.line == s.line);
            hits.push(Hit {
                rule: "ZD004",
                line: s.line,
                end_line: s.line,
                stage: Some(final_idx),
                evidence: format!("final stage {}", stage_label(&stages, final_idx)),
                instruction: from,
            });
        }
    }

    let mut out: Vec<CheckFinding> = hits
        .into_iter()
        .filter(|h| {
            !opts.ignored.iter().any(|r| r == h.rule)
                && !df.global_ignores.iter().any(|r| r == h.rule)
                && !h
                    .instruction
                    .and_then(|i| df.instructions.get(i))
                    .is_some_and(|i| i.ignores.iter().any(|r| r == h.rule))
        })
        .filter_map(|h| {
            let info = RULES.iter().find(|r| r.id == h.rule)?;
            Some(CheckFinding {
                scanner: Scanner::Config,
                rule: info.id.to_owned(),
                title: info.title.to_owned(),
                severity: info.severity,
                location: Location {
                    path: path.to_owned(),
                    layer: None,
                    line: Some(h.line),
                    end_line: (h.end_line > h.line).then_some(h.end_line),
                    object: h.stage.map(|s| stage_label(&stages, s)),
                },
                evidence: Some(h.evidence),
                remediation: Some(info.remediation.to_owned()),
                aliases: info.aliases.iter().map(|a| (*a).to_owned()).collect(),
                references: references(info),
            })
        })
        .collect();
    out.sort_by(|a, b| (a.location.line, &a.rule).cmp(&(b.location.line, &b.rule)));
    out
}

fn references(info: &RuleInfo) -> Vec<String> {
    let mut r = Vec::new();
    if let Some(h) = info.hadolint {
        r.push(format!("https://github.com/hadolint/hadolint/wiki/{h}"));
    }
    if info.aliases.contains(&"CIS-DI-0006") {
        r.push(
            "https://github.com/goodwithtech/dockle/blob/master/CHECKPOINT.md#cis-di-0006"
                .to_owned(),
        );
    }
    r
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ids(text: &str) -> Vec<(String, u32)> {
        let df = crate::parse(text).unwrap();
        lint(&df, "Dockerfile", &LintOptions::default())
            .into_iter()
            .map(|f| (f.rule, f.location.line.unwrap_or(0)))
            .filter(|(r, _)| r != "ZD001" && r != "ZD004")
            .collect()
    }

    fn has(text: &str, rule: &str) -> bool {
        ids(text).iter().any(|(r, _)| r == rule)
    }

    #[test]
    fn image_names_split_into_name_tag_and_digest() {
        let i = split_image("registry.example.com:5000/team/app:1.2@sha256:ab");
        assert_eq!(i.name, "registry.example.com:5000/team/app");
        assert_eq!(i.tag.as_deref(), Some("1.2"));
        assert_eq!(i.digest.as_deref(), Some("sha256:ab"));
        assert_eq!(split_image("localhost:5000/app").tag, None);
    }

    #[test]
    fn from_rules_exempt_scratch_stages_and_unresolvable_images() {
        assert_eq!(ids("FROM ubuntu\n"), [("DL3006".into(), 1)]);
        assert_eq!(ids("FROM ubuntu:latest\n"), [("DL3007".into(), 1)]);
        assert!(ids("FROM ubuntu:latest@sha256:aa\nFROM scratch\n").is_empty());
        assert!(ids("FROM golang:1.22 AS Build\nFROM build\n").is_empty());
        assert!(ids("ARG BASE\nFROM ${BASE}\n").is_empty());
        assert_eq!(
            ids("ARG BASE=ubuntu:latest\nFROM ${BASE}\n"),
            [("DL3007".into(), 2)]
        );
        let df = crate::parse("FROM a:1@sha256:x AS b\nFROM b\nFROM c:1\n").unwrap();
        let z: Vec<_> = lint(&df, "p", &LintOptions::default())
            .into_iter()
            .filter(|f| f.rule == "ZD001")
            .map(|f| f.location.line)
            .collect();
        assert_eq!(z, [Some(3)]);
    }

    #[test]
    fn curl_pipe_shell_variants() {
        for s in [
            "curl -fsSL https://x | sh",
            "wget -qO- https://x | sudo -E bash -",
            "curl https://x | tee /tmp/i | python3 -",
            "sh -c \"$(curl -fsSL https://x)\"",
            "bash <(curl -s https://x)",
        ] {
            assert!(
                has(
                    &format!(
                        "FROM a:1\nSHELL [\"/bin/bash\",\"-o\",\"pipefail\",\"-c\"]\nRUN {s}\n"
                    ),
                    "ZD002"
                ),
                "{s}"
            );
        }
        for s in [
            "curl -o x https://x && sh x",
            "curl https://x | tar xz",
            "V=$(curl https://x) && echo $V | sh",
        ] {
            assert!(!has(&format!("FROM a:1\nRUN {s}\n"), "ZD002"), "{s}");
        }
    }

    #[test]
    fn secrets_need_a_secret_name_and_a_literal_value() {
        assert!(has("FROM a:1\nENV DB_PASSWORD=hunter2\n", "ZD005"));
        assert!(has("FROM a:1\nENV apiKey abc\n", "ZD005"));
        assert!(has("FROM a:1\nARG GITHUB_TOKEN=ghp_example\n", "ZD005"));
        assert!(has("FROM a:1\nENV AWS_SECRET_ACCESS_KEY=abc\n", "ZD005"));
        for s in [
            "ENV TOKENIZERS_PARALLELISM=false",
            "ENV DB_PASSWORD_FILE=/run/secrets/db",
            "ARG NPM_TOKEN",
            "ENV NPM_TOKEN=${NPM_TOKEN}",
            "ENV PASSWORD_MIN_LENGTH=8",
            "ENV AWS_ACCESS_KEY_ID=AKIA",
            "ENV USE_TOKEN=true",
        ] {
            assert!(!has(&format!("FROM a:1\n{s}\n"), "ZD005"), "{s}");
        }
        let df = crate::parse("FROM a:1\nENV A=1 SECRET_KEY=s3cr3t-value\n").unwrap();
        let f = lint(&df, "p", &LintOptions::default());
        let e = f
            .iter()
            .find(|f| f.rule == "ZD005")
            .and_then(|f| f.evidence.clone());
        assert_eq!(e.as_deref(), Some("ENV SECRET_KEY=<redacted>"));
    }

    #[test]
    fn healthcheck_is_inherited_from_earlier_stages() {
        let df = crate::parse("FROM a:1 AS base\nHEALTHCHECK CMD [\"x\"]\nFROM base\nUSER app\n")
            .unwrap();
        assert!(
            !lint(&df, "p", &LintOptions::default())
                .iter()
                .any(|f| f.rule == "ZD004")
        );
        let df = crate::parse("FROM a:1 AS base\nHEALTHCHECK NONE\nFROM b:1\n").unwrap();
        let f = lint(&df, "p", &LintOptions::default());
        let z = f.iter().find(|f| f.rule == "ZD004").unwrap();
        assert_eq!(z.location.line, Some(3));
        assert_eq!(z.location.object.as_deref(), Some("stage 1"));
        assert_eq!(z.aliases, ["CIS-DI-0006"]);
    }

    #[test]
    fn ignores_from_options_and_comments() {
        let text = "FROM ubuntu\n# zoll ignore=DL3003\nRUN cd /x\n";
        let df = crate::parse(text).unwrap();
        let opts = LintOptions {
            ignored: vec!["DL3006".into(), "ZD004".into(), "ZD001".into()],
        };
        assert!(lint(&df, "p", &opts).is_empty());
    }

    #[test]
    fn findings_carry_location_and_references() {
        let df = crate::parse(
            "FROM ubuntu:22.04 AS build\nRUN apt-get update \\\n && apt-get install -y curl\n",
        )
        .unwrap();
        let f = lint(&df, "dir/Dockerfile", &LintOptions::default());
        let d = f.iter().find(|f| f.rule == "DL3008").unwrap();
        assert_eq!(d.location.path, "dir/Dockerfile");
        assert_eq!((d.location.line, d.location.end_line), (Some(2), Some(3)));
        assert_eq!(d.location.object.as_deref(), Some("build"));
        assert_eq!(d.evidence.as_deref(), Some("apt-get install -y curl"));
        assert_eq!(
            d.references,
            ["https://github.com/hadolint/hadolint/wiki/DL3008"]
        );
        assert_eq!(d.scanner, Scanner::Config);
        assert_eq!(d.severity, Severity::Medium);
    }

    #[test]
    fn every_rule_has_metadata_once() {
        let mut ids: Vec<_> = rules().iter().map(|r| r.id).collect();
        ids.sort_unstable();
        ids.dedup();
        assert_eq!(ids.len(), rules().len());
        for r in rules() {
            assert_eq!(r.hadolint.is_some(), r.id.starts_with("DL"), "{}", r.id);
        }
        for id in ONBUILD_RULES {
            assert!(rules().iter().any(|r| r.id == *id));
        }
    }
}
