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
    /// Find vulnerabilities, secrets, malware and misconfigurations in an image, in one pass.
    ///
    /// IMAGE takes the same forms as `zoll sbom`; `--sbom FILE` scans a CycloneDX, SPDX or zoll
    /// JSON SBOM instead (vulnerabilities only), and `config:PATH` lints a Dockerfile, Kubernetes
    /// manifests or a directory of them (like `zoll lint`).
    ///
    /// Scanners (--scanners, comma-separated; default vuln,secret,config):
    ///   vuln     known vulnerabilities from the offline OSV database (`zoll db update` first;
    ///            a scan never downloads unless --update-db is given)
    ///   secret   keys, tokens and passwords in every file of every layer (deleted files
    ///            included) and in the config's Env, Labels and history; always redacted
    ///   malware  ClamAV (--clamd), YARA rules (--yara-rules), a SHA-256 blocklist
    ///            (--malware-blocklist); added to the default when an engine is given; an
    ///            engine that cannot be reached fails the scan
    ///   config   image configuration and content checks (CIS Docker Benchmark / Dockle ids)
    ///
    /// Exit codes: 0 done (and no findings remain, or --exit-code is 0), N (from --exit-code)
    /// findings remain after --severity, --ignore-unfixed, --vex and the ignore file, 2 error.
    ///
    /// Examples:
    ///   zoll scan docker-archive:app.tar
    ///   zoll scan oci:./layout:1.0 --severity high --ignore-unfixed --exit-code 1
    ///   zoll scan oci:./layout:1.0 --scanners secret,config --format sarif -o zoll.sarif
    ///   zoll scan registry.example/app:1.0 --clamd unix:/run/clamav/clamd.ctl
    ///   zoll scan --sbom app.cdx.json --format sarif -o zoll.sarif
    ///   zoll scan config:deploy/ --format json
    #[command(verbatim_doc_comment)]
    Scan(Box<ScanArgs>),
    /// Lint Dockerfiles and Kubernetes manifests (hadolint rules and ids; Pod Security Standards).
    ///
    /// Each PATH is a file or a directory searched for Dockerfile, Containerfile, *.dockerfile,
    /// Dockerfile.*, *.yaml, *.yml and *.json. Dockerfiles get hadolint's security and
    /// reproducibility rules under hadolint's ids (DL3007, ...; `# hadolint ignore=` works) plus
    /// zoll's own (ZD...); Kubernetes workloads are checked field by field against the Pod
    /// Security Standards baseline and restricted levels, plus hygiene rules, and the highest
    /// level each workload satisfies is reported.
    ///
    /// Exit codes: 0 nothing found, N (--exit-code, default 1) findings at or above --severity,
    /// 2 error (a file that cannot be read or parsed).
    ///
    /// Examples:
    ///   zoll lint Dockerfile
    ///   zoll lint deploy/ --format sarif -o lint.sarif
    ///   zoll lint Dockerfile --ignore DL3008 --severity medium
    #[command(verbatim_doc_comment)]
    Lint(LintArgs),
    /// Manage the offline vulnerability database (OSV advisories).
    #[command(subcommand)]
    Db(DbCommand),
    /// Version ordering as each ecosystem's own tool orders versions.
    #[command(subcommand)]
    Version(VersionCommand),
    /// Run the registry: an OCI distribution server with accounts, organisations and roles.
    ///
    /// With no arguments it listens on 127.0.0.1:5000 and keeps everything in ./zoll-data
    /// (SQLite metadata and filesystem blobs). A TOML --config file sets the rest (PostgreSQL,
    /// S3, TLS); flags override it. On the first start without accounts, zoll prints a one-time
    /// setup token; or create the first administrator beforehand with
    /// `zoll registry user add NAME --admin`.
    ///
    /// Endpoints: /v2/ (OCI distribution 1.1), /token (Docker token auth), /api/v1 (admin),
    /// /metrics (Prometheus), /healthz, /readyz.
    ///
    /// Examples:
    ///   zoll serve
    ///   zoll serve --listen 0.0.0.0:5000 --data-dir /var/lib/zoll
    ///   zoll serve --config /etc/zoll/registry.toml
    #[command(verbatim_doc_comment)]
    Serve(ServeArgs),
    /// Administer the registry's accounts offline, against its data directory or database.
    #[command(verbatim_doc_comment)]
    Registry(RegistryAdminArgs),
    /// Signing keys: cosign-compatible key files, or keys made inside a PKCS#11 token.
    #[command(subcommand)]
    Key(KeyCommand),
    /// Sign an image's manifest digest (cosign format, a Sigstore bundle, or GPG simple signing).
    ///
    /// A tag is resolved to its digest first; the digest is what gets signed. cosign signatures
    /// are appended to the `sha256-<hex>.sig` tag (cosign's layout) or, with --format bundle,
    /// stored as a Sigstore bundle in an OCI 1.1 referrer. With --gpg-key the signature is a
    /// containers/image simple signature that skopeo and podman verify with a policy.json
    /// `signedBy` rule; it goes through the registry's signature extension when the registry
    /// offers one (zoll serve does), else into --lookaside DIR.
    ///
    /// The key password comes from ZOLL_KEY_PASSWORD, COSIGN_PASSWORD or --password-file (an
    /// unencrypted or empty-password key needs none).
    ///
    /// Examples:
    ///   zoll sign localhost:5000/acme/app:1.0 --key zoll.key --insecure
    ///   zoll sign r.example/acme/app@sha256:... --key 'pkcs11:token=zoll;object=release?module-path=/usr/lib/softhsm/libsofthsm2.so&pin-source=file:/run/pin'
    ///   zoll sign r.example/acme/app:1.0 --gpg-key release.asc --lookaside /var/lib/sigstore
    #[command(verbatim_doc_comment)]
    Sign(SignArgs),
    /// Attach an attestation (an in-toto statement in a signed DSSE envelope) to an image.
    ///
    /// --type is cyclonedx, spdx, spdxjson, vuln, openvex, slsaprovenance, slsaprovenance02,
    /// slsaprovenance1, link, custom, or a predicate type URI. The envelope goes to cosign's
    /// `sha256-<hex>.att` tag and into an OCI 1.1 referrer.
    ///
    /// Example:
    ///   zoll sbom localhost:5000/acme/app:1.0 --insecure -f cyclonedx-json -o bom.json
    ///   zoll attest localhost:5000/acme/app:1.0 --insecure --predicate bom.json --type cyclonedx --key zoll.key
    #[command(verbatim_doc_comment)]
    Attest(AttestArgs),
    /// Verify an image's signatures; print the verified payloads as JSON.
    ///
    /// Looks in the `.sig` tag, the referrers (Sigstore bundles) and, with --gpg-key, the
    /// signature extension or --lookaside. IMAGE may also be oci:DIR[:TAG] (offline). Keys
    /// come from --key (repeatable; files, directories of *.pub, PKCS#11 URIs), --gpg-key, or
    /// the --trust file's rule for the image. Exit codes: 0 verified, 1 not verified (the
    /// message says which check failed), 2 error.
    ///
    /// Examples:
    ///   zoll verify localhost:5000/acme/app:1.0 --insecure --key zoll.pub
    ///   zoll verify r.example/acme/app:1.0 --key keys/ --min-signatures 2 -a env=prod
    ///   zoll verify oci:./app-layout:1.0 --key zoll.pub
    #[command(verbatim_doc_comment)]
    Verify(VerifyArgs),
    /// Verify an image's attestations of one predicate type; print the statements as JSON.
    #[command(verbatim_doc_comment)]
    VerifyAttestation(VerifyAttestationArgs),
}

