//! The authorisation model: who may do what to which repository or organisation.
//!
//! Repositories live in organisations (the first path component, [`organisation_of`]). A user's
//! power in an organisation is one [`Role`], the highest of their direct membership and their
//! teams' memberships (the server computes it; this module only reads it from [`OrgContext`]).
//! Roles are cumulative:
//!
//! | op | guest | developer | maintainer | admin |
//! | --- | --- | --- | --- | --- |
//! | `Pull` | ✓ | ✓ | ✓ | ✓ |
//! | `Push` | | ✓ | ✓ | ✓ |
//! | `Delete`, `ManageTagRules` | | | ✓ | ✓ |
//! | `ManageMembers`, `ManageSettings` | | | | ✓ |
//!
//! On top of that:
//! - a sysadmin may do everything;
//! - anyone, even anonymous, may `Pull` from a public organisation;
//! - registry-level ops (`CreateOrg`, `ManageUsers`, `ReadAudit`) are sysadmin-only;
//! - `Catalog` is allowed to every authenticated principal (users and live robots): the server
//!   filters the list per repository with `Pull`, so it reveals nothing `Pull` would not;
//! - a robot may do only what one of its grants lists for a pattern matching the repository, and
//!   only repository ops (`Pull`, `Push`, `Delete`, `ManageTagRules`): never organisation or
//!   registry management, whatever its grants say; a live robot may also `Pull` from public
//!   organisations (it must not be worse off than anonymous) and list the `Catalog`;
//! - an expired robot may do nothing at all;
//! - a decision that needs the organisation and gets none, or gets one that does not own the
//!   repository (a server bug), is a denial.
//!
//! [`allowed`] is the one decision function; [`grant`] applies it to a token request.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::Error;
use crate::scope::{Action, ResourceType, Scope};
use crate::token::Access;

/// A member's role in an organisation; later variants include the powers of earlier ones.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// Pull.
    Guest,
    /// Pull and push.
    Developer,
    /// Also delete, and manage tag rules (immutable tags, retention).
    Maintainer,
    /// Also manage members and the organisation's settings.
    Admin,
}

impl Role {
    /// Every role, weakest first.
    pub const ALL: [Role; 4] = [Role::Guest, Role::Developer, Role::Maintainer, Role::Admin];

    /// `guest`, `developer`, `maintainer`, `admin`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Role::Guest => "guest",
            Role::Developer => "developer",
            Role::Maintainer => "maintainer",
            Role::Admin => "admin",
        }
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Role {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Role::ALL
            .into_iter()
            .find(|r| r.as_str() == s)
            .ok_or_else(|| Error::InvalidValue {
                what: "role",
                value: s.to_owned(),
                expected: "guest, developer, maintainer, admin",
            })
    }
}

/// Whether an organisation's repositories can be pulled by anyone.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Visibility {
    Public,
    Private,
}

impl Visibility {
    /// `public`, `private`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Visibility::Public => "public",
            Visibility::Private => "private",
        }
    }
}

impl fmt::Display for Visibility {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Visibility {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "public" => Ok(Visibility::Public),
            "private" => Ok(Visibility::Private),
            _ => Err(Error::InvalidValue {
                what: "visibility",
                value: s.to_owned(),
                expected: "public, private",
            }),
        }
    }
}

/// Something a principal may want to do. Repository and organisation ops first, registry-level
/// ops (`CreateOrg`, `ManageUsers`, `ReadAudit`, `Catalog`) last.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Op {
    Pull,
    Push,
    Delete,
    ManageTagRules,
    ManageMembers,
    ManageSettings,
    CreateOrg,
    ManageUsers,
    ReadAudit,
    Catalog,
}

impl Op {
    /// Every op, in declaration order.
    pub const ALL: [Op; 10] = [
        Op::Pull,
        Op::Push,
        Op::Delete,
        Op::ManageTagRules,
        Op::ManageMembers,
        Op::ManageSettings,
        Op::CreateOrg,
        Op::ManageUsers,
        Op::ReadAudit,
        Op::Catalog,
    ];

