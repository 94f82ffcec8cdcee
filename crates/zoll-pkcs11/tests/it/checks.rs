//! The checks every token type must pass, run inside the child process that sees the token
//! (see `tokens::run_in_child`): generate, sign, verify, reopen, refuse, and keep the private
//! key inside.

use std::path::Path;
use std::process::Command;

use cryptoki::context::{CInitializeArgs, CInitializeFlags, Pkcs11};
use cryptoki::error::{Error as CkError, RvError};
use cryptoki::mechanism::Mechanism;
use cryptoki::object::{Attribute, AttributeInfo, AttributeType, ObjectClass};
use cryptoki::session::UserType;
use cryptoki::types::AuthPin;
use p256::ecdsa::signature::Verifier;
use p256::ecdsa::signature::hazmat::PrehashVerifier;
use p256::ecdsa::{Signature, VerifyingKey};
use sha2::{Digest, Sha256};
use zoll_pkcs11::{Error, Pkcs11Signer, Pkcs11Uri, generate};
use zoll_sign::Signer;

use zoll_testenv::tokens::{LABEL, PIN};

fn uri(text: &str) -> Pkcs11Uri {
    text.parse().unwrap_or_else(|e| panic!("{text}: {e}"))
}

fn open_err(text: &str) -> Error {
    match Pkcs11Signer::open(&uri(text)) {
        Ok(_) => panic!("{text}: opened, expected an error"),
        Err(e) => e,
    }
}

/// Sign `message` (hashed here) and check the DER signature with `public`, both as a prehash
/// and as an ordinary ECDSA P-256/SHA-256 verification of the message.
fn sign_and_verify(signer: &dyn Signer, public: &VerifyingKey, message: &[u8]) {
    let digest: [u8; 32] = Sha256::digest(message).into();
    let der = signer
        .sign_digest(&digest)
        .unwrap_or_else(|e| panic!("{}: {e}", signer.describe()));
    let sig = Signature::from_der(der.as_bytes()).expect("the signature is ASN.1 DER");
    public
        .verify_prehash(&digest, &sig)
        .expect("verifies as prehash");
    public.verify(message, &sig).expect("verifies the message");
    assert!(public.verify(b"another message", &sig).is_err());
}

/// Which token the checks run against, for the few places where tokens differ.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum Kind {
    SoftHsm,
    Tpm,
}

