//! Docker token scopes: `repository:org/app:pull,push`, `registry:catalog:*`.
//!
//! Grammar (<https://distribution.github.io/distribution/spec/auth/scope/>):
//! `scope := resourcetype ':' resourcename ':' action [ ',' action ]*`, with an optional class on
//! the type (`repository(plugin)`), which zoll ignores. The name may itself hold a `:` (a
//! registry host with a port, `localhost:5000/app`), so the type ends at the FIRST `:` and the
//! actions start after the LAST one.
//!
//! Repository names follow the OCI distribution grammar
//! `[a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*(/[a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*)*`, at most 255 chars; the
//! scope grammar also allows a leading `host[:port]/` component, which is accepted here only when
//! it holds a `:` (a plain `registry.example.com/app` already matches the OCI grammar). Such a name
//! never matches a repository of this registry, so it is simply granted nothing.
//!
//! Unknown actions are dropped, as the spec asks of servers; an unknown resource type is an error
//! (a client asking for something we do not model should hear so rather than get an empty grant).

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::Error;

/// Longest repository name accepted, in bytes (the distribution spec's limit).
pub const MAX_REPOSITORY_NAME_LEN: usize = 255;

/// What a scope is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ResourceType {
    /// `repository`: one repository, named by its path (`org/app`).
    Repository,
    /// `registry`: the registry itself; zoll knows the name `catalog`.
    Registry,
}

impl ResourceType {
    /// The wire form: `repository` or `registry`.
    pub const fn as_str(self) -> &'static str {
        match self {
            ResourceType::Repository => "repository",
            ResourceType::Registry => "registry",
        }
    }
}

impl fmt::Display for ResourceType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for ResourceType {
    type Err = Error;

    /// `repository`, `registry`, each optionally with a class suffix `(plugin)` that is ignored.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let base = match s.split_once('(') {
            Some((base, rest))
                if rest.len() > 1
                    && rest.ends_with(')')
                    && rest[..rest.len() - 1]
                        .bytes()
                        .all(|b| b.is_ascii_alphanumeric()) =>
            {
                base
            }
            Some(_) => {
                return Err(Error::InvalidValue {
                    what: "resource type",
                    value: s.to_owned(),
                    expected: "repository, registry (with an optional alphanumeric class)",
                });
            }
            None => s,
        };
        match base {
            "repository" => Ok(ResourceType::Repository),
            "registry" => Ok(ResourceType::Registry),
            _ => Err(Error::InvalidValue {
                what: "resource type",
                value: s.to_owned(),
                expected: "repository, registry",
            }),
        }
    }
}

/// An action on a resource.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Action {
    #[serde(rename = "pull")]
    Pull,
    #[serde(rename = "push")]
    Push,
    #[serde(rename = "delete")]
    Delete,
    /// `*`: every action on the resource.
    #[serde(rename = "*")]
    All,
}

impl Action {
    /// The wire form: `pull`, `push`, `delete`, `*`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Action::Pull => "pull",
            Action::Push => "push",
            Action::Delete => "delete",
            Action::All => "*",
        }
    }
}

impl fmt::Display for Action {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Action {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "pull" => Ok(Action::Pull),
            "push" => Ok(Action::Push),
            "delete" => Ok(Action::Delete),
            "*" => Ok(Action::All),
            _ => Err(Error::InvalidValue {
                what: "action",
                value: s.to_owned(),
                expected: "pull, push, delete, *",
            }),
        }
    }
}

/// One requested (or granted) scope.
///
/// `actions` holds the known actions in the order asked, without duplicates; it may be empty
/// when every action asked was unknown.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Scope {
    pub resource_type: ResourceType,
    pub name: String,
    pub actions: Vec<Action>,
}