    /// The snake_case name: `pull`, `manage_tag_rules`, `create_org`, …
    pub const fn as_str(self) -> &'static str {
        match self {
            Op::Pull => "pull",
            Op::Push => "push",
            Op::Delete => "delete",
            Op::ManageTagRules => "manage_tag_rules",
            Op::ManageMembers => "manage_members",
            Op::ManageSettings => "manage_settings",
            Op::CreateOrg => "create_org",
            Op::ManageUsers => "manage_users",
            Op::ReadAudit => "read_audit",
            Op::Catalog => "catalog",
        }
    }

    /// The weakest organisation role that may do this op; `None` for registry-level ops, which
    /// no organisation role grants.
    pub const fn minimum_role(self) -> Option<Role> {
        match self {
            Op::Pull => Some(Role::Guest),
            Op::Push => Some(Role::Developer),
            Op::Delete | Op::ManageTagRules => Some(Role::Maintainer),
            Op::ManageMembers | Op::ManageSettings => Some(Role::Admin),
            Op::CreateOrg | Op::ManageUsers | Op::ReadAudit | Op::Catalog => None,
        }
    }

    /// Whether a robot may ever be granted this op (repository ops only).
    pub const fn robot_grantable(self) -> bool {
        matches!(self, Op::Pull | Op::Push | Op::Delete | Op::ManageTagRules)
    }
}

impl fmt::Display for Op {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Op {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Op::ALL.into_iter().find(|op| op.as_str() == s).ok_or_else(|| Error::InvalidValue {
            what: "op",
            value: s.to_owned(),
            expected: "pull, push, delete, manage_tag_rules, manage_members, manage_settings, create_org, manage_users, read_audit, catalog",
        })
    }
}

/// What a robot account may do to the repositories matching one pattern.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RobotGrant {
    /// `org/app` (exactly that repository) or `org/*` (every repository under `org/`, at any
    /// depth, but not a repository named `org` itself). A pattern may end in `/*` after any
    /// prefix (`org/team/*`); `*` anywhere else is a literal that no valid name contains.
    pub repository_pattern: String,
    pub ops: Vec<Op>,
}

impl RobotGrant {
    /// Whether this grant's pattern covers `repository`.
    pub fn matches(&self, repository: &str) -> bool {
        pattern_matches(&self.repository_pattern, repository)
    }
}

/// Whether a robot grant pattern (see [`RobotGrant::repository_pattern`]) covers `repository`.
pub fn pattern_matches(pattern: &str, repository: &str) -> bool {
    match pattern.strip_suffix("/*") {
        Some(prefix) => repository
            .strip_prefix(prefix)
            .and_then(|rest| rest.strip_prefix('/'))
            .is_some_and(|rest| !rest.is_empty()),
        None => pattern == repository,
    }
}

/// Who is asking, as the server resolved it from the database.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Principal {
    Anonymous,
    User {
        name: String,
        sysadmin: bool,
    },
    Robot {
        name: String,
        grants: Vec<RobotGrant>,
        /// Past its expiry date (or disabled): may do nothing.
        expired: bool,
    },
}

impl Principal {
    /// The token subject: the user or robot name, empty for anonymous.
    pub fn subject(&self) -> &str {
        match self {
            Principal::Anonymous => "",
            Principal::User { name, .. } | Principal::Robot { name, .. } => name,
        }
    }

    /// Whether this is a logged-in user or robot (an expired robot still counts as authenticated;
    /// [`allowed`] denies it everything).
    pub fn is_authenticated(&self) -> bool {
        !matches!(self, Principal::Anonymous)
    }
}

/// The organisation that owns the repository in question, and the caller's place in it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrgContext {
    /// The organisation's name (the repository's first path component).
    pub org: String,
    pub visibility: Visibility,
    /// The caller's effective role: the highest of direct and team memberships; `None` if not a
    /// member (always `None` for anonymous and robots).
    pub role: Option<Role>,
}

/// The organisation of a repository: its first path component (`org/team/app` → `org`). A name
/// without `/` is its own organisation.
pub fn organisation_of(repository: &str) -> &str {
    repository
        .split_once('/')
        .map_or(repository, |(org, _)| org)
}

