//! `zoll key`, `zoll sign`, `zoll attest`, `zoll verify`, `zoll verify-attestation`: the
//! formats are crate `zoll-sign` (cosign) and `zoll-gpg` (containers/image simple signing), the
//! storage is crate `zoll-seal`, keys in tokens are crate `zoll-pkcs11`.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, bail};
use serde_json::{Value, json};
use zoll_core::{Digest, ImageRef};
use zoll_distribution::Client;
use zoll_distribution::types::Descriptor;
use zoll_seal::layout::Layout;
use zoll_seal::trust::{KeyRef, TrustStore};
use zoll_sign::verify::{
    AttestationCandidate, AttestationPolicy, IdentityRule, Policy, SignatureCandidate, TrustedKeys,
    VerifyError,
};
use zoll_sign::{FileSigner, PublicKey, Signer};

use crate::cli::{
    AttestArgs, KeyCommand, KeyGenerateArgs, KeyPasswordArgs, KeyPublicArgs, SignArgs,
    SignatureFormat, TrustArgs, VerifyArgs, VerifyAttestationArgs,
};

/// Predicate type of the in-toto statement a Sigstore-bundle image signature carries
/// (cosign's `sign/v1`): the statement's subject is the image, its predicate the annotations.
pub(crate) const SIGN_PREDICATE: &str = "https://sigstore.dev/cosign/sign/v1";

// ---- keys and passwords ----

/// The key password: ZOLL_KEY_PASSWORD, then COSIGN_PASSWORD, then --password-file.
fn password(args: &KeyPasswordArgs) -> anyhow::Result<Option<String>> {
    if let Some(path) = &args.password_file {
        return Ok(Some(super::read_secret_file(path)?));
    }
    for var in ["ZOLL_KEY_PASSWORD", "COSIGN_PASSWORD"] {
        if let Some(v) = std::env::var_os(var) {
            return Ok(Some(v.to_string_lossy().into_owned()));
        }
    }
    Ok(None)
}

/// A signing key: a key file or a PKCS#11 URI.
fn load_signer(key: &str, args: &KeyPasswordArgs) -> anyhow::Result<Box<dyn Signer>> {
    if key.starts_with("pkcs11:") {
        let uri: zoll_pkcs11::Pkcs11Uri = key.parse()?;
        return Ok(Box::new(zoll_pkcs11::Pkcs11Signer::open(&uri)?));
    }
    let path = Path::new(key);
    let pem = fs_err::read_to_string(path).with_context(|| format!("cannot read key {key}"))?;
    let pw = password(args)?;
    match FileSigner::from_pem(key, &pem, pw.as_deref().unwrap_or("").as_bytes()) {
        Ok(s) => Ok(Box::new(s)),
        Err(zoll_sign::KeyError::WrongPassword { .. }) if pw.is_none() => bail!(
            "key {key} is encrypted: give its password in ZOLL_KEY_PASSWORD, COSIGN_PASSWORD or --password-file"
        ),
        Err(e) => Err(e.into()),
    }
}

/// Trusted public keys from a key reference (file, directory of *.pub, PKCS#11 URI).
fn add_keys(keys: &mut TrustedKeys, key: &str) -> anyhow::Result<()> {
    if key.starts_with("pkcs11:") {
        let uri: zoll_pkcs11::Pkcs11Uri = key.parse()?;
        let signer = zoll_pkcs11::Pkcs11Signer::open(&uri)?;
        keys.add(key, PublicKey::from_verifying_key(signer.public_key())?);
        return Ok(());
    }
    let path = Path::new(key);
    if path.is_dir() {
        let mut found = 0;
        let mut entries: Vec<PathBuf> = fs_err::read_dir(path)?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|x| x == "pub"))
            .collect();
        entries.sort();
        for p in entries {
            keys.add(p.display().to_string(), PublicKey::read_pem_file(&p)?);
            found += 1;
        }
        if found == 0 {
            bail!("key directory {key} holds no *.pub files");
        }
        return Ok(());
    }
    keys.add(key, PublicKey::read_pem_file(path)?);
    Ok(())
}

pub(crate) fn key(cmd: KeyCommand) -> anyhow::Result<ExitCode> {
    match cmd {
        KeyCommand::Generate(args) => generate(args),
        KeyCommand::PublicKey(args) => public_key(args),
    }
}

