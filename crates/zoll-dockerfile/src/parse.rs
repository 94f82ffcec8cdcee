//! Dockerfile text to [`Dockerfile`], the way BuildKit's parser reads it.
//!
//! Parser directives (`# syntax=`, `# escape=`, `# check=`) are read from the top until the first
//! line that is not one. Then each instruction is one logical line: a line ending with the
//! escape character continues on the next, and comment lines and empty lines inside a
//! continuation are skipped (as BuildKit does). `RUN`, `COPY` and `ADD` may open here-documents
//! (`<<EOF`, `<<-EOF`, `<<"EOF"`), whose bodies follow the logical line. Arguments in JSON form
//! (`["a", "b"]`) are exec form; anything that does not parse as a JSON array of strings is
//! shell form, as in BuildKit.

use std::str::FromStr;

/// A parsed Dockerfile.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Dockerfile {
    /// The escape character: `\` unless `# escape=`` ` ``.
    pub escape: char,
    /// The `# syntax=` directive.
    pub syntax: Option<String>,
    pub instructions: Vec<Instruction>,
    /// Rule ids of `# hadolint global ignore=...` / `# zoll global ignore=...` comments.
    pub global_ignores: Vec<String>,
}

/// One instruction with where it is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Instruction {
    /// First line, 1-based.
    pub line: u32,
    /// Last line, including continuation lines and here-document bodies.
    pub end_line: u32,
    /// The logical line (continuations joined, keyword included), for evidence.
    pub text: String,
    pub kind: Kind,
    /// Rule ids of a `# hadolint ignore=...` or `# zoll ignore=...` comment on the line just
    /// before [`Instruction::line`].
    pub ignores: Vec<String>,
}

/// What an instruction says.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Kind {
    From(From),
    Run(Run),
    Cmd(CommandLine),
    Entrypoint(CommandLine),
    /// `SHELL ["/bin/bash", "-c"]` (a shell-form `SHELL` is split on whitespace, as hadolint does).
    Shell(Vec<String>),
    Healthcheck(Healthcheck),
    User(String),
    Workdir(String),
    Env(Vec<(String, String)>),
    /// Names and default values.
    Arg(Vec<(String, Option<String>)>),
    Label(Vec<(String, String)>),
    Copy(Transfer),
    Add(Transfer),
    Expose(Vec<String>),
    Volume(Vec<String>),
    StopSignal(String),
    Maintainer(String),
    Onbuild(Box<Kind>),
}

impl Kind {
    /// The instruction keyword, upper case.
    pub fn keyword(&self) -> &'static str {
        match self {
            Kind::From(_) => "FROM",
            Kind::Run(_) => "RUN",
            Kind::Cmd(_) => "CMD",
            Kind::Entrypoint(_) => "ENTRYPOINT",
            Kind::Shell(_) => "SHELL",
            Kind::Healthcheck(_) => "HEALTHCHECK",
            Kind::User(_) => "USER",
            Kind::Workdir(_) => "WORKDIR",
            Kind::Env(_) => "ENV",
            Kind::Arg(_) => "ARG",
            Kind::Label(_) => "LABEL",
            Kind::Copy(_) => "COPY",
            Kind::Add(_) => "ADD",
            Kind::Expose(_) => "EXPOSE",
            Kind::Volume(_) => "VOLUME",
            Kind::StopSignal(_) => "STOPSIGNAL",
            Kind::Maintainer(_) => "MAINTAINER",
            Kind::Onbuild(_) => "ONBUILD",
        }
    }
}

/// `FROM [--platform=P] IMAGE [AS NAME]`. The image is as written (variables unexpanded).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct From {
    pub image: String,
    pub platform: Option<String>,
    pub alias: Option<String>,
}

/// A `--name=value` flag of `RUN`, `COPY`, `ADD`, `FROM` or `HEALTHCHECK`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Flag {
    pub name: String,
    pub value: Option<String>,
}

/// `RUN [--mount=...] command`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Run {
    pub flags: Vec<Flag>,
    pub command: CommandLine,
    pub heredocs: Vec<Heredoc>,
}

