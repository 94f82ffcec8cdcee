//! A YAML tree that keeps the line of every node, read the way the Kubernetes API server reads a
//! manifest.
//!
//! `saphyr-parser` tokenises (YAML 1.2, maintained, no unsafe, every event carries its position);
//! this module builds the tree from its events and resolves plain scalars with the YAML 1.1 rules
//! of go-yaml v2, which `sigs.k8s.io/yaml` (kubectl, the API server) uses: `yes`, `on` and `y` are
//! booleans, `0x1F` and `017` are integers, `~` is null. A quoted scalar is always a string, so
//! `privileged: "true"` is not `true` (the API server would reject it, the pod never runs).
//!
//! Aliases are expanded (merge keys `<<` too) under a node budget, nesting is bounded, and a key
//! that appears twice keeps its last value (go-yaml's non-strict decoding).

use std::collections::HashMap;
use std::fmt::Write as _;

use saphyr_parser::{Event, Parser, ScalarStyle, Span};

/// Deepest nesting of sequences and mappings accepted.
const MAX_DEPTH: usize = 200;
/// Most nodes one input may expand to (aliases included): stops "billion laughs".
const MAX_NODES: usize = 2_000_000;

/// One node and the line (1-based) where it starts.
#[derive(Clone, Debug, PartialEq)]
pub struct Node {
    pub line: u32,
    pub value: Value,
}

/// What a node holds.
#[derive(Clone, Debug, PartialEq)]
pub enum Value {
    /// A scalar as written; `plain` is false for quoted, block and `!!str`-tagged scalars, which
    /// are never resolved to null, booleans or numbers.
    Scalar {
        text: String,
        plain: bool,
    },
    Seq(Vec<Node>),
    Map(Vec<Entry>),
}

/// One `key: value` pair of a mapping. A key that is not a scalar has an empty `key`.
#[derive(Clone, Debug, PartialEq)]
pub struct Entry {
    pub key: String,
    pub value: Node,
}

/// One document of a stream: the line of its first content (or of its start) and its root, if
/// it has any content (Helm renders documents that are empty or only comments).
#[derive(Clone, Debug, PartialEq)]
pub struct Document {
    pub line: u32,
    pub root: Option<Node>,
}

/// Why a text is not YAML, and where.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct YamlError {
    pub line: u32,
    pub message: String,
}

impl Node {
    /// The value under `key` of a mapping; `None` when absent, null, or `self` is no mapping.
    pub fn get(&self, key: &str) -> Option<&Node> {
        match &self.value {
            Value::Map(entries) => entries
                .iter()
                .rev()
                .find(|e| e.key == key)
                .map(|e| &e.value)
                .filter(|v| !v.is_null()),
            _ => None,
        }
    }

    /// Follows `keys` through nested mappings.
    pub fn at(&self, keys: &[&str]) -> Option<&Node> {
        keys.iter().try_fold(self, |n, k| n.get(k))
    }

    /// The line of the deepest node that exists along `keys` (`self`'s line when none does):
    /// where a finding about a missing field points.
    pub fn line_at(&self, keys: &[&str]) -> u32 {
        let mut node = self;
        for k in keys {
            match node.get(k) {
                Some(n) => node = n,
                None => break,
            }
        }
        node.line
    }

    pub fn is_null(&self) -> bool {
        matches!(&self.value, Value::Scalar { text, plain: true } if is_null_text(text))
    }

    /// A boolean, as go-yaml v2 resolves plain scalars.
    pub fn as_bool(&self) -> Option<bool> {
        match &self.value {
            Value::Scalar { text, plain: true } => match text.as_str() {
                "y" | "Y" | "yes" | "Yes" | "YES" | "true" | "True" | "TRUE" | "on" | "On"
                | "ON" => Some(true),
                "n" | "N" | "no" | "No" | "NO" | "false" | "False" | "FALSE" | "off" | "Off"
                | "OFF" => Some(false),
                _ => None,
            },
            _ => None,
        }
    }

    /// An integer, as go-yaml v2 resolves plain scalars (`strconv.ParseInt(s, 0, 64)` after
    /// removing `_`).
    pub fn as_i64(&self) -> Option<i64> {
        match &self.value {
            Value::Scalar { text, plain: true } => parse_int(text),
            _ => None,
        }
    }

    /// The text of a scalar that is not null. Kubernetes string fields take any scalar's text.
    pub fn as_str(&self) -> Option<&str> {
        match &self.value {
            Value::Scalar { text, plain } if !(*plain && is_null_text(text)) => Some(text),
            _ => None,
        }
    }

