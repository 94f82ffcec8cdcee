//! Who may do what, over HTTP: every principal × operation × public/private organisation
//! against an expectation table written down here (not derived from the server code); the
//! Docker token flow and the tokens it must refuse; failed logins in the audit log; and no
//! secret in the server's logs.

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::io::Write;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use reqwest::Method;
use serde_json::{Value, json};
use zoll_auth::{Access, TokenIssuer, TokenKey};
use zoll_core::Digest;
use zoll_registry::accounts::{self, Actor, GrantSpec};
use zoll_registry::{App, Config};

use crate::harness::{ADMIN, ADMIN_PASSWORD, Server};
use crate::spec::{
    Api, Auth, OCI_LAYER, OCI_MANIFEST, Resp, bytes, desc, digest_of, image, strings,
};

/// The expected decisions. Written from the role model as the issue states it, independently of
/// the server: a guest pulls; a developer also pushes; a maintainer also deletes manifests and
/// tags; an organisation admin can do what a maintainer can (plus members and settings, which
/// are not registry operations); a system administrator may do everything; anybody, even
/// anonymous, may pull from a public organisation; a robot does what its grants allow on the
/// repositories they match, plus pulls from public organisations; an expired robot does
/// nothing. The catalog shows an authenticated caller the repositories it may pull.
///
/// Principals: `user` is an account without membership; `guest` … `admin` hold that role in both
/// organisations; `robot` has `acme/*=pull,push`; `robot-pub-delete` has `pub/*=delete`;
/// `robot-expired` had everything on both organisations but its lifetime is over.
/// Organisations: `pub` (public) and `acme` (private), repository `<org>/app` in each.
/// Operations: pull = GET a manifest and a blob; push = upload a blob and PUT a manifest;
/// delete = DELETE a manifest by digest; untag = DELETE a manifest by tag; tags = list tags;
/// catalog = the repository appears in `/v2/_catalog`.
const EXPECTED: &str = "
    # principal        org      pull  push  delete  untag  tags  catalog
    anonymous          public   Y     .     .       .      Y     .
    anonymous          private  .     .     .       .      .     .
    user               public   Y     .     .       .      Y     Y
    user               private  .     .     .       .      .     .
    guest              public   Y     .     .       .      Y     Y
    guest              private  Y     .     .       .      Y     Y
    developer          public   Y     Y     .       .      Y     Y
    developer          private  Y     Y     .       .      Y     Y
    maintainer         public   Y     Y     Y       Y      Y     Y
    maintainer         private  Y     Y     Y       Y      Y     Y
    admin              public   Y     Y     Y       Y      Y     Y
    admin              private  Y     Y     Y       Y      Y     Y
    sysadmin           public   Y     Y     Y       Y      Y     Y
    sysadmin           private  Y     Y     Y       Y      Y     Y
    robot              public   Y     .     .       .      Y     Y
    robot              private  Y     Y     .       .      Y     Y
    robot-pub-delete   public   Y     .     Y       Y      Y     Y
    robot-pub-delete   private  .     .     .       .      .     .
    robot-expired      public   .     .     .       .      .     .
    robot-expired      private  .     .     .       .      .     .
";

const OPS: [&str; 6] = ["pull", "push", "delete", "untag", "tags", "catalog"];

fn actor() -> Actor {
    Actor {
        name: "test".into(),
        remote: "local".into(),
    }
}

fn grant(spec: &str) -> GrantSpec {
    spec.parse().unwrap()
}

/// One caller of the matrix.
struct Principal {
    label: &'static str,
    auth: Option<(String, String)>,
}

/// Create every principal of `EXPECTED` on `server`.
fn principals(server: &Server) -> Vec<Principal> {
    let mut out = vec![
        Principal {
            label: "anonymous",
            auth: None,
        },
        Principal {
            label: "sysadmin",
            auth: Some((ADMIN.into(), ADMIN_PASSWORD.into())),
        },
    ];
    server.user("nobody", "nobody-password-1", None);
    out.push(Principal {
        label: "user",
        auth: Some(("nobody".into(), "nobody-password-1".into())),
    });
    for (label, name, role) in [
        ("guest", "gina", "guest"),
        ("developer", "dev", "developer"),
        ("maintainer", "max", "maintainer"),
        ("admin", "ada", "admin"),
    ] {
        let password = format!("{name}-password-1");
        server.user(name, &password, Some(("acme", role)));
        server
            .runtime
            .block_on(accounts::set_member(
                &server.app.meta,
                &actor(),
                "pub",
                name,
                role,
            ))
            .unwrap();
        out.push(Principal {
            label,
            auth: Some((name.into(), password)),
        });
    }
    let meta = &server.app.meta;
    let (ci, janitor, old) = server.runtime.block_on(async {
        let ci = accounts::create_robot(meta, &actor(), "ci", &[grant("acme/*=pull,push")], 3600)
            .await
            .unwrap();
        let janitor =
            accounts::create_robot(meta, &actor(), "janitor", &[grant("pub/*=delete")], 3600)
                .await
                .unwrap();
        let old = accounts::create_robot(
            meta,
            &actor(),
            "old",
            &[
                grant("acme/*=pull,push,delete"),
                grant("pub/*=pull,push,delete"),
            ],
            1,
        )
        .await
        .unwrap();
        (ci, janitor, old)
    });
    let old_expires_at = old.expires_at;
    for (label, robot) in [
        ("robot", ci),
        ("robot-pub-delete", janitor),
        ("robot-expired", old),
    ] {
        assert_eq!(robot.username, format!("robot+{}", robot.name));
        out.push(Principal {
            label,
            auth: Some((robot.username, robot.secret)),
        });
    }
    // Let the one-second robot expire.
    while zoll_meta::now_secs() <= old_expires_at {
        std::thread::sleep(Duration::from_millis(100));
    }
    out
}