fn write_new(path: &str, contents: &str) -> anyhow::Result<()> {
    use std::io::Write as _;
    let mut f = fs_err::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(path)
        .with_context(|| format!("refusing to overwrite {path}"))?;
    f.write_all(contents.as_bytes())?;
    Ok(())
}

fn generate(args: KeyGenerateArgs) -> anyhow::Result<ExitCode> {
    let public_path = format!("{}.pub", args.output_key_prefix);
    if let Some(uri) = &args.pkcs11 {
        let uri: zoll_pkcs11::Pkcs11Uri = uri.parse()?;
        let key = zoll_pkcs11::generate(&uri)?;
        let public = PublicKey::from_verifying_key(key)?;
        write_new(&public_path, &public.to_pem())?;
        eprintln!(
            "generated key {} inside {uri}; public key written to {public_path}",
            public.id().short()
        );
        return Ok(ExitCode::SUCCESS);
    }
    let private_path = format!("{}.key", args.output_key_prefix);
    let pw = password(&args.password)?.ok_or_else(|| {
        anyhow::anyhow!(
            "no password for the new key: set ZOLL_KEY_PASSWORD or COSIGN_PASSWORD, or give --password-file (an empty value makes an unprotected key)"
        )
    })?;
    let pair = zoll_sign::keys::generate_key_pair(pw.as_bytes())?;
    write_new(&private_path, &pair.private_pem)?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        fs_err::set_permissions(&private_path, std::fs::Permissions::from_mode(0o600))?;
    }
    write_new(&public_path, &pair.public_pem)?;
    eprintln!("private key written to {private_path}\npublic key written to {public_path}");
    Ok(ExitCode::SUCCESS)
}

fn public_key(args: KeyPublicArgs) -> anyhow::Result<ExitCode> {
    let signer = load_signer(&args.key, &args.password)?;
    print!(
        "{}",
        PublicKey::from_verifying_key(signer.public_key())?.to_pem()
    );
    Ok(ExitCode::SUCCESS)
}

// ---- images ----

fn client(registry: &crate::cli::RegistryArgs) -> anyhow::Result<Client> {
    Ok(Client::new(super::client_options(registry)?)?)
}

/// A registry image resolved to its manifest (tags are resolved once, here).
struct Resolved {
    /// As the user named it (tag kept), for identities.
    named: ImageRef,
    /// The descriptor of the manifest.
    manifest: Descriptor,
}

fn resolve(client: &Client, image: &str) -> anyhow::Result<Resolved> {
    let named: ImageRef = image
        .parse()
        .with_context(|| format!("invalid image reference {image:?}"))?;
    let manifest = zoll_seal::cosign::resolve(client, &named)
        .with_context(|| format!("cannot resolve {image} to a digest; nothing was signed"))?;
    Ok(Resolved { named, manifest })
}

fn parse_annotations(list: &[String]) -> anyhow::Result<BTreeMap<String, String>> {
    list.iter()
        .map(|a| match a.split_once('=') {
            Some((k, v)) if !k.is_empty() => Ok((k.to_owned(), v.to_owned())),
            _ => bail!("invalid annotation {a:?}: expected KEY=VALUE"),
        })
        .collect()
}

// ---- sign ----

