#!/usr/bin/env python3
"""An independent implementation of the cosign / Sigstore formats zoll-sign writes and reads.

Written from the format descriptions, not from zoll's Rust code, so that the integration test
(crates/zoll-sign/tests/it) checks zoll against a second reading of the specifications:

- encrypted private key: PEM "ENCRYPTED SIGSTORE PRIVATE KEY" whose body is the JSON of
  go-securesystemslib's `encrypted` package: scrypt (N=65536, r=8, p=1, 32-byte salt) derives a
  32-byte key, NaCl secretbox (XSalsa20-Poly1305, 24-byte nonce) seals the PKCS#8 DER;
  base64 is standard with padding;
- simple signing payload (containers/image containers-signature.5, cosign flavour);
- DSSE v1 envelope and its pre-authentication encoding; in-toto Statement v0.1;
- Sigstore bundle v0.3 (protobuf-specs JSON) with a public key and no transparency log.

Crypto comes from `cryptography` (ECDSA P-256, SHA-256) and `pynacl` (secretbox); scrypt from
hashlib. Every command exits 0 on success, 1 when a verification fails (with the reason on
stderr), 2 on usage errors and 3 on any other error (with a traceback).
"""

import argparse
import base64
import hashlib
import json
import os
import sys
import traceback

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, utils
import nacl.exceptions
import nacl.secret

ENCRYPTED_LABELS = ("ENCRYPTED SIGSTORE PRIVATE KEY", "ENCRYPTED COSIGN PRIVATE KEY")
IN_TOTO = "application/vnd.in-toto+json"
STATEMENT_TYPES = ("https://in-toto.io/Statement/v0.1", "https://in-toto.io/Statement/v1")
BUNDLE_MEDIA_TYPE = "application/vnd.dev.sigstore.bundle.v0.3+json"
COSIGN_TYPE = "cosign container image signature"


class Failed(Exception):
    """A verification failed."""


# ---------------------------------------------------------------- PEM and base64

def pem_encode(label, der):
    body = base64.b64encode(der).decode()
    lines = [body[i:i + 64] for i in range(0, len(body), 64)]
    return "-----BEGIN %s-----\n%s\n-----END %s-----\n" % (label, "\n".join(lines), label)


def pem_decode(text):
    lines = [l.strip() for l in text.strip().splitlines()]
    if not lines or not lines[0].startswith("-----BEGIN ") or not lines[-1].startswith("-----END "):
        raise Failed("not a PEM block")
    label = lines[0][len("-----BEGIN "):-len("-----")]
    return label, base64.b64decode("".join(lines[1:-1]), validate=True)


def b64d(text):
    """Standard or URL-safe base64, padding optional (DSSE allows both alphabets)."""
    text = text.strip()
    padded = text + "=" * (-len(text) % 4)
    if "-" in text or "_" in text:
        return base64.urlsafe_b64decode(padded)
    return base64.b64decode(padded, validate=True)


def b64e(data):
    return base64.b64encode(data).decode()


# ---------------------------------------------------------------- encrypted keys

def scrypt_key(password, salt, n, r, p):
    return hashlib.scrypt(password, salt=salt, n=n, r=r, p=p, maxmem=256 * 1024 * 1024, dklen=32)


def encrypt_private_key(private_key, password):
    der = private_key.private_bytes(
        serialization.Encoding.DER, serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption())
    salt = os.urandom(32)
    nonce = os.urandom(24)
    box = nacl.secret.SecretBox(scrypt_key(password, salt, 65536, 8, 1))
    sealed = box.encrypt(der, nonce).ciphertext  # 16-byte Poly1305 tag, then the ciphertext
    document = {
        "kdf": {"name": "scrypt", "params": {"N": 65536, "r": 8, "p": 1}, "salt": b64e(salt)},
        "cipher": {"name": "nacl/secretbox", "nonce": b64e(nonce)},
        "ciphertext": b64e(sealed),
    }
    return pem_encode("ENCRYPTED SIGSTORE PRIVATE KEY", json.dumps(document).encode())


