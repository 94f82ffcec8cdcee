//! Account administration, shared by the admin HTTP API and `zoll registry user|org|team|robot`
//! (which works on the data directory directly, even before the server ever started). Every
//! change is validated here and written to the audit log.

use serde::{Deserialize, Serialize};
use zoll_auth::{Role, Visibility};
use zoll_meta::{Meta, NewAudit, Robot, RobotGrant};

/// What went wrong, for the CLI and the API alike.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum AccountError {
    #[error("invalid {what} {value:?}: {rule}")]
    Invalid {
        what: &'static str,
        value: String,
        rule: &'static str,
    },
    #[error(transparent)]
    Meta(#[from] zoll_meta::Error),
    #[error("cannot hash the password: {0}")]
    Hash(#[from] zoll_auth::Error),
}

/// Who made a change, and from where, for the audit log.
#[derive(Debug, Clone)]
pub struct Actor {
    pub name: String,
    pub remote: String,
}

const NAME_RULE: &str =
    "1-64 characters of a-z, 0-9, '.', '_', '-', starting with a letter or digit";
const ORG_RULE: &str = "lowercase letters and digits, separated by '.', '_', '__' or dashes (a repository path component)";

/// User, team and robot names.
pub fn validate_name(what: &'static str, name: &str) -> Result<(), AccountError> {
    let b = name.as_bytes();
    let ok = !b.is_empty()
        && b.len() <= 64
        && b[0].is_ascii_alphanumeric()
        && b.iter().all(|c| {
            c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, b'.' | b'_' | b'-')
        });
    if ok {
        Ok(())
    } else {
        Err(AccountError::Invalid {
            what,
            value: name.to_owned(),
            rule: NAME_RULE,
        })
    }
}

/// Organisation names: one repository path component.
pub fn validate_org(name: &str) -> Result<(), AccountError> {
    if !name.contains('/') && name.len() <= 64 && zoll_auth::is_valid_repository_name(name) {
        Ok(())
    } else {
        Err(AccountError::Invalid {
            what: "organisation name",
            value: name.to_owned(),
            rule: ORG_RULE,
        })
    }
}

fn parse_role(role: &str) -> Result<Role, AccountError> {
    role.parse().map_err(|_| AccountError::Invalid {
        what: "role",
        value: role.to_owned(),
        rule: "guest, developer, maintainer or admin",
    })
}

fn parse_visibility(v: &str) -> Result<Visibility, AccountError> {
    v.parse().map_err(|_| AccountError::Invalid {
        what: "visibility",
        value: v.to_owned(),
        rule: "public or private",
    })
}

fn check_password(password: &str) -> Result<(), AccountError> {
    if password.chars().count() < 8 {
        return Err(AccountError::Invalid {
            what: "password",
            value: "(hidden)".to_owned(),
            rule: "at least 8 characters",
        });
    }
    Ok(())
}

async fn audit(meta: &Meta, actor: &Actor, action: &str, target: &str, detail: &str) {
    if let Err(e) = meta
        .audit(&NewAudit {
            actor: &actor.name,
            action,
            target,
            remote: &actor.remote,
            outcome: "ok",
            detail,
        })
        .await
    {
        tracing::warn!(error = %e, "cannot write audit entry");
    }
}

async fn hash(password: String) -> Result<String, AccountError> {
    tokio::task::spawn_blocking(move || zoll_auth::hash_password(&password))
        .await
        .map_err(|e| AccountError::Invalid {
            what: "password",
            value: "(hidden)".to_owned(),
            rule: if e.is_panic() {
                "hashing panicked"
            } else {
                "hashing was cancelled"
            },
        })?
        .map_err(AccountError::from)
}

pub async fn add_user(
    meta: &Meta,
    actor: &Actor,
    name: &str,
    password: &str,
    admin: bool,
) -> Result<(), AccountError> {
    validate_name("user name", name)?;
    check_password(password)?;
    let h = hash(password.to_owned()).await?;
    meta.create_user(name, &h, admin).await?;
    audit(
        meta,
        actor,
        "user-create",
        &format!("user:{name}"),
        if admin { "sysadmin" } else { "" },
    )
    .await;
    Ok(())
}