pub(crate) fn sign(args: SignArgs) -> anyhow::Result<ExitCode> {
    let client = client(&args.registry)?;
    let image = resolve(&client, &args.image)?;
    let digest = image.manifest.digest.clone();
    let annotations = parse_annotations(&args.annotations)?;
    if let Some(gpg) = &args.gpg_key {
        return gpg_sign(&client, &image, gpg, &args);
    }
    let key = args.key.as_deref().unwrap_or_default();
    let signer = load_signer(key, &args.password)?;
    let public = PublicKey::from_verifying_key(signer.public_key())?;
    match args.format {
        SignatureFormat::Simple => {
            let optional = (!annotations.is_empty()).then(|| {
                annotations
                    .iter()
                    .map(|(k, v)| (k.clone(), Value::String(v.clone())))
                    .collect()
            });
            let payload = zoll_sign::simple::SimpleSigning::cosign(
                image.named.name(),
                digest.clone(),
                optional,
            )
            .to_json();
            let signature = zoll_sign::sign_message(signer.as_ref(), &payload)?;
            let at = zoll_seal::cosign::append_signature(
                &client,
                &image.named,
                &digest,
                &payload,
                signature.as_bytes(),
            )?;
            eprintln!(
                "signed {}@{digest} with key {}; signatures in {}:{} ({at})",
                image.named.name(),
                public.id().short(),
                image.named.name(),
                zoll_seal::cosign_tag(&digest, "sig"),
            );
        }
        SignatureFormat::Bundle => {
            let predicate = json!({"annotations": annotations});
            let statement = zoll_sign::intoto::Statement::new(
                image.named.name(),
                &digest,
                SIGN_PREDICATE,
                predicate,
            );
            let envelope = zoll_sign::dsse::Envelope::sign(
                zoll_sign::dsse::IN_TOTO_PAYLOAD_TYPE,
                statement.to_json(),
                signer.as_ref(),
                "",
            )?;
            let bundle = zoll_sign::bundle::Bundle::from_envelope(
                envelope,
                zoll_sign::bundle::key_hint(&public),
            );
            let at = zoll_seal::cosign::push_referrer(
                &client,
                &image.named,
                &image.manifest,
                zoll_seal::SIGSTORE_BUNDLE,
                &bundle.to_json(),
                zoll_seal::cosign::bundle_annotations("dsse-envelope", Some(SIGN_PREDICATE)),
            )?;
            eprintln!(
                "signed {}@{digest} with key {}; Sigstore bundle in referrer {at}",
                image.named.name(),
                public.id().short()
            );
        }
    }
    Ok(ExitCode::SUCCESS)
}

// ---- attest ----

pub(crate) fn attest(args: AttestArgs) -> anyhow::Result<ExitCode> {
    let client = client(&args.registry)?;
    let image = resolve(&client, &args.image)?;
    let predicate_bytes = fs_err::read(&args.predicate)?;
    let predicate: Value = serde_json::from_slice(&predicate_bytes)
        .with_context(|| format!("predicate {} is not JSON", args.predicate.display()))?;
    let signer = load_signer(&args.key, &args.password)?;
    attach_statement(
        &client,
        &image,
        &args.predicate_type,
        predicate,
        signer.as_ref(),
    )?;
    Ok(ExitCode::SUCCESS)
}

/// Wrap `predicate` in an in-toto statement about the image, sign it as DSSE and store it in
/// the `.att` tag and as a referrer.
fn attach_statement(
    client: &Client,
    image: &Resolved,
    predicate_type: &str,
    predicate: Value,
    signer: &dyn Signer,
) -> anyhow::Result<()> {
    let digest = &image.manifest.digest;
    let uri = zoll_sign::intoto::predicate_type_uri(predicate_type)?;
    let statement =
        zoll_sign::intoto::Statement::new(image.named.name(), digest, uri.clone(), predicate);
    let envelope = zoll_sign::dsse::Envelope::sign(
        zoll_sign::dsse::IN_TOTO_PAYLOAD_TYPE,
        statement.to_json(),
        signer,
        "",
    )?;
    let bytes = envelope.to_json();
    zoll_seal::cosign::append_attestation(client, &image.named, digest, &bytes, &uri)?;
    let mut annotations = BTreeMap::new();
    annotations.insert(zoll_seal::PREDICATE_TYPE_ANNOTATION.to_owned(), uri.clone());
    let at = zoll_seal::cosign::push_referrer(
        client,
        &image.named,
        &image.manifest,
        zoll_seal::DSSE_ENVELOPE,
        &bytes,
        annotations,
    )?;
    eprintln!(
        "attested {}@{digest} ({uri}); in {}:{} and referrer {at}",
        image.named.name(),
        image.named.name(),
        zoll_seal::cosign_tag(digest, "att")
    );
    Ok(())
}

/// `zoll sbom|scan --attest IMAGE --key K`: attach a document just produced (nothing to do
/// without `--attest`).
pub(crate) fn attest_document(
    registry: &crate::cli::RegistryArgs,
    attach: &crate::cli::AttachArgs,
    predicate_type: &str,
    document: impl FnOnce() -> anyhow::Result<Vec<u8>>,
) -> anyhow::Result<()> {
    let (Some(image), Some(key)) = (&attach.attest, &attach.key) else {
        return Ok(());
    };
    let client = client(registry)?;
    let resolved = resolve(&client, image)?;
    let predicate: Value =
        serde_json::from_slice(&document()?).context("the document to attest is not JSON")?;
    let signer = load_signer(key, &attach.password)?;
    attach_statement(
        &client,
        &resolved,
        predicate_type,
        predicate,
        signer.as_ref(),
    )
}