/// May `principal` do `op`? `repository` names the repository for repository ops; `org` is the
/// organisation that owns it (or, for organisation ops, the organisation itself). See the module
/// docs for the rules.
pub fn allowed(
    principal: &Principal,
    op: Op,
    repository: Option<&str>,
    org: Option<&OrgContext>,
) -> bool {
    // An organisation that does not own the repository is a caller bug: deny, whoever asks.
    if let (Some(repository), Some(org)) = (repository, org)
        && organisation_of(repository) != org.org
    {
        return false;
    }
    let public_pull = op == Op::Pull && org.is_some_and(|o| o.visibility == Visibility::Public);
    match principal {
        Principal::User { sysadmin: true, .. } => true,
        Principal::Anonymous => public_pull,
        Principal::User {
            sysadmin: false, ..
        } => {
            if op == Op::Catalog || public_pull {
                return true;
            }
            match (op.minimum_role(), org.and_then(|o| o.role)) {
                (Some(needed), Some(role)) => role >= needed,
                _ => false,
            }
        }
        Principal::Robot {
            grants, expired, ..
        } => {
            if *expired {
                return false;
            }
            if op == Op::Catalog || public_pull {
                return true;
            }
            op.robot_grantable()
                && repository.is_some_and(|repository| {
                    grants
                        .iter()
                        .any(|g| g.ops.contains(&op) && g.matches(repository))
                })
        }
    }
}

/// The ops a token action needs: `pull` → Pull, `push` → Push, `delete` → Delete, `*` → all three.
/// (Docker asks `pull,push` to push; each action is judged on its own.)
pub fn ops_for_action(action: &Action) -> Vec<Op> {
    match action {
        Action::Pull => vec![Op::Pull],
        Action::Push => vec![Op::Push],
        Action::Delete => vec![Op::Delete],
        Action::All => vec![Op::Pull, Op::Push, Op::Delete],
    }
}