#[derive(Debug, Subcommand)]
pub(crate) enum KeyCommand {
    /// Make an ECDSA P-256 key pair: NAME.key (encrypted, cosign's format) and NAME.pub.
    ///
    /// With --pkcs11 URI the key is generated inside the token and never leaves it; the public
    /// key is written to NAME.pub.
    ///
    /// Examples:
    ///   ZOLL_KEY_PASSWORD=... zoll key generate --output-key-prefix release
    ///   zoll key generate --pkcs11 'pkcs11:token=zoll;object=release?module-path=/usr/lib/softhsm/libsofthsm2.so&pin-value=1234'
    #[command(verbatim_doc_comment)]
    Generate(KeyGenerateArgs),
    /// Print the public key (SPKI PEM) of a key file or PKCS#11 key.
    PublicKey(KeyPublicArgs),
}

#[derive(Debug, Args)]
pub(crate) struct KeyGenerateArgs {
    /// Write NAME.key and NAME.pub.
    #[arg(long, value_name = "NAME", default_value = "zoll")]
    pub(crate) output_key_prefix: String,
    /// Generate the key inside this PKCS#11 token (RFC 7512 URI with token and object).
    #[arg(long, value_name = "URI")]
    pub(crate) pkcs11: Option<String>,
    #[command(flatten)]
    pub(crate) password: KeyPasswordArgs,
}

