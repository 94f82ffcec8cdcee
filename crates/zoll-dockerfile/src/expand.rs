//! Variable substitution in `FROM`, with the defaults of the `ARG`s declared before it.
//!
//! Supported: `$NAME`, `${NAME}`, `${NAME:-word}`, `${NAME-word}`, `${NAME:+word}`,
//! `${NAME+word}`, and the escape character before `$` for a literal `$`. A reference to a
//! variable with no default (or not declared at all), or any other `${...}` form, makes the text
//! unresolvable: `None`. Rules then say nothing about that image, since `--build-arg` decides it.

use std::collections::BTreeMap;

/// Declared variables: name to default (`None`: declared without a default).
pub type Vars = BTreeMap<String, Option<String>>;

/// Expands `text`, or `None` when it depends on a value the file does not give.
pub fn expand(text: &str, vars: &Vars, escape: char) -> Option<String> {
    expand_depth(text, vars, escape, 0)
}

fn expand_depth(text: &str, vars: &Vars, escape: char, depth: usize) -> Option<String> {
    if depth > 8 {
        return None;
    }
    let mut out = String::new();
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        if c == escape && chars.peek() == Some(&'$') {
            out.push('$');
            chars.next();
            continue;
        }
        if c != '$' {
            out.push(c);
            continue;
        }
        match chars.peek().copied() {
            Some('{') => {
                chars.next();
                let mut inner = String::new();
                let mut level = 1usize;
                for n in chars.by_ref() {
                    match n {
                        '{' => level += 1,
                        '}' => {
                            level -= 1;
                            if level == 0 {
                                break;
                            }
                        }
                        _ => {}
                    }
                    inner.push(n);
                }
                if level != 0 {
                    return None;
                }
                out.push_str(&braced(&inner, vars, escape, depth)?);
            }
            Some(n) if n.is_ascii_alphabetic() || n == '_' => {
                let mut name = String::new();
                while let Some(&n) = chars.peek() {
                    if n.is_ascii_alphanumeric() || n == '_' {
                        name.push(n);
                        chars.next();
                    } else {
                        break;
                    }
                }
                out.push_str(vars.get(&name)?.as_deref()?);
            }
            _ => out.push('$'),
        }
    }
    Some(out)
}

fn braced(inner: &str, vars: &Vars, escape: char, depth: usize) -> Option<String> {
    let end = inner
        .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .unwrap_or(inner.len());
    let (name, op) = inner.split_at(end);
    if name.is_empty() {
        return None;
    }
    let value: Option<&str> = vars.get(name).and_then(|v| v.as_deref());
    let word = |w: &str| expand_depth(w, vars, escape, depth + 1);
    if op.is_empty() {
        return value.map(str::to_owned);
    }
    if let Some(w) = op.strip_prefix(":-") {
        return match value {
            Some(v) if !v.is_empty() => Some(v.to_owned()),
            _ => word(w),
        };
    }
    if let Some(w) = op.strip_prefix(":+") {
        return match value {
            Some(v) if !v.is_empty() => word(w),
            _ => Some(String::new()),
        };
    }
    if let Some(w) = op.strip_prefix('-') {
        return match value {
            Some(v) => Some(v.to_owned()),
            None => word(w),
        };
    }
    if let Some(w) = op.strip_prefix('+') {
        return match value {
            Some(_) => word(w),
            None => Some(String::new()),
        };
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vars() -> Vars {
        [
            ("BASE".to_owned(), Some("ubuntu".to_owned())),
            ("TAG".to_owned(), Some("22.04".to_owned())),
            ("EMPTY".to_owned(), Some(String::new())),
            ("NODEFAULT".to_owned(), None),
        ]
        .into_iter()
        .collect()
    }

    #[test]
    fn expands_declared_defaults() {
        let v = vars();
        let e = |s: &str| expand(s, &v, '\\');
        assert_eq!(e("$BASE:${TAG}").as_deref(), Some("ubuntu:22.04"));
        assert_eq!(e("${NODEFAULT:-debian}").as_deref(), Some("debian"));
        assert_eq!(e("${EMPTY:-x}${EMPTY-y}").as_deref(), Some("x"));
        assert_eq!(e("a${TAG:+-$TAG}").as_deref(), Some("a-22.04"));
        assert_eq!(e("\\$BASE").as_deref(), Some("$BASE"));
        assert_eq!(e("plain:1").as_deref(), Some("plain:1"));
    }

    #[test]
    fn unknown_values_are_unresolvable() {
        let v = vars();
        for s in [
            "$NODEFAULT",
            "${UNDECLARED}",
            "x:${TAG%%.*}",
            "${",
            "${}",
            "${BASE",
        ] {
            assert_eq!(expand(s, &v, '\\'), None, "{s}");
        }
    }
}