// ---- verify ----

/// Where signatures are read from.
enum Target {
    Registry {
        client: Client,
        image: Resolved,
    },
    Layout {
        layout: Layout,
        manifest: Descriptor,
        dir: String,
    },
}

impl Target {
    fn open(image: &str, registry: &crate::cli::RegistryArgs) -> anyhow::Result<Target> {
        if let Some(rest) = image.strip_prefix("oci:") {
            let (dir, tag) = split_layout(rest);
            let layout = Layout::open(Path::new(dir))?;
            let manifest = layout.find(tag)?;
            return Ok(Target::Layout {
                layout,
                manifest,
                dir: dir.to_owned(),
            });
        }
        let client = client(registry)?;
        let image = resolve(&client, image)?;
        Ok(Target::Registry { client, image })
    }

    fn digest(&self) -> &Digest {
        match self {
            Target::Registry { image, .. } => &image.manifest.digest,
            Target::Layout { manifest, .. } => &manifest.digest,
        }
    }

    /// `registry/repository` for identity checks and trust rules.
    fn name(&self) -> Option<String> {
        match self {
            Target::Registry { image, .. } => Some(image.named.name()),
            Target::Layout { .. } => None,
        }
    }

    fn found(&self) -> anyhow::Result<zoll_seal::Found> {
        Ok(match self {
            Target::Registry { client, image } => {
                zoll_seal::cosign::fetch(client, &image.named, &image.manifest.digest)?
            }
            Target::Layout {
                layout, manifest, ..
            } => layout.fetch(&manifest.digest)?,
        })
    }

    fn describe(&self) -> String {
        match self {
            Target::Registry { image, .. } => {
                format!("{}@{}", image.named.name(), image.manifest.digest)
            }
            Target::Layout { dir, manifest, .. } => format!("oci:{dir}@{}", manifest.digest),
        }
    }
}

/// `DIR[:TAG]`: the last `:` starts a tag when what follows has no `/`.
fn split_layout(rest: &str) -> (&str, Option<&str>) {
    match rest.rsplit_once(':') {
        Some((dir, tag)) if !tag.contains('/') && !dir.is_empty() => (dir, Some(tag)),
        _ => (rest, None),
    }
}

/// Keys, threshold, identity and annotations from the flags and the trust file.
struct Requirements {
    keys: TrustedKeys,
    gpg: Vec<PathBuf>,
    threshold: usize,
    identity: zoll_seal::trust::IdentityRule,
    annotations: BTreeMap<String, String>,
}

fn requirements(
    trust: &TrustArgs,
    gpg_keys: &[PathBuf],
    name: Option<&str>,
) -> anyhow::Result<Requirements> {
    let mut keys = TrustedKeys::new();
    let mut gpg = gpg_keys.to_vec();
    let mut threshold = 1;
    let mut identity = zoll_seal::trust::IdentityRule::Repository;
    let mut annotations = parse_annotations(&trust.annotations)?;
    for k in &trust.key {
        add_keys(&mut keys, k)?;
    }
    if trust.key.is_empty() && gpg_keys.is_empty() {
        let Some(path) = &trust.trust else {
            bail!("no keys to verify with: give --key, --gpg-key or a --trust file");
        };
        let store = TrustStore::load(path)?;
        let name = name.ok_or_else(|| {
            anyhow::anyhow!("a trust file applies to registry images; give --key for a layout")
        })?;
        let rule = store.rule_for(name).ok_or_else(|| {
            anyhow::anyhow!("trust file {} has no rule for {name}", path.display())
        })?;
        for k in &rule.keys {
            match k {
                KeyRef::File(p) => add_keys(&mut keys, &p.display().to_string())?,
                KeyRef::Pkcs11(u) => add_keys(&mut keys, u)?,
                KeyRef::Gpg(p) => gpg.push(p.clone()),
            }
        }
        threshold = rule.threshold;
        identity = rule.identity;
        for (k, v) in &rule.annotations {
            annotations.entry(k.clone()).or_insert_with(|| v.clone());
        }
    }
    if let Some(n) = trust.min_signatures {
        threshold = n.max(1);
    }
    if let Some(rule) = &trust.identity {
        identity = rule.parse()?;
    }
    Ok(Requirements {
        keys,
        gpg,
        threshold,
        identity,
        annotations,
    })
}

