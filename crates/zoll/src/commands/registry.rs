//! `zoll serve` and `zoll registry ...`.

use std::process::ExitCode;

use anyhow::{Context, bail};
use zoll_registry::accounts::{self, Actor, GrantSpec};
use zoll_registry::{App, Config, TlsConfig};

use crate::cli::{
    AuditArgs, OrgCommand, PasswordArgs, RegistryAdminArgs, RegistryCommand, RobotCommand,
    ServeArgs, ServerLocation, TeamCommand, UserCommand,
};

fn config(location: &ServerLocation) -> anyhow::Result<Config> {
    let mut config = match &location.config {
        Some(path) => Config::load(path)?,
        None => Config::default(),
    };
    if let Some(dir) = &location.data_dir {
        config.data_dir = dir.clone();
    }
    if let Some(url) = &location.database {
        config.database = Some(url.clone());
    }
    Ok(config)
}

fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .thread_name("zoll-serve")
        .build()
        .context("cannot start the async runtime")
}

/// Resolve on SIGINT or SIGTERM.
async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = term => {},
    }
    tracing::info!("shutting down: finishing in-flight requests");
}

pub(crate) fn serve(args: ServeArgs) -> anyhow::Result<ExitCode> {
    let mut config = config(&args.location)?;
    if let Some(listen) = args.listen {
        config.listen = listen;
    }
    if let (Some(cert), Some(key)) = (&args.tls_cert, &args.tls_key) {
        config.tls = Some(TlsConfig {
            cert: cert.clone(),
            key: key.clone(),
            client_ca: args.tls_client_ca.clone(),
        });
    }
    runtime()?.block_on(async move {
        let app = App::new(config).await?;
        let scheme = if app.config.tls.is_some() { "https" } else { "http" };
        if let Some(token) = app.setup_token().await? {
            eprintln!(
                "zoll: no accounts yet. Create the first administrator with this one-time setup token:\n\n  \
                 curl -X POST {scheme}://{addr}/api/v1/setup -H 'Content-Type: application/json' \\\n    \
                 -d '{{\"token\":\"{token}\",\"name\":\"admin\",\"password\":\"...\"}}'\n\n\
                 or offline: zoll registry user add admin --admin --password-file FILE\n",
                addr = app.config.listen
            );
        }
        eprintln!(
            "zoll: registry listening on {scheme}://{} (data: {}, database: {})",
            app.config.listen,
            app.config.data_dir.display(),
            zoll_meta::redact_url(&app.config.database_url())
        );
        zoll_registry::serve(app, shutdown_signal()).await?;
        Ok::<_, anyhow::Error>(())
    })?;
    Ok(ExitCode::SUCCESS)
}

fn password(args: &PasswordArgs) -> anyhow::Result<String> {
    if let Some(p) = &args.password {
        return Ok(p.clone());
    }
    if let Some(path) = &args.password_file {
        let line = super::read_secret_file(path)?;
        if line.is_empty() {
            bail!("password file {} is empty", path.display());
        }
        return Ok(line);
    }
    bail!("a password is required: --password-file FILE, ZOLL_PASSWORD, or --password")
}

fn local_actor() -> Actor {
    let user = std::env::var("USER")
        .or_else(|_| std::env::var("LOGNAME"))
        .unwrap_or_else(|_| "unknown".to_owned());
    Actor {
        name: format!("cli:{user}"),
        remote: "local".to_owned(),
    }
}