/// Exec form (`["a", "b"]`) or shell form (`a b`, run by the `SHELL`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CommandLine {
    Exec(Vec<String>),
    Shell(String),
}

impl CommandLine {
    /// The text a shell would see: shell form as written, exec form joined with spaces (what
    /// hadolint checks for both).
    pub fn as_script(&self) -> String {
        match self {
            CommandLine::Exec(v) => v.join(" "),
            CommandLine::Shell(s) => s.clone(),
        }
    }
}

/// A here-document: `<<EOF` ... `EOF`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Heredoc {
    pub name: String,
    /// The lines between the marker line and the terminator, each ending with a newline
    /// (leading tabs removed for `<<-`).
    pub body: String,
    /// `<<-`: leading tabs are stripped.
    pub strip_tabs: bool,
    /// The first body line.
    pub line: u32,
}

/// `COPY`/`ADD [--flags] SRC... DEST`; sources as written (quotes kept).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Transfer {
    pub flags: Vec<Flag>,
    pub sources: Vec<String>,
    pub dest: String,
    pub heredocs: Vec<Heredoc>,
}

/// `HEALTHCHECK NONE` or `HEALTHCHECK [--flags] CMD command`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Healthcheck {
    None,
    Check {
        flags: Vec<Flag>,
        command: CommandLine,
    },
}

/// Why a Dockerfile could not be read. Every variant names the line.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ParseError {
    #[error("line {line}: unknown instruction {word:?}")]
    UnknownInstruction { line: u32, word: String },
    #[error("line {line}: {instruction} {message}")]
    Invalid {
        line: u32,
        instruction: &'static str,
        message: String,
    },
    #[error(
        "line {line}: here-document <<{name} is not terminated (no line {name:?} before the end of the file)"
    )]
    UnterminatedHeredoc { line: u32, name: String },
    #[error("line {line}: invalid escape directive {value:?} (expected ` or \\)")]
    InvalidEscape { line: u32, value: String },
    #[error("line {line}: parser directive {name} given twice")]
    DuplicateDirective { line: u32, name: String },
    #[error("line {line}: {instruction} before the first FROM (only ARG may come before FROM)")]
    NoStage {
        line: u32,
        instruction: &'static str,
    },
    #[error("line 1: the dockerfile has no instructions")]
    Empty,
    #[error("line {line}: the dockerfile has no FROM instruction")]
    NoFrom { line: u32 },
}

impl FromStr for Dockerfile {
    type Err = ParseError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        parse(s)
    }
}

fn line_no(idx: usize) -> u32 {
    u32::try_from(idx.saturating_add(1)).unwrap_or(u32::MAX)
}