    pub fn as_seq(&self) -> Option<&[Node]> {
        match &self.value {
            Value::Seq(items) => Some(items),
            _ => None,
        }
    }

    pub fn as_map(&self) -> Option<&[Entry]> {
        match &self.value {
            Value::Map(entries) => Some(entries),
            _ => None,
        }
    }

    /// A short, one-line rendering for evidence (flow style, cut at 160 characters).
    pub fn display(&self) -> String {
        let mut out = String::new();
        self.render(&mut out);
        if out.chars().count() > 160 {
            out = out.chars().take(157).collect::<String>() + "...";
        }
        out
    }

    fn render(&self, out: &mut String) {
        if out.len() > 400 {
            return;
        }
        match &self.value {
            Value::Scalar { text, plain } => {
                if *plain
                    || text
                        .chars()
                        .all(|c| c.is_alphanumeric() || "-_./:".contains(c))
                {
                    out.push_str(text);
                } else {
                    let _ = write!(out, "{text:?}");
                }
            }
            Value::Seq(items) => {
                out.push('[');
                for (i, n) in items.iter().enumerate() {
                    if i > 0 {
                        out.push_str(", ");
                    }
                    n.render(out);
                }
                out.push(']');
            }
            Value::Map(entries) => {
                out.push('{');
                for (i, e) in entries.iter().enumerate() {
                    if i > 0 {
                        out.push_str(", ");
                    }
                    out.push_str(&e.key);
                    out.push_str(": ");
                    e.value.render(out);
                }
                out.push('}');
            }
        }
    }

    fn size(&self) -> usize {
        match &self.value {
            Value::Scalar { .. } => 1,
            Value::Seq(items) => 1 + items.iter().map(Node::size).sum::<usize>(),
            Value::Map(entries) => 1 + entries.iter().map(|e| 1 + e.value.size()).sum::<usize>(),
        }
    }
}

fn is_null_text(text: &str) -> bool {
    matches!(text, "" | "~" | "null" | "Null" | "NULL")
}

fn parse_int(text: &str) -> Option<i64> {
    let cleaned: String = text.chars().filter(|c| *c != '_').collect();
    let (negative, digits) = match cleaned.as_bytes().first() {
        Some(b'-') => (true, cleaned.get(1..)?),
        Some(b'+') => (false, cleaned.get(1..)?),
        _ => (false, cleaned.as_str()),
    };
    let (radix, body) = if let Some(r) = digits
        .strip_prefix("0x")
        .or_else(|| digits.strip_prefix("0X"))
    {
        (16, r)
    } else if let Some(r) = digits
        .strip_prefix("0b")
        .or_else(|| digits.strip_prefix("0B"))
    {
        (2, r)
    } else if let Some(r) = digits
        .strip_prefix("0o")
        .or_else(|| digits.strip_prefix("0O"))
    {
        (8, r)
    } else if digits.len() > 1 && digits.starts_with('0') {
        (8, digits.get(1..)?)
    } else {
        (10, digits)
    };
    if body.is_empty() || !body.chars().all(|c| c.is_digit(radix)) {
        return None;
    }
    let magnitude = i128::from_str_radix(body, radix).ok()?;
    let value = if negative { -magnitude } else { magnitude };
    i64::try_from(value).ok()
}

fn line_of(span: &Span) -> u32 {
    u32::try_from(span.start.line()).unwrap_or(u32::MAX)
}

enum Frame {
    Seq {
        line: u32,
        anchor: usize,
        items: Vec<Node>,
    },
    Map {
        line: u32,
        anchor: usize,
        entries: Vec<Entry>,
        key: Option<(String, bool)>,
    },
}

struct Builder {
    stack: Vec<Frame>,
    anchors: HashMap<usize, (Node, usize)>,
    nodes: usize,
    root: Option<Node>,
}

impl Builder {
    fn new() -> Builder {
        Builder {
            stack: Vec::new(),
            anchors: HashMap::new(),
            nodes: 0,
            root: None,
        }
    }

    fn count(&mut self, n: usize, line: u32) -> Result<(), YamlError> {
        self.nodes = self.nodes.saturating_add(n);
        if self.nodes > MAX_NODES {
            return Err(YamlError {
                line,
                message: format!("document expands to more than {MAX_NODES} nodes (aliases?)"),
            });
        }
        Ok(())
    }

    fn open(&mut self, frame: Frame, line: u32) -> Result<(), YamlError> {
        if self.stack.len() >= MAX_DEPTH {
            return Err(YamlError {
                line,
                message: format!("nesting deeper than {MAX_DEPTH} levels"),
            });
        }
        self.count(1, line)?;
        self.stack.push(frame);
        Ok(())
    }