#[derive(Debug, Args)]
pub(crate) struct KeyPublicArgs {
    /// A private key file or PKCS#11 URI.
    #[arg(long, value_name = "KEY")]
    pub(crate) key: String,
    #[command(flatten)]
    pub(crate) password: KeyPasswordArgs,
}

/// `--attest IMAGE --key K`: sign a command's result and attach it to an image.
#[derive(Debug, Args)]
pub(crate) struct AttachArgs {
    /// Also sign the result and attach it to IMAGE as an attestation (needs --key).
    #[arg(long, value_name = "IMAGE", requires = "key")]
    pub(crate) attest: Option<String>,
    /// Key for --attest: a cosign private key file or a PKCS#11 URI.
    #[arg(long, value_name = "KEY", requires = "attest")]
    pub(crate) key: Option<String>,
    #[command(flatten)]
    pub(crate) password: KeyPasswordArgs,
}

/// Where a key password comes from (never only a prompt).
#[derive(Debug, Args)]
pub(crate) struct KeyPasswordArgs {
    /// Read the key password from FILE (first line) instead of ZOLL_KEY_PASSWORD/COSIGN_PASSWORD.
    #[arg(long, value_name = "FILE")]
    pub(crate) password_file: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub(crate) struct SignArgs {
    /// The image (REGISTRY/REPO:TAG or @DIGEST).
    pub(crate) image: String,
    /// cosign private key file or PKCS#11 URI.
    #[arg(
        long,
        value_name = "KEY",
        conflicts_with = "gpg_key",
        required_unless_present = "gpg_key"
    )]
    pub(crate) key: Option<String>,
    /// Sign with this OpenPGP secret key (a key file, or a fingerprint of a key in --gpg-keyring).
    #[arg(long, value_name = "FILE|FINGERPRINT")]
    pub(crate) gpg_key: Option<String>,
    /// OpenPGP secret key files to look a --gpg-key fingerprint up in; repeatable.
    #[arg(long, value_name = "FILE")]
    pub(crate) gpg_keyring: Vec<PathBuf>,
    /// Annotation stored in the signed payload; repeatable.
    #[arg(short = 'a', long = "annotation", value_name = "KEY=VALUE")]
    pub(crate) annotations: Vec<String>,
    /// cosign's tag layout (simple) or a Sigstore bundle v0.3 referrer (bundle).
    #[arg(long, value_enum, default_value = "simple")]
    pub(crate) format: SignatureFormat,
    /// Lookaside directory for GPG signatures when the registry has no signature extension.
    #[arg(long, value_name = "DIR")]
    pub(crate) lookaside: Option<String>,
    #[command(flatten)]
    pub(crate) password: KeyPasswordArgs,
    #[command(flatten)]
    pub(crate) registry: RegistryArgs,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum SignatureFormat {
    Simple,
    Bundle,
}

#[derive(Debug, Args)]
pub(crate) struct AttestArgs {
    /// The image (REGISTRY/REPO:TAG or @DIGEST).
    pub(crate) image: String,
    /// The predicate (JSON file).
    #[arg(long, value_name = "FILE")]
    pub(crate) predicate: PathBuf,
    /// Predicate type: a cosign shortcut or a URI.
    #[arg(long = "type", value_name = "TYPE", default_value = "custom")]
    pub(crate) predicate_type: String,
    /// cosign private key file or PKCS#11 URI.
    #[arg(long, value_name = "KEY")]
    pub(crate) key: String,
    #[command(flatten)]
    pub(crate) password: KeyPasswordArgs,
    #[command(flatten)]
    pub(crate) registry: RegistryArgs,
}