/// How one caller of the matrix authenticates.
enum Cred {
    Anonymous,
    Basic(String, String),
    /// A token from `/token` for every operation on both repositories and the catalog; whatever
    /// the server granted.
    Bearer {
        token: String,
        anonymous: bool,
    },
}

/// A principal in one pass of the matrix (Basic credentials, or bearer tokens).
struct Caller {
    label: &'static str,
    pass: &'static str,
    cred: Cred,
}

impl Caller {
    /// Unique per principal and pass: names the tags and blobs this caller's operations use.
    fn id(&self) -> String {
        format!("{}-{}", self.pass, self.label)
    }

    fn authenticated(&self) -> bool {
        match &self.cred {
            Cred::Anonymous => false,
            Cred::Basic(..) => true,
            Cred::Bearer { anonymous, .. } => !anonymous,
        }
    }
}

/// The callers of one pass: `basic` uses the principals' credentials on every request; `token`
/// first asks `/token` for everything and then uses what it got.
fn callers(server: &Server, who: &[Principal], pass: &'static str) -> Vec<Caller> {
    who.iter()
        .map(|p| {
            let cred = match (pass, &p.auth) {
                ("basic", None) => Cred::Anonymous,
                ("basic", Some((u, s))) => Cred::Basic(u.clone(), s.clone()),
                (_, auth) => {
                    let creds = auth.as_ref().map(|(u, s)| (u.as_str(), s.as_str()));
                    let r = get_token(
                        server,
                        creds,
                        &[
                            "repository:pub/app:pull,push,delete",
                            "repository:acme/app:pull,push,delete",
                            "registry:catalog:*",
                        ],
                    );
                    Cred::Bearer {
                        token: token_of(&r),
                        anonymous: auth.is_none(),
                    }
                }
            };
            Caller {
                label: p.label,
                pass,
                cred,
            }
        })
        .collect()
}

fn api_for(server: &Server, c: &Caller) -> Api {
    match &c.cred {
        Cred::Anonymous => Api::anonymous(server),
        Cred::Basic(u, s) => Api::as_user(server, u, s),
        Cred::Bearer { token, .. } => Api::bearer(server, token),
    }
}

/// The decision a response shows: `Ok(true)` allowed (the success status `ok`), `Ok(false)`
/// denied in the form the caller must get (no credentials: 401 with a Bearer challenge; a token
/// without the scope: 401 with `error="insufficient_scope"`; Basic credentials of an account the
/// roles deny: 403 DENIED), `Err` anything else.
fn decision(c: &Caller, r: &Resp, ok: u16) -> Result<bool, String> {
    let code = || {
        serde_json::from_slice::<Value>(&r.body)
            .ok()
            .and_then(|v| v["errors"][0]["code"].as_str().map(str::to_owned))
            .unwrap_or_default()
    };
    let challenge = r.header("WWW-Authenticate").unwrap_or_default();
    let denied = match (r.status, &c.cred) {
        (s, _) if s == ok => return Ok(true),
        (401, Cred::Anonymous) => challenge.starts_with("Bearer realm="),
        (401, Cred::Bearer { .. }) => {
            challenge.starts_with("Bearer realm=")
                && challenge.contains("error=\"insufficient_scope\"")
        }
        (403, Cred::Basic(..)) => code() == "DENIED",
        _ => false,
    };
    if denied && (r.status == 403 || code() == "UNAUTHORIZED") {
        Ok(false)
    } else {
        Err(format!("unexpected answer {r:?}"))
    }
}

/// Both requests of one operation must agree.
fn both(a: Result<bool, String>, b: Result<bool, String>) -> Result<bool, String> {
    match (a?, b?) {
        (x, y) if x == y => Ok(x),
        (x, y) => Err(format!("inconsistent: first request {x}, second {y}")),
    }
}

/// What the fixture of one repository holds.
struct Fixture {
    repo: String,
    config: Value,
    layer: Value,
}

fn fixture(admin: &Api, repo: &str) -> Fixture {
    let m = image(admin, repo, repo);
    admin.manifest(repo, "base", OCI_MANIFEST, &bytes(&m));
    Fixture {
        repo: repo.to_owned(),
        config: m["config"].clone(),
        layer: m["layers"][0].clone(),
    }
}