pub async fn set_password(
    meta: &Meta,
    actor: &Actor,
    name: &str,
    password: &str,
) -> Result<(), AccountError> {
    check_password(password)?;
    let h = hash(password.to_owned()).await?;
    meta.set_password(name, &h).await?;
    audit(meta, actor, "password-set", &format!("user:{name}"), "").await;
    Ok(())
}

pub async fn set_sysadmin(
    meta: &Meta,
    actor: &Actor,
    name: &str,
    admin: bool,
) -> Result<(), AccountError> {
    meta.set_sysadmin(name, admin).await?;
    audit(
        meta,
        actor,
        "sysadmin-set",
        &format!("user:{name}"),
        if admin { "true" } else { "false" },
    )
    .await;
    Ok(())
}

pub async fn delete_user(meta: &Meta, actor: &Actor, name: &str) -> Result<(), AccountError> {
    meta.delete_user(name).await?;
    audit(meta, actor, "user-delete", &format!("user:{name}"), "").await;
    Ok(())
}

pub async fn create_org(
    meta: &Meta,
    actor: &Actor,
    name: &str,
    visibility: &str,
) -> Result<(), AccountError> {
    validate_org(name)?;
    let v = parse_visibility(visibility)?;
    meta.create_org(name, v.as_str()).await?;
    audit(
        meta,
        actor,
        "org-create",
        &format!("org:{name}"),
        v.as_str(),
    )
    .await;
    Ok(())
}

pub async fn set_visibility(
    meta: &Meta,
    actor: &Actor,
    name: &str,
    visibility: &str,
) -> Result<(), AccountError> {
    let v = parse_visibility(visibility)?;
    meta.set_org_visibility(name, v.as_str()).await?;
    audit(
        meta,
        actor,
        "org-visibility",
        &format!("org:{name}"),
        v.as_str(),
    )
    .await;
    Ok(())
}

pub async fn delete_org(meta: &Meta, actor: &Actor, name: &str) -> Result<(), AccountError> {
    meta.delete_org(name).await?;
    audit(meta, actor, "org-delete", &format!("org:{name}"), "").await;
    Ok(())
}

pub async fn set_member(
    meta: &Meta,
    actor: &Actor,
    org: &str,
    user: &str,
    role: &str,
) -> Result<(), AccountError> {
    let r = parse_role(role)?;
    meta.set_member(org, user, r.as_str()).await?;
    audit(
        meta,
        actor,
        "member-set",
        &format!("org:{org}/user:{user}"),
        r.as_str(),
    )
    .await;
    Ok(())
}

pub async fn remove_member(
    meta: &Meta,
    actor: &Actor,
    org: &str,
    user: &str,
) -> Result<(), AccountError> {
    meta.remove_member(org, user).await?;
    audit(
        meta,
        actor,
        "member-remove",
        &format!("org:{org}/user:{user}"),
        "",
    )
    .await;
    Ok(())
}

pub async fn create_team(
    meta: &Meta,
    actor: &Actor,
    org: &str,
    team: &str,
    role: &str,
) -> Result<(), AccountError> {
    validate_name("team name", team)?;
    let r = parse_role(role)?;
    meta.create_team(org, team, r.as_str()).await?;
    audit(
        meta,
        actor,
        "team-create",
        &format!("org:{org}/team:{team}"),
        r.as_str(),
    )
    .await;
    Ok(())
}

pub async fn delete_team(
    meta: &Meta,
    actor: &Actor,
    org: &str,
    team: &str,
) -> Result<(), AccountError> {
    meta.delete_team(org, team).await?;
    audit(
        meta,
        actor,
        "team-delete",
        &format!("org:{org}/team:{team}"),
        "",
    )
    .await;
    Ok(())
}

pub async fn add_team_member(
    meta: &Meta,
    actor: &Actor,
    org: &str,
    team: &str,
    user: &str,
) -> Result<(), AccountError> {
    meta.add_team_member(org, team, user).await?;
    audit(
        meta,
        actor,
        "team-member-add",
        &format!("org:{org}/team:{team}/user:{user}"),
        "",
    )
    .await;
    Ok(())
}

pub async fn remove_team_member(
    meta: &Meta,
    actor: &Actor,
    org: &str,
    team: &str,
    user: &str,
) -> Result<(), AccountError> {
    meta.remove_team_member(org, team, user).await?;
    audit(
        meta,
        actor,
        "team-member-remove",
        &format!("org:{org}/team:{team}/user:{user}"),
        "",
    )
    .await;
    Ok(())
}

