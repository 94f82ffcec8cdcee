//! Dispatch to one module per command.

mod checks;
mod db;
mod registry;
mod sbom;
mod scan;
mod seal;
mod version;

use std::process::ExitCode;

use anyhow::Context;

use crate::cli::{Cli, Command, ImageArgs, RegistryArgs};

pub(crate) fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    match cli.command {
        Command::Sbom(args) => sbom::run(args, &cli.global),
        Command::Scan(args) => scan::run(*args, &cli.global),
        Command::Lint(args) => scan::lint(args, &cli.global),
        Command::Db(cmd) => db::run(cmd, &cli.global),
        Command::Version(cmd) => version::run(cmd),
        Command::Serve(args) => registry::serve(args),
        Command::Registry(args) => registry::admin(args),
        Command::Key(cmd) => seal::key(cmd),
        Command::Sign(args) => seal::sign(args),
        Command::Attest(args) => seal::attest(args),
        Command::Verify(args) => seal::verify(args),
        Command::VerifyAttestation(args) => seal::verify_attestation(args),
    }
}

/// Open options shared by every command that reads images.
pub(crate) fn open_options(
    image: &ImageArgs,
    registry: &RegistryArgs,
) -> anyhow::Result<zoll_oci::OpenOptions> {
    Ok(zoll_oci::OpenOptions {
        platform: image.platform.clone(),
        registry: client_options(registry)?,
    })
}

/// Registry client options from the shared registry flags.
pub(crate) fn client_options(args: &RegistryArgs) -> anyhow::Result<zoll_oci::ClientOptions> {
    let mut opts = zoll_oci::ClientOptions::default();
    if let Some(c) = &args.creds {
        opts.credentials = Some(
            c.parse::<zoll_oci::Credentials>()
                .context("invalid --creds (expected USER:PASSWORD)")?,
        );
    }
    if let Some(path) = &args.docker_config {
        opts.docker_config = Some(path.clone());
    }
    opts.insecure = args.insecure;
    opts.ca_certs = args.ca_certs.clone();
    opts.user_agent = format!("zoll/{}", env!("CARGO_PKG_VERSION"));
    Ok(opts)
}

/// Catalog options from the flags.
pub(crate) fn limits(image: &ImageArgs) -> zoll_oci::Limits {
    zoll_oci::Limits {
        max_layer_bytes: image.max_layer_size,
        max_ratio: image.max_ratio,
        ..zoll_oci::Limits::default()
    }
}

/// The time documents are stamped with: `SOURCE_DATE_EPOCH` when set (reproducible builds), else now.
pub(crate) fn now() -> time::OffsetDateTime {
    std::env::var("SOURCE_DATE_EPOCH")
        .ok()
        .and_then(|s| s.trim().parse::<i64>().ok())
        .and_then(|secs| time::OffsetDateTime::from_unix_timestamp(secs).ok())
        .unwrap_or_else(time::OffsetDateTime::now_utc)
}

/// A secret kept in a file: its first line, without the line break (so `echo pw > file` works).
pub(crate) fn read_secret_file(path: &std::path::Path) -> anyhow::Result<String> {
    let text = fs_err::read_to_string(path)?;
    Ok(text.lines().next().unwrap_or("").to_owned())
}
