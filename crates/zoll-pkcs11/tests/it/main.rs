//! zoll-pkcs11 against real tokens: SoftHSM2 and a software TPM 2.0 through tpm2-pkcs11.
//!
//! Each test starts its token in a temporary directory (`tokens`), then runs the shared checks
//! (`checks`) in a child process of this binary that has the token's environment (modules read
//! `SOFTHSM2_CONF`, `TPM2_PKCS11_STORE`, ... in `C_Initialize`, and environment variables are
//! process-wide while tests run in threads). The token is stopped when the test ends.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod checks;

use zoll_testenv::tokens;

use std::ffi::OsString;
use std::path::PathBuf;

use zoll_testenv::tokens::{PIN, SoftHsm, Tpm};

/// In the child: run the checks with the module from `ZOLL_PKCS11_MODULE`.
fn child_checks(kind: checks::Kind) {
    let module = std::env::var_os("ZOLL_PKCS11_MODULE").expect("the parent sets the module");
    checks::run(&PathBuf::from(module), kind);
}

/// The environment the child gets: the token's, plus the zoll fallbacks.
fn child_env(token: Vec<(String, OsString)>, module: &std::path::Path) -> Vec<(String, OsString)> {
    let mut env = token;
    env.push(("ZOLL_PKCS11_MODULE".to_owned(), module.into()));
    env.push(("ZOLL_PKCS11_PIN".to_owned(), PIN.into()));
    env
}

#[test]
fn softhsm2() {
    if tokens::is_child("softhsm2") {
        return child_checks(checks::Kind::SoftHsm);
    }
    let hsm = SoftHsm::start().unwrap_or_else(|e| panic!("starting SoftHSM2: {e}"));
    tokens::run_in_child("softhsm2", &child_env(hsm.env(), &hsm.module))
        .unwrap_or_else(|e| panic!("{e}"));
}

#[test]
fn tpm2() {
    if tokens::is_child("tpm2") {
        return child_checks(checks::Kind::Tpm);
    }
    let tpm = Tpm::start().unwrap_or_else(|e| panic!("starting the TPM: {e}"));
    tokens::run_in_child("tpm2", &child_env(tpm.env(), &tpm.module))
        .unwrap_or_else(|e| panic!("{e}"));
}