    /// Places a finished node into its parent (or as the root).
    fn place(&mut self, node: Node, anchor: usize) {
        if anchor != 0 {
            let size = node.size();
            self.anchors.insert(anchor, (node.clone(), size));
        }
        match self.stack.last_mut() {
            None => self.root = Some(node),
            Some(Frame::Seq { items, .. }) => items.push(node),
            Some(Frame::Map { entries, key, .. }) => match key.take() {
                None => {
                    // A key. Only scalars name fields; any other key is kept as "".
                    let k = match &node.value {
                        Value::Scalar { text, plain } => (text.clone(), *plain),
                        _ => (String::new(), false),
                    };
                    *key = Some(k);
                }
                Some((k, plain)) => {
                    if plain && k == "<<" {
                        // Merge key: its mappings are merged when this mapping closes.
                        entries.push(Entry {
                            key: MERGE_MARK.to_owned(),
                            value: node,
                        });
                    } else {
                        entries.push(Entry {
                            key: k,
                            value: node,
                        });
                    }
                }
            },
        }
    }

    fn event(&mut self, event: Event<'_>, span: &Span) -> Result<(), YamlError> {
        let line = line_of(span);
        match event {
            Event::Scalar(text, style, anchor, tag) => {
                self.count(1, line)?;
                let tagged_str = tag
                    .as_ref()
                    .is_some_and(|t| t.is_yaml_core_schema() && t.suffix == "str");
                let plain = matches!(style, ScalarStyle::Plain) && !tagged_str;
                self.place(
                    Node {
                        line,
                        value: Value::Scalar {
                            text: text.into_owned(),
                            plain,
                        },
                    },
                    anchor,
                );
            }
            Event::Alias(id) => {
                let (node, size) = match self.anchors.get(&id) {
                    Some((node, size)) => (node.clone(), *size),
                    None => {
                        return Err(YamlError {
                            line,
                            message: "alias to an unknown anchor".to_owned(),
                        });
                    }
                };
                self.count(size, line)?;
                self.place(node, 0);
            }
            Event::SequenceStart(anchor, _) => self.open(
                Frame::Seq {
                    line,
                    anchor,
                    items: Vec::new(),
                },
                line,
            )?,
            Event::MappingStart(anchor, _) => self.open(
                Frame::Map {
                    line,
                    anchor,
                    entries: Vec::new(),
                    key: None,
                },
                line,
            )?,
            Event::SequenceEnd | Event::MappingEnd => match self.stack.pop() {
                Some(Frame::Seq {
                    line,
                    anchor,
                    items,
                }) => self.place(
                    Node {
                        line,
                        value: Value::Seq(items),
                    },
                    anchor,
                ),
                Some(Frame::Map {
                    line,
                    anchor,
                    entries,
                    ..
                }) => {
                    let entries = merge(entries);
                    self.place(
                        Node {
                            line,
                            value: Value::Map(entries),
                        },
                        anchor,
                    );
                }
                None => {
                    return Err(YamlError {
                        line,
                        message: "unbalanced end of a collection".to_owned(),
                    });
                }
            },
            Event::StreamStart
            | Event::StreamEnd
            | Event::DocumentStart(_)
            | Event::DocumentEnd
            | Event::Nothing => {}
        }
        Ok(())
    }
}

/// A key no YAML text can produce (keys are text, this has a NUL), marking a `<<` entry.
const MERGE_MARK: &str = "\0<<";

/// Applies merge keys: explicit keys win, then earlier merged mappings over later ones.
fn merge(entries: Vec<Entry>) -> Vec<Entry> {
    if !entries.iter().any(|e| e.key == MERGE_MARK) {
        return entries;
    }
    let (merges, mut out): (Vec<Entry>, Vec<Entry>) =
        entries.into_iter().partition(|e| e.key == MERGE_MARK);
    for m in merges {
        let sources: Vec<Node> = match m.value.value {
            Value::Map(_) => vec![m.value],
            Value::Seq(items) => items,
            Value::Scalar { .. } => Vec::new(),
        };
        for source in sources {
            if let Value::Map(merged) = source.value {
                for e in merged {
                    if !out.iter().any(|o| o.key == e.key) {
                        out.push(e);
                    }
                }
            }
        }
    }
    out
}

