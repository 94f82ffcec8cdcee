//! Just enough of a POSIX shell parser to find the commands a `RUN` runs.
//!
//! The rules need three things from a script: every simple command (its name and its words with
//! the quotes removed), which commands share a pipeline, and which commands run inside command
//! substitutions. This module lexes words (quotes, escapes, `$(...)`, backticks, `${...}`,
//! `$((...))`), operators (`&&`, `||`, `;`, `;;`, `|`, `|&`, `&`, newlines, parentheses),
//! redirections (which are not arguments) and here-documents (whose bodies are data), and walks
//! the compound commands (`if`/`while`/`for`/`case`/`{ }`/subshells) far enough to find the
//! simple commands inside them. It never fails: text it cannot make sense of becomes words.
//!
//! Word values follow ShellCheck's "oversimplify", which hadolint's rules see: quotes and escapes
//! are removed, expansions are kept as written (`$V`, `${V}`, `$(...)`).

/// Substitutions nest at most this deep; deeper text is kept as a word and not parsed.
const MAX_DEPTH: usize = 24;

/// The commands of one script.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Script {
    /// Every simple command, in source order, including those inside substitutions.
    pub commands: Vec<Command>,
    /// Whether any pipeline (`a | b`), here or in a substitution, joins two commands.
    pub has_pipes: bool,
}

/// One simple command: `name args...`, without its assignments and redirections.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Command {
    pub name: String,
    pub args: Vec<String>,
    /// Commands in the same pipeline share this number.
    pub pipeline: usize,
    /// Position within its pipeline, from 0.
    pub position: usize,
    /// Names of the commands run by substitutions inside this command's words.
    pub substituted: Vec<String>,
}

impl Command {
    /// `name` without a directory: `/bin/bash` is `bash`.
    pub fn basename(&self) -> &str {
        basename(&self.name)
    }

    /// hadolint's flags: `--name=value` gives `name`, `-abc` gives `a`, `b`, `c`, each with the
    /// index of the word it came from. `-` and `--` are not flags.
    pub fn flags(&self) -> Vec<(usize, String)> {
        let mut out = Vec::new();
        for (i, a) in self.args.iter().enumerate() {
            if a == "-" || a == "--" {
                continue;
            }
            if let Some(long) = a.strip_prefix("--") {
                let name = long.split('=').next().unwrap_or_default();
                out.push((i, name.to_owned()));
            } else if let Some(short) = a.strip_prefix('-') {
                out.extend(short.chars().map(|c| (i, c.to_string())));
            }
        }
        out
    }

    pub fn has_flag(&self, names: &[&str]) -> bool {
        self.flags()
            .iter()
            .any(|(_, f)| names.contains(&f.as_str()))
    }

    /// Whether the command is `name` and any of its words is one of `args` (hadolint's
    /// `cmdHasArgs`: the word may be anywhere, flags included).
    pub fn is_with_arg(&self, name: &str, args: &[&str]) -> bool {
        self.name == name && self.args.iter().any(|a| args.contains(&a.as_str()))
    }

    /// The words that are not flags, after dropping the word that follows each flag in
    /// `value_flags` (hadolint's `dropFlagArg` then `getArgsNoFlags`). `None` drops the word
    /// after every flag.
    pub fn args_no_flags(&self, value_flags: Option<&[&str]>) -> Vec<&str> {
        let flags = self.flags();
        let flag_words: std::collections::BTreeSet<usize> = flags.iter().map(|(i, _)| *i).collect();
        let dropped: std::collections::BTreeSet<usize> = flags
            .iter()
            .filter(|(_, f)| value_flags.is_none_or(|v| v.contains(&f.as_str())))
            .map(|(i, _)| i.saturating_add(1))
            .collect();
        self.args
            .iter()
            .enumerate()
            .filter(|(i, _)| !dropped.contains(i) && !flag_words.contains(i))
            .map(|(_, a)| a.as_str())
            .collect()
    }
}

/// The last path component of a command name.
pub fn basename(name: &str) -> &str {
    name.rsplit('/').next().unwrap_or(name)
}