impl FromStr for Scope {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let invalid = |reason| Error::InvalidScope {
            scope: s.to_owned(),
            reason,
        };
        if s.is_empty() {
            return Err(invalid("empty scope"));
        }
        let (type_text, rest) = s
            .split_once(':')
            .ok_or_else(|| invalid("expected type:name:actions"))?;
        let (name, action_text) = rest
            .rsplit_once(':')
            .ok_or_else(|| invalid("expected type:name:actions"))?;
        let resource_type =
            type_text
                .parse::<ResourceType>()
                .map_err(|_| Error::UnknownResourceType {
                    scope: s.to_owned(),
                    resource_type: type_text.to_owned(),
                })?;
        match resource_type {
            ResourceType::Repository => validate_scope_repository_name(name)?,
            ResourceType::Registry => {
                if name.is_empty() || !name.bytes().all(|b| b.is_ascii_graphic()) {
                    return Err(invalid(
                        "registry resource name must be non-empty printable ASCII",
                    ));
                }
            }
        }
        let mut actions = Vec::new();
        for text in action_text.split(',') {
            // Unknown (and empty) actions are ignored, per the spec.
            if let Ok(action) = text.parse::<Action>()
                && !actions.contains(&action)
            {
                actions.push(action);
            }
        }
        Ok(Scope {
            resource_type,
            name: name.to_owned(),
            actions,
        })
    }
}

impl fmt::Display for Scope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}:", self.resource_type, self.name)?;
        for (i, action) in self.actions.iter().enumerate() {
            if i > 0 {
                f.write_str(",")?;
            }
            f.write_str(action.as_str())?;
        }
        Ok(())
    }
}

/// Parse the values of every `scope=` query parameter of a token request. Each value may hold
/// several scopes separated by spaces (`scope=repository:a:pull repository:b:pull`); empty values
/// and repeated spaces are ignored. The first bad scope fails the whole request.
pub fn parse_scopes(query_values: &[&str]) -> Result<Vec<Scope>, Error> {
    let mut scopes = Vec::new();
    for value in query_values {
        for text in value.split(' ').filter(|t| !t.is_empty()) {
            scopes.push(text.parse()?);
        }
    }
    Ok(scopes)
}

/// Whether `name` is a repository name of the OCI distribution grammar (no host part).
pub fn is_valid_repository_name(name: &str) -> bool {
    validate_repository_name(name).is_ok()
}

/// Check `name` against the OCI distribution grammar, saying what is wrong.
pub fn validate_repository_name(name: &str) -> Result<(), Error> {
    let invalid = |reason| Error::InvalidRepositoryName {
        name: name.to_owned(),
        reason,
    };
    if name.is_empty() {
        return Err(invalid("empty"));
    }
    if name.len() > MAX_REPOSITORY_NAME_LEN {
        return Err(invalid("longer than 255 characters"));
    }
    if name.split('/').all(valid_path_component) {
        Ok(())
    } else {
        Err(invalid(
            "each /-separated component must be lowercase letters and digits, joined by '.', '_', '__' or dashes",
        ))
    }
}

/// A scope's repository name: the OCI grammar, or `host:port/` followed by it.
fn validate_scope_repository_name(name: &str) -> Result<(), Error> {
    if let Some((host, path)) = name.split_once('/')
        && host.contains(':')
    {
        if name.len() > MAX_REPOSITORY_NAME_LEN {
            return Err(Error::InvalidRepositoryName {
                name: name.to_owned(),
                reason: "longer than 255 characters",
            });
        }
        if !valid_host(host) {
            return Err(Error::InvalidRepositoryName {
                name: name.to_owned(),
                reason: "the part before the first '/' is not a host[:port]",
            });
        }
        return validate_repository_name(path).map_err(|_| Error::InvalidRepositoryName {
            name: name.to_owned(),
            reason: "the path after host[:port]/ breaks the OCI repository grammar",
        });
    }
    validate_repository_name(name)
}

/// `[a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*`
fn valid_path_component(component: &str) -> bool {
    let bytes = component.as_bytes();
    let alnum = |b: u8| b.is_ascii_lowercase() || b.is_ascii_digit();
    let mut i = 0;
    loop {
        let start = i;
        while i < bytes.len() && alnum(bytes[i]) {
            i += 1;
        }
        if i == start {
            return false; // empty component, or a separator not followed by [a-z0-9]
        }
        if i == bytes.len() {
            return true;
        }
        match bytes[i] {
            b'.' => i += 1,
            b'_' => {
                i += 1;
                if bytes.get(i) == Some(&b'_') {
                    i += 1;
                }
            }
            b'-' => {
                while bytes.get(i) == Some(&b'-') {
                    i += 1;
                }
            }
            _ => return false,
        }
    }
}

