//! The JSON admin API under `/api/v1` (described in `openapi.yaml` next to this crate's
//! manifest). It authenticates with Basic (a user or robot) or a client certificate; bearer
//! tokens from `/token` are repository-scoped and are not accepted here.
//!
//! Permissions: users, organisation creation and the audit log need a system administrator;
//! members, teams and visibility of an organisation need its `admin` role; robots are created by
//! system administrators.

use std::sync::Arc;

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::routing::{delete, get, put};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::json;
use zoll_auth::{Op, Principal};

use crate::App;
use crate::accounts::{self, AccountError, Actor, GrantSpec};
use crate::authn::{self, ReqInfo};
use crate::error::{ApiError, ApiResult, Code};

pub fn router() -> Router<Arc<App>> {
    Router::new()
        .route("/setup", axum::routing::post(setup))
        .route("/users", get(list_users).post(add_user))
        .route("/users/{name}", delete(delete_user))
        .route("/users/{name}/password", put(set_password))
        .route("/orgs", get(list_orgs).post(create_org))
        .route(
            "/orgs/{org}",
            get(show_org).patch(update_org).delete(delete_org),
        )
        .route(
            "/orgs/{org}/members/{user}",
            put(set_member).delete(remove_member),
        )
        .route("/orgs/{org}/teams", axum::routing::post(create_team))
        .route("/orgs/{org}/teams/{team}", delete(delete_team))
        .route(
            "/orgs/{org}/teams/{team}/members/{user}",
            put(add_team_member).delete(remove_team_member),
        )
        .route("/robots", get(list_robots).post(create_robot))
        .route("/robots/{name}", delete(delete_robot))
        .route("/audit", get(audit_log))
}

impl From<AccountError> for ApiError {
    fn from(e: AccountError) -> ApiError {
        match e {
            AccountError::Invalid { .. } => {
                ApiError::new(Code::Unsupported, e.to_string()).status(StatusCode::BAD_REQUEST)
            }
            AccountError::Meta(zoll_meta::Error::Exists(what)) => {
                ApiError::new(Code::Denied, format!("{what} already exists"))
                    .status(StatusCode::CONFLICT)
            }
            AccountError::Meta(zoll_meta::Error::Missing(what)) => {
                ApiError::new(Code::NameUnknown, format!("{what} does not exist"))
            }
            other => ApiError::internal("account change", other),
        }
    }
}

/// The caller of an admin request, who must be authenticated; an extractor, so a handler that
/// takes one never runs for an unauthenticated request.
pub struct AdminCaller {
    principal: Principal,
    actor: Actor,
}

impl axum::extract::FromRequestParts<Arc<App>> for AdminCaller {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        app: &Arc<App>,
    ) -> Result<AdminCaller, ApiError> {
        let info = match ReqInfo::from_request_parts(parts, app).await {
            Ok(i) => i,
            Err(never) => match never {},
        };
        let remote = info.remote;
        let principal = if let Some((user, secret)) = authn::basic_credentials(&parts.headers) {
            match authn::verify_credentials(app, &user, &secret, &remote).await? {
                Some(p) => p,
                None => {
                    authn::audit_login_failed(app, &user, &remote).await;
                    return Err(unauthorized());
                }
            }
        } else if let Some(cert) = &info.cert {
            authn::principal_for(app, &cert.common_name)
                .await?
                .ok_or_else(unauthorized)?
        } else {
            return Err(unauthorized());
        };
        Ok(AdminCaller {
            actor: Actor {
                name: principal.subject().to_owned(),
                remote,
            },
            principal,
        })
    }
}

fn unauthorized() -> ApiError {
    ApiError::new(
        Code::Unauthorized,
        "the admin API needs Basic credentials or a client certificate",
    )
    .header(axum::http::header::WWW_AUTHENTICATE, "Basic realm=\"zoll\"")
}

fn denied(what: &str) -> ApiError {
    ApiError::new(Code::Denied, format!("not allowed: {what}"))
}

fn require_sysadmin(c: &AdminCaller, what: &str) -> ApiResult<()> {
    if zoll_auth::allowed(&c.principal, Op::ManageUsers, None, None) {
        Ok(())
    } else {
        Err(denied(what))
    }
}