/// Which keys a verification trusts and what it requires.
#[derive(Debug, Args)]
pub(crate) struct TrustArgs {
    /// Trusted public key: a file, a directory of *.pub files, or a PKCS#11 URI; repeatable.
    #[arg(long, value_name = "KEY")]
    pub(crate) key: Vec<String>,
    /// Trust file (see the trust store in the README); its rule for the image applies when no
    /// --key or --gpg-key is given.
    #[arg(long, value_name = "FILE", env = "ZOLL_TRUST")]
    pub(crate) trust: Option<PathBuf>,
    /// How many distinct trusted keys must have signed.
    #[arg(long, value_name = "N")]
    pub(crate) min_signatures: Option<usize>,
    /// How the signed docker-reference must match IMAGE: exact, repository or ignore.
    #[arg(long, value_name = "RULE")]
    pub(crate) identity: Option<String>,
    /// Annotation every verified signature must carry; repeatable.
    #[arg(short = 'a', long = "annotation", value_name = "KEY=VALUE")]
    pub(crate) annotations: Vec<String>,
}

#[derive(Debug, Args)]
pub(crate) struct VerifyArgs {
    /// The image: REGISTRY/REPO:TAG, REGISTRY/REPO@DIGEST or oci:DIR[:TAG].
    pub(crate) image: String,
    #[command(flatten)]
    pub(crate) trust: TrustArgs,
    /// Trusted OpenPGP public key file (GPG simple signatures); repeatable.
    #[arg(long, value_name = "FILE")]
    pub(crate) gpg_key: Vec<PathBuf>,
    /// Lookaside directory or URL to read GPG signatures from when the registry has no
    /// signature extension.
    #[arg(long, value_name = "DIR|URL")]
    pub(crate) lookaside: Option<String>,
    #[command(flatten)]
    pub(crate) registry: RegistryArgs,
}

#[derive(Debug, Args)]
pub(crate) struct VerifyAttestationArgs {
    /// The image: REGISTRY/REPO:TAG, REGISTRY/REPO@DIGEST or oci:DIR[:TAG].
    pub(crate) image: String,
    /// Predicate type: a cosign shortcut or a URI.
    #[arg(long = "type", value_name = "TYPE", default_value = "custom")]
    pub(crate) predicate_type: String,
    #[command(flatten)]
    pub(crate) trust: TrustArgs,
    #[command(flatten)]
    pub(crate) registry: RegistryArgs,
}

/// Where the registry's configuration and data are.
#[derive(Debug, Args)]
pub(crate) struct ServerLocation {
    /// TOML configuration file (see `zoll serve --help`).
    #[arg(long, value_name = "FILE", env = "ZOLL_CONFIG")]
    pub(crate) config: Option<PathBuf>,
    /// Data directory (SQLite metadata and blobs) [default: ./zoll-data].
    #[arg(long, value_name = "DIR")]
    pub(crate) data_dir: Option<PathBuf>,
    /// Metadata database URL: sqlite://PATH or postgres://USER:PASS@HOST/DB.
    #[arg(
        long,
        value_name = "URL",
        env = "ZOLL_DATABASE_URL",
        hide_env_values = true
    )]
    pub(crate) database: Option<String>,
}

#[derive(Debug, Args)]
pub(crate) struct ServeArgs {
    #[command(flatten)]
    pub(crate) location: ServerLocation,
    /// Address to listen on [default: 127.0.0.1:5000].
    #[arg(long, value_name = "ADDR")]
    pub(crate) listen: Option<std::net::SocketAddr>,
    /// Serve HTTPS with this certificate chain (PEM); re-read when it changes.
    #[arg(long, value_name = "FILE", requires = "tls_key")]
    pub(crate) tls_cert: Option<PathBuf>,
    /// The private key (PEM) for --tls-cert.
    #[arg(long, value_name = "FILE", requires = "tls_cert")]
    pub(crate) tls_key: Option<PathBuf>,
    /// Accept client certificates issued by this CA (PEM); the subject CN names the account.
    #[arg(long, value_name = "FILE", requires = "tls_cert")]
    pub(crate) tls_client_ca: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub(crate) struct RegistryAdminArgs {
    #[command(flatten)]
    pub(crate) location: ServerLocation,
    #[command(subcommand)]
    pub(crate) command: RegistryCommand,
}

#[derive(Debug, Subcommand)]
pub(crate) enum RegistryCommand {
    /// Users: `add`, `list`, `delete`, `passwd`, `admin`.
    #[command(subcommand)]
    User(UserCommand),
    /// Organisations: `create`, `list`, `delete`, `visibility`, `member`, `remove-member`.
    #[command(subcommand)]
    Org(OrgCommand),
    /// Teams inside an organisation.
    #[command(subcommand)]
    Team(TeamCommand),
    /// Robot accounts: expiring secrets scoped to repositories (log in as robot+NAME).
    #[command(subcommand)]
    Robot(RobotCommand),
    /// Show the audit log, newest first.
    Audit(AuditArgs),
}

/// A password from --password, --password-file or ZOLL_PASSWORD.
#[derive(Debug, Args)]
pub(crate) struct PasswordArgs {
    /// The password (visible in the process list: prefer --password-file or ZOLL_PASSWORD).
    #[arg(
        long,
        env = "ZOLL_PASSWORD",
        hide_env_values = true,
        conflicts_with = "password_file"
    )]
    pub(crate) password: Option<String>,
    /// Read the password from the first line of FILE.
    #[arg(long, value_name = "FILE")]
    pub(crate) password_file: Option<PathBuf>,
}

