//! Registry metadata: repositories, manifests and the references between them, tags, uploads in
//! progress, accounts (users, organisations, teams, robots), settings and the audit log.
//!
//! One schema (`migrations/`) serves SQLite (the default, one file in the data directory) and
//! PostgreSQL (for several `zoll serve` replicas). Both are reached through `sqlx`'s `Any` driver,
//! so every query is written once, with `$N` placeholders that both engines accept. The schema uses
//! only portable SQL: `TEXT` and `BIGINT` columns, `ON CONFLICT` upserts, no autoincrement and no
//! binary columns (manifests are JSON and stored as text, byte for byte).
//!
//! Decisions:
//! - SQLite serialises writers anyway; this crate serialises its own write transactions with an
//!   in-process lock so that two transactions never deadlock on a read-to-write upgrade. The
//!   database runs in WAL mode with `synchronous = NORMAL`: a killed process loses nothing that was
//!   committed, a power cut may lose the last transactions but never corrupts the file.
//! - PostgreSQL needs no such lock; `ON CONFLICT` statements make concurrent replicas converge
//!   (two replicas pushing the same tag: the last commit wins, as in any registry).
//! - Role names, visibility and robot actions are stored as the strings `zoll-auth` defines; this
//!   crate does not interpret them, so the authorisation model lives in one place.
//! - Blobs are global (stored once, by digest), and linked to each repository that uploaded or
//!   mounted them. A repository can only read blobs linked to it; that is what keeps private
//!   organisations private when two of them hold the same layer.

use std::str::FromStr;
use std::time::Duration;

use sqlx::any::{AnyConnectOptions, AnyPoolOptions, AnyRow};
use sqlx::{AnyPool, Executor, Row};
use zoll_core::Digest;

mod model;
pub use model::*;

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations");

/// Errors of the metadata store.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    #[error("cannot connect to metadata database {url}: {source}")]
    Connect {
        url: String,
        #[source]
        source: sqlx::Error,
    },
    #[error("cannot migrate metadata database {url}: {source}")]
    Migrate {
        url: String,
        #[source]
        source: sqlx::migrate::MigrateError,
    },
    #[error("metadata query failed ({context}): {source}")]
    Query {
        context: &'static str,
        #[source]
        source: sqlx::Error,
    },
    #[error("corrupt metadata ({context}): {detail}")]
    Corrupt {
        context: &'static str,
        detail: String,
    },
    #[error("{0} already exists")]
    Exists(String),
    #[error("{0} does not exist")]
    Missing(String),
    #[error("{0}")]
    Limit(String),
    #[error("unsupported database url {0:?}: use sqlite://PATH or postgres://...")]
    Url(String),
}

fn q(context: &'static str) -> impl FnOnce(sqlx::Error) -> Error {
    move |source| Error::Query { context, source }
}

fn is_unique_violation(e: &sqlx::Error) -> bool {
    match e {
        sqlx::Error::Database(db) => {
            db.is_unique_violation()
                || db.code().as_deref() == Some("2067")
                || db.code().as_deref() == Some("1555")
        }
        _ => false,
    }
}

fn digest(context: &'static str, s: &str) -> Result<Digest, Error> {
    Digest::from_str(s).map_err(|e| Error::Corrupt {
        context,
        detail: e.to_string(),
    })
}

/// Which engine a [`Meta`] talks to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// The metadata store. Cheap to clone (a pool handle).
#[derive(Clone)]
pub struct Meta {
    pool: AnyPool,
    backend: Backend,
    write_lock: std::sync::Arc<tokio::sync::Mutex<()>>,
}

/// Current time as Unix seconds.
pub fn now_secs() -> i64 {
    time::OffsetDateTime::now_utc().unix_timestamp()
}

impl Meta {
    /// Connect to `sqlite://PATH` (created if missing) or `postgres://...`, and bring the schema
    /// up to date. Several processes may run this at once against PostgreSQL: sqlx takes an
    /// advisory lock around migrations.
    pub async fn connect(url: &str) -> Result<Meta, Error> {
        sqlx::any::install_default_drivers();
        let backend = if url.starts_with("sqlite:") {
            Backend::Sqlite
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Backend::Postgres
        } else {
            return Err(Error::Url(redact_url(url)));
        };
        let url = if backend == Backend::Sqlite && !url.contains('?') {
            format!("{url}?mode=rwc")
        } else {
            url.to_owned()
        };
        let options = AnyConnectOptions::from_str(&url).map_err(|source| Error::Connect {
            url: redact_url(&url),
            source,
        })?;
        let pool = AnyPoolOptions::new()
            .max_connections(if backend == Backend::Sqlite { 8 } else { 16 })
            .acquire_timeout(Duration::from_secs(30))
            .after_connect(move |conn, _meta| {
                Box::pin(async move {
                    if backend == Backend::Sqlite {
                        conn.execute(
                            "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; \
                             PRAGMA busy_timeout = 30000; PRAGMA foreign_keys = ON;",
                        )
                        .await?;
                    }
                    Ok(())
                })
            })
            .connect_with(options)
            .await
            .map_err(|source| Error::Connect {
                url: redact_url(&url),
                source,
            })?;
        MIGRATOR.run(&pool).await.map_err(|source| Error::Migrate {
            url: redact_url(&url),
            source,
        })?;
        Ok(Meta {
            pool,
            backend,
            write_lock: std::sync::Arc::new(tokio::sync::Mutex::new(())),
        })
    }