fn identity_rule(
    rule: zoll_seal::trust::IdentityRule,
    name: Option<&str>,
    given: &str,
) -> IdentityRule {
    use zoll_seal::trust::IdentityRule as R;
    match (rule, name) {
        (R::Ignore, _) | (_, None) => IdentityRule::Ignore,
        (R::Repository, Some(n)) => IdentityRule::Repository(n.to_owned()),
        (R::Exact, Some(_)) => IdentityRule::Exact(given.to_owned()),
    }
}

/// A verified attestation (or bundle statement) as `zoll verify*` prints it.
fn statement_json(v: &zoll_sign::verify::VerifiedAttestation) -> Value {
    json!({
        "statement": serde_json::from_slice::<Value>(&v.payload).unwrap_or(Value::Null),
        "keyIds": v.key_ids.iter().map(|k| k.to_string()).collect::<Vec<_>>(),
        "source": v.source,
    })
}

/// A verification that did not pass: exit code 1 with the reason.
fn not_verified(what: &str, e: &dyn std::fmt::Display) -> ExitCode {
    eprintln!("{what}: verification failed: {e}");
    ExitCode::from(1)
}

pub(crate) fn verify(args: VerifyArgs) -> anyhow::Result<ExitCode> {
    let target = Target::open(&args.image, &args.registry)?;
    let name = target.name();
    let req = requirements(&args.trust, &args.gpg_key, name.as_deref())?;
    let what = target.describe();
    if !req.gpg.is_empty() {
        return gpg_verify(&target, &args, &req);
    }
    let found = target.found()?;
    let digest = target.digest().clone();
    let candidates: Vec<SignatureCandidate> = found
        .signatures
        .into_iter()
        .map(|s| SignatureCandidate::new(s.payload, s.signature).with_source(s.source))
        .collect();
    // Bundles carry a DSSE statement about the image (predicate cosign sign/v1).
    let mut bundle_passes = Vec::new();
    let mut bundle_error: Option<VerifyError> = None;
    let attestation_policy = AttestationPolicy {
        manifest_digest: digest.clone(),
        predicate_type: Some(SIGN_PREDICATE.to_owned()),
        threshold: 1,
    };
    for b in &found.bundles {
        match zoll_sign::bundle::Bundle::parse(&b.source, &b.bundle) {
            Ok(bundle) => match bundle.content {
                zoll_sign::bundle::BundleContent::Dsse(env) => {
                    match zoll_sign::verify::check_envelope(
                        b.source.clone(),
                        env,
                        &req.keys,
                        &attestation_policy,
                    ) {
                        Ok(v) => bundle_passes.push(v),
                        Err(e) => bundle_error = Some(e),
                    }
                }
                zoll_sign::bundle::BundleContent::MessageSignature { .. } => {}
            },
            Err(e) => eprintln!("warning: skipping {}: {e}", b.source),
        }
    }
    if candidates.is_empty() && found.bundles.is_empty() {
        return Ok(not_verified(
            &what,
            &VerifyError::NoSignatures {
                digest: digest.to_string(),
            },
        ));
    }
    let policy = Policy {
        manifest_digest: digest.clone(),
        identity: identity_rule(req.identity, name.as_deref(), &args.image),
        annotations: req.annotations.clone(),
        threshold: 1,
        payload_kind: zoll_sign::simple::PayloadKind::Cosign,
    };
    let mut verified = Vec::new();
    let mut last_error = bundle_error;
    if !candidates.is_empty() {
        match zoll_sign::verify::verify_signatures(&candidates, &req.keys, &policy) {
            Ok(v) => verified = v,
            Err(e) => last_error = Some(e),
        }
    }
    // Bundle statements: the annotations live in the predicate.
    let mut out: Vec<Value> = verified
        .iter()
        .map(|v| {
            json!({
                "payload": serde_json::from_slice::<Value>(&v.payload.to_json()).unwrap_or(Value::Null),
                "key": v.key_name,
                "keyId": v.key_id.to_string(),
                "source": v.source,
            })
        })
        .collect();
    let mut distinct: std::collections::BTreeSet<String> =
        verified.iter().map(|v| v.key_id.to_string()).collect();
    for v in &bundle_passes {
        let anns = v.statement.predicate.get("annotations");
        let missing = req.annotations.iter().find(|(k, val)| {
            anns.and_then(|a| a.get(k.as_str())).and_then(Value::as_str) != Some(val.as_str())
        });
        if let Some((k, val)) = missing {
            last_error = Some(VerifyError::AnnotationMismatch {
                signature: v.source.clone(),
                key: k.clone(),
                expected: val.clone(),
                found: None,
            });
            continue;
        }
        distinct.extend(v.key_ids.iter().map(|k| k.to_string()));
        out.push(statement_json(v));
    }
    if out.is_empty() {
        let e = last_error.unwrap_or(VerifyError::NoSignatures {
            digest: digest.to_string(),
        });
        return Ok(not_verified(&what, &e));
    }
    if distinct.len() < req.threshold {
        return Ok(not_verified(
            &what,
            &VerifyError::Threshold {
                needed: req.threshold,
                distinct_keys: distinct.len(),
            },
        ));
    }
    println!("{}", serde_json::to_string_pretty(&out)?);
    eprintln!(
        "{what}: verified by {} distinct key(s) ({} signature(s))",
        distinct.len(),
        out.len()
    );
    Ok(ExitCode::SUCCESS)
}

