//! Everything zoll parses from a signature store or a key file before trusting it: cosign
//! payloads, DSSE envelopes, in-toto statements, Sigstore bundles, encrypted key envelopes and
//! PEM keys, PKCS#11 URIs, OpenPGP keyrings and signed messages, simple-signing payloads, the
//! trust file and OCI manifests of signature tags.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&selector, rest)) = data.split_first() else {
        return;
    };
    match selector % 10 {
        0 => drop(zoll_sign::simple::SimpleSigning::parse("fuzz", rest)),
        1 => drop(zoll_sign::dsse::Envelope::parse("fuzz", rest)),
        2 => drop(zoll_sign::intoto::Statement::parse("fuzz", rest)),
        3 => drop(zoll_sign::bundle::Bundle::parse("fuzz", rest)),
        4 => drop(zoll_sign::keys::decrypt("fuzz", rest, b"")),
        5 => {
            if let Ok(text) = std::str::from_utf8(rest) {
                drop(zoll_sign::PublicKey::from_pem("fuzz", text));
                drop(zoll_sign::FileSigner::from_pem("fuzz", text, b""));
                drop(text.parse::<zoll_pkcs11::Pkcs11Uri>());
                drop(zoll_seal::trust::TrustStore::parse("fuzz", text, std::path::Path::new("/")));
            }
        }
        6 => drop(zoll_gpg::PublicKeyring::from_bytes("fuzz", rest)),
        7 => drop(zoll_gpg::verify(rest, &zoll_gpg::PublicKeyring::new())),
        8 => drop(zoll_gpg::SimpleSigning::from_json(rest)),
        _ => drop(serde_json::from_slice::<zoll_distribution::types::ImageManifest>(rest)),
    }
});