    /// The SQLite database in `dir/meta.db`.
    pub async fn open_dir(dir: &std::path::Path) -> Result<Meta, Error> {
        let path = dir.join("meta.db");
        Meta::connect(&format!("sqlite://{}", path.display())).await
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// Close the pool (waits for connections to be returned).
    pub async fn close(&self) {
        self.pool.close().await;
    }

    /// Hold this around a write transaction. A no-op guard on PostgreSQL.
    async fn writer(&self) -> Option<tokio::sync::MutexGuard<'_, ()>> {
        match self.backend {
            Backend::Sqlite => Some(self.write_lock.lock().await),
            Backend::Postgres => None,
        }
    }

    /// Whether the database answers (readiness).
    pub async fn ping(&self) -> Result<(), Error> {
        sqlx::query("SELECT 1")
            .fetch_one(&self.pool)
            .await
            .map(|_| ())
            .map_err(q("ping"))
    }

    // ---- settings ----

    /// A setting's value.
    pub async fn setting(&self, key: &str) -> Result<Option<String>, Error> {
        let row = sqlx::query("SELECT value FROM settings WHERE key = $1")
            .bind(key)
            .fetch_optional(&self.pool)
            .await
            .map_err(q("read setting"))?;
        row.map(|r| r.try_get::<String, _>(0).map_err(q("read setting")))
            .transpose()
    }

    /// Store `value` under `key` unless the key is set, and return the value now stored. Replicas
    /// racing to create the same setting (the token signing key) all end up with the winner's.
    pub async fn setting_or_insert(&self, key: &str, value: &str) -> Result<String, Error> {
        let _w = self.writer().await;
        sqlx::query(
            "INSERT INTO settings (key, value) VALUES ($1, $2) ON CONFLICT (key) DO NOTHING",
        )
        .bind(key)
        .bind(value)
        .execute(&self.pool)
        .await
        .map_err(q("insert setting"))?;
        drop(_w);
        self.setting(key).await?.ok_or_else(|| Error::Corrupt {
            context: "insert setting",
            detail: format!("setting {key} vanished"),
        })
    }

    /// Delete a setting (used for the one-time setup token).
    pub async fn delete_setting(&self, key: &str) -> Result<bool, Error> {
        let _w = self.writer().await;
        let r = sqlx::query("DELETE FROM settings WHERE key = $1")
            .bind(key)
            .execute(&self.pool)
            .await
            .map_err(q("delete setting"))?;
        Ok(r.rows_affected() > 0)
    }

    // ---- users ----

    pub async fn create_user(
        &self,
        name: &str,
        password_hash: &str,
        sysadmin: bool,
    ) -> Result<(), Error> {
        let _w = self.writer().await;
        sqlx::query(
            "INSERT INTO users (name, password_hash, sysadmin, disabled, created_at) VALUES ($1, $2, $3, 0, $4)",
        )
        .bind(name)
        .bind(password_hash)
        .bind(i64::from(sysadmin))
        .bind(now_secs())
        .execute(&self.pool)
        .await
        .map_err(|e| {
            if is_unique_violation(&e) {
                Error::Exists(format!("user {name}"))
            } else {
                Error::Query {
                    context: "create user",
                    source: e,
                }
            }
        })?;
        Ok(())
    }

    pub async fn user(&self, name: &str) -> Result<Option<User>, Error> {
        let row = sqlx::query(
            "SELECT name, password_hash, sysadmin, disabled, created_at FROM users WHERE name = $1",
        )
        .bind(name)
        .fetch_optional(&self.pool)
        .await
        .map_err(q("read user"))?;
        row.map(|r| user_from(&r)).transpose()
    }

    pub async fn users(&self) -> Result<Vec<User>, Error> {
        let rows = sqlx::query(
            "SELECT name, password_hash, sysadmin, disabled, created_at FROM users ORDER BY name",
        )
        .fetch_all(&self.pool)
        .await
        .map_err(q("list users"))?;
        rows.iter().map(user_from).collect()
    }

    pub async fn count_users(&self) -> Result<i64, Error> {
        let row = sqlx::query("SELECT COUNT(*) FROM users")
            .fetch_one(&self.pool)
            .await
            .map_err(q("count users"))?;
        row.try_get::<i64, _>(0).map_err(q("count users"))
    }

    pub async fn set_password(&self, name: &str, password_hash: &str) -> Result<(), Error> {
        self.update_one(
            "UPDATE users SET password_hash = $1 WHERE name = $2",
            password_hash,
            name,
            "user",
        )
        .await
    }

    pub async fn set_sysadmin(&self, name: &str, sysadmin: bool) -> Result<(), Error> {
        let _w = self.writer().await;
        let r = sqlx::query("UPDATE users SET sysadmin = $1 WHERE name = $2")
            .bind(i64::from(sysadmin))
            .bind(name)
            .execute(&self.pool)
            .await
            .map_err(q("set sysadmin"))?;
        if r.rows_affected() == 0 {
            return Err(Error::Missing(format!("user {name}")));
        }
        Ok(())
    }

    pub async fn delete_user(&self, name: &str) -> Result<(), Error> {
        self.delete_one("DELETE FROM users WHERE name = $1", name, "user")
            .await
    }

    async fn update_one(
        &self,
        sql: &'static str,
        a: &str,
        b: &str,
        what: &str,
    ) -> Result<(), Error> {
        let _w = self.writer().await;
        let r = sqlx::query(sql)
            .bind(a)
            .bind(b)
            .execute(&self.pool)
            .await
            .map_err(q("update"))?;
        if r.rows_affected() == 0 {
            return Err(Error::Missing(format!("{what} {b}")));
        }
        Ok(())
    }

    async fn delete_one(&self, sql: &'static str, key: &str, what: &str) -> Result<(), Error> {
        let _w = self.writer().await;
        let r = sqlx::query(sql)
            .bind(key)
            .execute(&self.pool)
            .await
            .map_err(q("delete"))?;
        if r.rows_affected() == 0 {
            return Err(Error::Missing(format!("{what} {key}")));
        }
        Ok(())
    }