pub(crate) fn verify_attestation(args: VerifyAttestationArgs) -> anyhow::Result<ExitCode> {
    let target = Target::open(&args.image, &args.registry)?;
    let name = target.name();
    let req = requirements(&args.trust, &[], name.as_deref())?;
    let what = target.describe();
    let found = target.found()?;
    let uri = zoll_sign::intoto::predicate_type_uri(&args.predicate_type)?;
    let candidates: Vec<AttestationCandidate> = found
        .attestations
        .into_iter()
        .map(|a| AttestationCandidate::new(a.envelope).with_source(a.source))
        .collect();
    let policy = AttestationPolicy {
        manifest_digest: target.digest().clone(),
        predicate_type: Some(uri),
        threshold: req.threshold,
    };
    match zoll_sign::verify::verify_attestations(&candidates, &req.keys, &policy) {
        Ok(verified) => {
            let out: Vec<Value> = verified.iter().map(statement_json).collect();
            println!("{}", serde_json::to_string_pretty(&out)?);
            eprintln!("{what}: {} attestation(s) verified", out.len());
            Ok(ExitCode::SUCCESS)
        }
        Err(e) => Ok(not_verified(&what, &e)),
    }
}

// ---- GPG simple signing ----

/// The secret key for `--gpg-key FILE|FINGERPRINT` (with `--gpg-keyring` files to look a
/// fingerprint up in). rpgp cannot read gpg-agent's store, so keys come from exported files.
fn gpg_secret(
    key: &str,
    keyrings: &[PathBuf],
) -> anyhow::Result<(zoll_gpg::SecretKeyring, zoll_gpg::Fingerprint)> {
    let path = Path::new(key);
    if path.is_file() {
        let ring = zoll_gpg::SecretKeyring::from_bytes(key, &fs_err::read(path)?)?;
        let fprs = ring.fingerprints();
        return match fprs.as_slice() {
            [one] => {
                let one = one.clone();
                Ok((ring, one))
            }
            _ => bail!(
                "{key} holds {} secret keys: name one with --gpg-key FINGERPRINT --gpg-keyring {key}",
                fprs.len()
            ),
        };
    }
    let fpr: zoll_gpg::Fingerprint = key
        .parse()
        .with_context(|| format!("--gpg-key {key:?} is neither a key file nor a fingerprint"))?;
    if keyrings.is_empty() {
        bail!(
            "--gpg-key {fpr} names a fingerprint: give the exported secret key file with --gpg-keyring FILE"
        );
    }
    let mut ring = zoll_gpg::SecretKeyring::new();
    for k in keyrings {
        ring.add_bytes(&k.display().to_string(), &fs_err::read(k)?)?;
    }
    Ok((ring, fpr))
}

fn gpg_sign(
    client: &Client,
    image: &Resolved,
    key: &str,
    args: &SignArgs,
) -> anyhow::Result<ExitCode> {
    let (ring, fpr) = gpg_secret(key, &args.gpg_keyring)?;
    let passphrase = password(&args.password)?.unwrap_or_default();
    let digest = &image.manifest.digest;
    // The identity is the reference as named (tag included): policy.json's default
    // matchRepoDigestOrExact compares it with the reference being pulled.
    let reference = image.named.to_string();
    let signature = zoll_gpg::sign_image(&ring, &fpr, &passphrase, &reference, digest)?;
    let lookaside = args
        .lookaside
        .as_deref()
        .map(str::parse::<zoll_seal::simple::Lookaside>)
        .transpose()?;
    let at =
        zoll_seal::simple::store(client, &image.named, digest, &signature, lookaside.as_ref())?;
    eprintln!("signed {reference} ({digest}) with OpenPGP key {fpr}; stored in {at}");
    Ok(ExitCode::SUCCESS)
}