/// A manifest only caller `id`'s `op` uses, pushed by the administrator under `tag`.
fn own_manifest(admin: &Api, f: &Fixture, id: &str, op: &str, tag: &str) -> Digest {
    let m = json!({
        "schemaVersion": 2,
        "mediaType": OCI_MANIFEST,
        "config": f.config,
        "layers": [f.layer],
        "annotations": {"caller": id, "op": op},
    });
    digest_of(&admin.manifest(&f.repo, tag, OCI_MANIFEST, &bytes(&m)))
}

/// Run `op` as `p` on the fixture; the decision, checked against its effect.
fn run_op(server: &Server, admin: &Api, p: &Caller, f: &Fixture, op: &str) -> Result<bool, String> {
    let api = api_for(server, p);
    let repo = &f.repo;
    match op {
        "pull" => both(
            decision(p, &api.get(&format!("/v2/{repo}/manifests/base")), 200),
            decision(
                p,
                &api.get(&format!("/v2/{repo}/blobs/{}", digest_of(&f.layer))),
                200,
            ),
        ),
        "push" => {
            let content = format!("pushed by {} to {repo}", p.id()).into_bytes();
            let d = Digest::sha256(&content);
            let blob = api.send(
                Method::POST,
                &format!("/v2/{repo}/blobs/uploads/?digest={d}"),
                &[("Content-Type", "application/octet-stream")],
                Some(content.clone()),
            );
            let m = json!({
                "schemaVersion": 2,
                "mediaType": OCI_MANIFEST,
                "config": f.config,
                "layers": [desc(OCI_LAYER, &d, content.len())],
            });
            let tag = format!("push-{}", p.id());
            let manifest = api.put_manifest(repo, &tag, OCI_MANIFEST, &bytes(&m));
            let allowed = both(decision(p, &blob, 201), decision(p, &manifest, 201))?;
            let stored = admin.get(&format!("/v2/{repo}/manifests/{tag}")).status == 200
                && admin.head(&format!("/v2/{repo}/blobs/{d}")).status == 200;
            if stored != allowed {
                return Err(format!("answered allowed={allowed} but stored={stored}"));
            }
            Ok(allowed)
        }
        "delete" => {
            let d = own_manifest(admin, f, &p.id(), op, &format!("delete-{}", p.id()));
            let allowed = decision(p, &api.delete(&format!("/v2/{repo}/manifests/{d}")), 202)?;
            let gone = admin.get(&format!("/v2/{repo}/manifests/{d}")).status == 404;
            if gone != allowed {
                return Err(format!("answered allowed={allowed} but gone={gone}"));
            }
            Ok(allowed)
        }
        "untag" => {
            let tag = format!("untag-{}", p.id());
            let d = own_manifest(admin, f, &p.id(), op, &tag);
            let allowed = decision(p, &api.delete(&format!("/v2/{repo}/manifests/{tag}")), 202)?;
            let gone = admin.get(&format!("/v2/{repo}/manifests/{tag}")).status == 404;
            if gone != allowed {
                return Err(format!("answered allowed={allowed} but tag gone={gone}"));
            }
            if admin.get(&format!("/v2/{repo}/manifests/{d}")).status != 200 {
                return Err("untagging deleted the manifest".into());
            }
            Ok(allowed)
        }
        "tags" => {
            let r = api.get(&format!("/v2/{repo}/tags/list"));
            let allowed = decision(p, &r, 200)?;
            if allowed && !strings(&r.json()["tags"]).contains(&"base".to_owned()) {
                return Err(format!("tag list without base: {r:?}"));
            }
            Ok(allowed)
        }
        "catalog" => {
            let r = api.get("/v2/_catalog");
            match (r.status, p.authenticated()) {
                (200, true) => Ok(strings(&r.json()["repositories"]).contains(repo)),
                (401, false) => Ok(false),
                _ => Err(format!("unexpected answer {r:?}")),
            }
        }
        other => panic!("unknown operation {other}"),
    }
}