/// Parses every document of a YAML stream.
pub fn parse_stream(text: &str) -> Result<Vec<Document>, YamlError> {
    let mut docs = Vec::new();
    let mut builder = Builder::new();
    let mut doc_line = 1;
    for item in Parser::new_from_str(text) {
        let (event, span) = item.map_err(|e| YamlError {
            line: u32::try_from(e.marker().line()).unwrap_or(u32::MAX),
            message: e.info().to_owned(),
        })?;
        match event {
            Event::DocumentStart(_) => {
                doc_line = line_of(&span);
                builder.root = None;
                builder.stack.clear();
                builder.anchors.clear();
            }
            Event::DocumentEnd => {
                let root = builder.root.take().filter(|r| !r.is_null());
                let line = root.as_ref().map_or(doc_line, |r| r.line);
                docs.push(Document { line, root });
            }
            other => builder.event(other, &span)?,
        }
    }
    Ok(docs)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn one(text: &str) -> Node {
        parse_stream(text).unwrap().remove(0).root.unwrap()
    }

    #[test]
    fn lines_and_yaml_1_1_scalars() {
        let n = one("a: yes\nb: \"true\"\nc:\n  d: 0x10\n  e: ~\n  f: 017\n");
        assert_eq!(n.get("a").unwrap().as_bool(), Some(true));
        assert_eq!(n.get("b").unwrap().as_bool(), None);
        assert_eq!(n.get("b").unwrap().as_str(), Some("true"));
        assert_eq!(n.at(&["c", "d"]).unwrap().as_i64(), Some(16));
        assert_eq!(n.at(&["c", "d"]).unwrap().line, 4);
        assert!(n.at(&["c", "e"]).is_none());
        assert_eq!(n.at(&["c", "f"]).unwrap().as_i64(), Some(15));
        assert_eq!(n.line_at(&["c", "missing", "x"]), 4);
    }

    #[test]
    fn integers_follow_go_parse_int() {
        let ints = [
            ("0", Some(0)),
            ("-0", Some(0)),
            ("1_000", Some(1000)),
            ("0b11", Some(3)),
        ];
        for (text, want) in ints {
            assert_eq!(parse_int(text), want, "{text}");
        }
        for text in ["", "-", "0.0", "1e3", "0x", "99999999999999999999", "08"] {
            assert_eq!(parse_int(text), None, "{text}");
        }
    }

    #[test]
    fn documents_keep_empty_ones_and_their_lines() {
        let docs = parse_stream("# only a comment\n---\n---\n# Source: x\nkind: Pod\n").unwrap();
        assert_eq!(docs.len(), 2);
        assert!(docs[0].root.is_none());
        assert_eq!(docs[1].line, 5);
    }

    #[test]
    fn aliases_and_merge_keys_expand() {
        let n = one("base: &b {x: 1, y: 2}\nm:\n  <<: *b\n  y: 3\nl: *b\n");
        assert_eq!(n.at(&["m", "x"]).unwrap().as_i64(), Some(1));
        assert_eq!(n.at(&["m", "y"]).unwrap().as_i64(), Some(3));
        assert_eq!(n.at(&["l", "y"]).unwrap().as_i64(), Some(2));
    }

    #[test]
    fn billion_laughs_and_deep_nesting_are_errors() {
        let mut text = String::from("a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
        for i in 1..10 {
            let p = i - 1;
            let _ = writeln!(
                text,
                "a{i}: &a{i} [*a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}]"
            );
        }
        let e = parse_stream(&text).unwrap_err();
        assert!(e.message.contains("expands to more than"), "{e:?}");
        let deep = "[".repeat(500) + &"]".repeat(500);
        // saphyr-parser's own recursion limit, or ours, whichever is lower.
        let e = parse_stream(&deep).unwrap_err();
        assert!(
            e.message.contains("nesting deeper") || e.message.contains("recursion limit"),
            "{e:?}"
        );
        let deep = "- ".repeat(300) + "x";
        assert!(parse_stream(&deep).is_err());
    }

    #[test]
    fn malformed_yaml_names_the_line() {
        let e = parse_stream("a: 1\nb: [1, 2\nc: 3\n").unwrap_err();
        assert!(e.line >= 2, "{e:?}");
        let e = parse_stream("a: 1\n  b: 2\n").unwrap_err();
        assert_eq!(e.line, 2, "{e:?}");
    }

    #[test]
    fn last_duplicate_key_wins_and_quoted_null_is_text() {
        let n = one("a: 1\na: 2\nb: 'null'\n");
        assert_eq!(n.get("a").unwrap().as_i64(), Some(2));
        assert_eq!(n.get("b").unwrap().as_str(), Some("null"));
    }
}
