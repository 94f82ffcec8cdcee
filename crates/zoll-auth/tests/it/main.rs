//! The token flow end to end through the public API: credentials → principal → requested scopes →
//! grant → signed token → verification on another replica → per-request checks.

use std::time::Duration;

use time::macros::datetime;
use zoll_auth::{
    Op, OrgContext, Principal, RobotGrant, Role, TokenIssuer, TokenKey, Visibility, allowed,
    dummy_verify, generate_secret, grant, hash_password, organisation_of, parse_scopes,
    verify_password,
};

const SERVICE: &str = "registry.example.com";

/// The organisations of a small registry and Bob's roles in them, as the server's database
/// would answer.
fn org_of(user: &str) -> impl Fn(&str) -> Option<OrgContext> + '_ {
    move |repository| {
        let org = organisation_of(repository);
        let (visibility, role) = match (org, user) {
            ("acme", "bob") => (Visibility::Private, Some(Role::Developer)),
            ("acme", _) => (Visibility::Private, None),
            ("library", _) => (Visibility::Public, None),
            _ => return None,
        };
        Some(OrgContext {
            org: org.to_owned(),
            visibility,
            role,
        })
    }
}

#[test]
fn docker_push_flow_for_a_developer() {
    // Sign-up stored a hash; login checks it.
    let stored = hash_password("s3cret-enough").unwrap();
    assert!(verify_password("s3cret-enough", &stored));
    assert!(!verify_password("s3cret-enoug", &stored));
    dummy_verify("whatever"); // an unknown user name costs the same

    let bob = Principal::User {
        name: "bob".into(),
        sysadmin: false,
    };
    let scopes = parse_scopes(&[
        "repository:acme/app:pull,push",
        "repository:library/alpine:pull repository:acme/app:delete",
    ])
    .unwrap();
    let access = grant(&bob, &scopes, org_of("bob"));

    // Two replicas share the key through its PEM.
    let key = TokenKey::generate();
    let pem = key.to_pkcs8_pem().unwrap();
    let replica_a = TokenIssuer::new(key, "zoll", Duration::from_secs(300));
    let replica_b = TokenIssuer::new(
        TokenKey::from_pkcs8_pem(&pem).unwrap(),
        "zoll",
        Duration::from_secs(300),
    );

    let now = datetime!(2025-06-01 12:00:00 UTC);
    let token = replica_a
        .issue(bob.subject(), SERVICE, access, now)
        .unwrap();
    let claims = replica_b
        .verify(&token, SERVICE, now + Duration::from_secs(10))
        .unwrap();

    assert_eq!(claims.sub, "bob");
    assert!(claims.allows("repository", "acme/app", "pull"));
    assert!(claims.allows("repository", "acme/app", "push"));
    assert!(
        !claims.allows("repository", "acme/app", "delete"),
        "developers may not delete"
    );
    assert!(claims.allows("repository", "library/alpine", "pull"));
    assert!(!claims.allows("repository", "library/alpine", "push"));
}

#[test]
fn robot_with_a_generated_secret_pulls_only_its_repositories() {
    let secret = generate_secret("zr_");
    let stored = hash_password(&secret).unwrap();
    assert!(verify_password(&secret, &stored));
    assert!(!verify_password(&generate_secret("zr_"), &stored));

    let robot = Principal::Robot {
        name: "acme+deploy".into(),
        grants: vec![RobotGrant {
            repository_pattern: "acme/*".into(),
            ops: vec![Op::Pull],
        }],
        expired: false,
    };
    let scopes = parse_scopes(&[
        "repository:acme/app:pull,push repository:library/alpine:pull registry:catalog:*",
    ])
    .unwrap();
    let access = grant(&robot, &scopes, org_of("acme+deploy"));
    let issuer = TokenIssuer::new(TokenKey::generate(), "zoll", Duration::from_secs(60));
    let now = datetime!(2025-06-01 12:00:00 UTC);
    let claims = issuer
        .verify(
            &issuer.issue(robot.subject(), SERVICE, access, now).unwrap(),
            SERVICE,
            now,
        )
        .unwrap();
    assert!(claims.allows("repository", "acme/app", "pull"));
    assert!(!claims.allows("repository", "acme/app", "push"));
    assert!(claims.allows("repository", "library/alpine", "pull"));
    assert!(claims.allows("registry", "catalog", "*"));

    // Listing the catalog: the server filters repositories with Pull.
    let visible: Vec<&str> = ["acme/app", "acme/secret/db", "library/alpine", "ghost/x"]
        .into_iter()
        .filter(|repo| {
            allowed(
                &robot,
                Op::Pull,
                Some(repo),
                org_of("acme+deploy")(repo).as_ref(),
            )
        })
        .collect();
    assert_eq!(visible, ["acme/app", "acme/secret/db", "library/alpine"]);

    // Past its lifetime plus the leeway (60 s + 30 s) the token is refused.
    let token = issuer.issue(robot.subject(), SERVICE, vec![], now).unwrap();
    assert!(matches!(
        issuer.verify(&token, SERVICE, now + Duration::from_secs(91)),
        Err(zoll_auth::Error::Expired { .. })
    ));
}
