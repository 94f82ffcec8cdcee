//! Password hashing (Argon2id) and random secrets.
//!
//! Hashes are PHC strings (`$argon2id$v=19$m=19456,t=2,p=1$<salt>$<hash>`) with the OWASP
//! minimum parameters for Argon2id: 19 MiB of memory, two passes, one lane. Verification reads the
//! parameters from the stored string, so raising them later only needs [`needs_rehash`] and a
//! re-hash on the next successful login.
//!
//! Randomness comes from the operating system (`getrandom`). [`generate_secret`] cannot return an
//! error by design; if the OS generator ever fails (it does not on Linux after boot) the
//! underlying `rand_core::UnwrapErr` panics rather than hand out a predictable secret.

use argon2::password_hash::phc::PasswordHash;
use argon2::password_hash::{PasswordHasher, PasswordVerifier};
use argon2::{Algorithm, Argon2, Params, Version};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use getrandom::SysRng;
use getrandom::rand_core::{Rng as _, UnwrapErr};
use subtle::ConstantTimeEq as _;

use crate::Error;

/// Argon2 memory cost in KiB (OWASP: 19 MiB).
pub const ARGON2_MEMORY_KIB: u32 = 19_456;
/// Argon2 passes.
pub const ARGON2_ITERATIONS: u32 = 2;
/// Argon2 lanes.
pub const ARGON2_PARALLELISM: u32 = 1;

/// Bytes of randomness in a [`generate_secret`] secret (256 bits).
pub const SECRET_BYTES: usize = 32;

/// Fixed salt for [`dummy_verify`]; its value does not matter, only that hashing costs the same.
const DUMMY_SALT: &[u8; 16] = b"zoll-dummy-salt!";

/// The hasher with zoll's parameters.
fn argon2() -> Result<Argon2<'static>, Error> {
    let params = Params::new(
        ARGON2_MEMORY_KIB,
        ARGON2_ITERATIONS,
        ARGON2_PARALLELISM,
        None,
    )
    .map_err(|e| Error::PasswordHash {
        reason: e.to_string(),
    })?;
    Ok(Argon2::new(Algorithm::Argon2id, Version::V0x13, params))
}

/// Hash `password` with Argon2id, a fresh random 16-byte salt and zoll's parameters; returns the
/// PHC string to store.
pub fn hash_password(password: &str) -> Result<String, Error> {
    let hash = argon2()?
        .hash_password(password.as_bytes())
        .map_err(|e| Error::PasswordHash {
            reason: e.to_string(),
        })?;
    Ok(hash.to_string())
}

/// Whether `password` matches the stored PHC string `phc`.
///
/// Any error (unparsable string, another algorithm, absurd parameters) is `false`. The final
/// comparison of the hash outputs is constant time (`password-hash` compares with `subtle`).
pub fn verify_password(password: &str, phc: &str) -> bool {
    let Ok(parsed) = PasswordHash::new(phc) else {
        return false;
    };
    if !parsed.algorithm.as_str().starts_with("argon2") {
        return false;
    }
    // The parameters come from `parsed`, not from this instance.
    Argon2::default()
        .verify_password(password.as_bytes(), &parsed)
        .is_ok()
}

/// Spend the time of one [`verify_password`] against a hash with the current parameters, and
/// throw the result away. Call it when the user name is unknown, so that "no such user" and
/// "wrong password" take the same time.
pub fn dummy_verify(password: &str) {
    let mut out = [0u8; 32];
    if let Ok(hasher) = argon2() {
        let _ = hasher.hash_password_into(password.as_bytes(), DUMMY_SALT, &mut out);
    }
    std::hint::black_box(&out);
}

/// Whether a stored hash should be replaced: not Argon2id v19, or other parameters than today's.
/// An unparsable string, or one without a salt or hash output, also answers `true`.
pub fn needs_rehash(phc: &str) -> bool {
    let Ok(parsed) = PasswordHash::new(phc) else {
        return true;
    };
    let Ok(params) = Params::try_from(&parsed) else {
        return true;
    };
    parsed.salt.is_none()
        || parsed.hash.is_none()
        || parsed.algorithm.as_str() != "argon2id"
        || parsed.version != Some(0x13)
        || params.m_cost() != ARGON2_MEMORY_KIB
        || params.t_cost() != ARGON2_ITERATIONS
        || params.p_cost() != ARGON2_PARALLELISM
}

/// A new random secret: `prefix` followed by 32 random bytes in unpadded base64url (43 chars).
///
/// `generate_secret("zr_")` gives e.g. `zr_Xq3…` (46 chars). Used for robot secrets and the setup
/// token; the prefix makes leaked secrets recognisable to secret scanners.
pub fn generate_secret(prefix: &str) -> String {
    let bytes = random_bytes::<SECRET_BYTES>();
    let mut secret = String::with_capacity(prefix.len() + 43);
    secret.push_str(prefix);
    URL_SAFE_NO_PAD.encode_string(bytes, &mut secret);
    secret
}