pub(crate) fn run(module: &Path, kind: Kind) {
    let m = module.display();
    let full =
        format!("pkcs11:token={LABEL};object=release;id=%01?module-path={m}&pin-value={PIN}");

    // Generate, and refuse to generate over an existing label or ID.
    let public = generate(&uri(&full)).expect("generate");
    let again = generate(&uri(&full)).expect_err("a second generate must be refused");
    assert!(matches!(again, Error::Exists { .. }), "{again}");
    let same_label = generate(&uri(&format!(
        "pkcs11:token={LABEL};object=release;id=%09?module-path={m}&pin-value={PIN}"
    )))
    .expect_err("same label");
    assert!(
        same_label.to_string().contains("label \"release\""),
        "{same_label}"
    );
    let same_id = generate(&uri(&format!(
        "pkcs11:token={LABEL};object=other;id=%01?module-path={m}&pin-value={PIN}"
    )))
    .expect_err("same id");
    assert!(same_id.to_string().contains("id 01"), "{same_id}");
    let second = generate(&uri(&format!(
        "pkcs11:token={LABEL};object=second;id=%02?module-path={m}&pin-value={PIN}"
    )))
    .expect("generate a second key");
    assert_ne!(public, second);

    {
        // Sign with the key just made.
        let signer = Pkcs11Signer::open(&uri(&full)).expect("open");
        assert_eq!(signer.public_key(), public);
        assert!(!signer.describe().contains(PIN));
        assert!(signer.describe().contains("pin-value=redacted"));
        sign_and_verify(&signer, &public, b"hello from zoll");

        // A second signer, opened afresh, with module and PIN from ZOLL_PKCS11_MODULE and
        // ZOLL_PKCS11_PIN (set by the parent), by label only; and a third by ID only.
        let by_label = Pkcs11Signer::open(&uri(&format!("pkcs11:token={LABEL};object=release")))
            .expect("open from the environment");
        assert_eq!(by_label.public_key(), public);
        sign_and_verify(&by_label, &public, b"second signer");
        let by_id =
            Pkcs11Signer::open(&uri(&format!("pkcs11:token={LABEL};id=%02"))).expect("open by id");
        assert_eq!(by_id.public_key(), second);
        sign_and_verify(&by_id, &second, b"third signer");

        // Signers are Send + Sync: sign from several threads at once.
        std::thread::scope(|s| {
            for i in 0..4 {
                let signer = &signer;
                let public = &public;
                s.spawn(move || {
                    for j in 0..3 {
                        sign_and_verify(signer, public, format!("thread {i} round {j}").as_bytes());
                    }
                });
            }
        });
    }
    // Every signer is dropped: no session of this process is logged in any more.

    // A wrong PIN names the URI (without the PIN) and the return code.
    let wrong = open_err(&format!(
        "pkcs11:token={LABEL};object=release?module-path={m}&pin-value=0000"
    ));
    let text = wrong.to_string();
    assert_eq!(wrong.ckr(), Some("CKR_PIN_INCORRECT"), "{text}");
    assert_eq!(
        text,
        format!(
            "pkcs11:token={LABEL};object=release?module-path={m}&pin-value=redacted: login failed: CKR_PIN_INCORRECT"
        )
    );

    // Missing objects, tokens and types.
    let missing = open_err(&format!("pkcs11:token={LABEL};object=nope"));
    assert_eq!(
        missing.to_string(),
        format!("pkcs11:token={LABEL};object=nope: no private key with object=nope in the token")
    );
    let missing_id = open_err(&format!("pkcs11:token={LABEL};object=release;id=%02"));
    assert!(
        missing_id
            .to_string()
            .contains("no private key with object=release;id=%02"),
        "{missing_id}"
    );
    let no_token = open_err("pkcs11:token=other;object=release");
    assert!(
        no_token
            .to_string()
            .contains("no token matches (present: slot-id="),
        "{no_token}"
    );
    let no_name = open_err(&format!("pkcs11:token={LABEL}"));
    assert!(no_name.to_string().contains("names no key"), "{no_name}");
    let public_type = open_err(&format!("pkcs11:token={LABEL};object=release;type=public"));
    assert!(
        public_type
            .to_string()
            .contains("type=public names no private key"),
        "{public_type}"
    );

    let library = open_err(&format!(
        "pkcs11:library-manufacturer=nobody;token={LABEL};object=release"
    ));
    assert!(
        library
            .to_string()
            .contains("does not match the uri's library attributes"),
        "{library}"
    );
    let no_module = open_err(&format!(
        "pkcs11:token={LABEL};object=release?module-name=zoll-no-such-module"
    ));
    assert!(
        matches!(no_module, Error::ModuleNotFound { .. }),
        "{no_module}"
    );

    check_private_key_stays_inside(module, kind);
}