#[derive(Debug, Subcommand)]
pub(crate) enum UserCommand {
    /// Create a user.
    Add {
        name: String,
        /// Make the user a system administrator.
        #[arg(long)]
        admin: bool,
        #[command(flatten)]
        password: PasswordArgs,
    },
    /// List users.
    List,
    /// Delete a user.
    Delete { name: String },
    /// Set a user's password.
    Passwd {
        name: String,
        #[command(flatten)]
        password: PasswordArgs,
    },
    /// Grant (or with --revoke, take away) system administration.
    Admin {
        name: String,
        #[arg(long)]
        revoke: bool,
    },
}

#[derive(Debug, Subcommand)]
pub(crate) enum OrgCommand {
    /// Create an organisation (private unless --public).
    Create {
        name: String,
        #[arg(long)]
        public: bool,
    },
    /// List organisations.
    List,
    /// Delete an organisation.
    Delete { name: String },
    /// Make an organisation public or private.
    Visibility {
        name: String,
        #[arg(value_parser = ["public", "private"])]
        visibility: String,
    },
    /// Add a member with a role (guest, developer, maintainer, admin), or change their role.
    Member {
        org: String,
        user: String,
        #[arg(value_parser = ["guest", "developer", "maintainer", "admin"])]
        role: String,
    },
    /// Remove a member.
    RemoveMember { org: String, user: String },
}

#[derive(Debug, Subcommand)]
pub(crate) enum TeamCommand {
    /// Create a team whose members get ROLE in the organisation.
    Create {
        org: String,
        team: String,
        #[arg(long, value_parser = ["guest", "developer", "maintainer", "admin"])]
        role: String,
    },
    /// Delete a team.
    Delete { org: String, team: String },
    /// Add a user to a team.
    Add {
        org: String,
        team: String,
        user: String,
    },
    /// Remove a user from a team.
    Remove {
        org: String,
        team: String,
        user: String,
    },
    /// List an organisation's teams and their members.
    List { org: String },
}

#[derive(Debug, Subcommand)]
pub(crate) enum RobotCommand {
    /// Create a robot; its secret is printed once.
    Create {
        name: String,
        /// PATTERN=ACTIONS, e.g. acme/app=pull,push or acme/*=pull; repeatable.
        #[arg(long = "grant", required = true, value_name = "PATTERN=ACTIONS")]
        grants: Vec<String>,
        /// Days until the secret expires.
        #[arg(long, default_value_t = 90)]
        expires_days: i64,
    },
    /// List robots.
    List,
    /// Delete a robot.
    Delete { name: String },
}

#[derive(Debug, Args)]
pub(crate) struct AuditArgs {
    /// Only entries by this actor.
    #[arg(long)]
    pub(crate) actor: Option<String>,
    /// Only this action (push, delete, login, login-failed, member-set, ...).
    #[arg(long)]
    pub(crate) action: Option<String>,
    /// At most N entries.
    #[arg(long, default_value_t = 50)]
    pub(crate) limit: i64,
    /// Print JSON instead of a table.
    #[arg(long)]
    pub(crate) json: bool,
}