    // ---- organisations, members, teams ----

    pub async fn create_org(&self, name: &str, visibility: &str) -> Result<(), Error> {
        let _w = self.writer().await;
        sqlx::query("INSERT INTO orgs (name, visibility, created_at) VALUES ($1, $2, $3)")
            .bind(name)
            .bind(visibility)
            .bind(now_secs())
            .execute(&self.pool)
            .await
            .map_err(|e| {
                if is_unique_violation(&e) {
                    Error::Exists(format!("organisation {name}"))
                } else {
                    Error::Query {
                        context: "create organisation",
                        source: e,
                    }
                }
            })?;
        Ok(())
    }

    pub async fn org(&self, name: &str) -> Result<Option<Org>, Error> {
        let row = sqlx::query("SELECT name, visibility, created_at FROM orgs WHERE name = $1")
            .bind(name)
            .fetch_optional(&self.pool)
            .await
            .map_err(q("read organisation"))?;
        row.map(|r| org_from(&r)).transpose()
    }

    pub async fn orgs(&self) -> Result<Vec<Org>, Error> {
        let rows = sqlx::query("SELECT name, visibility, created_at FROM orgs ORDER BY name")
            .fetch_all(&self.pool)
            .await
            .map_err(q("list organisations"))?;
        rows.iter().map(org_from).collect()
    }

    pub async fn set_org_visibility(&self, name: &str, visibility: &str) -> Result<(), Error> {
        self.update_one(
            "UPDATE orgs SET visibility = $1 WHERE name = $2",
            visibility,
            name,
            "organisation",
        )
        .await
    }

    pub async fn delete_org(&self, name: &str) -> Result<(), Error> {
        self.delete_one("DELETE FROM orgs WHERE name = $1", name, "organisation")
            .await
    }

    /// Add `user` to `org` with `role`, or change the role.
    pub async fn set_member(&self, org: &str, user: &str, role: &str) -> Result<(), Error> {
        self.require_org_and_user(org, user).await?;
        let _w = self.writer().await;
        sqlx::query(
            "INSERT INTO org_members (org, username, role) VALUES ($1, $2, $3) \
             ON CONFLICT (org, username) DO UPDATE SET role = excluded.role",
        )
        .bind(org)
        .bind(user)
        .bind(role)
        .execute(&self.pool)
        .await
        .map_err(q("set member"))?;
        Ok(())
    }

    pub async fn remove_member(&self, org: &str, user: &str) -> Result<(), Error> {
        let _w = self.writer().await;
        let r = sqlx::query("DELETE FROM org_members WHERE org = $1 AND username = $2")
            .bind(org)
            .bind(user)
            .execute(&self.pool)
            .await
            .map_err(q("remove member"))?;
        if r.rows_affected() == 0 {
            return Err(Error::Missing(format!("member {user} of {org}")));
        }
        Ok(())
    }

    /// Direct members of an organisation: (user, role).
    pub async fn members(&self, org: &str) -> Result<Vec<(String, String)>, Error> {
        let rows =
            sqlx::query("SELECT username, role FROM org_members WHERE org = $1 ORDER BY username")
                .bind(org)
                .fetch_all(&self.pool)
                .await
                .map_err(q("list members"))?;
        rows.iter()
            .map(|r| {
                Ok((
                    r.try_get(0).map_err(q("list members"))?,
                    r.try_get(1).map_err(q("list members"))?,
                ))
            })
            .collect()
    }

    async fn require_org_and_user(&self, org: &str, user: &str) -> Result<(), Error> {
        if self.org(org).await?.is_none() {
            return Err(Error::Missing(format!("organisation {org}")));
        }
        if self.user(user).await?.is_none() {
            return Err(Error::Missing(format!("user {user}")));
        }
        Ok(())
    }

    pub async fn create_team(&self, org: &str, team: &str, role: &str) -> Result<(), Error> {
        if self.org(org).await?.is_none() {
            return Err(Error::Missing(format!("organisation {org}")));
        }
        let _w = self.writer().await;
        sqlx::query("INSERT INTO teams (org, name, role) VALUES ($1, $2, $3)")
            .bind(org)
            .bind(team)
            .bind(role)
            .execute(&self.pool)
            .await
            .map_err(|e| {
                if is_unique_violation(&e) {
                    Error::Exists(format!("team {org}/{team}"))
                } else {
                    Error::Query {
                        context: "create team",
                        source: e,
                    }
                }
            })?;
        Ok(())
    }

    pub async fn delete_team(&self, org: &str, team: &str) -> Result<(), Error> {
        let _w = self.writer().await;
        let r = sqlx::query("DELETE FROM teams WHERE org = $1 AND name = $2")
            .bind(org)
            .bind(team)
            .execute(&self.pool)
            .await
            .map_err(q("delete team"))?;
        if r.rows_affected() == 0 {
            return Err(Error::Missing(format!("team {org}/{team}")));
        }
        Ok(())
    }

    pub async fn add_team_member(&self, org: &str, team: &str, user: &str) -> Result<(), Error> {
        self.require_org_and_user(org, user).await?;
        if !self.teams(org).await?.iter().any(|t| t.name == team) {
            return Err(Error::Missing(format!("team {org}/{team}")));
        }
        let _w = self.writer().await;
        sqlx::query(
            "INSERT INTO team_members (org, team, username) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
        )
        .bind(org)
        .bind(team)
        .bind(user)
        .execute(&self.pool)
        .await
        .map_err(q("add team member"))?;
        Ok(())
    }