/// Parses a Dockerfile. Never panics, whatever the input.
pub fn parse(text: &str) -> Result<Dockerfile, ParseError> {
    let lines: Vec<&str> = text
        .split('\n')
        .map(|l| l.strip_suffix('\r').unwrap_or(l))
        .collect();
    let mut df = Dockerfile {
        escape: '\\',
        syntax: None,
        instructions: Vec::new(),
        global_ignores: Vec::new(),
    };

    // Parser directives.
    let mut seen: Vec<String> = Vec::new();
    for (idx, l) in lines.iter().enumerate() {
        let Some((name, value)) = directive(l) else {
            break;
        };
        let key = name.to_ascii_lowercase();
        if !matches!(key.as_str(), "escape" | "syntax" | "check") {
            break;
        }
        if seen.contains(&key) {
            return Err(ParseError::DuplicateDirective {
                line: line_no(idx),
                name: key,
            });
        }
        match key.as_str() {
            "escape" => {
                df.escape = match value {
                    "`" => '`',
                    "\\" => '\\',
                    _ => {
                        return Err(ParseError::InvalidEscape {
                            line: line_no(idx),
                            value: value.to_owned(),
                        });
                    }
                }
            }
            "syntax" => df.syntax = Some(value.to_owned()),
            _ => {}
        }
        seen.push(key);
    }

    // Instructions.
    let escape = df.escape;
    let mut pragma: Option<(usize, Vec<String>)> = None;
    let mut idx = 0usize;
    while let Some(raw) = lines.get(idx) {
        let first = idx;
        idx += 1;
        let t = raw.trim_start();
        if t.trim_end().is_empty() {
            continue;
        }
        if let Some(comment) = t.strip_prefix('#') {
            match ignore_pragma(comment) {
                Some((true, ids)) => df.global_ignores.extend(ids),
                Some((false, ids)) => pragma = Some((first, ids)),
                None => {}
            }
            continue;
        }
        let (mut logical, mut ended) = strip_continuation(t, escape);
        let mut logical_owned = logical.to_owned();
        while !ended {
            let Some(next) = lines.get(idx) else {
                break;
            };
            idx += 1;
            let nt = next.trim_start();
            if nt.starts_with('#') || nt.trim_end().is_empty() {
                continue;
            }
            (logical, ended) = strip_continuation(next, escape);
            logical_owned.push_str(logical);
        }
        let line = line_no(first);
        let (word, rest) = split_keyword(&logical_owned);
        let keyword = word.to_ascii_lowercase();
        let mut heredocs = Vec::new();
        if matches!(keyword.as_str(), "run" | "copy" | "add") {
            for (name, strip_tabs) in heredoc_markers(rest) {
                let body_line = line_no(idx);
                let mut body = String::new();
                let mut terminated = false;
                while let Some(l) = lines.get(idx) {
                    idx += 1;
                    let content = if strip_tabs {
                        l.trim_start_matches('\t')
                    } else {
                        l
                    };
                    if content == name {
                        terminated = true;
                        break;
                    }
                    body.push_str(content);
                    body.push('\n');
                }
                if !terminated {
                    return Err(ParseError::UnterminatedHeredoc { line, name });
                }
                heredocs.push(Heredoc {
                    name,
                    body,
                    strip_tabs,
                    line: body_line,
                });
            }
        }
        let kind = parse_kind(&keyword, word, rest, line, escape, heredocs)?;
        let ignores = match pragma.take() {
            Some((l, ids)) if l.saturating_add(1) == first => ids,
            _ => Vec::new(),
        };
        df.instructions.push(Instruction {
            line,
            end_line: line_no(idx.saturating_sub(1)),
            text: logical_owned.trim().to_owned(),
            kind,
            ignores,
        });
    }

    let Some(first) = df.instructions.first() else {
        return Err(ParseError::Empty);
    };
    let first_line = first.line;
    match df
        .instructions
        .iter()
        .find(|i| !matches!(i.kind, Kind::Arg(_)))
    {
        None => return Err(ParseError::NoFrom { line: first_line }),
        Some(i) if !matches!(i.kind, Kind::From(_)) => {
            return Err(ParseError::NoStage {
                line: i.line,
                instruction: i.kind.keyword(),
            });
        }
        Some(_) => {}
    }
    Ok(df)
}

/// `# name=value` at the top of the file.
fn directive(line: &str) -> Option<(&str, &str)> {
    let rest = line.trim_start().strip_prefix('#')?;
    let (name, value) = rest.split_once('=')?;
    let name = name.trim();
    let mut chars = name.chars();
    let ok = chars.next().is_some_and(|c| c.is_ascii_alphabetic())
        && chars.all(|c| c.is_ascii_alphanumeric());
    let value = value.trim();
    (ok && !value.is_empty()).then_some((name, value))
}

/// `hadolint ignore=A,B`, `zoll ignore=A`, `hadolint global ignore=A`: (global, ids).
fn ignore_pragma(comment: &str) -> Option<(bool, Vec<String>)> {
    let c = comment.trim();
    let rest = c
        .strip_prefix("hadolint")
        .or_else(|| c.strip_prefix("zoll"))?;
    if !rest.starts_with([' ', '\t']) {
        return None;
    }
    let rest = rest.trim_start();
    let (global, rest) = match rest.strip_prefix("global") {
        Some(r) if r.starts_with([' ', '\t']) => (true, r.trim_start()),
        _ => (false, rest),
    };
    let ids = rest
        .strip_prefix("ignore")?
        .trim_start()
        .strip_prefix('=')?;
    // `ignore=DL3008,DL3015` or `ignore=DL3008, DL3015`; other words are harmless.
    let ids: Vec<String> = ids
        .split([',', ' ', '\t'])
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect();
    Some((global, ids))
}