#[derive(Debug, Args)]
pub(crate) struct ScanArgs {
    /// The image to scan (see `zoll sbom --help` for the forms), or config:PATH; omit with --sbom.
    #[arg(required_unless_present = "sbom", conflicts_with = "sbom")]
    pub(crate) image: Option<ScanTarget>,
    /// Scanners to run: vuln, secret, malware, config [default: vuln,secret,config, plus malware
    /// when an engine is given].
    #[arg(long, value_delimiter = ',', value_name = "LIST")]
    pub(crate) scanners: Vec<zoll_core::Scanner>,
    /// Secret rules and allowlists to add (TOML; see the zoll-secrets docs for the schema).
    #[arg(long, value_name = "FILE", env = "ZOLL_SECRET_CONFIG")]
    pub(crate) secret_config: Option<PathBuf>,
    /// Look for secrets in binary files too (skipped by default).
    #[arg(long)]
    pub(crate) secrets_in_binaries: bool,
    /// clamd's socket: unix:/run/clamav/clamd.ctl, tcp://HOST:PORT or HOST:PORT.
    #[arg(long, value_name = "ADDR", env = "ZOLL_CLAMD")]
    pub(crate) clamd: Option<zoll_malware::ClamdAddr>,
    /// A directory of YARA rules (*.yar, *.yara), searched recursively.
    #[arg(long, value_name = "DIR", env = "ZOLL_YARA_RULES")]
    pub(crate) yara_rules: Option<PathBuf>,
    /// A SHA-256 blocklist (`sha256sum` output: HEX [NAME] per line, # comments).
    #[arg(long, value_name = "FILE", env = "ZOLL_MALWARE_BLOCKLIST")]
    pub(crate) malware_blocklist: Option<PathBuf>,
    /// Scan this SBOM (CycloneDX JSON, SPDX JSON or zoll JSON) instead of an image.
    #[arg(long, value_name = "FILE")]
    pub(crate) sbom: Option<PathBuf>,
    /// Output format: table, json, sarif, cyclonedx-json or junit.
    #[arg(short, long, default_value = "table")]
    pub(crate) format: zoll_formats::ScanFormat,
    /// Write to FILE instead of stdout.
    #[arg(short, long, value_name = "FILE")]
    pub(crate) output: Option<PathBuf>,
    /// Only report findings of this severity or worse: unknown, none, low, medium, high, critical.
    #[arg(long, value_name = "LEVEL")]
    pub(crate) severity: Option<zoll_core::Severity>,
    /// Do not report findings that have no fixed version yet.
    #[arg(long)]
    pub(crate) ignore_unfixed: bool,
    /// Exit with this code when findings remain (after every filter and suppression).
    #[arg(long, value_name = "N", default_value_t = 0)]
    pub(crate) exit_code: u8,
    /// OpenVEX document whose not_affected/fixed statements suppress findings; repeatable.
    #[arg(long, value_name = "FILE")]
    pub(crate) vex: Vec<PathBuf>,
    /// Ignore file (TOML: id, reason, expires[, purl]) [default: ./.zollignore when present].
    #[arg(long, value_name = "FILE")]
    pub(crate) ignore_file: Option<PathBuf>,
    /// Warn when the database is older than this many days.
    #[arg(
        long,
        value_name = "DAYS",
        default_value_t = 7,
        env = "ZOLL_DB_MAX_AGE"
    )]
    pub(crate) db_max_age: u32,
    /// Update the database from its default sources before scanning (downloads).
    #[arg(long)]
    pub(crate) update_db: bool,
    #[command(flatten)]
    pub(crate) attach: AttachArgs,
    #[command(flatten)]
    pub(crate) db: DbDirArgs,
    #[command(flatten)]
    pub(crate) image_opts: ImageArgs,
    #[command(flatten)]
    pub(crate) registry: RegistryArgs,
}

/// What `zoll scan` reads: an image, or config files (`config:PATH`).
#[derive(Clone, Debug)]
pub(crate) enum ScanTarget {
    Image(SourceSpec),
    Config(PathBuf),
}

impl std::str::FromStr for ScanTarget {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.strip_prefix("config:") {
            Some("") => Err("config: needs a path (config:Dockerfile, config:deploy/)".to_owned()),
            Some(p) => Ok(ScanTarget::Config(PathBuf::from(p))),
            None => s
                .parse::<SourceSpec>()
                .map(ScanTarget::Image)
                .map_err(|e| e.to_string()),
        }
    }
}