/// The private key is sensitive and not extractable: reading `CKA_VALUE` fails (SoftHSM2:
/// `CKR_ATTRIBUTE_SENSITIVE`; tpm2-pkcs11 has no value to give and answers
/// `CKR_ATTRIBUTE_TYPE_INVALID`), wrapping it out under a fresh AES key fails, and
/// `pkcs11-tool --read-object --type privkey` gives nothing.
fn check_private_key_stays_inside(module: &Path, kind: Kind) {
    let ctx = Pkcs11::new(module).expect("load the module");
    match ctx.initialize(CInitializeArgs::new(CInitializeFlags::OS_LOCKING_OK)) {
        Ok(()) | Err(CkError::Pkcs11(RvError::CryptokiAlreadyInitialized, _)) => {}
        Err(e) => panic!("C_Initialize: {e}"),
    }
    let slot = ctx
        .get_slots_with_initialized_token()
        .expect("slots")
        .into_iter()
        .find(|s| ctx.get_token_info(*s).is_ok_and(|t| t.label() == LABEL))
        .expect("the token");
    let session = ctx.open_ro_session(slot).expect("session");
    match session.login(UserType::User, Some(&AuthPin::from(PIN.to_owned()))) {
        Ok(()) | Err(CkError::Pkcs11(RvError::UserAlreadyLoggedIn, _)) => {}
        Err(e) => panic!("login: {e}"),
    }
    let keys = session
        .find_objects(&[
            Attribute::Class(ObjectClass::PRIVATE_KEY),
            Attribute::Label(b"release".to_vec()),
        ])
        .expect("find");
    assert_eq!(keys.len(), 1);
    let key = keys[0];

    let info = session
        .get_attribute_info(key, &[AttributeType::Value])
        .expect("C_GetAttributeValue(CKA_VALUE) may fail only per attribute");
    let refused = match kind {
        Kind::SoftHsm => matches!(info[0], AttributeInfo::Sensitive),
        Kind::Tpm => matches!(
            info[0],
            AttributeInfo::Sensitive | AttributeInfo::TypeInvalid
        ),
    };
    assert!(
        refused,
        "{kind:?}: CKA_VALUE of the private key must be refused, got {:?}",
        info[0]
    );
    let values = session
        .get_attributes(key, &[AttributeType::Value])
        .expect("get_attributes");
    assert!(values.is_empty(), "the private value was returned");

    let flags = session
        .get_attributes(
            key,
            &[
                AttributeType::Token,
                AttributeType::Private,
                AttributeType::Sensitive,
                AttributeType::Extractable,
                AttributeType::Sign,
                AttributeType::AlwaysSensitive,
                AttributeType::NeverExtractable,
            ],
        )
        .expect("flags");
    let mut seen = 0;
    for a in flags {
        match a {
            Attribute::Token(v) | Attribute::Private(v) | Attribute::Sensitive(v) => assert!(v),
            Attribute::Sign(v) | Attribute::AlwaysSensitive(v) | Attribute::NeverExtractable(v) => {
                assert!(v)
            }
            Attribute::Extractable(v) => assert!(!v),
            other => panic!("unexpected {other:?}"),
        }
        seen += 1;
    }
    assert_eq!(seen, 7, "every flag is readable");

    // Export by wrapping: make a session AES key and ask the token to wrap the private key.
    let wrapped = match kind {
        Kind::SoftHsm => {
            let aes = session
                .generate_key(
                    &Mechanism::AesKeyGen,
                    &[
                        Attribute::Token(false),
                        Attribute::ValueLen(32.into()),
                        Attribute::Wrap(true),
                    ],
                )
                .expect("a session AES key");
            session.wrap_key(&Mechanism::AesKeyWrapPad, aes, key)
        }
        // tpm2-pkcs11 offers no key wrapping at all; try with the key itself as the wrapping
        // key so the call reaches the module.
        Kind::Tpm => session.wrap_key(&Mechanism::AesKeyWrapPad, key, key),
    };
    match wrapped {
        Ok(bytes) => panic!(
            "{kind:?}: the private key was wrapped out ({} bytes)",
            bytes.len()
        ),
        Err(e) => {
            if kind == Kind::SoftHsm {
                assert!(
                    matches!(e, CkError::Pkcs11(RvError::KeyUnextractable, _)),
                    "wrapping must fail with CKR_KEY_UNEXTRACTABLE, got {e}"
                );
            }
            eprintln!("{kind:?}: C_WrapKey of the private key failed as it must: {e:?}");
        }
    }
    drop(session);

    let tool =
        zoll_testenv::tokens::tool("pkcs11-tool", "opensc", &[]).unwrap_or_else(|e| panic!("{e}"));
    let out = Command::new(tool)
        .arg("--module")
        .arg(module)
        .args(["--token-label", LABEL, "--login", "--pin", PIN])
        .args(["--read-object", "--type", "privkey", "--label", "release"])
        .output()
        .expect("run pkcs11-tool");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    // opensc 0.23 does not read private keys at all ("sorry, reading private keys not (yet)
    // supported", exit status 0); a newer one must fail on a sensitive key. Either way no
    // key material may come out.
    assert!(
        !out.status.success() || text.contains("reading private keys not (yet) supported"),
        "pkcs11-tool read the private key: {text}"
    );
    assert!(!text.contains("PRIVATE KEY"), "{text}");
    eprintln!("pkcs11-tool --read-object --type privkey (expected to fail): {text}");
}