def load_private_key(path, password):
    with open(path) as f:
        label, body = pem_decode(f.read())
    if label in ENCRYPTED_LABELS:
        doc = json.loads(body)
        if doc["kdf"]["name"] != "scrypt" or doc["cipher"]["name"] != "nacl/secretbox":
            raise Failed("unsupported kdf or cipher")
        params = doc["kdf"]["params"]
        key = scrypt_key(password, base64.b64decode(doc["kdf"]["salt"]),
                         params["N"], params["r"], params["p"])
        try:
            der = nacl.secret.SecretBox(key).decrypt(
                base64.b64decode(doc["ciphertext"]), base64.b64decode(doc["cipher"]["nonce"]))
        except nacl.exceptions.CryptoError:
            raise Failed("wrong password")
    elif label == "PRIVATE KEY":
        der = body
    else:
        raise Failed("unsupported PEM type %r" % label)
    key = serialization.load_der_private_key(der, password=None)
    if not isinstance(key, ec.EllipticCurvePrivateKey) or key.curve.name != "secp256r1":
        raise Failed("not a P-256 key")
    return key


def public_pem(key):
    return key.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo).decode()


def load_public_key(path):
    with open(path, "rb") as f:
        key = serialization.load_pem_public_key(f.read())
    if not isinstance(key, ec.EllipticCurvePublicKey) or key.curve.name != "secp256r1":
        raise Failed("not a P-256 public key")
    return key


def verify_ecdsa(public_key, signature, message):
    try:
        public_key.verify(signature, message, ec.ECDSA(hashes.SHA256()))
    except InvalidSignature:
        raise Failed("signature does not verify")


# ---------------------------------------------------------------- payloads

def simple_signing(reference, digest, annotations):
    payload = {
        "critical": {
            "identity": {"docker-reference": reference},
            "image": {"docker-manifest-digest": digest},
            "type": COSIGN_TYPE,
        },
        "optional": annotations or None,
    }
    return json.dumps(payload, separators=(",", ":"), sort_keys=True).encode()


def check_simple_signing(payload, digest, reference):
    doc = json.loads(payload)
    if set(doc) != {"critical", "optional"}:
        raise Failed("payload top-level fields %r" % sorted(doc))
    critical = doc["critical"]
    if critical["type"] != COSIGN_TYPE:
        raise Failed("payload type %r" % critical["type"])
    if digest and critical["image"]["docker-manifest-digest"] != digest:
        raise Failed("payload digest %r" % critical["image"]["docker-manifest-digest"])
    if reference and critical["identity"]["docker-reference"] != reference:
        raise Failed("payload reference %r" % critical["identity"]["docker-reference"])
    return doc


def pae(payload_type, payload):
    t = payload_type.encode()
    return b"DSSEv1 %d %s %d %s" % (len(t), t, len(payload), payload)


def statement(subject, digest, predicate_type, predicate):
    algorithm, hexdigest = digest.split(":", 1)
    return json.dumps({
        "_type": "https://in-toto.io/Statement/v0.1",
        "predicateType": predicate_type,
        "subject": [{"name": subject, "digest": {algorithm: hexdigest}}],
        "predicate": predicate,
    }).encode()


def check_statement(payload, digest, predicate_type):
    doc = json.loads(payload)
    if doc["_type"] not in STATEMENT_TYPES:
        raise Failed("statement type %r" % doc["_type"])
    algorithm, hexdigest = digest.split(":", 1)
    if not any(s.get("digest", {}).get(algorithm) == hexdigest for s in doc["subject"]):
        raise Failed("no subject with digest %s" % digest)
    if predicate_type and doc["predicateType"] != predicate_type:
        raise Failed("predicate type %r" % doc["predicateType"])