async fn require_org_op(app: &App, c: &AdminCaller, org: &str, op: Op) -> ApiResult<()> {
    let Some(ctx) = authn::org_context(app, &c.principal, org).await? else {
        return Err(ApiError::new(
            Code::NameUnknown,
            format!("organisation {org} does not exist"),
        ));
    };
    if zoll_auth::allowed(&c.principal, op, None, Some(&ctx)) {
        Ok(())
    } else {
        Err(denied(&format!("{op} in {org}")))
    }
}

#[derive(Deserialize)]
struct SetupBody {
    token: String,
    name: String,
    password: String,
}

/// Create the first system administrator with the one-time setup token the server printed.
async fn setup(
    State(app): State<Arc<App>>,
    info: ReqInfo,
    Json(b): Json<SetupBody>,
) -> ApiResult<(StatusCode, Json<serde_json::Value>)> {
    let remote = info.remote;
    authn::check_throttle(&app, &remote)?;
    let stored = app.meta.setting(crate::SETUP_TOKEN_SETTING).await?;
    let valid = stored
        .as_deref()
        .is_some_and(|s| zoll_auth::constant_time_eq(s, &b.token));
    if !valid || app.meta.count_users().await? > 0 {
        authn::audit_login_failed(&app, &b.name, &remote).await;
        return Err(denied("invalid or used setup token"));
    }
    let actor = Actor {
        name: "setup-token".to_owned(),
        remote,
    };
    accounts::add_user(&app.meta, &actor, &b.name, &b.password, true).await?;
    app.meta.delete_setting(crate::SETUP_TOKEN_SETTING).await?;
    Ok((
        StatusCode::CREATED,
        Json(json!({"name": b.name, "sysadmin": true})),
    ))
}

#[derive(Deserialize)]
struct NewUser {
    name: String,
    password: String,
    #[serde(default)]
    admin: bool,
}

async fn list_users(
    State(app): State<Arc<App>>,
    c: AdminCaller,
) -> ApiResult<(StatusCode, Json<serde_json::Value>)> {
    require_sysadmin(&c, "list users")?;
    Ok((StatusCode::OK, Json(json!(app.meta.users().await?))))
}

async fn add_user(
    State(app): State<Arc<App>>,
    c: AdminCaller,
    Json(b): Json<NewUser>,
) -> ApiResult<(StatusCode, Json<serde_json::Value>)> {
    require_sysadmin(&c, "create users")?;
    accounts::add_user(&app.meta, &c.actor, &b.name, &b.password, b.admin).await?;
    Ok((
        StatusCode::CREATED,
        Json(json!({"name": b.name, "sysadmin": b.admin})),
    ))
}

async fn delete_user(
    State(app): State<Arc<App>>,
    c: AdminCaller,
    Path(name): Path<String>,
) -> ApiResult<(StatusCode, Json<serde_json::Value>)> {
    require_sysadmin(&c, "delete users")?;
    accounts::delete_user(&app.meta, &c.actor, &name).await?;
    Ok((StatusCode::OK, Json(json!({}))))
}

#[derive(Deserialize)]
struct PasswordBody {
    password: String,
}

/// A user may change their own password; a system administrator anyone's.
async fn set_password(
    State(app): State<Arc<App>>,
    c: AdminCaller,
    Path(name): Path<String>,
    Json(b): Json<PasswordBody>,
) -> ApiResult<(StatusCode, Json<serde_json::Value>)> {
    let own = matches!(&c.principal, Principal::User { name: n, .. } if *n == name);
    if !own {
        require_sysadmin(&c, "change another user's password")?;
    }
    accounts::set_password(&app.meta, &c.actor, &name, &b.password).await?;
    Ok((StatusCode::OK, Json(json!({}))))
}

#[derive(Deserialize)]
struct NewOrg {
    name: String,
    #[serde(default = "private")]
    visibility: String,
}

fn private() -> String {
    "private".to_owned()
}