/// `domain-component ('.' domain-component)* [':' port]`, domain components being
/// `[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?` and the port 1-5 digits.
fn valid_host(host: &str) -> bool {
    let (domain, port) = match host.rsplit_once(':') {
        Some((domain, port)) => (domain, Some(port)),
        None => (host, None),
    };
    let valid_label = |label: &str| {
        let bytes = label.as_bytes();
        !bytes.is_empty()
            && bytes
                .iter()
                .all(|b| b.is_ascii_alphanumeric() || *b == b'-')
            && bytes.first().is_some_and(u8::is_ascii_alphanumeric)
            && bytes.last().is_some_and(u8::is_ascii_alphanumeric)
    };
    let valid_port = |p: &str| (1..=5).contains(&p.len()) && p.bytes().all(|b| b.is_ascii_digit());
    domain.split('.').all(valid_label) && port.is_none_or(valid_port)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scope(s: &str) -> Scope {
        s.parse().unwrap()
    }

    #[test]
    fn parses_a_repository_scope() {
        let s = scope("repository:org/app:pull,push");
        assert_eq!(s.resource_type, ResourceType::Repository);
        assert_eq!(s.name, "org/app");
        assert_eq!(s.actions, vec![Action::Pull, Action::Push]);
        assert_eq!(s.to_string(), "repository:org/app:pull,push");
    }

    #[test]
    fn parses_the_catalog_scope() {
        let s = scope("registry:catalog:*");
        assert_eq!(s.resource_type, ResourceType::Registry);
        assert_eq!(s.name, "catalog");
        assert_eq!(s.actions, vec![Action::All]);
        assert_eq!(s.to_string(), "registry:catalog:*");
    }

    #[test]
    fn display_round_trips() {
        for text in [
            "repository:a:pull",
            "repository:org/team/app:pull,push,delete",
            "repository:org/app:*",
            "repository:org/app:",
            "repository:localhost:5000/app:pull",
            "registry:catalog:*",
        ] {
            assert_eq!(scope(text).to_string(), text);
            assert_eq!(scope(&scope(text).to_string()), scope(text));
        }
    }

    #[test]
    fn a_name_with_a_port_splits_at_the_first_and_last_colon() {
        let s = scope("repository:localhost:5000/org/app:pull,push");
        assert_eq!(s.name, "localhost:5000/org/app");
        assert_eq!(s.actions, vec![Action::Pull, Action::Push]);
        let s = scope("repository:registry.example.com:443/app:pull");
        assert_eq!(s.name, "registry.example.com:443/app");
        // A host part without a port is just a path component with dots.
        assert_eq!(
            scope("repository:registry.example.com/app:pull").name,
            "registry.example.com/app"
        );
    }

    #[test]
    fn the_class_suffix_is_accepted_and_ignored() {
        let s = scope("repository(plugin):vieux/sshfs:pull");
        assert_eq!(s.resource_type, ResourceType::Repository);
        assert_eq!(s.to_string(), "repository:vieux/sshfs:pull");
        assert!(matches!(
            "repository(plu gin):a:pull".parse::<Scope>(),
            Err(Error::UnknownResourceType { .. })
        ));
        assert!(matches!(
            "repository():a:pull".parse::<Scope>(),
            Err(Error::UnknownResourceType { .. })
        ));
    }

    #[test]
    fn unknown_actions_are_dropped_and_duplicates_merged() {
        assert_eq!(
            scope("repository:a:pull,fly,push").actions,
            vec![Action::Pull, Action::Push]
        );
        assert_eq!(scope("repository:a:fly").actions, vec![]);
        assert_eq!(
            scope("repository:a:pull,pull,,PULL").actions,
            vec![Action::Pull]
        );
        assert_eq!(scope("repository:a:").actions, vec![]);
    }

    #[test]
    fn an_unknown_type_is_an_error() {
        let err = "image:org/app:pull".parse::<Scope>().unwrap_err();
        assert!(
            matches!(&err, Error::UnknownResourceType { resource_type, .. } if resource_type == "image"),
            "{err:?}"
        );
        assert_eq!(
            err.to_string(),
            "unknown resource type \"image\" in scope \"image:org/app:pull\""
        );
        assert!(matches!(
            "Repository:a:pull".parse::<Scope>(),
            Err(Error::UnknownResourceType { .. })
        ));
    }

    #[test]
    fn invalid_names_are_errors() {
        for text in [
            "repository:Org/App:pull",
            "repository::pull",
            "repository:/app:pull",
            "repository:org/:pull",
            "repository:org//app:pull",
            "repository:-app:pull",
            "repository:app-:pull",
            "repository:a___b:pull",
            "repository:a..b:pull",
            "repository:a b:pull",
            "repository:-org:5000/app:pull",
            "repository:host:port/app:pull",
            "repository:host:123456/app:pull",
            "repository:host:5000/App:pull",
            "repository:host:5000:pull",
        ] {
            let err = text.parse::<Scope>().unwrap_err();
            assert!(
                matches!(err, Error::InvalidRepositoryName { .. }),
                "{text}: {err:?}"
            );
        }
        let long = format!("repository:{}:pull", "a".repeat(256));
        assert!(matches!(
            long.parse::<Scope>(),
            Err(Error::InvalidRepositoryName { .. })
        ));
        let longest = format!("repository:{}:pull", "a".repeat(255));
        assert!(longest.parse::<Scope>().is_ok());
    }

    #[test]
    fn valid_names_of_the_grammar_are_accepted() {
        for name in [
            "a",
            "0",
            "org/app",
            "a.b_c__d-e---f/g",
            "library/ubuntu",
            "x/y/z/w",
            "my-org/my.app_v2",
        ] {
            assert!(is_valid_repository_name(name), "{name}");
        }
        assert!(!is_valid_repository_name("a_-b"));
        assert!(!is_valid_repository_name("a/"));
        assert!(!is_valid_repository_name(""));
    }

    #[test]
    fn malformed_scopes_are_errors() {
        for text in ["", "repository", "repository:org/app", "pull", ":"] {
            let err = text.parse::<Scope>().unwrap_err();
            assert!(
                matches!(
                    err,
                    Error::InvalidScope { .. } | Error::UnknownResourceType { .. }
                ),
                "{text:?}: {err:?}"
            );
        }
        assert!(matches!(
            "".parse::<Scope>(),
            Err(Error::InvalidScope { .. })
        ));
        assert!(matches!(
            "repository:org/app".parse::<Scope>(),
            Err(Error::InvalidScope { .. })
        ));
        assert!(matches!(
            "registry::*".parse::<Scope>(),
            Err(Error::InvalidScope { .. })
        ));
    }

    #[test]
    fn parse_scopes_splits_values_on_spaces() {
        let scopes = parse_scopes(&[
            "repository:org/a:pull repository:org/b:pull,push",
            "registry:catalog:*",
            "",
            "  repository:org/c:delete  ",
        ])
        .unwrap();
        let texts: Vec<String> = scopes.iter().map(ToString::to_string).collect();
        assert_eq!(
            texts,
            [
                "repository:org/a:pull",
                "repository:org/b:pull,push",
                "registry:catalog:*",
                "repository:org/c:delete"
            ]
        );
        assert_eq!(parse_scopes(&[]).unwrap(), vec![]);
        assert_eq!(parse_scopes(&["", " "]).unwrap(), vec![]);
        assert!(parse_scopes(&["repository:org/a:pull", "repository:BAD:pull"]).is_err());
    }

    #[test]
    fn actions_parse_and_print() {
        for action in [Action::Pull, Action::Push, Action::Delete, Action::All] {
            assert_eq!(action.to_string().parse::<Action>().unwrap(), action);
        }
        assert!("Pull".parse::<Action>().is_err());
        assert_eq!(serde_json::to_string(&Action::All).unwrap(), "\"*\"");
    }
}