def verify_envelope(public_key, envelope):
    if envelope["payloadType"] != IN_TOTO:
        raise Failed("payload type %r" % envelope["payloadType"])
    payload = b64d(envelope["payload"])
    message = pae(envelope["payloadType"], payload)
    for signature in envelope["signatures"]:
        try:
            verify_ecdsa(public_key, b64d(signature["sig"]), message)
            return payload
        except Failed:
            continue
    raise Failed("no DSSE signature verifies")


def key_hint(public_key):
    der = public_key.public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    return b64e(hashlib.sha256(der).digest())


# ---------------------------------------------------------------- commands

def password_of(args):
    return args.password.encode()


def cmd_generate_key(args):
    key = ec.generate_private_key(ec.SECP256R1())
    with open(args.private, "w") as f:
        f.write(encrypt_private_key(key, password_of(args)))
    with open(args.public, "w") as f:
        f.write(public_pem(key.public_key()))


def cmd_decrypt_key(args):
    key = load_private_key(args.key, password_of(args))
    sys.stdout.write(public_pem(key.public_key()))


def cmd_sign_payload(args):
    key = load_private_key(args.key, password_of(args))
    annotations = dict(a.split("=", 1) for a in args.annotation)
    payload = simple_signing(args.reference, args.digest, annotations)
    signature = key.sign(payload, ec.ECDSA(hashes.SHA256()))
    with open(args.payload_out, "wb") as f:
        f.write(payload)
    with open(args.signature_out, "w") as f:
        f.write(b64e(signature))


def cmd_verify_signature(args):
    with open(args.payload, "rb") as f:
        payload = f.read()
    with open(args.signature) as f:
        signature = base64.b64decode(f.read().strip())
    verify_ecdsa(load_public_key(args.public), signature, payload)
    doc = check_simple_signing(payload, args.digest, args.reference)
    for a in args.annotation:
        k, v = a.split("=", 1)
        if (doc["optional"] or {}).get(k) != v:
            raise Failed("annotation %s=%s missing" % (k, v))


def cmd_sign_attestation(args):
    key = load_private_key(args.key, password_of(args))
    payload = statement(args.subject, args.digest, args.predicate_type,
                        json.loads(args.predicate))
    signature = key.sign(pae(IN_TOTO, payload), ec.ECDSA(hashes.SHA256()))
    envelope = {"payloadType": IN_TOTO, "payload": b64e(payload),
                "signatures": [{"keyid": "", "sig": b64e(signature)}]}
    with open(args.out, "w") as f:
        json.dump(envelope, f)
    if args.bundle_out:
        bundle = {"mediaType": BUNDLE_MEDIA_TYPE,
                  "verificationMaterial": {"publicKey": {"hint": key_hint(key.public_key())},
                                           "tlogEntries": []},
                  "dsseEnvelope": envelope}
        with open(args.bundle_out, "w") as f:
            json.dump(bundle, f)


def cmd_verify_attestation(args):
    with open(args.envelope) as f:
        envelope = json.load(f)
    payload = verify_envelope(load_public_key(args.public), envelope)
    check_statement(payload, args.digest, args.predicate_type)


def cmd_sign_bundle(args):
    key = load_private_key(args.key, password_of(args))
    with open(args.artifact, "rb") as f:
        digest = hashlib.sha256(f.read()).digest()
    signature = key.sign(digest, ec.ECDSA(utils.Prehashed(hashes.SHA256())))
    bundle = {"mediaType": BUNDLE_MEDIA_TYPE,
              "verificationMaterial": {"publicKey": {"hint": key_hint(key.public_key())},
                                       "tlogEntries": []},
              "messageSignature": {"messageDigest": {"algorithm": "SHA2_256",
                                                     "digest": b64e(digest)},
                                   "signature": b64e(signature)}}
    with open(args.out, "w") as f:
        json.dump(bundle, f)