#[test]
fn every_role_operation_and_visibility_is_allowed_exactly_when_it_should_be() {
    let server = Server::start();
    let admin = Api::admin(&server);
    let who = principals(&server);
    let fixtures = [fixture(&admin, "pub/app"), fixture(&admin, "acme/app")];

    // Parse the table.
    let mut expected: BTreeMap<(String, String), BTreeMap<String, bool>> = BTreeMap::new();
    for line in EXPECTED.lines().map(str::trim) {
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let cells: Vec<&str> = line.split_whitespace().collect();
        assert_eq!(cells.len(), 2 + OPS.len(), "bad row {line:?}");
        let row: BTreeMap<String, bool> = OPS
            .iter()
            .zip(&cells[2..])
            .map(|(op, c)| {
                let allowed = match *c {
                    "Y" => true,
                    "." => false,
                    other => panic!("bad cell {other:?} in {line:?}"),
                };
                ((*op).to_owned(), allowed)
            })
            .collect();
        let key = (cells[0].to_owned(), cells[1].to_owned());
        assert!(
            expected.insert(key, row).is_none(),
            "duplicate row {line:?}"
        );
    }
    assert_eq!(
        expected.len(),
        who.len() * 2,
        "one row per principal and visibility"
    );

    // Every cell twice: with Basic credentials on each request, and with the bearer token the
    // token endpoint grants the same principal. The table is the same: a token carries exactly
    // what the roles allow.
    let mut mismatches = Vec::new();
    let mut cells = 0;
    for pass in ["basic", "token"] {
        for c in callers(&server, &who, pass) {
            for f in &fixtures {
                let visibility = if f.repo.starts_with("pub/") {
                    "public"
                } else {
                    "private"
                };
                let row = expected
                    .get(&(c.label.to_owned(), visibility.to_owned()))
                    .unwrap_or_else(|| panic!("no row for {} {visibility}", c.label));
                for op in OPS {
                    cells += 1;
                    let want = row[op];
                    let cell = format!("{} × {op} × {visibility} ({pass})", c.label);
                    match run_op(&server, &admin, &c, f, op) {
                        Ok(got) if got == want => {}
                        Ok(got) => mismatches.push(format!(
                            "{cell}: expected {}, got {}",
                            if want { "allowed" } else { "denied" },
                            if got { "allowed" } else { "denied" },
                        )),
                        Err(e) => mismatches.push(format!("{cell}: {e}")),
                    }
                }
            }
        }
    }
    assert_eq!(cells, 2 * 10 * 2 * OPS.len());
    assert!(
        mismatches.is_empty(),
        "{} of {cells} cells wrong:\n{}",
        mismatches.len(),
        mismatches.join("\n")
    );
}

// ---- the token flow ----

/// `GET /token?service=zoll&scope=…` with optional Basic credentials.
fn get_token(server: &Server, creds: Option<(&str, &str)>, scopes: &[&str]) -> Resp {
    let mut query: Vec<(&str, &str)> = vec![("service", "zoll")];
    query.extend(scopes.iter().map(|s| ("scope", *s)));
    let qs: Vec<String> = query
        .iter()
        .map(|(k, v)| {
            format!(
                "{k}={}",
                percent_encoding::utf8_percent_encode(v, percent_encoding::NON_ALPHANUMERIC)
            )
        })
        .collect();
    let api = match creds {
        Some((u, p)) => Api::as_user(server, u, p),
        None => Api::anonymous(server),
    };
    api.get(&format!("/token?{}", qs.join("&")))
}

/// The token of a successful token response.
fn token_of(r: &Resp) -> String {
    r.expect(200);
    let v = r.json();
    let token = v["token"].as_str().unwrap().to_owned();
    assert_eq!(v["access_token"], token.as_str(), "{r:?}");
    assert!(v["expires_in"].as_u64().unwrap() >= 60, "{r:?}");
    assert!(v["issued_at"].is_string(), "{r:?}");
    token
}

/// The claims of a token (not verified: the server does that).
fn claims(token: &str) -> Value {
    let payload = token.split('.').nth(1).unwrap();
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(payload).unwrap()).unwrap()
}

fn access_of(token: &str) -> Vec<String> {
    claims(token)["access"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| {
            format!(
                "{}:{}:{}",
                a["type"].as_str().unwrap(),
                a["name"].as_str().unwrap(),
                strings(&a["actions"]).join(",")
            )
        })
        .collect()
}

fn repo_access(name: &str, actions: &[&str]) -> Vec<Access> {
    vec![Access {
        r#type: "repository".into(),
        name: name.into(),
        actions: actions.iter().map(|a| (*a).to_owned()).collect(),
    }]
}

/// A 401 whose challenge names `error`.
fn assert_challenge(r: &Resp, error: &str, what: &str) {
    r.expect_error(401, "UNAUTHORIZED");
    let c = r.must("WWW-Authenticate");
    assert!(c.starts_with("Bearer realm="), "{what}: {c}");
    assert!(c.contains(&format!("error=\"{error}\"")), "{what}: {c}");
}

fn post_upload(api: &Api, repo: &str) -> Resp {
    api.send(
        Method::POST,
        &format!("/v2/{repo}/blobs/uploads/"),
        &[],
        Some(Vec::new()),
    )
}