    pub async fn remove_team_member(&self, org: &str, team: &str, user: &str) -> Result<(), Error> {
        let _w = self.writer().await;
        let r =
            sqlx::query("DELETE FROM team_members WHERE org = $1 AND team = $2 AND username = $3")
                .bind(org)
                .bind(team)
                .bind(user)
                .execute(&self.pool)
                .await
                .map_err(q("remove team member"))?;
        if r.rows_affected() == 0 {
            return Err(Error::Missing(format!(
                "member {user} of team {org}/{team}"
            )));
        }
        Ok(())
    }

    pub async fn teams(&self, org: &str) -> Result<Vec<Team>, Error> {
        let rows = sqlx::query("SELECT name, role FROM teams WHERE org = $1 ORDER BY name")
            .bind(org)
            .fetch_all(&self.pool)
            .await
            .map_err(q("list teams"))?;
        let mut teams = Vec::with_capacity(rows.len());
        for r in rows {
            let name: String = r.try_get(0).map_err(q("list teams"))?;
            let role: String = r.try_get(1).map_err(q("list teams"))?;
            let members = sqlx::query(
                "SELECT username FROM team_members WHERE org = $1 AND team = $2 ORDER BY username",
            )
            .bind(org)
            .bind(&name)
            .fetch_all(&self.pool)
            .await
            .map_err(q("list team members"))?
            .iter()
            .map(|m| m.try_get::<String, _>(0))
            .collect::<Result<Vec<_>, _>>()
            .map_err(q("list team members"))?;
            teams.push(Team {
                org: org.to_owned(),
                name,
                role,
                members,
            });
        }
        Ok(teams)
    }

    /// Every role `user` holds in `org`: the direct membership and each team's. The caller takes
    /// the highest.
    pub async fn roles_in_org(&self, org: &str, user: &str) -> Result<Vec<String>, Error> {
        let rows = sqlx::query(
            "SELECT role FROM org_members WHERE org = $1 AND username = $2 \
             UNION ALL \
             SELECT t.role FROM teams t JOIN team_members m ON m.org = t.org AND m.team = t.name \
             WHERE t.org = $1 AND m.username = $2",
        )
        .bind(org)
        .bind(user)
        .fetch_all(&self.pool)
        .await
        .map_err(q("read roles"))?;
        rows.iter()
            .map(|r| r.try_get::<String, _>(0).map_err(q("read roles")))
            .collect()
    }

    // ---- robots ----