async fn list_orgs(
    State(app): State<Arc<App>>,
    c: AdminCaller,
) -> ApiResult<(StatusCode, Json<serde_json::Value>)> {
    let mut out = Vec::new();
    for o in app.meta.orgs().await? {
        let ctx = authn::org_context(&app, &c.principal, &o.name).await?;
        if zoll_auth::allowed(&c.principal, Op::Pull, None, ctx.as_ref())
            || ctx.as_ref().is_some_and(|x| x.role.is_some())
        {
            out.push(json!({"name": o.name, "visibility": o.visibility}));
        }
    }
    Ok((StatusCode::OK, Json(json!(out))))
}

async fn create_org(
    State(app): State<Arc<App>>,
    c: AdminCaller,
    Json(b): Json<NewOrg>,
) -> ApiResult<(StatusCode, Json<serde_json::Value>)> {
    if !zoll_auth::allowed(&c.principal, Op::CreateOrg, None, None) {
        return Err(denied("create organisations"));
    }
    accounts::create_org(&app.meta, &c.actor, &b.name, &b.visibility).await?;
    Ok((
        StatusCode::CREATED,
        Json(json!({"name": b.name, "visibility": b.visibility})),
    ))
}

async fn show_org(
    State(app): State<Arc<App>>,
    c: AdminCaller,
    Path(org): Path<String>,
) -> ApiResult<(StatusCode, Json<serde_json::Value>)> {
    require_org_op(&app, &c, &org, Op::ManageMembers).await?;
    let o = app.meta.org(&org).await?.ok_or_else(|| {
        ApiError::new(
            Code::NameUnknown,
            format!("organisation {org} does not exist"),
        )
    })?;
    let members: Vec<_> = app
        .meta
        .members(&org)
        .await?
        .into_iter()
        .map(|(u, r)| json!({"user": u, "role": r}))
        .collect();
    Ok((
        StatusCode::OK,
        Json(
            json!({"name": o.name, "visibility": o.visibility, "members": members, "teams": app.meta.teams(&org).await?}),
        ),
    ))
}

#[derive(Deserialize)]
struct OrgPatch {
    visibility: String,
}

async fn update_org(
    State(app): State<Arc<App>>,
    c: AdminCaller,
    Path(org): Path<String>,
    Json(b): Json<OrgPatch>,
) -> ApiResult<(StatusCode, Json<serde_json::Value>)> {
    require_org_op(&app, &c, &org, Op::ManageSettings).await?;
    accounts::set_visibility(&app.meta, &c.actor, &org, &b.visibility).await?;
    Ok((
        StatusCode::OK,
        Json(json!({"name": org, "visibility": b.visibility})),
    ))
}

async fn delete_org(
    State(app): State<Arc<App>>,
    c: AdminCaller,
    Path(org): Path<String>,
) -> ApiResult<(StatusCode, Json<serde_json::Value>)> {
    require_sysadmin(&c, "delete organisations")?;
    accounts::delete_org(&app.meta, &c.actor, &org).await?;
    Ok((StatusCode::OK, Json(json!({}))))
}

#[derive(Deserialize)]
struct RoleBody {
    role: String,
}

async fn set_member(
    State(app): State<Arc<App>>,
    c: AdminCaller,
    Path((org, user)): Path<(String, String)>,
    Json(b): Json<RoleBody>,
) -> ApiResult<(StatusCode, Json<serde_json::Value>)> {
    require_org_op(&app, &c, &org, Op::ManageMembers).await?;
    accounts::set_member(&app.meta, &c.actor, &org, &user, &b.role).await?;
    Ok((
        StatusCode::OK,
        Json(json!({"org": org, "user": user, "role": b.role})),
    ))
}

async fn remove_member(
    State(app): State<Arc<App>>,
    c: AdminCaller,
    Path((org, user)): Path<(String, String)>,
) -> ApiResult<(StatusCode, Json<serde_json::Value>)> {
    require_org_op(&app, &c, &org, Op::ManageMembers).await?;
    accounts::remove_member(&app.meta, &c.actor, &org, &user).await?;
    Ok((StatusCode::OK, Json(json!({}))))
}

#[derive(Deserialize)]
struct NewTeam {
    name: String,
    role: String,
}