/// `N` bytes from the operating system's generator (see the module docs on failure).
pub(crate) fn random_bytes<const N: usize>() -> [u8; N] {
    let mut bytes = [0u8; N];
    UnwrapErr(SysRng).fill_bytes(&mut bytes);
    bytes
}

/// Compare two secrets (e.g. a presented setup token with the stored one) in time that depends
/// only on their lengths, never on where they first differ.
pub fn constant_time_eq(a: &str, b: &str) -> bool {
    a.as_bytes().ct_eq(b.as_bytes()).into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hash_then_verify_round_trips() {
        let phc = hash_password("correct horse battery staple").unwrap();
        assert!(phc.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{phc}");
        assert!(verify_password("correct horse battery staple", &phc));
        assert!(!needs_rehash(&phc));
    }

    #[test]
    fn wrong_password_is_rejected() {
        let phc = hash_password("hunter2").unwrap();
        assert!(!verify_password("hunter3", &phc));
        assert!(!verify_password("", &phc));
        assert!(!verify_password("Hunter2", &phc));
    }

    #[test]
    fn salts_differ_between_hashes_of_the_same_password() {
        let a = hash_password("same").unwrap();
        let b = hash_password("same").unwrap();
        assert_ne!(a, b);
        assert!(verify_password("same", &a) && verify_password("same", &b));
    }

    #[test]
    fn empty_and_unicode_passwords_work() {
        let phc = hash_password("").unwrap();
        assert!(verify_password("", &phc));
        let phc = hash_password("pässwörd 🔑").unwrap();
        assert!(verify_password("pässwörd 🔑", &phc));
        assert!(!verify_password("passwörd 🔑", &phc));
    }

    #[test]
    fn garbage_hashes_verify_false() {
        for phc in [
            "",
            "not a hash",
            "$argon2id$",
            "$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHQ",
            "$2b$12$R9h/cIPz0gi.URNNX3kh2OPST9/PgBkqquzi.Ss7KIUgO2t0jWMUW",
            "$argon2id$v=19$m=19456,t=2,p=1$!!!!$!!!!",
        ] {
            assert!(!verify_password("x", phc), "{phc:?}");
            assert!(needs_rehash(phc), "{phc:?}");
        }
    }

    #[test]
    fn older_parameters_need_a_rehash_but_still_verify() {
        let weak = Argon2::new(
            Algorithm::Argon2id,
            Version::V0x13,
            Params::new(4096, 1, 1, None).unwrap(),
        )
        .hash_password_with_salt(b"pw", b"0123456789abcdef")
        .unwrap()
        .to_string();
        assert!(verify_password("pw", &weak));
        assert!(needs_rehash(&weak));
        let argon2i = Argon2::new(Algorithm::Argon2i, Version::V0x13, Params::default())
            .hash_password_with_salt(b"pw", b"0123456789abcdef")
            .unwrap()
            .to_string();
        assert!(verify_password("pw", &argon2i));
        assert!(needs_rehash(&argon2i));
    }

    #[test]
    fn dummy_verify_costs_about_as_much_as_a_verify() {
        let phc = hash_password("pw").unwrap();
        // The fastest of a few runs each, so that a busy shared core does not decide the outcome.
        let fastest = |f: &dyn Fn()| {
            (0..3)
                .map(|_| {
                    let start = std::time::Instant::now();
                    f();
                    start.elapsed()
                })
                .min()
                .unwrap()
        };
        let dummy = fastest(&|| dummy_verify("pw"));
        let real = fastest(&|| assert!(verify_password("pw", &phc)));
        // Generous bounds: the point is "same work", which a missing hash (microseconds instead
        // of tens of milliseconds) would break by orders of magnitude.
        assert!(
            dummy * 4 > real && real * 4 > dummy,
            "dummy {dummy:?} vs real {real:?}"
        );
    }

    #[test]
    fn secrets_have_the_prefix_and_43_base64url_chars() {
        let secret = generate_secret("zr_");
        let body = secret.strip_prefix("zr_").unwrap();
        assert_eq!(body.len(), 43);
        assert!(
            body.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        );
        assert_eq!(URL_SAFE_NO_PAD.decode(body).unwrap().len(), SECRET_BYTES);
        assert_eq!(generate_secret("").len(), 43);
    }

    #[test]
    fn secrets_are_unique() {
        let secrets: std::collections::HashSet<String> =
            (0..1000).map(|_| generate_secret("zs_")).collect();
        assert_eq!(secrets.len(), 1000);
    }

    #[test]
    fn constant_time_eq_compares_exactly() {
        assert!(constant_time_eq("zs_abc", "zs_abc"));
        assert!(!constant_time_eq("zs_abc", "zs_abd"));
        assert!(!constant_time_eq("zs_abc", "zs_ab"));
        assert!(constant_time_eq("", ""));
    }
}