pub(crate) fn admin(args: RegistryAdminArgs) -> anyhow::Result<ExitCode> {
    let config = config(&args.location)?;
    runtime()?.block_on(async move {
        let (meta, _blobs) = zoll_registry::open_stores(&config).await?;
        let actor = local_actor();
        let m = &meta;
        let a = &actor;
        match args.command {
            RegistryCommand::User(cmd) => match cmd {
                UserCommand::Add {
                    name,
                    admin,
                    password: p,
                } => {
                    accounts::add_user(m, a, &name, &password(&p)?, admin).await?;
                    if admin {
                        let _ = m.delete_setting(zoll_registry::SETUP_TOKEN_SETTING).await;
                    }
                    eprintln!(
                        "created user {name}{}",
                        if admin { " (system administrator)" } else { "" }
                    );
                }
                UserCommand::List => {
                    for u in m.users().await? {
                        println!(
                            "{}\t{}{}",
                            u.name,
                            if u.sysadmin { "sysadmin" } else { "user" },
                            if u.disabled { "\tdisabled" } else { "" }
                        );
                    }
                }
                UserCommand::Delete { name } => accounts::delete_user(m, a, &name).await?,
                UserCommand::Passwd { name, password: p } => {
                    accounts::set_password(m, a, &name, &password(&p)?).await?;
                }
                UserCommand::Admin { name, revoke } => {
                    accounts::set_sysadmin(m, a, &name, !revoke).await?;
                }
            },
            RegistryCommand::Org(cmd) => match cmd {
                OrgCommand::Create { name, public } => {
                    accounts::create_org(m, a, &name, if public { "public" } else { "private" })
                        .await?;
                }
                OrgCommand::List => {
                    for o in m.orgs().await? {
                        println!("{}\t{}", o.name, o.visibility);
                    }
                }
                OrgCommand::Delete { name } => accounts::delete_org(m, a, &name).await?,
                OrgCommand::Visibility { name, visibility } => {
                    accounts::set_visibility(m, a, &name, &visibility).await?;
                }
                OrgCommand::Member { org, user, role } => {
                    accounts::set_member(m, a, &org, &user, &role).await?;
                }
                OrgCommand::RemoveMember { org, user } => {
                    accounts::remove_member(m, a, &org, &user).await?;
                }
            },
            RegistryCommand::Team(cmd) => match cmd {
                TeamCommand::Create { org, team, role } => {
                    accounts::create_team(m, a, &org, &team, &role).await?;
                }
                TeamCommand::Delete { org, team } => {
                    accounts::delete_team(m, a, &org, &team).await?
                }
                TeamCommand::Add { org, team, user } => {
                    accounts::add_team_member(m, a, &org, &team, &user).await?;
                }
                TeamCommand::Remove { org, team, user } => {
                    accounts::remove_team_member(m, a, &org, &team, &user).await?;
                }
                TeamCommand::List { org } => {
                    for t in m.teams(&org).await? {
                        println!("{}\t{}\t{}", t.name, t.role, t.members.join(","));
                    }
                }
            },
            RegistryCommand::Robot(cmd) => match cmd {
                RobotCommand::Create {
                    name,
                    grants,
                    expires_days,
                } => {
                    let grants = grants
                        .iter()
                        .map(|g| g.parse::<GrantSpec>())
                        .collect::<Result<Vec<_>, _>>()?;
                    let robot = accounts::create_robot(
                        m,
                        a,
                        &name,
                        &grants,
                        expires_days.saturating_mul(86_400),
                    )
                    .await?;
                    println!("{}", serde_json::to_string_pretty(&robot)?);
                    eprintln!("the secret is shown only now; log in as {}", robot.username);
                }
                RobotCommand::List => {
                    for r in m.robots().await? {
                        let grants: Vec<String> = r
                            .grants
                            .iter()
                            .map(|g| format!("{}={}", g.pattern, g.actions.join(",")))
                            .collect();
                        println!("{}\texpires {}\t{}", r.name, r.expires_at, grants.join(" "));
                    }
                }
                RobotCommand::Delete { name } => accounts::delete_robot(m, a, &name).await?,
            },
            RegistryCommand::Audit(AuditArgs {
                actor,
                action,
                limit,
                json,
            }) => {
                let entries = m
                    .audit_log(&zoll_meta::AuditFilter {
                        actor,
                        action,
                        limit,
                        ..Default::default()
                    })
                    .await?;
                if json {
                    println!("{}", serde_json::to_string_pretty(&entries)?);
                } else {
                    for e in entries {
                        let at = time::OffsetDateTime::from_unix_timestamp_nanos(
                            i128::from(e.at_micros) * 1000,
                        )
                        .ok()
                        .and_then(|t| {
                            t.format(&time::format_description::well_known::Rfc3339)
                                .ok()
                        })
                        .unwrap_or_default();
                        println!(
                            "{at}\t{}\t{}\t{}\t{}\t{}",
                            e.actor, e.action, e.target, e.outcome, e.remote
                        );
                    }
                }
            }
        }
        meta.close().await;
        Ok::<_, anyhow::Error>(())
    })?;
    Ok(ExitCode::SUCCESS)
}