def cmd_verify_bundle(args):
    with open(args.bundle) as f:
        bundle = json.load(f)
    if bundle["mediaType"] != BUNDLE_MEDIA_TYPE:
        raise Failed("media type %r" % bundle["mediaType"])
    material = bundle["verificationMaterial"]
    if "publicKey" not in material:
        raise Failed("bundle has no publicKey verification material")
    public_key = load_public_key(args.public)
    if material["publicKey"].get("hint") not in ("", None, key_hint(public_key)):
        raise Failed("bundle hint names another key")
    if "messageSignature" in bundle:
        ms = bundle["messageSignature"]
        if ms["messageDigest"]["algorithm"] != "SHA2_256":
            raise Failed("digest algorithm %r" % ms["messageDigest"]["algorithm"])
        digest = base64.b64decode(ms["messageDigest"]["digest"])
        if args.artifact:
            with open(args.artifact, "rb") as f:
                if hashlib.sha256(f.read()).digest() != digest:
                    raise Failed("artifact digest differs from the bundle's")
        try:
            public_key.verify(base64.b64decode(ms["signature"]), digest,
                              ec.ECDSA(utils.Prehashed(hashes.SHA256())))
        except InvalidSignature:
            raise Failed("bundle signature does not verify")
    elif "dsseEnvelope" in bundle:
        payload = verify_envelope(public_key, bundle["dsseEnvelope"])
        if args.digest:
            check_statement(payload, args.digest, args.predicate_type)
    else:
        raise Failed("bundle has no content")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)

    def command(name, fn):
        p = sub.add_parser(name)
        p.set_defaults(fn=fn)
        return p

    p = command("generate-key", cmd_generate_key)
    p.add_argument("--password", default="")
    p.add_argument("--private", required=True)
    p.add_argument("--public", required=True)

    p = command("decrypt-key", cmd_decrypt_key)
    p.add_argument("--key", required=True)
    p.add_argument("--password", default="")

    p = command("sign-payload", cmd_sign_payload)
    p.add_argument("--key", required=True)
    p.add_argument("--password", default="")
    p.add_argument("--reference", required=True)
    p.add_argument("--digest", required=True)
    p.add_argument("--annotation", action="append", default=[])
    p.add_argument("--payload-out", required=True)
    p.add_argument("--signature-out", required=True)

    p = command("verify-signature", cmd_verify_signature)
    p.add_argument("--public", required=True)
    p.add_argument("--payload", required=True)
    p.add_argument("--signature", required=True)
    p.add_argument("--digest")
    p.add_argument("--reference")
    p.add_argument("--annotation", action="append", default=[])

    p = command("sign-attestation", cmd_sign_attestation)
    p.add_argument("--key", required=True)
    p.add_argument("--password", default="")
    p.add_argument("--subject", required=True)
    p.add_argument("--digest", required=True)
    p.add_argument("--predicate-type", required=True)
    p.add_argument("--predicate", default="{}")
    p.add_argument("--out", required=True)
    p.add_argument("--bundle-out")

    p = command("verify-attestation", cmd_verify_attestation)
    p.add_argument("--public", required=True)
    p.add_argument("--envelope", required=True)
    p.add_argument("--digest", required=True)
    p.add_argument("--predicate-type")

    p = command("sign-bundle", cmd_sign_bundle)
    p.add_argument("--key", required=True)
    p.add_argument("--password", default="")
    p.add_argument("--artifact", required=True)
    p.add_argument("--out", required=True)

    p = command("verify-bundle", cmd_verify_bundle)
    p.add_argument("--public", required=True)
    p.add_argument("--bundle", required=True)
    p.add_argument("--artifact")
    p.add_argument("--digest")
    p.add_argument("--predicate-type")

    args = parser.parse_args()
    try:
        args.fn(args)
    except Failed as e:
        print("verification failed: %s" % e, file=sys.stderr)
        sys.exit(1)
    except Exception:  # a bug or a malformed input, distinct from a clean "failed"
        traceback.print_exc()
        sys.exit(3)


if __name__ == "__main__":
    main()