    pub async fn create_robot(&self, robot: &Robot) -> Result<(), Error> {
        let _w = self.writer().await;
        let mut tx = self.pool.begin().await.map_err(q("create robot"))?;
        sqlx::query(
            "INSERT INTO robots (name, secret_hash, expires_at, created_by, created_at) VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(&robot.name)
        .bind(&robot.secret_hash)
        .bind(robot.expires_at)
        .bind(&robot.created_by)
        .bind(robot.created_at)
        .execute(&mut *tx)
        .await
        .map_err(|e| {
            if is_unique_violation(&e) {
                Error::Exists(format!("robot {}", robot.name))
            } else {
                Error::Query {
                    context: "create robot",
                    source: e,
                }
            }
        })?;
        for g in &robot.grants {
            sqlx::query("INSERT INTO robot_grants (robot, pattern, actions) VALUES ($1, $2, $3)")
                .bind(&robot.name)
                .bind(&g.pattern)
                .bind(g.actions.join(","))
                .execute(&mut *tx)
                .await
                .map_err(q("create robot grant"))?;
        }
        tx.commit().await.map_err(q("create robot"))?;
        Ok(())
    }

    pub async fn robot(&self, name: &str) -> Result<Option<Robot>, Error> {
        let row = sqlx::query(
            "SELECT name, secret_hash, expires_at, created_by, created_at FROM robots WHERE name = $1",
        )
        .bind(name)
        .fetch_optional(&self.pool)
        .await
        .map_err(q("read robot"))?;
        let Some(r) = row else { return Ok(None) };
        let grants = sqlx::query(
            "SELECT pattern, actions FROM robot_grants WHERE robot = $1 ORDER BY pattern",
        )
        .bind(name)
        .fetch_all(&self.pool)
        .await
        .map_err(q("read robot grants"))?
        .iter()
        .map(|g| {
            let pattern: String = g.try_get(0)?;
            let actions: String = g.try_get(1)?;
            Ok(RobotGrant {
                pattern,
                actions: actions
                    .split(',')
                    .filter(|a| !a.is_empty())
                    .map(str::to_owned)
                    .collect(),
            })
        })
        .collect::<Result<Vec<_>, sqlx::Error>>()
        .map_err(q("read robot grants"))?;
        Ok(Some(Robot {
            name: r.try_get(0).map_err(q("read robot"))?,
            secret_hash: r.try_get(1).map_err(q("read robot"))?,
            expires_at: r.try_get(2).map_err(q("read robot"))?,
            created_by: r.try_get(3).map_err(q("read robot"))?,
            created_at: r.try_get(4).map_err(q("read robot"))?,
            grants,
        }))
    }

    pub async fn robots(&self) -> Result<Vec<Robot>, Error> {
        let names = sqlx::query("SELECT name FROM robots ORDER BY name")
            .fetch_all(&self.pool)
            .await
            .map_err(q("list robots"))?;
        let mut out = Vec::new();
        for n in names {
            let name: String = n.try_get(0).map_err(q("list robots"))?;
            if let Some(r) = self.robot(&name).await? {
                out.push(r);
            }
        }
        Ok(out)
    }

    pub async fn delete_robot(&self, name: &str) -> Result<(), Error> {
        self.delete_one("DELETE FROM robots WHERE name = $1", name, "robot")
            .await
    }

    // ---- repositories and blobs ----

    /// Repository names after `last` (exclusive), in order, at most `limit`.
    pub async fn repositories(&self, last: Option<&str>, limit: i64) -> Result<Vec<String>, Error> {
        let rows =
            sqlx::query("SELECT name FROM repositories WHERE name > $1 ORDER BY name LIMIT $2")
                .bind(last.unwrap_or(""))
                .bind(limit)
                .fetch_all(&self.pool)
                .await
                .map_err(q("list repositories"))?;
        rows.iter()
            .map(|r| r.try_get::<String, _>(0).map_err(q("list repositories")))
            .collect()
    }

    pub async fn repository_exists(&self, name: &str) -> Result<bool, Error> {
        Ok(sqlx::query("SELECT 1 FROM repositories WHERE name = $1")
            .bind(name)
            .fetch_optional(&self.pool)
            .await
            .map_err(q("read repository"))?
            .is_some())
    }

    /// Record a verified blob and link it to `repo` (creating the repository record).
    pub async fn link_blob(
        &self,
        repo: &str,
        org: &str,
        digest: &Digest,
        size: u64,
    ) -> Result<(), Error> {
        let now = now_secs();
        let size = i64::try_from(size).map_err(|_| Error::Corrupt {
            context: "link blob",
            detail: format!("size {size} out of range"),
        })?;
        let _w = self.writer().await;
        let mut tx = self.pool.begin().await.map_err(q("link blob"))?;
        ensure_repo(&mut tx, repo, org, now).await?;
        sqlx::query("INSERT INTO blobs (digest, size, created_at) VALUES ($1, $2, $3) ON CONFLICT (digest) DO NOTHING")
            .bind(digest.to_string())
            .bind(size)
            .bind(now)
            .execute(&mut *tx)
            .await
            .map_err(q("record blob"))?;
        sqlx::query(
            "INSERT INTO repo_blobs (repo, digest, linked_at) VALUES ($1, $2, $3) ON CONFLICT (repo, digest) DO NOTHING",
        )
        .bind(repo)
        .bind(digest.to_string())
        .bind(now)
        .execute(&mut *tx)
        .await
        .map_err(q("link blob"))?;
        tx.commit().await.map_err(q("link blob"))?;
        Ok(())
    }

    /// Size of `digest` if it is linked to `repo`.
    pub async fn linked_blob(&self, repo: &str, digest: &Digest) -> Result<Option<u64>, Error> {
        let row = sqlx::query(
            "SELECT b.size FROM repo_blobs r JOIN blobs b ON b.digest = r.digest WHERE r.repo = $1 AND r.digest = $2",
        )
        .bind(repo)
        .bind(digest.to_string())
        .fetch_optional(&self.pool)
        .await
        .map_err(q("read blob link"))?;
        row.map(|r| {
            let s: i64 = r.try_get(0).map_err(q("read blob link"))?;
            Ok(u64::try_from(s).unwrap_or(0))
        })
        .transpose()
    }

    /// Size of a blob known anywhere in the registry.
    pub async fn blob(&self, digest: &Digest) -> Result<Option<u64>, Error> {
        let row = sqlx::query("SELECT size FROM blobs WHERE digest = $1")
            .bind(digest.to_string())
            .fetch_optional(&self.pool)
            .await
            .map_err(q("read blob"))?;
        row.map(|r| {
            let s: i64 = r.try_get(0).map_err(q("read blob"))?;
            Ok(u64::try_from(s).unwrap_or(0))
        })
        .transpose()
    }

    /// Total bytes of all blobs (the storage metric).
    pub async fn blob_bytes(&self) -> Result<u64, Error> {
        let row = sqlx::query("SELECT CAST(COALESCE(SUM(size), 0) AS BIGINT) FROM blobs")
            .fetch_one(&self.pool)
            .await
            .map_err(q("sum blob sizes"))?;
        let n: i64 = row.try_get(0).map_err(q("sum blob sizes"))?;
        Ok(u64::try_from(n).unwrap_or(0))
    }

    /// Unlink a blob from a repository. The bytes stay until garbage collection finds no link.
    pub async fn unlink_blob(&self, repo: &str, digest: &Digest) -> Result<bool, Error> {
        let _w = self.writer().await;
        let r = sqlx::query("DELETE FROM repo_blobs WHERE repo = $1 AND digest = $2")
            .bind(repo)
            .bind(digest.to_string())
            .execute(&self.pool)
            .await
            .map_err(q("unlink blob"))?;
        Ok(r.rows_affected() > 0)
    }

    /// Of the blobs and manifests a manifest references, those that `repo` does not have. One
    /// query per 500 digests (a 200-layer image is one query, not 200).
    pub async fn missing_references(
        &self,
        repo: &str,
        blobs: &[Digest],
        manifests: &[Digest],
    ) -> Result<Vec<Digest>, Error> {
        let mut missing = Vec::new();
        for (table, wanted) in [("repo_blobs", blobs), ("manifests", manifests)] {
            for chunk in wanted.chunks(500) {
                let placeholders: Vec<String> =
                    (0..chunk.len()).map(|i| format!("${}", i + 2)).collect();
                let sql = format!(
                    "SELECT digest FROM {table} WHERE repo = $1 AND digest IN ({})",
                    placeholders.join(", ")
                );
                let mut query = sqlx::query(&sql).bind(repo);
                for d in chunk {
                    query = query.bind(d.to_string());
                }
                let found = query
                    .fetch_all(&self.pool)
                    .await
                    .map_err(q("read references"))?
                    .iter()
                    .map(|r| r.try_get::<String, _>(0))
                    .collect::<Result<std::collections::HashSet<_>, _>>()
                    .map_err(q("read references"))?;
                missing.extend(
                    chunk
                        .iter()
                        .filter(|d| !found.contains(&d.to_string()))
                        .cloned(),
                );
            }
        }
        Ok(missing)
    }

    // ---- manifests and tags ----

    /// Store a manifest, its references and optionally a tag, in one transaction.
    pub async fn put_manifest(&self, m: &NewManifest<'_>) -> Result<(), Error> {
        let now = now_secs();
        let digest = m.digest.to_string();
        let _w = self.writer().await;
        let mut tx = self.pool.begin().await.map_err(q("put manifest"))?;
        ensure_repo(&mut tx, m.repo, m.org, now).await?;
        sqlx::query(
            "INSERT INTO manifests (repo, digest, media_type, artifact_type, subject, size, content, annotations, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) ON CONFLICT (repo, digest) DO NOTHING",
        )
        .bind(m.repo)
        .bind(&digest)
        .bind(m.media_type)
        .bind(m.artifact_type)
        .bind(m.subject.map(ToString::to_string))
        .bind(i64::try_from(m.content.len()).unwrap_or(i64::MAX))
        .bind(m.content)
        .bind(m.annotations)
        .bind(now)
        .execute(&mut *tx)
        .await
        .map_err(q("put manifest"))?;
        for (child, kind) in &m.references {
            sqlx::query(
                "INSERT INTO manifest_refs (repo, parent, child, kind) VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING",
            )
            .bind(m.repo)
            .bind(&digest)
            .bind(child.to_string())
            .bind(kind.as_str())
            .execute(&mut *tx)
            .await
            .map_err(q("put manifest reference"))?;
        }
        if let Some(tag) = m.tag {
            sqlx::query(
                "INSERT INTO tags (repo, name, digest, updated_at) VALUES ($1, $2, $3, $4) \
                 ON CONFLICT (repo, name) DO UPDATE SET digest = excluded.digest, updated_at = excluded.updated_at",
            )
            .bind(m.repo)
            .bind(tag)
            .bind(&digest)
            .bind(now)
            .execute(&mut *tx)
            .await
            .map_err(q("put tag"))?;
        }
        tx.commit().await.map_err(q("put manifest"))?;
        Ok(())
    }

    /// The digest a tag points at.
    pub async fn tag(&self, repo: &str, tag: &str) -> Result<Option<Digest>, Error> {
        let row = sqlx::query("SELECT digest FROM tags WHERE repo = $1 AND name = $2")
            .bind(repo)
            .bind(tag)
            .fetch_optional(&self.pool)
            .await
            .map_err(q("read tag"))?;
        row.map(|r| {
            let s: String = r.try_get(0).map_err(q("read tag"))?;
            digest("read tag", &s)
        })
        .transpose()
    }

    /// A manifest by digest.
    pub async fn manifest(&self, repo: &str, d: &Digest) -> Result<Option<ManifestRecord>, Error> {
        let row = sqlx::query(
            "SELECT digest, media_type, artifact_type, subject, size, content, annotations FROM manifests \
             WHERE repo = $1 AND digest = $2",
        )
        .bind(repo)
        .bind(d.to_string())
        .fetch_optional(&self.pool)
        .await
        .map_err(q("read manifest"))?;
        row.map(|r| manifest_from(&r)).transpose()
    }

    /// A manifest by tag, in one query.
    pub async fn manifest_by_tag(
        &self,
        repo: &str,
        tag: &str,
    ) -> Result<Option<ManifestRecord>, Error> {
        let row = sqlx::query(
            "SELECT m.digest, m.media_type, m.artifact_type, m.subject, m.size, m.content, m.annotations \
             FROM tags t JOIN manifests m ON m.repo = t.repo AND m.digest = t.digest \
             WHERE t.repo = $1 AND t.name = $2",
        )
        .bind(repo)
        .bind(tag)
        .fetch_optional(&self.pool)
        .await
        .map_err(q("read manifest by tag"))?;
        row.map(|r| manifest_from(&r)).transpose()
    }

    /// Delete a manifest and every tag pointing at it. Returns false when it did not exist.
    pub async fn delete_manifest(&self, repo: &str, d: &Digest) -> Result<bool, Error> {
        let digest = d.to_string();
        let _w = self.writer().await;
        let mut tx = self.pool.begin().await.map_err(q("delete manifest"))?;
        let r = sqlx::query("DELETE FROM manifests WHERE repo = $1 AND digest = $2")
            .bind(repo)
            .bind(&digest)
            .execute(&mut *tx)
            .await
            .map_err(q("delete manifest"))?;
        if r.rows_affected() == 0 {
            return Ok(false);
        }
        for sql in [
            "DELETE FROM tags WHERE repo = $1 AND digest = $2",
            "DELETE FROM manifest_refs WHERE repo = $1 AND parent = $2",
            "DELETE FROM signatures WHERE repo = $1 AND digest = $2",
        ] {
            sqlx::query(sql)
                .bind(repo)
                .bind(&digest)
                .execute(&mut *tx)
                .await
                .map_err(q("delete manifest"))?;
        }
        tx.commit().await.map_err(q("delete manifest"))?;
        Ok(true)
    }

    /// Signatures stored for a manifest through the signature API extension, oldest first.
    pub async fn signatures(&self, repo: &str, d: &Digest) -> Result<Vec<StoredSignature>, Error> {
        let rows = sqlx::query(
            "SELECT name, kind, content FROM signatures WHERE repo = $1 AND digest = $2 \
             ORDER BY created_at, name",
        )
        .bind(repo)
        .bind(d.to_string())
        .fetch_all(&self.pool)
        .await
        .map_err(q("list signatures"))?;
        rows.iter()
            .map(|r| {
                Ok(StoredSignature {
                    name: r.try_get("name").map_err(q("list signatures"))?,
                    kind: r.try_get("kind").map_err(q("list signatures"))?,
                    content: r.try_get("content").map_err(q("list signatures"))?,
                })
            })
            .collect()
    }

    /// Store a signature for a manifest; at most `limit` per manifest. A second signature with
    /// the same name fails with [`Error::Exists`], one past the limit with [`Error::Limit`].
    pub async fn put_signature(
        &self,
        repo: &str,
        d: &Digest,
        sig: &StoredSignature,
        limit: usize,
    ) -> Result<(), Error> {
        let digest = d.to_string();
        let _w = self.writer().await;
        let mut tx = self.pool.begin().await.map_err(q("store signature"))?;
        let count: i64 =
            sqlx::query_scalar("SELECT COUNT(*) FROM signatures WHERE repo = $1 AND digest = $2")
                .bind(repo)
                .bind(&digest)
                .fetch_one(&mut *tx)
                .await
                .map_err(q("store signature"))?;
        if count as usize >= limit {
            return Err(Error::Limit(format!(
                "manifest {digest} in {repo} already has {count} signatures (the limit)"
            )));
        }
        let r = sqlx::query(
            "INSERT INTO signatures (repo, digest, name, kind, content, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(repo)
        .bind(&digest)
        .bind(&sig.name)
        .bind(&sig.kind)
        .bind(&sig.content)
        .bind(now_secs())
        .execute(&mut *tx)
        .await;
        match r {
            Ok(_) => {}
            Err(e) if is_unique_violation(&e) => {
                return Err(Error::Exists(format!("signature {}", sig.name)));
            }
            Err(e) => return Err(q("store signature")(e)),
        }
        tx.commit().await.map_err(q("store signature"))?;
        Ok(())
    }

    /// Remove a tag; the manifest stays.
    pub async fn delete_tag(&self, repo: &str, tag: &str) -> Result<bool, Error> {
        let _w = self.writer().await;
        let r = sqlx::query("DELETE FROM tags WHERE repo = $1 AND name = $2")
            .bind(repo)
            .bind(tag)
            .execute(&self.pool)
            .await
            .map_err(q("delete tag"))?;
        Ok(r.rows_affected() > 0)
    }

    /// Tags of a repository after `last` (exclusive), in lexical order, at most `limit`.
    pub async fn tags(
        &self,
        repo: &str,
        last: Option<&str>,
        limit: i64,
    ) -> Result<Vec<String>, Error> {
        let rows = sqlx::query(
            "SELECT name FROM tags WHERE repo = $1 AND name > $2 ORDER BY name LIMIT $3",
        )
        .bind(repo)
        .bind(last.unwrap_or(""))
        .bind(limit)
        .fetch_all(&self.pool)
        .await
        .map_err(q("list tags"))?;
        rows.iter()
            .map(|r| r.try_get::<String, _>(0).map_err(q("list tags")))
            .collect()
    }

    /// Manifests in `repo` whose subject is `subject`, optionally with one artifact type.
    pub async fn referrers(
        &self,
        repo: &str,
        subject: &Digest,
        artifact_type: Option<&str>,
    ) -> Result<Vec<ManifestRecord>, Error> {
        let rows = sqlx::query(
            "SELECT digest, media_type, artifact_type, subject, size, content, annotations FROM manifests \
             WHERE repo = $1 AND subject = $2 ORDER BY created_at, digest",
        )
        .bind(repo)
        .bind(subject.to_string())
        .fetch_all(&self.pool)
        .await
        .map_err(q("list referrers"))?;
        let mut out = Vec::with_capacity(rows.len());
        for r in &rows {
            let m = manifest_from(r)?;
            if artifact_type.is_none_or(|t| m.artifact_type.as_deref() == Some(t)) {
                out.push(m);
            }
        }
        Ok(out)
    }

    // ---- uploads ----

    pub async fn create_upload(&self, id: &str, repo: &str) -> Result<(), Error> {
        let now = now_secs();
        let _w = self.writer().await;
        sqlx::query("INSERT INTO uploads (id, repo, size, started_at, updated_at) VALUES ($1, $2, 0, $3, $3)")
            .bind(id)
            .bind(repo)
            .bind(now)
            .execute(&self.pool)
            .await
            .map_err(q("create upload"))?;
        Ok(())
    }

    pub async fn upload(&self, id: &str) -> Result<Option<Upload>, Error> {
        let row =
            sqlx::query("SELECT id, repo, size, started_at, updated_at FROM uploads WHERE id = $1")
                .bind(id)
                .fetch_optional(&self.pool)
                .await
                .map_err(q("read upload"))?;
        row.map(|r| upload_from(&r)).transpose()
    }

    pub async fn set_upload_size(&self, id: &str, size: u64) -> Result<(), Error> {
        let _w = self.writer().await;
        sqlx::query("UPDATE uploads SET size = $1, updated_at = $2 WHERE id = $3")
            .bind(i64::try_from(size).unwrap_or(i64::MAX))
            .bind(now_secs())
            .bind(id)
            .execute(&self.pool)
            .await
            .map_err(q("update upload"))?;
        Ok(())
    }

    pub async fn delete_upload(&self, id: &str) -> Result<(), Error> {
        let _w = self.writer().await;
        sqlx::query("DELETE FROM uploads WHERE id = $1")
            .bind(id)
            .execute(&self.pool)
            .await
            .map_err(q("delete upload"))?;
        Ok(())
    }

    /// Uploads not touched since `before` (Unix seconds).
    pub async fn stale_uploads(&self, before: i64) -> Result<Vec<Upload>, Error> {
        let rows = sqlx::query(
            "SELECT id, repo, size, started_at, updated_at FROM uploads WHERE updated_at < $1",
        )
        .bind(before)
        .fetch_all(&self.pool)
        .await
        .map_err(q("list stale uploads"))?;
        rows.iter().map(upload_from).collect()
    }

    // ---- audit ----

    /// Append an audit entry.
    pub async fn audit(&self, e: &NewAudit<'_>) -> Result<(), Error> {
        let now = time::OffsetDateTime::now_utc();
        let at = i64::try_from(now.unix_timestamp_nanos() / 1000).unwrap_or(i64::MAX);
        let _w = self.writer().await;
        sqlx::query(
            "INSERT INTO audit (id, at, actor, action, target, remote, outcome, detail) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(uuid::Uuid::now_v7().to_string())
        .bind(at)
        .bind(e.actor)
        .bind(e.action)
        .bind(e.target)
        .bind(e.remote)
        .bind(e.outcome)
        .bind(e.detail)
        .execute(&self.pool)
        .await
        .map_err(q("write audit"))?;
        Ok(())
    }

    /// Audit entries, newest first.
    pub async fn audit_log(&self, f: &AuditFilter) -> Result<Vec<AuditEntry>, Error> {
        let rows = sqlx::query(
            "SELECT id, at, actor, action, target, remote, outcome, detail FROM audit \
             WHERE ($1 = '' OR actor = $1) AND ($2 = '' OR action = $2) AND at >= $3 AND ($4 = '' OR target LIKE $4) \
             ORDER BY id DESC LIMIT $5",
        )
        .bind(f.actor.as_deref().unwrap_or(""))
        .bind(f.action.as_deref().unwrap_or(""))
        .bind(f.since_micros.unwrap_or(0))
        .bind(f.target_prefix.as_deref().map(|p| format!("{}%", p.replace(['%', '_'], ""))).unwrap_or_default())
        .bind(f.limit.clamp(1, 10_000))
        .fetch_all(&self.pool)
        .await
        .map_err(q("read audit"))?;
        rows.iter()
            .map(|r| {
                Ok(AuditEntry {
                    id: r.try_get(0)?,
                    at_micros: r.try_get(1)?,
                    actor: r.try_get(2)?,
                    action: r.try_get(3)?,
                    target: r.try_get(4)?,
                    remote: r.try_get(5)?,
                    outcome: r.try_get(6)?,
                    detail: r.try_get(7)?,
                })
            })
            .collect::<Result<Vec<_>, sqlx::Error>>()
            .map_err(q("read audit"))
    }
}

async fn ensure_repo(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    repo: &str,
    org: &str,
    now: i64,
) -> Result<(), Error> {
    sqlx::query("INSERT INTO repositories (name, org, created_at) VALUES ($1, $2, $3) ON CONFLICT (name) DO NOTHING")
        .bind(repo)
        .bind(org)
        .bind(now)
        .execute(&mut **tx)
        .await
        .map_err(q("create repository"))?;
    Ok(())
}

fn user_from(r: &AnyRow) -> Result<User, Error> {
    (|| {
        Ok::<_, sqlx::Error>(User {
            name: r.try_get(0)?,
            password_hash: r.try_get(1)?,
            sysadmin: r.try_get::<i64, _>(2)? != 0,
            disabled: r.try_get::<i64, _>(3)? != 0,
            created_at: r.try_get(4)?,
        })
    })()
    .map_err(q("read user"))
}

fn org_from(r: &AnyRow) -> Result<Org, Error> {
    (|| {
        Ok::<_, sqlx::Error>(Org {
            name: r.try_get(0)?,
            visibility: r.try_get(1)?,
            created_at: r.try_get(2)?,
        })
    })()
    .map_err(q("read organisation"))
}

fn upload_from(r: &AnyRow) -> Result<Upload, Error> {
    (|| {
        Ok::<_, sqlx::Error>(Upload {
            id: r.try_get(0)?,
            repo: r.try_get(1)?,
            size: u64::try_from(r.try_get::<i64, _>(2)?).unwrap_or(0),
            started_at: r.try_get(3)?,
            updated_at: r.try_get(4)?,
        })
    })()
    .map_err(q("read upload"))
}

fn manifest_from(r: &AnyRow) -> Result<ManifestRecord, Error> {
    let d: String = r.try_get(0).map_err(q("read manifest"))?;
    let subject: Option<String> = r.try_get(3).map_err(q("read manifest"))?;
    Ok(ManifestRecord {
        digest: digest("read manifest", &d)?,
        media_type: r.try_get(1).map_err(q("read manifest"))?,
        artifact_type: r.try_get(2).map_err(q("read manifest"))?,
        subject: subject
            .map(|s| digest("read manifest subject", &s))
            .transpose()?,
        size: u64::try_from(r.try_get::<i64, _>(4).map_err(q("read manifest"))?).unwrap_or(0),
        content: r.try_get(5).map_err(q("read manifest"))?,
        annotations: r.try_get(6).map_err(q("read manifest"))?,
    })
}

/// `postgres://user:secret@host/db` without the secret, for error messages and logs.
pub fn redact_url(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(s), Some(at)) if at > s => {
            let userinfo = &url[s + 3..at];
            let user = userinfo.split(':').next().unwrap_or("");
            format!("{}://{}:***@{}", &url[..s], user, &url[at + 1..])
        }
        _ => url.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redacts_passwords_in_urls() {
        assert_eq!(
            redact_url("postgres://zoll:hunter2@db:5432/reg"),
            "postgres://zoll:***@db:5432/reg"
        );
        assert_eq!(redact_url("sqlite:///tmp/x.db"), "sqlite:///tmp/x.db");
    }
}
