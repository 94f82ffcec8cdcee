//! Loading a module (once per process), picking the one token a URI names, opening a session
//! and logging in, and finding objects by label and ID.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, OnceLock, PoisonError};

use cryptoki::context::{CInitializeArgs, CInitializeFlags, Pkcs11};
use cryptoki::error::{Error as CkError, RvError};
use cryptoki::object::{Attribute, ObjectClass, ObjectHandle};
use cryptoki::session::{Session, UserType};
use cryptoki::slot::{Slot, TokenInfo};
use cryptoki::types::AuthPin;

use crate::error::{Error, code};
use crate::uri::Pkcs11Uri;

/// Modules loaded and initialised so far, by canonical path. A PKCS#11 library is initialised
/// once per process and never finalised: `C_Finalize` would pull the rug from under every other
/// open session of the same library, and two `C_Initialize` calls are an error.
static MODULES: OnceLock<Mutex<HashMap<PathBuf, Pkcs11>>> = OnceLock::new();

fn load_module(uri: &str, path: &Path) -> Result<Pkcs11, Error> {
    let key = std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf());
    let mut map = MODULES
        .get_or_init(Default::default)
        .lock()
        .unwrap_or_else(PoisonError::into_inner);
    if let Some(ctx) = map.get(&key) {
        return Ok(ctx.clone());
    }
    if !key.is_file() {
        return Err(Error::Module {
            uri: uri.to_owned(),
            module: path.to_path_buf(),
            reason: "no such file".to_owned(),
        });
    }
    let ctx = Pkcs11::new(&key).map_err(|e| Error::Module {
        uri: uri.to_owned(),
        module: path.to_path_buf(),
        reason: match e {
            CkError::LibraryLoading(inner) => inner.to_string(),
            other => code(&other),
        },
    })?;
    match ctx.initialize(CInitializeArgs::new(CInitializeFlags::OS_LOCKING_OK)) {
        // Someone else in this process (another crate, a test) initialised it: fine.
        Ok(()) | Err(CkError::Pkcs11(RvError::CryptokiAlreadyInitialized, _)) => {}
        Err(e) => {
            return Err(Error::Pkcs11 {
                uri: uri.to_owned(),
                what: "cannot initialise the module",
                code: code(&e),
            });
        }
    }
    map.insert(key, ctx.clone());
    Ok(ctx)
}

/// A logged-in session on the token a URI names.
pub(crate) struct Opened {
    pub(crate) session: Session,
    /// The URI as shown in messages (no PIN).
    pub(crate) shown: String,
    /// Whether this session logged in (without a login, private objects are usually hidden).
    pub(crate) logged_in: bool,
}

impl Opened {
    pub(crate) fn pkcs11_err(&self, what: &'static str) -> impl FnOnce(CkError) -> Error + '_ {
        move |e| Error::Pkcs11 {
            uri: self.shown.clone(),
            what,
            code: code(&e),
        }
    }

    pub(crate) fn key_err(&self, reason: impl Into<String>) -> Error {
        Error::Key {
            uri: self.shown.clone(),
            reason: reason.into(),
        }
    }

    /// Objects of `class` (or any class) whose label and ID match the URI's `object` and `id`.
    pub(crate) fn find(
        &self,
        uri: &Pkcs11Uri,
        class: Option<ObjectClass>,
    ) -> Result<Vec<ObjectHandle>, Error> {
        let mut template = Vec::new();
        if let Some(class) = class {
            template.push(Attribute::Class(class));
        }
        if let Some(label) = uri.object() {
            template.push(Attribute::Label(label.as_bytes().to_vec()));
        }
        if let Some(id) = uri.id() {
            template.push(Attribute::Id(id.to_vec()));
        }
        self.session
            .find_objects(&template)
            .map_err(self.pkcs11_err("cannot search for objects"))
    }
}

fn matches(want: Option<&str>, have: &str) -> bool {
    want.is_none_or(|w| w == have.trim_end())
}

fn describe_token(slot: Slot, info: &TokenInfo) -> String {
    format!(
        "slot-id={} token={:?} serial={:?} manufacturer={:?} model={:?}",
        slot.id(),
        info.label().trim_end(),
        info.serial_number().trim_end(),
        info.manufacturer_id().trim_end(),
        info.model().trim_end()
    )
}

/// Open the module, pick the token, open a session (read-write when `rw`) and log in as user.
pub(crate) fn open(uri: &Pkcs11Uri, rw: bool) -> Result<Opened, Error> {
    let shown = uri.to_string();
    let module = match uri.resolve_module() {
        Some(m) => m,
        None => {
            return Err(match uri.module_name() {
                Some(name) => Error::ModuleNotFound {
                    uri: shown,
                    name: name.to_owned(),
                    looked: uri
                        .module_candidates()
                        .iter()
                        .map(|p| p.display().to_string())
                        .collect::<Vec<_>>()
                        .join(", "),
                },
                None => Error::NoModule { uri: shown },
            });
        }
    };
    let ctx = load_module(&shown, &module)?;
    let p11 = |what: &'static str| {
        let shown = shown.clone();
        move |e: CkError| Error::Pkcs11 {
            uri: shown,
            what,
            code: code(&e),
        }
    };
    let token_err = |reason: String| Error::Token {
        uri: shown.clone(),
        reason,
    };