#[derive(Debug, Args)]
pub(crate) struct LintArgs {
    /// Dockerfiles, Kubernetes manifests, or directories of them.
    #[arg(required = true, value_name = "PATH")]
    pub(crate) paths: Vec<PathBuf>,
    /// Output format: table, json, sarif, cyclonedx-json or junit.
    #[arg(short, long, default_value = "table")]
    pub(crate) format: zoll_formats::ScanFormat,
    /// Write to FILE instead of stdout.
    #[arg(short, long, value_name = "FILE")]
    pub(crate) output: Option<PathBuf>,
    /// Only report findings of this severity or worse: low, medium, high, critical.
    #[arg(long, value_name = "LEVEL")]
    pub(crate) severity: Option<zoll_core::Severity>,
    /// Never report this rule id (DL3008, pss-restricted-seccomp, ...); repeatable.
    #[arg(long, value_name = "RULE")]
    pub(crate) ignore: Vec<String>,
    /// Exit with this code when findings remain.
    #[arg(long, value_name = "N", default_value_t = 1)]
    pub(crate) exit_code: u8,
}

#[derive(Debug, Args)]
pub(crate) struct DbDirArgs {
    /// Database directory [default: $ZOLL_DB_DIR, else db/ in the cache directory].
    #[arg(long, value_name = "DIR", env = "ZOLL_DB_DIR", hide_env_values = true)]
    pub(crate) db_dir: Option<PathBuf>,
}

#[derive(Debug, Subcommand)]
pub(crate) enum DbCommand {
    /// Build the database from OSV exports and swap it in atomically.
    ///
    /// A SOURCE is a directory (searched for `*.zip` and `*.json`, so osv.dev's
    /// `<ECOSYSTEM>/all.zip` layout works), a zip of `<ID>.json` files, one JSON file, an
    /// https URL of a zip, or a URL ending in `/` laid out like osv.dev's bucket. Without
    /// --source, osv.dev's exports for every supported ecosystem are downloaded.
    /// A corrupt zip member or invalid record is reported and skipped; a source that cannot be
    /// read at all aborts the update and leaves the current database in place.
    ///
    /// Examples:
    ///   zoll db update
    ///   zoll db update --source ./osv-mirror/ --source extra-advisories.zip
    #[command(verbatim_doc_comment)]
    Update(DbUpdateArgs),
    /// Show the database: sources, counts per ecosystem, build time and age.
    Status(DbStatusArgs),
    /// Write the database to one file, to carry to an air-gapped machine.
    Export {
        /// The file to write.
        file: PathBuf,
        #[command(flatten)]
        db: DbDirArgs,
    },
    /// Install a database written by `zoll db export` (checked before it replaces the current one).
    Import {
        /// The file to read.
        file: PathBuf,
        #[command(flatten)]
        db: DbDirArgs,
    },
}

#[derive(Debug, Args)]
pub(crate) struct DbUpdateArgs {
    /// Where to import from (path or URL); repeatable [default: osv.dev's public exports].
    #[arg(long = "source", value_name = "PATH|URL")]
    pub(crate) sources: Vec<String>,
    /// Trust this CA certificate (PEM) for https sources; repeatable.
    #[arg(long = "ca-cert", value_name = "FILE")]
    pub(crate) ca_certs: Vec<PathBuf>,
    #[command(flatten)]
    pub(crate) db: DbDirArgs,
}

#[derive(Debug, Args)]
pub(crate) struct DbStatusArgs {
    /// Output format: table or json.
    #[arg(short, long, default_value = "table", value_parser = ["table", "json"])]
    pub(crate) format: String,
    #[command(flatten)]
    pub(crate) db: DbDirArgs,
}

#[derive(Debug, Subcommand)]
pub(crate) enum VersionCommand {
    /// Sort versions read from stdin (one per line; blank lines are skipped) in ascending order.
    ///
    /// Prints `RANK<TAB>VERSION`; equal versions (e.g. Maven `1.0` and `1.0.0`) share a rank.
    /// A version the ecosystem cannot parse is an error naming its line.
    ///
    /// Example:
    ///   printf '1.10\n1.9\n1.9.0\n' | zoll version sort --ecosystem maven
    #[command(verbatim_doc_comment)]
    Sort {
        /// dpkg, rpm, apk, pypi, npm, crates.io, go, hex, maven, rubygems, nuget, packagist, pub,
        /// cran or hackage (aliases like debian, alpine, cargo, golang, gem, composer work too).
        #[arg(short, long)]
        ecosystem: zoll_version::Ecosystem,
    },
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
    pub(crate) attach: AttachArgs,
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