/// A robot grant as given on the command line (`org/app=pull,push`) or in the API.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct GrantSpec {
    pub pattern: String,
    pub actions: Vec<String>,
}

impl std::str::FromStr for GrantSpec {
    type Err = AccountError;

    fn from_str(s: &str) -> Result<GrantSpec, AccountError> {
        let bad = || AccountError::Invalid {
            what: "robot grant",
            value: s.to_owned(),
            rule: "PATTERN=ACTIONS, e.g. acme/app=pull,push or acme/*=pull",
        };
        let (pattern, actions) = s.split_once('=').ok_or_else(bad)?;
        let actions: Vec<String> = actions.split(',').map(|a| a.trim().to_owned()).collect();
        let spec = GrantSpec {
            pattern: pattern.trim().to_owned(),
            actions,
        };
        check_grant(&spec).map_err(|_| bad())?;
        Ok(spec)
    }
}

fn check_grant(g: &GrantSpec) -> Result<(), AccountError> {
    let base = g.pattern.strip_suffix("/*").unwrap_or(&g.pattern);
    let valid_actions = !g.actions.is_empty()
        && g.actions
            .iter()
            .all(|a| matches!(a.as_str(), "pull" | "push" | "delete"));
    if !zoll_auth::is_valid_repository_name(base) || !valid_actions {
        return Err(AccountError::Invalid {
            what: "robot grant",
            value: format!("{}={}", g.pattern, g.actions.join(",")),
            rule: "a repository or ORG/* and actions among pull, push, delete",
        });
    }
    Ok(())
}

/// A new robot: its secret, shown once.
#[derive(Debug, Serialize)]
pub struct NewRobot {
    pub name: String,
    pub username: String,
    pub secret: String,
    pub expires_at: i64,
}

pub async fn create_robot(
    meta: &Meta,
    actor: &Actor,
    name: &str,
    grants: &[GrantSpec],
    expires_in_seconds: i64,
) -> Result<NewRobot, AccountError> {
    validate_name("robot name", name)?;
    for g in grants {
        check_grant(g)?;
    }
    if expires_in_seconds <= 0 {
        return Err(AccountError::Invalid {
            what: "robot lifetime",
            value: expires_in_seconds.to_string(),
            rule: "robots must expire; give a positive lifetime",
        });
    }
    let secret = zoll_auth::generate_secret("zr_");
    let h = hash(secret.clone()).await?;
    let now = zoll_meta::now_secs();
    let expires_at = now.saturating_add(expires_in_seconds);
    meta.create_robot(&Robot {
        name: name.to_owned(),
        secret_hash: h,
        expires_at,
        created_by: actor.name.clone(),
        created_at: now,
        grants: grants
            .iter()
            .map(|g| RobotGrant {
                pattern: g.pattern.clone(),
                actions: g.actions.clone(),
            })
            .collect(),
    })
    .await?;
    let detail = grants
        .iter()
        .map(|g| format!("{}={}", g.pattern, g.actions.join(",")))
        .collect::<Vec<_>>()
        .join(" ");
    audit(
        meta,
        actor,
        "robot-create",
        &format!("robot:{name}"),
        &detail,
    )
    .await;
    Ok(NewRobot {
        name: name.to_owned(),
        username: format!("{}{name}", crate::authn::ROBOT_PREFIX),
        secret,
        expires_at,
    })
}

pub async fn delete_robot(meta: &Meta, actor: &Actor, name: &str) -> Result<(), AccountError> {
    meta.delete_robot(name).await?;
    audit(meta, actor, "robot-delete", &format!("robot:{name}"), "").await;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_grants() {
        assert!(validate_name("user name", "alice-1").is_ok());
        assert!(validate_name("user name", "Alice").is_err());
        assert!(validate_name("user name", "robot+x").is_err());
        assert!(validate_org("acme").is_ok());
        assert!(validate_org("acme/x").is_err());
        assert!("acme/*=pull".parse::<GrantSpec>().is_ok());
        assert!("acme/app=pull,push".parse::<GrantSpec>().is_ok());
        assert!("acme/app=fly".parse::<GrantSpec>().is_err());
        assert!("acme/app".parse::<GrantSpec>().is_err());
    }
}
