-- One schema for SQLite and PostgreSQL. Only portable SQL: TEXT and BIGINT columns (booleans are
-- BIGINT 0/1, times are Unix seconds or microseconds as named), no autoincrement, no BLOB/BYTEA.

CREATE TABLE settings (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
);

CREATE TABLE users (
    name TEXT PRIMARY KEY,
    password_hash TEXT NOT NULL,
    sysadmin BIGINT NOT NULL DEFAULT 0,
    disabled BIGINT NOT NULL DEFAULT 0,
    created_at BIGINT NOT NULL
);

CREATE TABLE orgs (
    name TEXT PRIMARY KEY,
    visibility TEXT NOT NULL,
    created_at BIGINT NOT NULL
);

CREATE TABLE org_members (
    org TEXT NOT NULL REFERENCES orgs (name) ON DELETE CASCADE,
    username TEXT NOT NULL REFERENCES users (name) ON DELETE CASCADE,
    role TEXT NOT NULL,
    PRIMARY KEY (org, username)
);

CREATE TABLE teams (
    org TEXT NOT NULL REFERENCES orgs (name) ON DELETE CASCADE,
    name TEXT NOT NULL,
    role TEXT NOT NULL,
    PRIMARY KEY (org, name)
);

CREATE TABLE team_members (
    org TEXT NOT NULL,
    team TEXT NOT NULL,
    username TEXT NOT NULL REFERENCES users (name) ON DELETE CASCADE,
    PRIMARY KEY (org, team, username),
    FOREIGN KEY (org, team) REFERENCES teams (org, name) ON DELETE CASCADE
);
CREATE INDEX team_members_user ON team_members (username);

CREATE TABLE robots (
    name TEXT PRIMARY KEY,
    secret_hash TEXT NOT NULL,
    expires_at BIGINT NOT NULL,
    created_by TEXT NOT NULL,
    created_at BIGINT NOT NULL
);

CREATE TABLE robot_grants (
    robot TEXT NOT NULL REFERENCES robots (name) ON DELETE CASCADE,
    pattern TEXT NOT NULL,
    actions TEXT NOT NULL,
    PRIMARY KEY (robot, pattern)
);

CREATE TABLE repositories (
    name TEXT PRIMARY KEY,
    org TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX repositories_org ON repositories (org);

-- Blobs are global (content-addressed, stored once); a repository sees only the blobs linked to it.
CREATE TABLE blobs (
    digest TEXT PRIMARY KEY,
    size BIGINT NOT NULL,
    created_at BIGINT NOT NULL
);

CREATE TABLE repo_blobs (
    repo TEXT NOT NULL,
    digest TEXT NOT NULL REFERENCES blobs (digest),
    linked_at BIGINT NOT NULL,
    PRIMARY KEY (repo, digest)
);
CREATE INDEX repo_blobs_digest ON repo_blobs (digest);

CREATE TABLE manifests (
    repo TEXT NOT NULL,
    digest TEXT NOT NULL,
    media_type TEXT NOT NULL,
    artifact_type TEXT,
    subject TEXT,
    size BIGINT NOT NULL,
    content TEXT NOT NULL,
    annotations TEXT,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (repo, digest)
);
CREATE INDEX manifests_subject ON manifests (repo, subject);

-- What a manifest references: blobs (config, layers) and child manifests (index entries).
CREATE TABLE manifest_refs (
    repo TEXT NOT NULL,
    parent TEXT NOT NULL,
    child TEXT NOT NULL,
    kind TEXT NOT NULL,
    PRIMARY KEY (repo, parent, child)
);
CREATE INDEX manifest_refs_child ON manifest_refs (repo, child);

CREATE TABLE tags (
    repo TEXT NOT NULL,
    name TEXT NOT NULL,
    digest TEXT NOT NULL,
    updated_at BIGINT NOT NULL,
    PRIMARY KEY (repo, name)
);
CREATE INDEX tags_digest ON tags (repo, digest);

CREATE TABLE uploads (
    id TEXT PRIMARY KEY,
    repo TEXT NOT NULL,
    size BIGINT NOT NULL,
    started_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);

-- `at` is Unix microseconds; `id` is a UUIDv7, so ordering by id orders by time across replicas.
CREATE TABLE audit (
    id TEXT PRIMARY KEY,
    at BIGINT NOT NULL,
    actor TEXT NOT NULL,
    action TEXT NOT NULL,
    target TEXT NOT NULL,
    remote TEXT NOT NULL,
    outcome TEXT NOT NULL,
    detail TEXT NOT NULL
);
CREATE INDEX audit_at ON audit (at);
