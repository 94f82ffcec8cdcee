//! Authentication and authorisation for zoll's registry, as pure functions: no IO, no database,
//! no HTTP. The server (`zoll-registry`) looks things up and calls in here to decide.
//!
//! - [`passwords`]: Argon2id password hashes (PHC strings, OWASP parameters), a dummy verify for
//!   unknown users so that timing does not reveal which names exist, random secrets for robots
//!   and the setup token.
//! - [`scope`]: the Docker token `scope` grammar (`repository:org/app:pull,push`).
//! - [`token`]: short-lived ES256 JWTs of the Docker/OCI token flow, issued by the token endpoint
//!   and verified on every registry request.
//! - [`rbac`]: the role model and the one decision function [`allowed`]; [`grant`] turns a token
//!   request into the `access` claim.
//!
//! The flow of a `docker push`: the client is challenged, sends Basic credentials and the
//! requested scopes to the token endpoint; the server resolves a [`Principal`] (verifying the
//! password with [`verify_password`], or calling [`dummy_verify`] for an unknown name), parses the
//! scopes ([`parse_scopes`]), asks [`grant`] what to put in the token, and signs it with
//! [`TokenIssuer::issue`]. Each registry request then carries the token; the server calls
//! [`TokenIssuer::verify`] and [`Claims::allows`] for the action the route needs.
//!
//! Decisions worth knowing (each explained in its module):
//! - the JWS is hand-built on `p256` (ES256 only), so each failure has its own [`Error`] variant;
//!   `kid` is the RFC 7638 thumbprint and must match; 30 s of clock skew both ways;
//! - a repository's organisation is its first path component;
//! - anonymous callers may only pull from public organisations; robots may only use what their
//!   grants list for matching repositories (never management), plus public pulls and the catalog;
//! - when the decision lacks the organisation it needs, or gets an inconsistent one, it denies.

pub mod passwords;
pub mod rbac;
pub mod scope;
pub mod token;

mod error;

pub use error::Error;
pub use passwords::{
    constant_time_eq, dummy_verify, generate_secret, hash_password, needs_rehash, verify_password,
};
pub use rbac::{
    Op, OrgContext, Principal, RobotGrant, Role, Visibility, allowed, grant, ops_for_action,
    organisation_of, pattern_matches,
};
pub use scope::{
    Action, ResourceType, Scope, is_valid_repository_name, parse_scopes, validate_repository_name,
};
pub use token::{Access, Claims, LEEWAY_SECONDS, TokenIssuer, TokenKey};