/// Removes a trailing escape character (and the blanks after it): (text, ended).
fn strip_continuation(line: &str, escape: char) -> (&str, bool) {
    let trimmed = line.trim_end_matches([' ', '\t']);
    match trimmed.strip_suffix(escape) {
        Some(t) => (t, false),
        None => (line, true),
    }
}

fn split_keyword(logical: &str) -> (&str, &str) {
    let t = logical.trim();
    match t.split_once(|c: char| c.is_whitespace()) {
        Some((w, rest)) => (w, rest.trim()),
        None => (t, ""),
    }
}

/// Here-document markers among the words of a `RUN`/`COPY`/`ADD` line, in order.
fn heredoc_markers(args: &str) -> Vec<(String, bool)> {
    let mut out = Vec::new();
    for word in quoted_words(args) {
        let w = word.trim_start_matches(|c: char| c.is_ascii_digit());
        let Some(rest) = w.strip_prefix("<<") else {
            continue;
        };
        if rest.starts_with('<') {
            continue;
        }
        let (strip, rest) = match rest.strip_prefix('-') {
            Some(r) => (true, r),
            None => (false, rest),
        };
        let name: String = rest.chars().filter(|c| *c != '"' && *c != '\'').collect();
        if !name.is_empty() && !name.contains('<') {
            out.push((name, strip));
        }
    }
    out
}

/// Whitespace-separated words; quotes kept, whitespace inside quotes does not split.
fn quoted_words(s: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut quote: Option<char> = None;
    for c in s.chars() {
        match quote {
            Some(q) => {
                cur.push(c);
                if c == q {
                    quote = None;
                }
            }
            None if c.is_whitespace() => {
                if !cur.is_empty() {
                    out.push(std::mem::take(&mut cur));
                }
            }
            None => {
                if c == '"' || c == '\'' {
                    quote = Some(c);
                }
                cur.push(c);
            }
        }
    }
    if !cur.is_empty() {
        out.push(cur);
    }
    out
}

/// Words with quotes and escapes removed (for `ENV`, `ARG`, `LABEL`).
fn unquoted_words(s: &str, escape: char) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut in_word = false;
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        if c == escape {
            if let Some(n) = chars.next() {
                cur.push(n);
            }
            in_word = true;
        } else if c == '"' {
            in_word = true;
            while let Some(n) = chars.next() {
                if n == '"' {
                    break;
                }
                if n == escape {
                    match chars.next() {
                        Some(m @ ('"' | '$')) => cur.push(m),
                        Some(m) if m == escape => cur.push(m),
                        Some(m) => {
                            cur.push(n);
                            cur.push(m);
                        }
                        None => {}
                    }
                } else {
                    cur.push(n);
                }
            }
        } else if c == '\'' {
            in_word = true;
            for n in chars.by_ref() {
                if n == '\'' {
                    break;
                }
                cur.push(n);
            }
        } else if c.is_whitespace() {
            if in_word {
                out.push(std::mem::take(&mut cur));
                in_word = false;
            }
        } else {
            cur.push(c);
            in_word = true;
        }
    }
    if in_word {
        out.push(cur);
    }
    out
}

/// Leading `--name[=value]` flags, then the rest.
fn split_flags(args: &str) -> (Vec<Flag>, &str) {
    let mut flags = Vec::new();
    let mut rest = args.trim_start();
    while let Some(after) = rest.strip_prefix("--") {
        if !after.starts_with(|c: char| c.is_ascii_alphabetic()) {
            break;
        }
        let end = after.find(char::is_whitespace).unwrap_or(after.len());
        let (word, tail) = after.split_at(end);
        let (name, value) = match word.split_once('=') {
            Some((n, v)) => (n, Some(v.to_owned())),
            None => (word, None),
        };
        flags.push(Flag {
            name: name.to_owned(),
            value,
        });
        rest = tail.trim_start();
    }
    (flags, rest)
}