/// Parses a script. Never fails.
pub fn parse(text: &str) -> Script {
    parse_at(text, 0)
}

fn parse_at(text: &str, depth: usize) -> Script {
    let mut lexer = Lexer {
        chars: text.chars().collect(),
        pos: 0,
        depth,
        heredocs: Vec::new(),
    };
    let mut toks = Vec::new();
    while let Some(t) = lexer.next_token() {
        toks.push(t);
    }
    build(toks)
}

#[derive(Debug)]
struct Word {
    text: String,
    /// Scripts of the substitutions in this word.
    subs: Vec<Script>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Op {
    /// `&&`, `||`, `;`, `&`, newline: end a pipeline.
    Sep,
    /// `;;` ends a `case` clause.
    CaseSep,
    Pipe,
    LParen,
    RParen,
}

#[derive(Debug)]
enum Tok {
    Word(Word),
    Op(Op),
}

struct Lexer {
    chars: Vec<char>,
    pos: usize,
    depth: usize,
    /// Here-documents whose bodies start after the next newline: (delimiter, strip tabs).
    heredocs: Vec<(String, bool)>,
}

fn is_op_char(c: char) -> bool {
    matches!(c, ';' | '&' | '|' | '(' | ')' | '<' | '>' | '\n')
}

impl Lexer {
    fn peek(&self) -> Option<char> {
        self.chars.get(self.pos).copied()
    }

    fn peek_at(&self, n: usize) -> Option<char> {
        self.chars.get(self.pos.saturating_add(n)).copied()
    }

    fn bump(&mut self) -> Option<char> {
        let c = self.peek();
        if c.is_some() {
            self.pos += 1;
        }
        c
    }

    fn next_token(&mut self) -> Option<Tok> {
        loop {
            let c = self.peek()?;
            match c {
                ' ' | '\t' | '\r' => {
                    self.pos += 1;
                }
                '\\' if self.peek_at(1) == Some('\n') => {
                    self.pos += 2;
                }
                '#' => {
                    while let Some(c) = self.peek() {
                        if c == '\n' {
                            break;
                        }
                        self.pos += 1;
                    }
                }
                '\n' => {
                    self.pos += 1;
                    self.read_heredoc_bodies();
                    return Some(Tok::Op(Op::Sep));
                }
                ';' => {
                    self.pos += 1;
                    if self.peek() == Some(';') {
                        self.pos += 1;
                        return Some(Tok::Op(Op::CaseSep));
                    }
                    return Some(Tok::Op(Op::Sep));
                }
                '&' => {
                    self.pos += 1;
                    match self.peek() {
                        Some('&') => {
                            self.pos += 1;
                        }
                        Some('>') => {
                            // `&>file`, `&>>file`
                            self.redirect_target_after_ops();
                            continue;
                        }
                        _ => {}
                    }
                    return Some(Tok::Op(Op::Sep));
                }
                '|' => {
                    self.pos += 1;
                    match self.peek() {
                        Some('|') => {
                            self.pos += 1;
                            return Some(Tok::Op(Op::Sep));
                        }
                        Some('&') => {
                            self.pos += 1;
                        }
                        _ => {}
                    }
                    return Some(Tok::Op(Op::Pipe));
                }
                '(' => {
                    self.pos += 1;
                    return Some(Tok::Op(Op::LParen));
                }
                ')' => {
                    self.pos += 1;
                    return Some(Tok::Op(Op::RParen));
                }
                '<' | '>' => {
                    if self.peek_at(1) == Some('(') {
                        // Process substitution: a word.
                        return Some(Tok::Word(self.word()));
                    }
                    self.redirection();
                }
                _ => {
                    let w = self.word();
                    // `2>file`: a word of digits right before a redirection is its fd.
                    if !w.text.is_empty()
                        && w.text.chars().all(|c| c.is_ascii_digit())
                        && matches!(self.peek(), Some('<' | '>'))
                        && self.peek_at(1) != Some('(')
                    {
                        self.redirection();
                        continue;
                    }
                    return Some(Tok::Word(w));
                }
            }
        }
    }

