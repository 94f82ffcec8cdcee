use zoll_core::Digest;
use zoll_meta::{AuditFilter, Meta, NewAudit, NewManifest, RefKind};

fn d(s: &str) -> Digest {
    Digest::sha256(s.as_bytes())
}

#[tokio::test]
async fn manifests_tags_and_referrers_round_trip() {
    let dir = tempfile::tempdir().unwrap();
    let meta = Meta::open_dir(dir.path()).await.unwrap();
    // Migrating again is a no-op.
    let meta2 = Meta::open_dir(dir.path()).await.unwrap();
    meta2.close().await;

    let layer = d("layer");
    meta.link_blob("acme/app", "acme", &layer, 5).await.unwrap();
    assert_eq!(meta.linked_blob("acme/app", &layer).await.unwrap(), Some(5));
    assert_eq!(meta.linked_blob("other/app", &layer).await.unwrap(), None);
    assert_eq!(
        meta.missing_references("acme/app", &[layer.clone(), d("x")], &[d("m")])
            .await
            .unwrap(),
        vec![d("x"), d("m")]
    );

    let image = d("image");
    meta.put_manifest(&NewManifest {
        repo: "acme/app",
        org: "acme",
        digest: &image,
        media_type: "application/vnd.oci.image.manifest.v1+json",
        artifact_type: None,
        subject: None,
        content: "{\"a\":1}",
        annotations: None,
        references: vec![(layer.clone(), RefKind::Blob)],
        tag: Some("1.0"),
    })
    .await
    .unwrap();
    let sig = d("sig");
    meta.put_manifest(&NewManifest {
        repo: "acme/app",
        org: "acme",
        digest: &sig,
        media_type: "application/vnd.oci.image.manifest.v1+json",
        artifact_type: Some("application/example"),
        subject: Some(&image),
        content: "{\"b\":2}",
        annotations: Some("{\"k\":\"v\"}"),
        references: vec![],
        tag: None,
    })
    .await
    .unwrap();
    let by_tag = meta
        .manifest_by_tag("acme/app", "1.0")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(by_tag.digest, image);
    assert_eq!(by_tag.content, "{\"a\":1}");
    assert_eq!(
        meta.tag("acme/app", "1.0").await.unwrap(),
        Some(image.clone())
    );
    let refs = meta.referrers("acme/app", &image, None).await.unwrap();
    assert_eq!(refs.len(), 1);
    assert_eq!(refs[0].digest, sig);
    assert!(
        meta.referrers("acme/app", &image, Some("other/type"))
            .await
            .unwrap()
            .is_empty()
    );

    for t in ["b", "a", "c"] {
        meta.put_manifest(&NewManifest {
            repo: "acme/app",
            org: "acme",
            digest: &image,
            media_type: "application/vnd.oci.image.manifest.v1+json",
            artifact_type: None,
            subject: None,
            content: "{\"a\":1}",
            annotations: None,
            references: vec![],
            tag: Some(t),
        })
        .await
        .unwrap();
    }
    assert_eq!(
        meta.tags("acme/app", None, 100).await.unwrap(),
        ["1.0", "a", "b", "c"]
    );
    assert_eq!(meta.tags("acme/app", Some("a"), 1).await.unwrap(), ["b"]);

    assert!(meta.delete_tag("acme/app", "a").await.unwrap());
    assert!(!meta.delete_tag("acme/app", "a").await.unwrap());
    assert!(meta.manifest("acme/app", &image).await.unwrap().is_some());
    assert!(meta.delete_manifest("acme/app", &image).await.unwrap());
    assert!(meta.tags("acme/app", None, 100).await.unwrap().is_empty());
    assert_eq!(meta.repositories(None, 10).await.unwrap(), ["acme/app"]);
}

#[tokio::test]
async fn accounts_roles_and_audit() {
    let dir = tempfile::tempdir().unwrap();
    let meta = Meta::open_dir(dir.path()).await.unwrap();
    meta.create_user("alice", "hash", false).await.unwrap();
    assert!(matches!(
        meta.create_user("alice", "hash", false).await,
        Err(zoll_meta::Error::Exists(_))
    ));
    meta.create_org("acme", "private").await.unwrap();
    meta.set_member("acme", "alice", "guest").await.unwrap();
    meta.create_team("acme", "builders", "developer")
        .await
        .unwrap();
    meta.add_team_member("acme", "builders", "alice")
        .await
        .unwrap();
    let mut roles = meta.roles_in_org("acme", "alice").await.unwrap();
    roles.sort();
    assert_eq!(roles, ["developer", "guest"]);
    assert!(meta.set_member("acme", "bob", "guest").await.is_err());
    meta.delete_user("alice").await.unwrap();
    assert!(meta.roles_in_org("acme", "alice").await.unwrap().is_empty());

    for i in 0..3 {
        meta.audit(&NewAudit {
            actor: "alice",
            action: if i == 1 { "delete" } else { "push" },
            target: "acme/app:1.0",
            remote: "127.0.0.1",
            outcome: "ok",
            detail: "",
        })
        .await
        .unwrap();
    }
    let all = meta
        .audit_log(&AuditFilter {
            limit: 10,
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(all.len(), 3);
    assert_eq!(all[1].action, "delete");
    let pushes = meta
        .audit_log(&AuditFilter {
            action: Some("push".into()),
            limit: 10,
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(pushes.len(), 2);
}