async fn create_team(
    State(app): State<Arc<App>>,
    c: AdminCaller,
    Path(org): Path<String>,
    Json(b): Json<NewTeam>,
) -> ApiResult<(StatusCode, Json<serde_json::Value>)> {
    require_org_op(&app, &c, &org, Op::ManageMembers).await?;
    accounts::create_team(&app.meta, &c.actor, &org, &b.name, &b.role).await?;
    Ok((
        StatusCode::CREATED,
        Json(json!({"org": org, "name": b.name, "role": b.role})),
    ))
}

async fn delete_team(
    State(app): State<Arc<App>>,
    c: AdminCaller,
    Path((org, team)): Path<(String, String)>,
) -> ApiResult<(StatusCode, Json<serde_json::Value>)> {
    require_org_op(&app, &c, &org, Op::ManageMembers).await?;
    accounts::delete_team(&app.meta, &c.actor, &org, &team).await?;
    Ok((StatusCode::OK, Json(json!({}))))
}

async fn add_team_member(
    State(app): State<Arc<App>>,
    c: AdminCaller,
    Path((org, team, user)): Path<(String, String, String)>,
) -> ApiResult<(StatusCode, Json<serde_json::Value>)> {
    require_org_op(&app, &c, &org, Op::ManageMembers).await?;
    accounts::add_team_member(&app.meta, &c.actor, &org, &team, &user).await?;
    Ok((StatusCode::OK, Json(json!({}))))
}

async fn remove_team_member(
    State(app): State<Arc<App>>,
    c: AdminCaller,
    Path((org, team, user)): Path<(String, String, String)>,
) -> ApiResult<(StatusCode, Json<serde_json::Value>)> {
    require_org_op(&app, &c, &org, Op::ManageMembers).await?;
    accounts::remove_team_member(&app.meta, &c.actor, &org, &team, &user).await?;
    Ok((StatusCode::OK, Json(json!({}))))
}

#[derive(Deserialize)]
struct NewRobotBody {
    name: String,
    grants: Vec<GrantSpec>,
    #[serde(default = "default_robot_seconds")]
    expires_in_seconds: i64,
}

fn default_robot_seconds() -> i64 {
    90 * 24 * 3600
}

async fn list_robots(
    State(app): State<Arc<App>>,
    c: AdminCaller,
) -> ApiResult<(StatusCode, Json<serde_json::Value>)> {
    require_sysadmin(&c, "list robots")?;
    Ok((StatusCode::OK, Json(json!(app.meta.robots().await?))))
}

async fn create_robot(
    State(app): State<Arc<App>>,
    c: AdminCaller,
    Json(b): Json<NewRobotBody>,
) -> ApiResult<(StatusCode, Json<serde_json::Value>)> {
    require_sysadmin(&c, "create robots")?;
    let robot = accounts::create_robot(
        &app.meta,
        &c.actor,
        &b.name,
        &b.grants,
        b.expires_in_seconds,
    )
    .await?;
    Ok((StatusCode::CREATED, Json(json!(robot))))
}

async fn delete_robot(
    State(app): State<Arc<App>>,
    c: AdminCaller,
    Path(name): Path<String>,
) -> ApiResult<(StatusCode, Json<serde_json::Value>)> {
    require_sysadmin(&c, "delete robots")?;
    accounts::delete_robot(&app.meta, &c.actor, &name).await?;
    Ok((StatusCode::OK, Json(json!({}))))
}

#[derive(Deserialize)]
struct AuditQuery {
    actor: Option<String>,
    action: Option<String>,
    target: Option<String>,
    since: Option<i64>,
    limit: Option<i64>,
}

/// `GET /api/v1/audit?actor=&action=&target=&since=MICROS&limit=`, newest first.
async fn audit_log(
    State(app): State<Arc<App>>,
    c: AdminCaller,
    Query(q): Query<AuditQuery>,
) -> ApiResult<(StatusCode, Json<serde_json::Value>)> {
    if !zoll_auth::allowed(&c.principal, Op::ReadAudit, None, None) {
        return Err(denied("read the audit log"));
    }
    let entries = app
        .meta
        .audit_log(&zoll_meta::AuditFilter {
            actor: q.actor,
            action: q.action,
            target_prefix: q.target,
            since_micros: q.since,
            limit: q.limit.unwrap_or(100),
        })
        .await?;
    Ok((StatusCode::OK, Json(json!(entries))))
}