    /// At `<` or `>`: consumes the operator and its target word.
    fn redirection(&mut self) {
        let first = self.bump();
        if first == Some('<') && self.peek() == Some('<') {
            self.pos += 1;
            if self.peek() == Some('<') {
                // here-string: `<<< word`
                self.pos += 1;
                self.skip_blanks();
                let _ = self.word();
                return;
            }
            let strip = if self.peek() == Some('-') {
                self.pos += 1;
                true
            } else {
                false
            };
            self.skip_blanks();
            let delim = self.word();
            if !delim.text.is_empty() {
                self.heredocs.push((delim.text, strip));
            }
            return;
        }
        self.redirect_target_after_ops();
    }

    /// Consumes the rest of a redirection operator (`>`, `>>`, `>&`, `<&`, `<>`, `>|`) and the
    /// target word.
    fn redirect_target_after_ops(&mut self) {
        while matches!(self.peek(), Some('>' | '&' | '|')) {
            self.pos += 1;
        }
        self.skip_blanks();
        if let Some(c) = self.peek()
            && !is_op_char(c)
        {
            let _ = self.word();
        }
    }

    fn skip_blanks(&mut self) {
        while matches!(self.peek(), Some(' ' | '\t')) {
            self.pos += 1;
        }
    }

    /// After a newline: skips the bodies of pending here-documents.
    fn read_heredoc_bodies(&mut self) {
        let pending = std::mem::take(&mut self.heredocs);
        for (delim, strip) in pending {
            loop {
                if self.peek().is_none() {
                    return;
                }
                let start = self.pos;
                while let Some(c) = self.peek() {
                    if c == '\n' {
                        break;
                    }
                    self.pos += 1;
                }
                let line: String = self
                    .chars
                    .get(start..self.pos)
                    .unwrap_or_default()
                    .iter()
                    .collect();
                let _ = self.bump(); // the newline
                let line = if strip {
                    line.trim_start_matches('\t')
                } else {
                    line.as_str()
                };
                if line == delim {
                    break;
                }
            }
        }
    }

    fn word(&mut self) -> Word {
        let mut w = Word {
            text: String::new(),
            subs: Vec::new(),
        };
        while let Some(c) = self.peek() {
            match c {
                ' ' | '\t' | '\r' => break,
                '<' | '>' if self.peek_at(1) == Some('(') => {
                    self.pos += 2;
                    let inner = self.balanced(')');
                    w.text.push(c);
                    w.text.push('(');
                    w.text.push_str(&inner);
                    w.text.push(')');
                    self.sub(&mut w, &inner);
                }
                c if is_op_char(c) => break,
                '\\' => {
                    self.pos += 1;
                    match self.bump() {
                        Some('\n') | None => {}
                        Some(n) => w.text.push(n),
                    }
                }
                '\'' => {
                    self.pos += 1;
                    while let Some(n) = self.bump() {
                        if n == '\'' {
                            break;
                        }
                        w.text.push(n);
                    }
                }
                '"' => {
                    self.pos += 1;
                    self.double_quoted(&mut w);
                }
                '$' => self.dollar(&mut w),
                '`' => {
                    self.pos += 1;
                    let mut inner = String::new();
                    while let Some(n) = self.bump() {
                        match n {
                            '`' => break,
                            '\\' => {
                                if let Some(m) = self.bump() {
                                    if !matches!(m, '`' | '\\' | '$') {
                                        inner.push('\\');
                                    }
                                    inner.push(m);
                                }
                            }
                            _ => inner.push(n),
                        }
                    }
                    w.text.push_str("$(");
                    w.text.push_str(&inner);
                    w.text.push(')');
                    self.sub(&mut w, &inner);
                }
                _ => {
                    w.text.push(c);
                    self.pos += 1;
                }
            }
        }
        w
    }