/// The token endpoint's decision: of each requested scope keep the actions that [`allowed`]
/// permits, and return the `access` claim.
///
/// - `org_of` is called once per repository scope with the repository name and returns the
///   owning organisation's context, which must exist even when the repository does not yet (a
///   first push); `None` means no such organisation.
/// - `*` is kept when all of pull, push and delete are allowed; otherwise it is narrowed to those
///   of them that are.
/// - `registry:catalog` gets the requested actions when [`Op::Catalog`] is allowed; other
///   registry resources get nothing.
/// - Scopes left with no action are dropped; scopes naming the same resource are merged (actions
///   in the order first asked, without duplicates).
pub fn grant(
    principal: &Principal,
    requested: &[Scope],
    org_of: impl Fn(&str) -> Option<OrgContext>,
) -> Vec<Access> {
    let mut granted: Vec<Access> = Vec::new();
    for scope in requested {
        if scope.actions.is_empty() {
            continue;
        }
        let actions: Vec<Action> = match scope.resource_type {
            ResourceType::Repository => {
                let org = org_of(&scope.name);
                let may = |op: Op| allowed(principal, op, Some(&scope.name), org.as_ref());
                let mut actions = Vec::new();
                for action in &scope.actions {
                    if ops_for_action(action).into_iter().all(may) {
                        actions.push(*action);
                    } else if *action == Action::All {
                        actions.extend(
                            [Action::Pull, Action::Push, Action::Delete]
                                .into_iter()
                                .filter(|a| ops_for_action(a).into_iter().all(may)),
                        );
                    }
                }
                actions
            }
            ResourceType::Registry => {
                if scope.name == "catalog" && allowed(principal, Op::Catalog, None, None) {
                    scope.actions.clone()
                } else {
                    Vec::new()
                }
            }
        };
        if actions.is_empty() {
            continue;
        }
        let r#type = scope.resource_type.as_str();
        let index = match granted
            .iter()
            .position(|a| a.r#type == r#type && a.name == scope.name)
        {
            Some(index) => index,
            None => {
                granted.push(Access {
                    r#type: r#type.to_owned(),
                    name: scope.name.clone(),
                    actions: Vec::new(),
                });
                granted.len() - 1
            }
        };
        let entry = &mut granted[index];
        for action in actions {
            let text = action.as_str();
            if !entry.actions.iter().any(|a| a == text) {
                entry.actions.push(text.to_owned());
            }
        }
    }
    granted
}

#[cfg(test)]
mod tests {
    use super::*;

    const REPO: &str = "acme/app";

    fn ctx(visibility: Visibility, role: Option<Role>) -> OrgContext {
        OrgContext {
            org: "acme".into(),
            visibility,
            role,
        }
    }

    fn user(name: &str) -> Principal {
        Principal::User {
            name: name.into(),
            sysadmin: false,
        }
    }

    fn sysadmin() -> Principal {
        Principal::User {
            name: "root".into(),
            sysadmin: true,
        }
    }

    fn robot(pattern: &str, ops: &[Op], expired: bool) -> Principal {
        Principal::Robot {
            name: "acme+ci".into(),
            grants: vec![RobotGrant {
                repository_pattern: pattern.into(),
                ops: ops.to_vec(),
            }],
            expired,
        }
    }

    /// The grant of the matrix's robots: some repository ops (not `Delete`), and some ops a robot
    /// must never get even when listed.
    const ROBOT_OPS: [Op; 5] = [
        Op::Pull,
        Op::Push,
        Op::ManageTagRules,
        Op::ManageMembers,
        Op::CreateOrg,
    ];

    /// The expected decision for every principal kind × visibility × op, written out by hand from
    /// the rules in the brief. `Y` allowed, `.` denied. Columns follow `Op::ALL`.
    const EXPECTED: &str = "
        #                        pull push dele tags memb sett corg usrs audt catl
        anonymous       public    Y    .    .    .    .    .    .    .    .    .
        anonymous       private   .    .    .    .    .    .    .    .    .    .
        user            public    Y    .    .    .    .    .    .    .    .    Y
        user            private   .    .    .    .    .    .    .    .    .    Y
        guest           public    Y    .    .    .    .    .    .    .    .    Y
        guest           private   Y    .    .    .    .    .    .    .    .    Y
        developer       public    Y    Y    .    .    .    .    .    .    .    Y
        developer       private   Y    Y    .    .    .    .    .    .    .    Y
        maintainer      public    Y    Y    Y    Y    .    .    .    .    .    Y
        maintainer      private   Y    Y    Y    Y    .    .    .    .    .    Y
        admin           public    Y    Y    Y    Y    Y    Y    .    .    .    Y
        admin           private   Y    Y    Y    Y    Y    Y    .    .    .    Y
        sysadmin        public    Y    Y    Y    Y    Y    Y    Y    Y    Y    Y
        sysadmin        private   Y    Y    Y    Y    Y    Y    Y    Y    Y    Y
        robot           public    Y    Y    .    Y    .    .    .    .    .    Y
        robot           private   Y    Y    .    Y    .    .    .    .    .    Y
        robot-expired   public    .    .    .    .    .    .    .    .    .    .
        robot-expired   private   .    .    .    .    .    .    .    .    .    .
        robot-nomatch   public    Y    .    .    .    .    .    .    .    .    Y
        robot-nomatch   private   .    .    .    .    .    .    .    .    .    Y
    ";

    /// The principal and its role in `acme` for each row name of `EXPECTED`.
    fn principal_kind(kind: &str) -> (Principal, Option<Role>) {
        match kind {
            "anonymous" => (Principal::Anonymous, None),
            "user" => (user("nobody"), None),
            "guest" => (user("gina"), Some(Role::Guest)),
            "developer" => (user("dev"), Some(Role::Developer)),
            "maintainer" => (user("max"), Some(Role::Maintainer)),
            "admin" => (user("ada"), Some(Role::Admin)),
            "sysadmin" => (sysadmin(), None),
            "robot" => (robot("acme/*", &ROBOT_OPS, false), None),
            "robot-expired" => (robot("acme/*", &Op::ALL, true), None),
            "robot-nomatch" => (robot("other/*", &Op::ALL, false), None),
            other => panic!("unknown principal kind {other:?} in EXPECTED"),
        }
    }

    #[test]
    fn rbac_matrix_matches_the_expectation_table() {
        let mut rows = 0;
        let mut seen = std::collections::HashSet::new();
        let mut mismatches = Vec::new();
        for line in EXPECTED.lines().map(str::trim) {
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let fields: Vec<&str> = line.split_whitespace().collect();
            assert_eq!(fields.len(), 2 + Op::ALL.len(), "bad EXPECTED row {line:?}");
            let (kind, visibility) = (fields[0], fields[1]);
            assert!(
                seen.insert((kind, visibility)),
                "duplicate EXPECTED row {line:?}"
            );
            let visibility: Visibility = visibility.parse().unwrap();
            let (principal, role) = principal_kind(kind);
            let org = ctx(visibility, role);
            for (op, cell) in Op::ALL.into_iter().zip(&fields[2..]) {
                let expected = match *cell {
                    "Y" => true,
                    "." => false,
                    other => panic!("bad cell {other:?} in row {line:?}"),
                };
                let actual = allowed(&principal, op, Some(REPO), Some(&org));
                if actual != expected {
                    mismatches.push(format!(
                        "{kind} × {op} × {visibility}: expected {}, got {}",
                        if expected { "allowed" } else { "denied" },
                        if actual { "allowed" } else { "denied" },
                    ));
                }
            }
            rows += 1;
        }
        // Every principal kind × both visibilities, each once.
        assert_eq!(
            rows, 20,
            "EXPECTED must have 10 principal kinds × 2 visibilities"
        );
        assert!(
            mismatches.is_empty(),
            "{} mismatched cells:\n{}",
            mismatches.len(),
            mismatches.join("\n")
        );
    }

    #[test]
    fn registry_level_ops_need_no_context() {
        for op in [Op::CreateOrg, Op::ManageUsers, Op::ReadAudit] {
            assert!(allowed(&sysadmin(), op, None, None), "{op}");
            assert!(!allowed(&user("u"), op, None, None), "{op}");
            assert!(!allowed(&Principal::Anonymous, op, None, None), "{op}");
            assert!(
                !allowed(&robot("acme/*", &Op::ALL, false), op, None, None),
                "{op}"
            );
        }
        assert!(allowed(&user("u"), Op::Catalog, None, None));
        assert!(allowed(
            &robot("acme/*", &[], false),
            Op::Catalog,
            None,
            None
        ));
        assert!(!allowed(
            &robot("acme/*", &Op::ALL, true),
            Op::Catalog,
            None,
            None
        ));
        assert!(!allowed(&Principal::Anonymous, Op::Catalog, None, None));
    }

    #[test]
    fn org_ops_are_judged_on_the_org_without_a_repository() {
        let admin = ctx(Visibility::Private, Some(Role::Admin));
        let maintainer = ctx(Visibility::Private, Some(Role::Maintainer));
        assert!(allowed(&user("u"), Op::ManageMembers, None, Some(&admin)));
        assert!(!allowed(
            &user("u"),
            Op::ManageMembers,
            None,
            Some(&maintainer)
        ));
        assert!(allowed(
            &user("u"),
            Op::ManageTagRules,
            None,
            Some(&maintainer)
        ));
        // A robot needs a repository to match its patterns.
        assert!(!allowed(
            &robot("acme/*", &Op::ALL, false),
            Op::ManageTagRules,
            None,
            Some(&admin)
        ));
    }

    #[test]
    fn missing_or_inconsistent_context_denies() {
        let dev = ctx(Visibility::Public, Some(Role::Admin));
        assert!(!allowed(&user("u"), Op::Pull, Some(REPO), None));
        assert!(!allowed(&Principal::Anonymous, Op::Pull, Some(REPO), None));
        // An org context for another organisation than the repository's.
        assert!(!allowed(
            &user("u"),
            Op::Push,
            Some("other/app"),
            Some(&dev)
        ));
        assert!(!allowed(
            &Principal::Anonymous,
            Op::Pull,
            Some("other/app"),
            Some(&dev)
        ));
        assert!(!allowed(
            &sysadmin(),
            Op::Pull,
            Some("other/app"),
            Some(&dev)
        ));
        assert!(!allowed(
            &user("u"),
            Op::Pull,
            Some("acmeco/app"),
            Some(&dev)
        ));
        // Sysadmins need no context at all.
        assert!(allowed(&sysadmin(), Op::Delete, Some(REPO), None));
    }

    #[test]
    fn robots_get_only_listed_ops_on_matching_repositories() {
        let private = ctx(Visibility::Private, None);
        let ci = robot("acme/app", &[Op::Pull], false);
        assert!(allowed(&ci, Op::Pull, Some("acme/app"), Some(&private)));
        assert!(!allowed(&ci, Op::Push, Some("acme/app"), Some(&private)));
        assert!(!allowed(&ci, Op::Pull, Some("acme/app2"), Some(&private)));
        assert!(!allowed(
            &ci,
            Op::Pull,
            Some("acme/app/sub"),
            Some(&private)
        ));

        let wide = robot("acme/*", &[Op::Push, Op::Delete], false);
        assert!(allowed(
            &wide,
            Op::Delete,
            Some("acme/team/app"),
            Some(&private)
        ));
        assert!(!allowed(
            &wide,
            Op::Delete,
            Some("acme"),
            Some(&OrgContext {
                org: "acme".into(),
                ..private.clone()
            })
        ));
        assert!(!allowed(&wide, Op::Pull, Some("acme/app"), Some(&private)));

        let several = Principal::Robot {
            name: "r".into(),
            grants: vec![
                RobotGrant {
                    repository_pattern: "acme/a".into(),
                    ops: vec![Op::Pull],
                },
                RobotGrant {
                    repository_pattern: "acme/b".into(),
                    ops: vec![Op::Push],
                },
            ],
            expired: false,
        };
        assert!(allowed(&several, Op::Pull, Some("acme/a"), Some(&private)));
        assert!(!allowed(&several, Op::Push, Some("acme/a"), Some(&private)));
        assert!(allowed(&several, Op::Push, Some("acme/b"), Some(&private)));
        assert!(!allowed(&several, Op::Pull, Some("acme/b"), Some(&private)));
    }

    #[test]
    fn patterns_match_exactly_or_by_prefix() {
        assert!(pattern_matches("org/app", "org/app"));
        assert!(!pattern_matches("org/app", "org/app2"));
        assert!(!pattern_matches("org/app", "org/app/x"));
        assert!(pattern_matches("org/*", "org/app"));
        assert!(pattern_matches("org/*", "org/team/app"));
        assert!(!pattern_matches("org/*", "org"));
        assert!(!pattern_matches("org/*", "org/"));
        assert!(!pattern_matches("org/*", "orgx/app"));
        assert!(!pattern_matches("org/*", "other/org/app"));
        assert!(pattern_matches("org/team/*", "org/team/app"));
        assert!(!pattern_matches("org/team/*", "org/other/app"));
        assert!(!pattern_matches("*", "org/app"));
        assert!(!pattern_matches("org/a*", "org/abc"));
    }

    #[test]
    fn organisation_is_the_first_component() {
        assert_eq!(organisation_of("acme/app"), "acme");
        assert_eq!(organisation_of("acme/team/app"), "acme");
        assert_eq!(organisation_of("solo"), "solo");
        assert_eq!(organisation_of(""), "");
    }

    #[test]
    fn actions_map_to_ops() {
        assert_eq!(ops_for_action(&Action::Pull), vec![Op::Pull]);
        assert_eq!(ops_for_action(&Action::Push), vec![Op::Push]);
        assert_eq!(ops_for_action(&Action::Delete), vec![Op::Delete]);
        assert_eq!(
            ops_for_action(&Action::All),
            vec![Op::Pull, Op::Push, Op::Delete]
        );
    }

    #[test]
    fn names_parse_and_print() {
        for role in Role::ALL {
            assert_eq!(role.to_string().parse::<Role>().unwrap(), role);
        }
        for op in Op::ALL {
            assert_eq!(op.to_string().parse::<Op>().unwrap(), op);
            assert_eq!(
                serde_json::to_value(op).unwrap(),
                serde_json::json!(op.as_str())
            );
        }
        assert_eq!("public".parse::<Visibility>().unwrap(), Visibility::Public);
        assert_eq!(Visibility::Private.to_string(), "private");
        assert!(matches!(
            "Admin".parse::<Role>(),
            Err(Error::InvalidValue { what: "role", .. })
        ));
        assert!("owner".parse::<Role>().is_err());
        assert!("internal".parse::<Visibility>().is_err());
        assert!("ManageUsers".parse::<Op>().is_err());
        assert!(Role::Guest < Role::Developer && Role::Maintainer < Role::Admin);
        assert_eq!(
            serde_json::to_string(&Role::Maintainer).unwrap(),
            "\"maintainer\""
        );
    }

    fn scopes(text: &[&str]) -> Vec<Scope> {
        crate::parse_scopes(text).unwrap()
    }

    /// `org_of` for a registry with a public org `pub` and a private org `acme`, where the caller
    /// holds `role` in both.
    fn orgs(role: Option<Role>) -> impl Fn(&str) -> Option<OrgContext> {
        move |repository| {
            let org = organisation_of(repository);
            let visibility = match org {
                "pub" => Visibility::Public,
                "acme" => Visibility::Private,
                _ => return None,
            };
            Some(OrgContext {
                org: org.into(),
                visibility,
                role,
            })
        }
    }

    fn texts(access: &[Access]) -> Vec<String> {
        access
            .iter()
            .map(|a| format!("{}:{}:{}", a.r#type, a.name, a.actions.join(",")))
            .collect()
    }

    #[test]
    fn grant_keeps_only_allowed_actions() {
        let asked = scopes(&["repository:acme/app:pull,push repository:pub/base:pull,push"]);
        assert_eq!(
            texts(&grant(&user("g"), &asked, orgs(Some(Role::Guest)))),
            ["repository:acme/app:pull", "repository:pub/base:pull"]
        );
        assert_eq!(
            texts(&grant(&user("d"), &asked, orgs(Some(Role::Developer)))),
            [
                "repository:acme/app:pull,push",
                "repository:pub/base:pull,push"
            ]
        );
        assert_eq!(
            texts(&grant(&Principal::Anonymous, &asked, orgs(None))),
            ["repository:pub/base:pull"]
        );
        assert_eq!(
            texts(&grant(&user("n"), &asked, orgs(None))),
            ["repository:pub/base:pull"]
        );
    }

    #[test]
    fn grant_narrows_a_wildcard() {
        let asked = scopes(&["repository:acme/app:*"]);
        assert_eq!(
            texts(&grant(&user("m"), &asked, orgs(Some(Role::Maintainer)))),
            ["repository:acme/app:*"]
        );
        assert_eq!(
            texts(&grant(&user("d"), &asked, orgs(Some(Role::Developer)))),
            ["repository:acme/app:pull,push"]
        );
        assert_eq!(
            texts(&grant(&user("g"), &asked, orgs(Some(Role::Guest)))),
            ["repository:acme/app:pull"]
        );
        assert!(grant(&user("n"), &asked, orgs(None)).is_empty());
        assert_eq!(
            texts(&grant(&sysadmin(), &asked, orgs(None))),
            ["repository:acme/app:*"]
        );
    }

    #[test]
    fn grant_handles_catalog_unknown_orgs_and_duplicates() {
        let asked = scopes(&[
            "registry:catalog:* registry:other:*",
            "repository:nowhere/app:pull",
            "repository:acme/app:pull repository:acme/app:push,pull repository:acme/app:fly",
        ]);
        assert_eq!(
            texts(&grant(&user("d"), &asked, orgs(Some(Role::Developer)))),
            ["registry:catalog:*", "repository:acme/app:pull,push"]
        );
        assert_eq!(
            texts(&grant(&Principal::Anonymous, &asked, orgs(None))),
            Vec::<String>::new()
        );
        // A sysadmin may push to an organisation that does not exist yet; the server decides
        // what happens next.
        assert!(
            texts(&grant(&sysadmin(), &asked, orgs(None)))
                .contains(&"repository:nowhere/app:pull".to_owned())
        );
    }

    #[test]
    fn grant_asks_org_of_with_the_repository_name() {
        let asked = scopes(&["repository:acme/team/app:pull"]);
        let seen = std::cell::RefCell::new(Vec::new());
        let granted = grant(&user("g"), &asked, |repository| {
            seen.borrow_mut().push(repository.to_owned());
            orgs(Some(Role::Guest))(repository)
        });
        assert_eq!(texts(&granted), ["repository:acme/team/app:pull"]);
        assert_eq!(seen.into_inner(), ["acme/team/app"]);
    }

    #[test]
    fn robots_get_tokens_for_their_grants_only() {
        let ci = robot("acme/*", &[Op::Pull, Op::Push], false);
        let asked = scopes(&[
            "repository:acme/app:pull,push,delete repository:pub/base:pull,push repository:other/x:pull",
        ]);
        assert_eq!(
            texts(&grant(&ci, &asked, orgs(None))),
            ["repository:acme/app:pull,push", "repository:pub/base:pull"]
        );
        let expired = robot("acme/*", &Op::ALL, true);
        assert!(grant(&expired, &asked, orgs(None)).is_empty());
    }
}