    if uri.library_manufacturer().is_some()
        || uri.library_description().is_some()
        || uri.library_version().is_some()
    {
        let info = ctx
            .get_library_info()
            .map_err(p11("cannot read the library info"))?;
        let version = info.library_version();
        let ok = matches(uri.library_manufacturer(), info.manufacturer_id())
            && matches(uri.library_description(), info.library_description())
            && uri
                .library_version()
                .is_none_or(|v| v == (version.major(), version.minor()));
        if !ok {
            return Err(token_err(format!(
                "the module {} does not match the uri's library attributes (it is manufacturer={:?} description={:?} version={}.{})",
                module.display(),
                info.manufacturer_id().trim_end(),
                info.library_description().trim_end(),
                version.major(),
                version.minor()
            )));
        }
    }

    let slots = ctx
        .get_slots_with_initialized_token()
        .map_err(p11("cannot list the slots"))?;
    let mut present = Vec::new();
    let mut chosen = Vec::new();
    for slot in slots {
        let info = ctx
            .get_token_info(slot)
            .map_err(p11("cannot read the token info"))?;
        present.push(describe_token(slot, &info));
        let mut ok = matches(uri.token(), info.label())
            && matches(uri.serial(), info.serial_number())
            && matches(uri.manufacturer(), info.manufacturer_id())
            && matches(uri.model(), info.model())
            && uri.slot_id().is_none_or(|id| id == slot.id());
        if ok && (uri.slot_description().is_some() || uri.slot_manufacturer().is_some()) {
            let sinfo = ctx
                .get_slot_info(slot)
                .map_err(p11("cannot read the slot info"))?;
            ok = matches(uri.slot_description(), sinfo.slot_description())
                && matches(uri.slot_manufacturer(), sinfo.manufacturer_id());
        }
        if ok {
            chosen.push((slot, info));
        }
    }
    let (slot, info) = match chosen.len() {
        1 => chosen.remove(0),
        0 if present.is_empty() => {
            return Err(token_err(format!(
                "no initialised token in module {}",
                module.display()
            )));
        }
        0 => {
            return Err(token_err(format!(
                "no token matches (present: {})",
                present.join("; ")
            )));
        }
        n => {
            let list: Vec<String> = chosen.iter().map(|(s, i)| describe_token(*s, i)).collect();
            return Err(token_err(format!(
                "{n} tokens match ({}); add token=, serial= or slot-id= to pick one",
                list.join("; ")
            )));
        }
    };

    let session = if rw {
        ctx.open_rw_session(slot)
    } else {
        ctx.open_ro_session(slot)
    }
    .map_err(p11("cannot open a session"))?;

    let pin = uri
        .resolve_pin()
        .map_err(|(path, source)| Error::PinSource {
            uri: shown.clone(),
            path,
            source,
        })?;
    let logged_in = pin.is_some();
    match pin {
        Some(pin) => {
            let pin = AuthPin::from(pin.0);
            match session.login(UserType::User, Some(&pin)) {
                // Login state is per application and token: another session of this process
                // (an earlier signer on the same token) already logged in.
                Ok(()) | Err(CkError::Pkcs11(RvError::UserAlreadyLoggedIn, _)) => {}
                Err(e) => return Err(p11("login failed")(e)),
            }
        }
        None if info.login_required() => return Err(Error::NoPin { uri: shown }),
        None => {}
    }
    Ok(Opened {
        session,
        shown,
        logged_in,
    })
}