    fn sub(&self, w: &mut Word, inner: &str) {
        if self.depth < MAX_DEPTH {
            w.subs.push(parse_at(inner, self.depth + 1));
        }
    }

    fn double_quoted(&mut self, w: &mut Word) {
        while let Some(c) = self.peek() {
            match c {
                '"' => {
                    self.pos += 1;
                    return;
                }
                '\\' => {
                    self.pos += 1;
                    match self.bump() {
                        Some('\n') => {}
                        Some(n @ ('$' | '`' | '"' | '\\')) => w.text.push(n),
                        Some(n) => {
                            w.text.push('\\');
                            w.text.push(n);
                        }
                        None => {}
                    }
                }
                '$' => self.dollar(w),
                '`' => {
                    self.pos += 1;
                    let mut inner = String::new();
                    while let Some(n) = self.bump() {
                        if n == '`' {
                            break;
                        }
                        inner.push(n);
                    }
                    w.text.push_str("$(");
                    w.text.push_str(&inner);
                    w.text.push(')');
                    self.sub(w, &inner);
                }
                _ => {
                    w.text.push(c);
                    self.pos += 1;
                }
            }
        }
    }

    /// At `$`.
    fn dollar(&mut self, w: &mut Word) {
        self.pos += 1;
        match self.peek() {
            Some('(') if self.peek_at(1) == Some('(') => {
                self.pos += 2;
                let inner = self.balanced(')');
                if self.peek() == Some(')') {
                    self.pos += 1;
                }
                w.text.push_str("$((");
                w.text.push_str(&inner);
                w.text.push_str("))");
            }
            Some('(') => {
                self.pos += 1;
                let inner = self.balanced(')');
                w.text.push_str("$(");
                w.text.push_str(&inner);
                w.text.push(')');
                self.sub(w, &inner);
            }
            Some('{') => {
                self.pos += 1;
                let inner = self.balanced('}');
                w.text.push_str("${");
                w.text.push_str(&inner);
                w.text.push('}');
            }
            Some('\'') => {
                self.pos += 1;
                while let Some(n) = self.bump() {
                    match n {
                        '\'' => break,
                        '\\' => {
                            if let Some(m) = self.bump() {
                                w.text.push(m);
                            }
                        }
                        _ => w.text.push(n),
                    }
                }
            }
            Some('"') => {
                self.pos += 1;
                self.double_quoted(w);
            }
            Some(c) if c.is_ascii_alphanumeric() || c == '_' => {
                w.text.push('$');
                while let Some(c) = self.peek() {
                    if c.is_ascii_alphanumeric() || c == '_' {
                        w.text.push(c);
                        self.pos += 1;
                    } else {
                        break;
                    }
                }
            }
            Some(c @ ('@' | '*' | '#' | '?' | '-' | '$' | '!')) => {
                w.text.push('$');
                w.text.push(c);
                self.pos += 1;
            }
            _ => w.text.push('$'),
        }
    }