fn json_array(s: &str) -> Option<Vec<String>> {
    let t = s.trim();
    if !t.starts_with('[') || !t.ends_with(']') {
        return None;
    }
    serde_json::from_str::<Vec<String>>(t).ok()
}

fn command_line(s: &str) -> CommandLine {
    match json_array(s) {
        Some(v) => CommandLine::Exec(v),
        None => CommandLine::Shell(s.to_owned()),
    }
}

fn invalid(line: u32, instruction: &'static str, message: impl Into<String>) -> ParseError {
    ParseError::Invalid {
        line,
        instruction,
        message: message.into(),
    }
}

fn key_values(
    rest: &str,
    escape: char,
    line: u32,
    instruction: &'static str,
) -> Result<Vec<(String, String)>, ParseError> {
    let words = unquoted_words(rest, escape);
    let Some(first) = quoted_words(rest).into_iter().next() else {
        return Err(invalid(
            line,
            instruction,
            "requires at least one name=value",
        ));
    };
    if !first.contains('=') {
        // Legacy `ENV name value...`.
        let (name, value) = split_keyword(rest);
        let value = unquoted_words(value, escape).join(" ");
        return Ok(vec![(name.to_owned(), value)]);
    }
    words
        .into_iter()
        .map(|w| match w.split_once('=') {
            Some((k, v)) if !k.is_empty() => Ok((k.to_owned(), v.to_owned())),
            _ => Err(invalid(
                line,
                instruction,
                format!("expects name=value, got {w:?}"),
            )),
        })
        .collect()
}

