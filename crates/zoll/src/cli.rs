//! Every command-line flag of zoll, in one place. What the user typed is validated here (parsed
//! into typed values); the work happens in [`crate::commands`].

use std::io::IsTerminal;
use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};
use zoll_core::Platform;
use zoll_formats::SbomFormat;
use zoll_oci::SourceSpec;

/// Customs for container images: know what is inside an image before it runs.
#[derive(Debug, Parser)]
#[command(name = "zoll", version, about, long_about = None, propagate_version = true)]
pub(crate) struct Cli {
    #[command(flatten)]
    pub(crate) global: GlobalArgs,
    #[command(subcommand)]
    pub(crate) command: Command,
}

#[derive(Debug, Args)]
pub(crate) struct GlobalArgs {
    /// More log output on stderr (-v info, -vv debug); ZOLL_LOG=filter overrides.
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    pub(crate) verbose: u8,
    /// Only errors on stderr; no progress bars.
    #[arg(short, long, global = true)]
    pub(crate) quiet: bool,
}

#[derive(Debug, Subcommand)]
pub(crate) enum Command {
    /// Produce the SBOM of an image: every package inside it, with purls, licences and layers.
    ///
    /// IMAGE is one of:
    ///   oci:PATH[:TAG|@DIGEST]         an OCI image layout (multi-platform: see --platform)
    ///   docker-archive:PATH[:TAG|:@N]  `docker save` output, plain or gzip-compressed
    ///   dir:PATH                       a root filesystem
    ///   REGISTRY/REPO[:TAG|@DIGEST]    an image in a registry (docker.io when no registry is named)
    ///
    /// Examples:
    ///   zoll sbom dir:/
    ///   zoll sbom docker-archive:app.tar --format cyclonedx-json -o app.cdx.json
    ///   zoll sbom localhost:5000/team/app:1.0 --insecure --format spdx-json
    #[command(verbatim_doc_comment)]
    Sbom(SbomArgs),
}

#[derive(Debug, Args)]
pub(crate) struct SbomArgs {
    /// The image to read (see above for the forms).
    pub(crate) image: SourceSpec,
    /// Output format: table, json, cyclonedx-json or spdx-json.
    #[arg(short, long, default_value = "table")]
    pub(crate) format: SbomFormat,
    /// Write to FILE instead of stdout.
    #[arg(short, long, value_name = "FILE")]
    pub(crate) output: Option<PathBuf>,
    #[command(flatten)]
    pub(crate) image_opts: ImageArgs,
    #[command(flatten)]
    pub(crate) registry: RegistryArgs,
}

/// How images are read.
#[derive(Debug, Args)]
pub(crate) struct ImageArgs {
    /// Platform to pick from a multi-platform image, as os/arch[/variant] (default: this machine's).
    #[arg(long, value_name = "OS/ARCH[/VARIANT]")]
    pub(crate) platform: Option<Platform>,
    /// Layer-analysis cache directory [default: $ZOLL_CACHE_DIR or ~/.cache/zoll].
    #[arg(
        long,
        value_name = "DIR",
        env = "ZOLL_CACHE_DIR",
        hide_env_values = true
    )]
    pub(crate) cache_dir: Option<PathBuf>,
    /// Do not read or write the layer-analysis cache.
    #[arg(long)]
    pub(crate) no_cache: bool,
    /// Refuse a layer whose decompressed size exceeds this many bytes.
    #[arg(long, value_name = "BYTES", default_value_t = zoll_oci::Limits::default().max_layer_bytes)]
    pub(crate) max_layer_size: u64,
    /// Refuse a layer that decompresses to more than RATIO times its compressed size (once past 256 MiB).
    #[arg(long, value_name = "RATIO", default_value_t = zoll_oci::Limits::default().max_ratio)]
    pub(crate) max_ratio: u64,
}

/// How registries are reached: the same flags for every command that talks to one.
#[derive(Debug, Args)]
pub(crate) struct RegistryArgs {
    /// Registry credentials as USER:PASSWORD (else ZOLL_USERNAME/ZOLL_PASSWORD, else the docker config).
    #[arg(long, value_name = "USER:PASSWORD", hide_env_values = true)]
    pub(crate) creds: Option<String>,
    /// Talk plain HTTP to the registry (for local test registries).
    #[arg(long)]
    pub(crate) insecure: bool,
    /// Trust this CA certificate (PEM) for registry TLS, in addition to the system roots; repeatable.
    #[arg(long = "ca-cert", value_name = "FILE")]
    pub(crate) ca_certs: Vec<PathBuf>,
    /// Docker config file with registry credentials [default: $DOCKER_CONFIG/config.json or ~/.docker/config.json].
    #[arg(long, value_name = "FILE")]
    pub(crate) docker_config: Option<PathBuf>,
}

/// Whether to colour stderr: never with NO_COLOR set, else when it is a terminal.
pub(crate) fn stderr_color() -> bool {
    std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty()) && std::io::stderr().is_terminal()
}

/// Whether to colour stdout.
pub(crate) fn stdout_color() -> bool {
    std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty()) && std::io::stdout().is_terminal()
}