    /// Reads up to the `close` that balances the one already consumed; returns the text between
    /// (the closing character is consumed). Quotes are skipped over.
    fn balanced(&mut self, close: char) -> String {
        let open = if close == ')' { '(' } else { '{' };
        let mut depth = 1usize;
        let start = self.pos;
        while let Some(c) = self.bump() {
            match c {
                '\\' => {
                    let _ = self.bump();
                }
                '\'' => {
                    while let Some(n) = self.bump() {
                        if n == '\'' {
                            break;
                        }
                    }
                }
                '"' => {
                    while let Some(n) = self.bump() {
                        match n {
                            '\\' => {
                                let _ = self.bump();
                            }
                            '"' => break,
                            _ => {}
                        }
                    }
                }
                c if c == open => depth += 1,
                c if c == close => {
                    depth -= 1;
                    if depth == 0 {
                        let end = self.pos.saturating_sub(1);
                        return self
                            .chars
                            .get(start..end)
                            .unwrap_or_default()
                            .iter()
                            .collect();
                    }
                }
                _ => {}
            }
        }
        self.chars.get(start..).unwrap_or_default().iter().collect()
    }
}

const KEYWORDS_SKIP: &[&str] = &[
    "if", "then", "else", "elif", "fi", "do", "done", "while", "until", "!", "{", "}", "time",
    "esac",
];

fn is_assignment(word: &str) -> bool {
    let Some((name, _)) = word.split_once('=') else {
        return false;
    };
    let name = name.strip_suffix('+').unwrap_or(name);
    let mut chars = name.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '[' || c == ']')
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Case {
    /// `case WORD` before `in`.
    Header,
    /// Skipping a pattern up to its `)`.
    Pattern,
    /// The commands of a clause, up to `;;` or `esac`.
    Clause,
}

/// Turns tokens into commands.
fn build(toks: Vec<Tok>) -> Script {
    let mut script = Script::default();
    let mut pipeline = 0usize;
    let mut position = 0usize;
    let mut current: Option<Command> = None;
    // Skipping the words of a `for`/`select` header or of `[[ ... ]]`.
    let mut skip_for = false;
    let mut skip_test = false;
    let mut cases: Vec<Case> = Vec::new();
    let mut nested: Vec<Script> = Vec::new();

    fn finish(script: &mut Script, current: &mut Option<Command>) {
        if let Some(c) = current.take() {
            script.commands.push(c);
        }
    }

    for tok in toks {
        let case = cases.last().copied();
        match tok {
            Tok::Word(Word { text, subs }) => {
                let subs_names: Vec<String> = subs
                    .iter()
                    .flat_map(|s| s.commands.iter().map(|c| c.name.clone()))
                    .collect();
                nested.extend(subs);
                if skip_test {
                    skip_test = text != "]]";
                    continue;
                }
                match case {
                    Some(Case::Header) => {
                        if text == "in"
                            && let Some(last) = cases.last_mut()
                        {
                            *last = Case::Pattern;
                        }
                        continue;
                    }
                    Some(Case::Pattern) => {
                        if text == "esac" {
                            cases.pop();
                        }
                        continue;
                    }
                    _ => {}
                }
                if skip_for {
                    skip_for = text != "do";
                    continue;
                }
                match current.as_mut() {
                    Some(c) => {
                        c.args.push(text);
                        c.substituted.extend(subs_names);
                    }
                    None => {
                        let t = text.as_str();
                        match t {
                            "esac" if case == Some(Case::Clause) => {
                                cases.pop();
                            }
                            "for" | "select" => skip_for = true,
                            "case" => cases.push(Case::Header),
                            "[[" => skip_test = true,
                            "function" => {}
                            _ if KEYWORDS_SKIP.contains(&t) || is_assignment(t) => {}
                            _ => {
                                current = Some(Command {
                                    name: text,
                                    args: Vec::new(),
                                    pipeline,
                                    position,
                                    substituted: subs_names,
                                });
                            }
                        }
                    }
                }
            }
            Tok::Op(op) => {
                if skip_test {
                    continue;
                }
                if case == Some(Case::Pattern) || case == Some(Case::Header) {
                    if op == Op::RParen
                        && case == Some(Case::Pattern)
                        && let Some(last) = cases.last_mut()
                    {
                        *last = Case::Clause;
                    }
                    continue;
                }
                if op == Op::LParen && current.as_ref().is_some_and(|c| c.args.is_empty()) {
                    // `name()`: a function definition, not a command.
                    current = None;
                }
                finish(&mut script, &mut current);
                match op {
                    Op::Pipe => {
                        script.has_pipes = true;
                        position += 1;
                        continue;
                    }
                    Op::Sep => skip_for = false,
                    Op::CaseSep => {
                        if let Some(last) = cases.last_mut() {
                            *last = Case::Pattern;
                        }
                    }
                    Op::LParen | Op::RParen => {}
                }
                pipeline += 1;
                position = 0;
            }
        }
    }
    finish(&mut script, &mut current);
    for n in nested {
        script.has_pipes |= n.has_pipes;
        let base = pipeline + 1;
        for mut c in n.commands {
            c.pipeline = c.pipeline.saturating_add(base);
            script.commands.push(c);
        }
        pipeline = script
            .commands
            .last()
            .map_or(pipeline, |c| c.pipeline.max(pipeline));
    }
    script
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(s: &str) -> Vec<String> {
        parse(s).commands.into_iter().map(|c| c.name).collect()
    }

    #[test]
    fn splits_on_operators_and_newlines() {
        assert_eq!(
            names("apt-get update && apt-get install -y curl || true; rm -rf x | tee y\nls &"),
            ["apt-get", "apt-get", "true", "rm", "tee", "ls"]
        );
    }

    #[test]
    fn removes_quotes_and_keeps_expansions() {
        let s = parse(r#"apt-get install "curl=7.*" 'a b' c\ d $V ${W:-x} "$(date)""#);
        let c = s.commands.first().unwrap();
        assert_eq!(
            c.args,
            [
                "install", "curl=7.*", "a b", "c d", "$V", "${W:-x}", "$(date)"
            ]
        );
        assert_eq!(s.commands.get(1).map(|c| c.name.as_str()), Some("date"));
    }

    #[test]
    fn finds_commands_in_substitutions_and_compounds() {
        assert_eq!(
            names("x=$(cd /y; pwd) && if true; then sudo z; fi; for i in a b; do echo $i; done"),
            ["true", "sudo", "echo", "cd", "pwd"]
        );
        assert_eq!(
            names("case $x in a|b) cd /a ;; *) ls ;; esac"),
            ["cd", "ls"]
        );
        assert_eq!(names("(cd /x && make) && { ls; }"), ["cd", "make", "ls"]);
        assert_eq!(names("[[ -f x ]] && rm x"), ["rm"]);
        assert_eq!(names("f() { ls; }; f"), ["ls", "f"]);
    }

    #[test]
    fn pipes_and_pipelines() {
        let s = parse("curl -fsSL https://x | sh -s -- -y && echo 'a | b'");
        assert!(s.has_pipes);
        let c: Vec<_> = s
            .commands
            .iter()
            .map(|c| (c.name.as_str(), c.pipeline, c.position))
            .collect();
        assert_eq!(c, [("curl", 0, 0), ("sh", 0, 1), ("echo", 1, 0)]);
        assert!(!parse("a || b && echo '|'").has_pipes);
        assert!(parse("x=$(a | b)").has_pipes);
    }

    #[test]
    fn redirections_and_heredocs_are_not_arguments() {
        let s = parse("cat <<EOF > /etc/x 2>&1\ncd /y\nEOF\nls -l < in >> out");
        let c: Vec<_> = s
            .commands
            .iter()
            .map(|c| (c.name.clone(), c.args.clone()))
            .collect();
        assert_eq!(
            c,
            [("cat".into(), vec![]), ("ls".into(), vec!["-l".to_owned()])]
        );
        assert_eq!(names("cat <<-END\n\tcd x\n\tEND\necho"), ["cat", "echo"]);
    }

    #[test]
    fn flags_follow_hadolint() {
        let s = parse("apt-get -yq install -t bookworm --no-install-recommends curl=1 -- x");
        let c = s.commands.first().unwrap();
        let f: Vec<_> = c.flags().into_iter().map(|(_, f)| f).collect();
        assert_eq!(f, ["y", "q", "t", "no-install-recommends"]);
        // `--` is not a flag (hadolint keeps it as an argument).
        assert_eq!(
            c.args_no_flags(Some(&["t"])),
            ["install", "curl=1", "--", "x"]
        );
        assert_eq!(c.args_no_flags(None), ["--", "x"]);
    }

    #[test]
    fn never_panics_on_odd_input() {
        for s in [
            "$(", "`", "\"", "'", "${", "$((", "<<", "<<<", "a\\", "(((", ")))", "case", "esac )",
            "2>", "&>", "$'\\",
        ] {
            let _ = parse(s);
        }
        let deep = "$(".repeat(10_000);
        let _ = parse(&deep);
    }
}
