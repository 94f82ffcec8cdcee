"""Push and pull an artifact, and push a referrer, with the oras Python SDK (PyPI `oras`).

usage: oras_roundtrip.py HOST USER PASSWORD WORKDIR push|pull|refer [SUBJECT_DIGEST SUBJECT_SIZE SUBJECT_MEDIA_TYPE]
"""
import os
import sys

import oras.client
import oras.oci

host, user, password, work, action = sys.argv[1:6]
os.chdir(work)
client = oras.client.OrasClient(hostname=host, insecure=True, auth_backend="basic")
client.login(username=user, password=password, hostname=host, tls_verify=False)

if action == "push":
    with open("artifact.txt", "w") as f:
        f.write("hello from oras\n")
    resp = client.push(target=f"{host}/acme/artifact:v1", files=["artifact.txt"])
    print(resp.status_code)
    assert resp.status_code == 201, resp.text
elif action == "pull":
    os.makedirs("out", exist_ok=True)
    files = client.pull(target=f"{host}/acme/artifact:v1", outdir="out")
    assert len(files) == 1, files
    with open(files[0]) as f:
        assert f.read() == "hello from oras\n"
    print("pulled", files[0])
elif action == "refer":
    digest, size, media_type = sys.argv[6:9]
    with open("sbom.json", "w") as f:
        f.write('{"bomFormat":"CycloneDX"}\n')
    subject = oras.oci.Subject(mediaType=media_type, digest=digest, size=int(size))
    resp = client.push(
        target=f"{host}/acme/artifact:sbom",
        files=["sbom.json:application/vnd.cyclonedx+json"],
        manifest_config="config.json:application/vnd.example.sbom.v1+json",
        subject=subject,
        manifest_annotations={"org.example.kind": "sbom"},
    )
    assert resp.status_code == 201, resp.text
    print(resp.status_code)
else:
    raise SystemExit(f"unknown action {action}")
