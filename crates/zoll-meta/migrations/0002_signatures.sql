-- Image signatures stored through the registry API extension that containers/image (skopeo,
-- podman) speaks: `/extensions/v2/<name>/signatures/<digest>`. One row per signature; `name`
-- is the client's `<digest>@<random>` and unique per manifest; `content` is the signature
-- (an OpenPGP signed message), base64 as it travels in the API (TEXT works on both engines).
CREATE TABLE signatures (
    repo TEXT NOT NULL,
    digest TEXT NOT NULL,
    name TEXT NOT NULL,
    kind TEXT NOT NULL,
    content TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (repo, digest, name)
);
