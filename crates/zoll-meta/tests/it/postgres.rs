//! The same schema and queries on a real PostgreSQL 15, started for this test.

use zoll_core::Digest;
use zoll_meta::{Backend, Meta, NewManifest, RefKind};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn schema_and_queries_work_on_postgres() {
    let pg = zoll_testenv::Postgres::start().expect("postgres");
    let url = pg.url();
    // Two replicas migrating at once: sqlx serialises them with an advisory lock.
    let (a, b) = tokio::join!(Meta::connect(&url), Meta::connect(&url));
    let (a, b) = (a.unwrap(), b.unwrap());
    assert_eq!(a.backend(), Backend::Postgres);

    let layer = Digest::sha256(b"layer");
    let image = Digest::sha256(b"image");
    a.link_blob("acme/app", "acme", &layer, 7).await.unwrap();
    b.link_blob("acme/app", "acme", &layer, 7).await.unwrap();
    a.put_manifest(&NewManifest {
        repo: "acme/app",
        org: "acme",
        digest: &image,
        media_type: "application/vnd.oci.image.manifest.v1+json",
        artifact_type: None,
        subject: None,
        content: "{}",
        annotations: None,
        references: vec![(layer.clone(), RefKind::Blob)],
        tag: Some("latest"),
    })
    .await
    .unwrap();
    assert_eq!(
        b.tag("acme/app", "latest").await.unwrap(),
        Some(image.clone())
    );
    assert_eq!(b.linked_blob("acme/app", &layer).await.unwrap(), Some(7));
    let key = a.setting_or_insert("k", "first").await.unwrap();
    let key2 = b.setting_or_insert("k", "second").await.unwrap();
    assert_eq!((key.as_str(), key2.as_str()), ("first", "first"));

    b.create_user("alice", "h", true).await.unwrap();
    assert!(matches!(
        a.create_user("alice", "h", true).await,
        Err(zoll_meta::Error::Exists(_))
    ));
    a.create_org("acme", "public").await.unwrap();
    a.create_team("acme", "t", "maintainer").await.unwrap();
    a.add_team_member("acme", "t", "alice").await.unwrap();
    assert_eq!(
        b.roles_in_org("acme", "alice").await.unwrap(),
        ["maintainer"]
    );
    assert_eq!(a.tags("acme/app", None, 10).await.unwrap(), ["latest"]);
    assert!(b.delete_manifest("acme/app", &image).await.unwrap());
    a.close().await;
    b.close().await;
}