fn parse_kind(
    keyword: &str,
    word: &str,
    rest: &str,
    line: u32,
    escape: char,
    heredocs: Vec<Heredoc>,
) -> Result<Kind, ParseError> {
    let kind = match keyword {
        "from" => {
            let (flags, rest) = split_flags(rest);
            let words: Vec<&str> = rest.split_whitespace().collect();
            let (image, alias) = match words.as_slice() {
                [image] => (*image, None),
                [image, as_, name] if as_.eq_ignore_ascii_case("as") => (*image, Some(*name)),
                _ => {
                    return Err(invalid(
                        line,
                        "FROM",
                        format!("expects IMAGE [AS NAME], got {rest:?}"),
                    ));
                }
            };
            let platform = flags
                .into_iter()
                .find(|f| f.name == "platform")
                .and_then(|f| f.value);
            Kind::From(From {
                image: image.to_owned(),
                platform,
                alias: alias.map(str::to_owned),
            })
        }
        "run" => {
            let (flags, rest) = split_flags(rest);
            if rest.is_empty() {
                return Err(invalid(line, "RUN", "requires a command"));
            }
            Kind::Run(Run {
                flags,
                command: command_line(rest),
                heredocs,
            })
        }
        "cmd" | "entrypoint" => {
            if rest.is_empty() {
                let kw = if keyword == "cmd" {
                    "CMD"
                } else {
                    "ENTRYPOINT"
                };
                return Err(invalid(line, kw, "requires a command"));
            }
            if keyword == "cmd" {
                Kind::Cmd(command_line(rest))
            } else {
                Kind::Entrypoint(command_line(rest))
            }
        }
        "shell" => {
            let v = json_array(rest)
                .unwrap_or_else(|| rest.split_whitespace().map(str::to_owned).collect());
            if v.is_empty() {
                return Err(invalid(line, "SHELL", "requires a shell"));
            }
            Kind::Shell(v)
        }
        "healthcheck" => {
            let (flags, rest) = split_flags(rest);
            let (w, cmd) = split_keyword(rest);
            if w.eq_ignore_ascii_case("none") && cmd.is_empty() {
                Kind::Healthcheck(Healthcheck::None)
            } else if w.eq_ignore_ascii_case("cmd") && !cmd.is_empty() {
                Kind::Healthcheck(Healthcheck::Check {
                    flags,
                    command: command_line(cmd),
                })
            } else {
                return Err(invalid(line, "HEALTHCHECK", "expects NONE or CMD command"));
            }
        }
        "user" | "workdir" | "stopsignal" | "maintainer" => {
            if rest.is_empty() {
                let kw = match keyword {
                    "user" => "USER",
                    "workdir" => "WORKDIR",
                    "stopsignal" => "STOPSIGNAL",
                    _ => "MAINTAINER",
                };
                return Err(invalid(line, kw, "requires an argument"));
            }
            let v = rest.to_owned();
            match keyword {
                "user" => Kind::User(v),
                "workdir" => Kind::Workdir(v),
                "stopsignal" => Kind::StopSignal(v),
                _ => Kind::Maintainer(v),
            }
        }
        "env" => Kind::Env(key_values(rest, escape, line, "ENV")?),
        "label" => Kind::Label(key_values(rest, escape, line, "LABEL")?),
        "arg" => {
            let words = unquoted_words(rest, escape);
            if words.is_empty() {
                return Err(invalid(line, "ARG", "requires a name"));
            }
            Kind::Arg(
                words
                    .into_iter()
                    .map(|w| match w.split_once('=') {
                        Some((k, v)) => (k.to_owned(), Some(v.to_owned())),
                        None => (w, None),
                    })
                    .collect(),
            )
        }
        "copy" | "add" => {
            let kw = if keyword == "copy" { "COPY" } else { "ADD" };
            let (flags, rest) = split_flags(rest);
            let mut words = json_array(rest).unwrap_or_else(|| quoted_words(rest));
            let Some(dest) = words.pop() else {
                return Err(invalid(line, kw, "requires a source and a destination"));
            };
            if words.is_empty() {
                return Err(invalid(line, kw, "requires a source and a destination"));
            }
            let t = Transfer {
                flags,
                sources: words,
                dest,
                heredocs,
            };
            if keyword == "copy" {
                Kind::Copy(t)
            } else {
                Kind::Add(t)
            }
        }
        "expose" => Kind::Expose(rest.split_whitespace().map(str::to_owned).collect()),
        "volume" => Kind::Volume(
            json_array(rest)
                .unwrap_or_else(|| rest.split_whitespace().map(str::to_owned).collect()),
        ),
        "onbuild" => {
            let (w, r) = split_keyword(rest);
            let k = w.to_ascii_lowercase();
            if matches!(k.as_str(), "from" | "maintainer" | "onbuild") {
                return Err(invalid(line, "ONBUILD", format!("cannot trigger {w}")));
            }
            if k.is_empty() {
                return Err(invalid(line, "ONBUILD", "requires an instruction"));
            }
            Kind::Onbuild(Box::new(parse_kind(&k, w, r, line, escape, Vec::new())?))
        }
        _ => {
            return Err(ParseError::UnknownInstruction {
                line,
                word: word.to_owned(),
            });
        }
    };
    Ok(kind)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds(text: &str) -> Vec<(u32, u32, Kind)> {
        parse(text)
            .unwrap()
            .instructions
            .into_iter()
            .map(|i| (i.line, i.end_line, i.kind))
            .collect()
    }

    fn shell(s: &str) -> CommandLine {
        CommandLine::Shell(s.to_owned())
    }

    #[test]
    fn continuations_join_lines_and_skip_comments_and_blank_lines() {
        let k = kinds(
            "FROM a:1\nRUN apt-get update \\\n  # a comment\n\n  && apt-get install -y x \\ \n  && true\nUSER app\n",
        );
        assert_eq!(
            k.get(1),
            Some(&(
                2,
                6,
                Kind::Run(Run {
                    flags: vec![],
                    command: shell("apt-get update   && apt-get install -y x   && true"),
                    heredocs: vec![],
                })
            ))
        );
        assert_eq!(k.get(2), Some(&(7, 7, Kind::User("app".into()))));
    }

    #[test]
    fn escape_directive_changes_the_continuation_character() {
        let df = parse(
            "# syntax=docker/dockerfile:1\n# escape=`\nFROM a:1\nRUN dir c:\\ `\n  && echo hi\n",
        )
        .unwrap();
        assert_eq!(df.escape, '`');
        assert_eq!(df.syntax.as_deref(), Some("docker/dockerfile:1"));
        let run = df.instructions.get(1).unwrap();
        assert_eq!((run.line, run.end_line), (4, 5));
        assert_eq!(
            run.kind,
            Kind::Run(Run {
                flags: vec![],
                command: shell("dir c:\\   && echo hi"),
                heredocs: vec![]
            })
        );
        // Directives stop at the first other line.
        let df = parse("FROM a:1\n# escape=`\nRUN a \\\n b\n").unwrap();
        assert_eq!(df.escape, '\\');
        assert_eq!(df.instructions.len(), 2);
    }

    #[test]
    fn heredocs_are_read_after_the_instruction_line() {
        let k = kinds(
            "FROM a:1\nRUN <<EOF\nset -e\ncd /x\nEOF\nCOPY <<-'CONF' /etc/x.conf\n\tkey=1\n\tCONF\nUSER app\n",
        );
        let Some((2, 5, Kind::Run(run))) = k.get(1) else {
            panic!("{k:?}")
        };
        assert_eq!(run.command, shell("<<EOF"));
        assert_eq!(
            run.heredocs,
            [Heredoc {
                name: "EOF".into(),
                body: "set -e\ncd /x\n".into(),
                strip_tabs: false,
                line: 3
            }]
        );
        let Some((6, 8, Kind::Copy(copy))) = k.get(2) else {
            panic!("{k:?}")
        };
        assert_eq!(copy.dest, "/etc/x.conf");
        assert_eq!(
            copy.heredocs.first().map(|h| h.body.as_str()),
            Some("key=1\n")
        );
        assert_eq!(k.get(3).map(|k| k.0), Some(9));
    }

    #[test]
    fn exec_and_shell_forms() {
        let k = kinds(
            "FROM a:1\nCMD [\"a\", \"b c\"]\nENTRYPOINT [\"a\", 'b']\nHEALTHCHECK --interval=5s CMD curl -f http://x/\nSHELL [\"/bin/bash\", \"-o\", \"pipefail\", \"-c\"]\n",
        );
        assert_eq!(
            k.get(1).map(|k| &k.2),
            Some(&Kind::Cmd(CommandLine::Exec(vec![
                "a".into(),
                "b c".into()
            ])))
        );
        assert_eq!(
            k.get(2).map(|k| &k.2),
            Some(&Kind::Entrypoint(shell("[\"a\", 'b']")))
        );
        assert_eq!(
            k.get(3).map(|k| &k.2),
            Some(&Kind::Healthcheck(Healthcheck::Check {
                flags: vec![Flag {
                    name: "interval".into(),
                    value: Some("5s".into())
                }],
                command: shell("curl -f http://x/"),
            }))
        );
        assert_eq!(
            k.get(4).map(|k| &k.2),
            Some(&Kind::Shell(vec![
                "/bin/bash".into(),
                "-o".into(),
                "pipefail".into(),
                "-c".into()
            ]))
        );
    }

    #[test]
    fn from_flags_alias_and_args_before_from() {
        let k = kinds(
            "ARG BASE=golang:1.22 OTHER\nFROM --platform=$BUILDPLATFORM ${BASE} AS build\nRUN --mount=type=cache,target=/root/.cache go build\n",
        );
        assert_eq!(
            k.first().map(|k| &k.2),
            Some(&Kind::Arg(vec![
                ("BASE".into(), Some("golang:1.22".into())),
                ("OTHER".into(), None)
            ]))
        );
        assert_eq!(
            k.get(1).map(|k| &k.2),
            Some(&Kind::From(From {
                image: "${BASE}".into(),
                platform: Some("$BUILDPLATFORM".into()),
                alias: Some("build".into())
            }))
        );
        let Some(Kind::Run(run)) = k.get(2).map(|k| &k.2) else {
            panic!()
        };
        assert_eq!(
            run.flags,
            [Flag {
                name: "mount".into(),
                value: Some("type=cache,target=/root/.cache".into())
            }]
        );
        assert_eq!(run.command, shell("go build"));
    }

    #[test]
    fn env_forms_and_quotes() {
        let k = kinds("FROM a:1\nENV A=1 B=\"two words\" C='x y'\nENV LEGACY some value\n");
        assert_eq!(
            k.get(1).map(|k| &k.2),
            Some(&Kind::Env(vec![
                ("A".into(), "1".into()),
                ("B".into(), "two words".into()),
                ("C".into(), "x y".into())
            ]))
        );
        assert_eq!(
            k.get(2).map(|k| &k.2),
            Some(&Kind::Env(vec![("LEGACY".into(), "some value".into())]))
        );
    }

    #[test]
    fn ignore_pragmas_apply_to_the_next_line_only() {
        let df = parse("FROM a:1\n# hadolint ignore=DL3008, DL3015\nRUN x\n# zoll ignore=ZD002\n\nRUN y\n#hadolint global ignore=DL3003\n").unwrap();
        let ig: Vec<_> = df.instructions.iter().map(|i| i.ignores.clone()).collect();
        assert_eq!(
            ig,
            [
                vec![],
                vec!["DL3008".to_owned(), "DL3015".to_owned()],
                vec![]
            ]
        );
        assert_eq!(df.global_ignores, ["DL3003"]);
    }

    #[test]
    fn malformed_input_names_the_line() {
        let cases = [
            (
                "FROM a:1\nFROBNICATE x\n",
                "line 2: unknown instruction \"FROBNICATE\"",
            ),
            (
                "FROM a:1\nRUN <<EOF\necho\n",
                "line 2: here-document <<EOF is not terminated (no line \"EOF\" before the end of the file)",
            ),
            (
                "# escape=x\nFROM a:1\n",
                "line 1: invalid escape directive \"x\" (expected ` or \\)",
            ),
            (
                "# escape=`\n# escape=\\\nFROM a:1\n",
                "line 2: parser directive escape given twice",
            ),
            (
                "FROM a:1 b\n",
                "line 1: FROM expects IMAGE [AS NAME], got \"a:1 b\"",
            ),
            ("FROM a:1\n\nCMD\n", "line 3: CMD requires a command"),
            (
                "FROM a:1\nCOPY onlyone\n",
                "line 2: COPY requires a source and a destination",
            ),
            (
                "FROM a:1\nENV A=1 B\n",
                "line 2: ENV expects name=value, got \"B\"",
            ),
            (
                "FROM a:1\nHEALTHCHECK sometimes\n",
                "line 2: HEALTHCHECK expects NONE or CMD command",
            ),
            (
                "FROM a:1\nONBUILD ONBUILD RUN x\n",
                "line 2: ONBUILD cannot trigger ONBUILD",
            ),
        ];
        for (text, want) in cases {
            let got = parse(text).err().map(|e| e.to_string());
            assert_eq!(got.as_deref(), Some(want), "{text:?}");
        }
    }

    #[test]
    fn empty_comment_only_and_fromless_files_are_errors() {
        assert_eq!(parse(""), Err(ParseError::Empty));
        assert_eq!(
            parse("# just a comment\n\n   # another\n"),
            Err(ParseError::Empty)
        );
        assert_eq!(parse("ARG A=1\n"), Err(ParseError::NoFrom { line: 1 }));
        assert_eq!(
            parse("ARG A=1\nRUN echo\nFROM a:1\n")
                .err()
                .map(|e| e.to_string())
                .as_deref(),
            Some("line 2: RUN before the first FROM (only ARG may come before FROM)")
        );
    }

    #[test]
    fn keywords_are_case_insensitive_and_crlf_is_accepted() {
        let k = kinds("from a:1 as b\r\nrun echo \\\r\n  hi\r\n");
        assert_eq!(k.len(), 2);
        assert_eq!(k.get(1).map(|k| (k.0, k.1)), Some((2, 3)));
    }
}