#[test]
fn tokens_grant_their_scope_only_and_bad_tokens_are_refused() {
    let server = Server::start();
    let admin = Api::admin(&server);
    for repo in ["acme/app", "pub/app"] {
        let m = image(&admin, repo, repo);
        admin.manifest(repo, "v1", OCI_MANIFEST, &bytes(&m));
    }
    server.user("dev", "dev-password-1", Some(("acme", "developer")));
    server.user("gina", "gina-password-1", Some(("acme", "guest")));

    // A pull token: pulls, and nothing else.
    let r = get_token(
        &server,
        Some(("dev", "dev-password-1")),
        &["repository:acme/app:pull"],
    );
    let pull = token_of(&r);
    let c = claims(&pull);
    assert_eq!(c["sub"], "dev");
    assert_eq!(c["aud"], "zoll");
    assert_eq!(access_of(&pull), ["repository:acme/app:pull"]);
    let api = Api::bearer(&server, &pull);
    api.get("/v2/acme/app/manifests/v1").expect(200);
    api.get("/v2/acme/app/tags/list").expect(200);
    let r = post_upload(&api, "acme/app");
    assert_challenge(&r, "insufficient_scope", "pull token used to push");
    assert!(
        r.must("WWW-Authenticate")
            .contains("scope=\"repository:acme/app:push\""),
        "{r:?}"
    );
    let r = api.delete("/v2/acme/app/manifests/v1");
    assert_challenge(&r, "insufficient_scope", "pull token used to delete");
    // Wrong scope: another repository.
    assert_challenge(
        &api.get("/v2/acme/other/manifests/v1"),
        "insufficient_scope",
        "token for another repository",
    );
    assert_challenge(
        &api.get("/v2/pub/app/manifests/v1"),
        "insufficient_scope",
        "token for another organisation",
    );

    // Asking for more than the role allows: the token is narrowed.
    let wide = token_of(&get_token(
        &server,
        Some(("dev", "dev-password-1")),
        &["repository:acme/app:pull,push,delete"],
    ));
    assert_eq!(access_of(&wide), ["repository:acme/app:pull,push"]);
    let api = Api::bearer(&server, &wide);
    post_upload(&api, "acme/app").expect(202);
    assert_challenge(
        &api.delete("/v2/acme/app/manifests/v1"),
        "insufficient_scope",
        "developer token used to delete",
    );
    let guest = token_of(&get_token(
        &server,
        Some(("gina", "gina-password-1")),
        &["repository:acme/app:pull,push"],
    ));
    assert_eq!(access_of(&guest), ["repository:acme/app:pull"]);

    // The OAuth2 form (POST, grant_type=password) gives the same kind of token.
    let r = admin
        .client
        .post(server.url("/token"))
        .form(&[
            ("grant_type", "password"),
            ("username", "dev"),
            ("password", "dev-password-1"),
            ("service", "zoll"),
            ("scope", "repository:acme/app:pull"),
        ])
        .send()
        .unwrap();
    assert_eq!(r.status().as_u16(), 200);
    let v: Value = r.json().unwrap();
    let form_token = v["access_token"].as_str().unwrap().to_owned();
    Api::bearer(&server, &form_token)
        .get("/v2/acme/app/manifests/v1")
        .expect(200);

    // Anonymous: public pulls only.
    let anon = token_of(&get_token(
        &server,
        None,
        &["repository:pub/app:pull,push repository:acme/app:pull"],
    ));
    assert_eq!(claims(&anon)["sub"], "");
    assert_eq!(access_of(&anon), ["repository:pub/app:pull"]);
    let api = Api::bearer(&server, &anon);
    api.get("/v2/pub/app/manifests/v1").expect(200);
    assert_challenge(
        &api.get("/v2/acme/app/manifests/v1"),
        "insufficient_scope",
        "anonymous token on a private organisation",
    );

    // Robots get their grants only; an expired robot gets nothing.
    let (ci, old) = server.runtime.block_on(async {
        let meta = &server.app.meta;
        (
            accounts::create_robot(meta, &actor(), "ci", &[grant("acme/*=pull,push")], 3600)
                .await
                .unwrap(),
            accounts::create_robot(meta, &actor(), "old", &[grant("acme/*=pull,push")], 1)
                .await
                .unwrap(),
        )
    });
    let robot = token_of(&get_token(
        &server,
        Some((&ci.username, &ci.secret)),
        &["repository:acme/app:pull,push,delete"],
    ));
    assert_eq!(claims(&robot)["sub"], "robot+ci");
    assert_eq!(access_of(&robot), ["repository:acme/app:pull,push"]);
    while zoll_meta::now_secs() <= old.expires_at {
        std::thread::sleep(Duration::from_millis(100));
    }
    let expired = token_of(&get_token(
        &server,
        Some((&old.username, &old.secret)),
        &["repository:acme/app:pull"],
    ));
    assert!(access_of(&expired).is_empty(), "{expired}");

    // Tokens the server must refuse. The control first: a good token made the same way works.
    let issuer = &server.app.issuer;
    let now = time::OffsetDateTime::now_utc();
    let all = repo_access("acme/app", &["pull", "push", "delete"]);
    let good = issuer.issue("admin", "zoll", all.clone(), now).unwrap();
    Api::bearer(&server, &good)
        .get("/v2/acme/app/manifests/v1")
        .expect(200);

    let hour = time::Duration::hours(1);
    let other_key = TokenIssuer::new(TokenKey::generate(), "zoll", Duration::from_secs(300));
    let other_issuer = TokenIssuer::new(issuer.key().clone(), "not-zoll", Duration::from_secs(300));
    // The pull token with its payload swapped for one granting everything, old signature kept.
    let tampered = {
        let mut parts: Vec<String> = pull.split('.').map(str::to_owned).collect();
        let mut c = claims(&pull);
        c["access"] = json!([{"type": "repository", "name": "acme/app", "actions": ["*"]}]);
        parts[1] = URL_SAFE_NO_PAD.encode(serde_json::to_vec(&c).unwrap());
        parts.join(".")
    };
    // alg none, unsigned.
    let unsigned = format!(
        "{}.{}.",
        URL_SAFE_NO_PAD.encode(br#"{"alg":"none","typ":"JWT"}"#),
        pull.split('.').nth(1).unwrap()
    );
    let bad: Vec<(&str, String)> = vec![
        (
            "expired",
            issuer
                .issue("admin", "zoll", all.clone(), now - hour)
                .unwrap(),
        ),
        (
            "not yet valid",
            issuer
                .issue("admin", "zoll", all.clone(), now + hour)
                .unwrap(),
        ),
        (
            "signed by another key",
            other_key.issue("admin", "zoll", all.clone(), now).unwrap(),
        ),
        (
            "another issuer",
            other_issuer
                .issue("admin", "zoll", all.clone(), now)
                .unwrap(),
        ),
        (
            "wrong audience",
            issuer
                .issue("admin", "other-registry", all.clone(), now)
                .unwrap(),
        ),
        ("tampered payload", tampered),
        ("alg none", unsigned),
        ("garbage", "garbage".to_owned()),
        ("three garbage segments", "a.b.c".to_owned()),
        ("too long", "x".repeat(70_000)),
    ];
    for (what, token) in bad {
        let api = Api::bearer(&server, &token);
        assert_challenge(&api.get("/v2/acme/app/manifests/v1"), "invalid_token", what);
        assert_challenge(&api.get("/v2/"), "invalid_token", what);
        assert_challenge(&post_upload(&api, "acme/app"), "invalid_token", what);
    }

    // The token endpoint: wrong credentials are 401, a foreign service 400.
    for (user, password) in [("dev", "wrong-password"), ("ghost", "ghost-password-1")] {
        let r = get_token(
            &server,
            Some((user, password)),
            &["repository:acme/app:pull"],
        );
        r.expect_error(401, "UNAUTHORIZED");
    }
    Api::as_user(&server, "dev", "dev-password-1")
        .get("/token?service=elsewhere&scope=repository%3Aacme%2Fapp%3Apull")
        .expect_error(400, "DENIED");
    // Wrong Basic credentials on the API itself: 401, not anonymous.
    Api::as_user(&server, "gina", "not-her-password")
        .get("/v2/pub/app/manifests/v1")
        .expect_error(401, "UNAUTHORIZED");
    Api::as_user(&server, &ci.username, "zr_not-the-secret")
        .get("/v2/acme/app/manifests/v1")
        .expect_error(401, "UNAUTHORIZED");

    // Every failed login is in the audit log.
    let failed = server
        .runtime
        .block_on(server.app.meta.audit_log(&zoll_meta::AuditFilter {
            action: Some("login-failed".into()),
            limit: 1000,
            ..Default::default()
        }))
        .unwrap();
    let actors: Vec<&str> = failed.iter().map(|e| e.actor.as_str()).collect();
    for who in ["dev", "ghost", "gina", "robot+ci"] {
        assert!(
            actors.contains(&who),
            "no login-failed for {who}: {actors:?}"
        );
    }
    assert!(failed.iter().all(|e| e.outcome == "denied"), "{failed:?}");
    assert!(
        !actors.contains(&"admin"),
        "no failed login for admin happened: {actors:?}"
    );
}

// ---- no secret in the logs ----

/// Where the captured log lines go.
#[derive(Clone)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

thread_local! {
    static LOG_GUARD: RefCell<Option<tracing::dispatcher::DefaultGuard>> = const { RefCell::new(None) };
}

/// Send this thread's tracing events to `dispatch` for the rest of its life.
fn capture_on_this_thread(dispatch: &tracing::Dispatch) {
    let guard = tracing::dispatcher::set_default(dispatch);
    LOG_GUARD.with(|g| *g.borrow_mut() = Some(guard));
}

/// A server like [`Server`], whose every runtime thread (workers, blocking pool, the accept
/// loop) logs at TRACE into a buffer.
struct LoggedServer {
    addr: SocketAddr,
    app: Arc<App>,
    runtime: Arc<tokio::runtime::Runtime>,
    dispatch: tracing::Dispatch,
    log: Arc<Mutex<Vec<u8>>>,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
    _dir: tempfile::TempDir,
}

impl LoggedServer {
    fn start() -> LoggedServer {
        let log = Arc::new(Mutex::new(Vec::new()));
        let sink = log.clone();
        let dispatch = tracing::Dispatch::new(
            tracing_subscriber::fmt()
                .with_writer(move || Captured(sink.clone()))
                .with_ansi(false)
                .with_max_level(tracing::Level::TRACE)
                .finish(),
        );
        let d = dispatch.clone();
        let runtime = Arc::new(
            tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .enable_all()
                .on_thread_start(move || capture_on_this_thread(&d))
                .build()
                .unwrap(),
        );
        let _here = tracing::dispatcher::set_default(&dispatch);
        let dir = tempfile::tempdir().unwrap();
        let listener = runtime
            .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
            .unwrap();
        let addr = listener.local_addr().unwrap();
        let config = Config {
            data_dir: dir.path().join("data"),
            listen: addr,
            ..Config::default()
        };
        let app = runtime.block_on(App::new(config)).unwrap();
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        let (rt, app2, d) = (runtime.clone(), app.clone(), dispatch.clone());
        let thread = std::thread::spawn(move || {
            capture_on_this_thread(&d);
            rt.block_on(async move {
                zoll_registry::serve_on(app2, listener, async {
                    let _ = rx.await;
                })
                .await
                .unwrap();
            });
        });
        runtime.block_on(async {
            let meta = &app.meta;
            accounts::add_user(meta, &actor(), ADMIN, ADMIN_PASSWORD, true)
                .await
                .unwrap();
            accounts::create_org(meta, &actor(), "acme", "private")
                .await
                .unwrap();
            accounts::create_org(meta, &actor(), "pub", "public")
                .await
                .unwrap();
        });
        LoggedServer {
            addr,
            app,
            runtime,
            dispatch,
            log,
            stop: Some(tx),
            thread: Some(thread),
            _dir: dir,
        }
    }

    fn base(&self) -> String {
        format!("http://{}", self.addr)
    }

    fn api(&self, auth: Option<Auth>) -> Api {
        Api::new(self.base(), auth)
    }

    /// Stop serving (in-flight requests finish) and return everything logged.
    fn stop(&mut self) -> String {
        if let Some(tx) = self.stop.take() {
            let _ = tx.send(());
        }
        if let Some(t) = self.thread.take() {
            t.join().unwrap();
        }
        String::from_utf8_lossy(&self.log.lock().unwrap()).into_owned()
    }
}

impl Drop for LoggedServer {
    fn drop(&mut self) {
        self.stop();
    }
}

fn basic(user: &str, secret: &str) -> Option<Auth> {
    Some(Auth::Basic(user.to_owned(), secret.to_owned()))
}

#[test]
fn no_secret_reaches_the_logs() {
    let mut server = LoggedServer::start();
    let _here = tracing::dispatcher::set_default(&server.dispatch);
    let admin = server.api(basic(ADMIN, ADMIN_PASSWORD));
    let mut secrets: Vec<String> = vec![ADMIN_PASSWORD.to_owned()];
    let mut remember = |s: &str| {
        assert!(s.len() >= 8, "too short to grep for: {s:?}");
        secrets.push(s.to_owned());
    };

    // Accounts through the admin API: passwords and a robot secret travel in JSON bodies.
    let alice_pw = "alice-S3cret-pw-4f1d";
    remember(alice_pw);
    let r = admin.send(
        Method::POST,
        "/api/v1/users",
        &[("Content-Type", "application/json")],
        Some(bytes(&json!({"name": "alice", "password": alice_pw}))),
    );
    assert_eq!(r.status, 201, "{r:?}");
    admin
        .send(
            Method::PUT,
            "/api/v1/orgs/acme/members/alice",
            &[("Content-Type", "application/json")],
            Some(bytes(&json!({"role": "developer"}))),
        )
        .expect(200);
    let alice_new_pw = "alice-N3w-secret-pw-77aa";
    remember(alice_new_pw);
    let r = server.api(basic("alice", alice_pw)).send(
        Method::PUT,
        "/api/v1/users/alice/password",
        &[("Content-Type", "application/json")],
        Some(bytes(&json!({"password": alice_new_pw}))),
    );
    assert_eq!(r.status, 200, "{r:?}");
    // A malformed body carrying a password.
    let bogus_pw = "bogus-S3cret-in-bad-json";
    remember(bogus_pw);
    let r = admin.send(
        Method::POST,
        "/api/v1/users",
        &[("Content-Type", "application/json")],
        Some(format!("{{\"name\": 7, \"password\": \"{bogus_pw}\"").into_bytes()),
    );
    assert!(r.status >= 400, "{r:?}");
    let r = admin.send(
        Method::POST,
        "/api/v1/robots",
        &[("Content-Type", "application/json")],
        Some(bytes(&json!({
            "name": "ci",
            "grants": [{"pattern": "acme/*", "actions": ["pull", "push"]}],
        }))),
    );
    assert_eq!(r.status, 201, "{r:?}");
    let robot_secret = r.json()["secret"].as_str().unwrap().to_owned();
    remember(&robot_secret);

    // The distribution API with good and bad Basic credentials.
    let m = image(&admin, "acme/app", "logs");
    admin.manifest("acme/app", "v1", OCI_MANIFEST, &bytes(&m));
    let alice = server.api(basic("alice", alice_new_pw));
    alice.get("/v2/acme/app/manifests/v1").expect(200);
    let robot = server.api(basic("robot+ci", &robot_secret));
    robot.get("/v2/acme/app/manifests/v1").expect(200);
    let wrong = [
        ("alice", "alice-Wr0ng-guess-9c2e"),
        ("robot+ci", "zr_Wr0ng-robot-secret-1b7f"),
        ("nobody-such", "n0body-S3cret-pw-aa01"),
        ("admin", "admin-Wr0ng-pw-5e5e"),
    ];
    for (user, pw) in wrong {
        remember(pw);
        server
            .api(basic(user, pw))
            .get("/v2/acme/app/manifests/v1")
            .expect_error(401, "UNAUTHORIZED");
        server
            .api(basic(user, pw))
            .get("/api/v1/orgs")
            .expect_error(401, "UNAUTHORIZED");
    }
    // A secret typed where a user name belongs, and secrets in query strings.
    let misplaced = "misplaced-S3cret-as-user";
    remember(misplaced);
    server
        .api(basic(misplaced, "x"))
        .get("/v2/")
        .expect_error(401, "UNAUTHORIZED");
    let in_query = "query-S3cret-value-0042";
    remember(in_query);
    admin
        .get(&format!("/v2/acme/app/tags/list?n=5&last={in_query}"))
        .expect(200);
    admin
        .get(&format!("/v2/_catalog?last={in_query}"))
        .expect(200);

    // Tokens: issued (GET and POST form), used, refused.
    let base = server.base();
    let client = crate::harness::http();
    let mut tokens = Vec::new();
    for (user, pw) in [("alice", alice_new_pw), ("robot+ci", robot_secret.as_str())] {
        let r = client
            .get(format!(
                "{base}/token?service=zoll&scope=repository%3Aacme%2Fapp%3Apull%2Cpush&password={in_query}"
            ))
            .basic_auth(user, Some(pw))
            .send()
            .unwrap();
        assert_eq!(r.status().as_u16(), 200);
        let v: Value = r.json().unwrap();
        tokens.push(v["token"].as_str().unwrap().to_owned());
    }
    let r = client
        .post(format!("{base}/token"))
        .form(&[
            ("grant_type", "password"),
            ("username", "alice"),
            ("password", alice_new_pw),
            ("service", "zoll"),
            ("scope", "repository:acme/app:pull"),
        ])
        .send()
        .unwrap();
    assert_eq!(r.status().as_u16(), 200);
    let v: Value = r.json().unwrap();
    tokens.push(v["token"].as_str().unwrap().to_owned());
    let r = client
        .post(format!("{base}/token"))
        .form(&[
            ("grant_type", "password"),
            ("username", "alice"),
            ("password", "alice-F0rm-wrong-pw-31"),
            ("service", "zoll"),
        ])
        .send()
        .unwrap();
    assert_eq!(r.status().as_u16(), 401);
    remember("alice-F0rm-wrong-pw-31");
    for t in &tokens {
        server
            .api(Some(Auth::Bearer(t.clone())))
            .get("/v2/acme/app/manifests/v1")
            .expect(200);
    }
    let now = time::OffsetDateTime::now_utc();
    let access = repo_access("acme/app", &["pull"]);
    let expired = server
        .app
        .issuer
        .issue(
            "alice",
            "zoll",
            access.clone(),
            now - time::Duration::hours(1),
        )
        .unwrap();
    let forged = TokenIssuer::new(TokenKey::generate(), "zoll", Duration::from_secs(300))
        .issue("alice", "zoll", access, now)
        .unwrap();
    let garbage = "garbage-S3cret-token-value".to_owned();
    for t in [&expired, &forged, &garbage] {
        let r = server
            .api(Some(Auth::Bearer(t.clone())))
            .get("/v2/acme/app/manifests/v1");
        assert_challenge(&r, "invalid_token", "bad token");
    }
    tokens.extend([expired, forged, garbage]);
    for t in &tokens {
        remember(t);
        // The signature alone is secret enough: a log must not hold it either.
        if let Some(sig) = t.split('.').nth(2) {
            remember(sig);
        }
    }
    // The Basic header values themselves.
    let pairs: Vec<(String, String)> = [
        (ADMIN, ADMIN_PASSWORD),
        ("alice", alice_new_pw),
        ("robot+ci", robot_secret.as_str()),
    ]
    .iter()
    .chain(wrong.iter())
    .map(|(u, p)| ((*u).to_owned(), (*p).to_owned()))
    .collect();
    for (u, p) in pairs {
        remember(&base64::engine::general_purpose::STANDARD.encode(format!("{u}:{p}")));
    }

    let logs = server.stop();
    drop(_here);

    // The capture really holds the server's lines: the request log, the token rejections, the
    // database layer.
    for expected in [
        "zoll::access",
        "path=/v2/acme/app/manifests/v1",
        "path=/token",
        "path=/api/v1/users",
        "status=401",
        "bearer token rejected",
    ] {
        assert!(
            logs.contains(expected),
            "the captured log lacks {expected:?}; capture is broken:\n{}",
            logs.chars().take(3000).collect::<String>()
        );
    }
    let leaked: Vec<&String> = secrets
        .iter()
        .filter(|s| logs.contains(s.as_str()))
        .collect();
    assert!(
        leaked.is_empty(),
        "secrets in the log: {leaked:?}\n(log is {} bytes)",
        logs.len()
    );
    // Nor in the audit log.
    let audit = server
        .runtime
        .block_on(server.app.meta.audit_log(&zoll_meta::AuditFilter {
            limit: 10_000,
            ..Default::default()
        }))
        .unwrap();
    assert!(!audit.is_empty());
    let audit_text = format!("{audit:?}");
    let leaked: Vec<&String> = secrets
        .iter()
        .filter(|s| audit_text.contains(s.as_str()) && s.as_str() != misplaced)
        .collect();
    assert!(leaked.is_empty(), "secrets in the audit log: {leaked:?}");
}