/// The check a GPG verification failure belongs to, for the message.
fn gpg_check(e: &zoll_gpg::Error) -> &'static str {
    use zoll_gpg::Error as G;
    match e {
        G::UnknownKey { .. } => "untrusted key",
        G::DigestMismatch { .. } => "digest check failed",
        G::IdentityMismatch { .. } | G::InvalidReference { .. } => "identity check failed",
        G::MalformedPayload { .. } | G::MalformedSignature { .. } => "malformed signature",
        G::KeyRevoked { .. } | G::KeyExpired { .. } | G::SignatureExpired { .. } => {
            "key validity check failed"
        }
        _ => "signature check failed",
    }
}

fn gpg_verify(target: &Target, args: &VerifyArgs, req: &Requirements) -> anyhow::Result<ExitCode> {
    let Target::Registry { client, image } = target else {
        bail!("GPG signatures live in a registry or its lookaside; an OCI layout has none");
    };
    let mut ring = zoll_gpg::PublicKeyring::new();
    for k in &req.gpg {
        ring.add_bytes(&k.display().to_string(), &fs_err::read(k)?)?;
    }
    let lookaside = args
        .lookaside
        .as_deref()
        .map(str::parse::<zoll_seal::simple::Lookaside>)
        .transpose()?;
    let digest = &image.manifest.digest;
    let what = target.describe();
    let stored = zoll_seal::simple::load(client, &image.named, digest, lookaside.as_ref())?;
    if stored.is_empty() {
        return Ok(not_verified(
            &what,
            &VerifyError::NoSignatures {
                digest: digest.to_string(),
            },
        ));
    }
    let rule = match args.trust.identity.as_deref() {
        None => Some(zoll_gpg::SignedIdentity::MatchRepoDigestOrExact),
        Some("exact") => Some(zoll_gpg::SignedIdentity::MatchExact),
        Some("repository") => Some(zoll_gpg::SignedIdentity::MatchRepository),
        Some("ignore") => None,
        Some(other) => bail!("invalid --identity {other:?}: expected exact, repository or ignore"),
    };
    let reference = image.named.to_string();
    let mut out = Vec::new();
    let mut distinct = std::collections::BTreeSet::new();
    let mut failure: Option<(String, zoll_gpg::Error)> = None;
    for s in &stored {
        let checked = zoll_gpg::verify(&s.signature, &ring).and_then(|v| {
            match &rule {
                Some(rule) => zoll_gpg::check(&v, digest, &reference, rule)?,
                None if &v.payload.manifest_digest != digest => {
                    return Err(zoll_gpg::Error::DigestMismatch {
                        expected: digest.to_string(),
                        signed: v.payload.manifest_digest.to_string(),
                    });
                }
                None => {}
            }
            Ok(v)
        });
        match checked {
            Ok(v) => {
                distinct.insert(v.fingerprint.to_string());
                out.push(json!({
                    "payload": serde_json::from_slice::<Value>(&v.payload_bytes).unwrap_or(Value::Null),
                    "fingerprint": v.fingerprint.to_string(),
                    "source": s.source,
                }));
            }
            Err(e) => failure = Some((s.source.clone(), e)),
        }
    }
    if out.is_empty() {
        let (source, e) = failure.ok_or_else(|| anyhow::anyhow!("no signature was checked"))?;
        eprintln!(
            "{what}: verification failed: {}: {source}: {e}",
            gpg_check(&e)
        );
        return Ok(ExitCode::from(1));
    }
    if distinct.len() < req.threshold {
        return Ok(not_verified(
            &what,
            &VerifyError::Threshold {
                needed: req.threshold,
                distinct_keys: distinct.len(),
            },
        ));
    }
    println!("{}", serde_json::to_string_pretty(&out)?);
    eprintln!(
        "{what}: verified by {} distinct OpenPGP key(s) ({} signature(s))",
        distinct.len(),
        out.len()
    );
    Ok(ExitCode::SUCCESS)
}
