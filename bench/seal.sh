#!/usr/bin/env bash
# Benchmark signature verification, side by side with a peer in the same run, and print the
# figures recorded in the README's performance table. Usage: bench/seal.sh [RUNS] (default 30)
#
# 1. ECDSA P-256 verifications per second on one core (`taskset -c 1`), of one cached cosign
#    payload with a parsed key: zoll's verification (criterion bench `zoll-sign/verify`, the
#    function every cosign signature, DSSE envelope and bundle goes through) against pyca
#    `cryptography` (OpenSSL) verifying the same kind of signature in a loop (cosign itself is
#    not installable here).
# 2. `zoll verify IMAGE --key K` end to end against a local `zoll serve` (server on core 0,
#    client on core 1; public organisation, no credentials): resolve the tag, read the `.sig`
#    tag, the payload blob and the referrers, verify. Peer: `skopeo inspect --raw` of the same
#    image (a client that only resolves and fetches the manifest). hyperfine, RUNS runs each
#    after 3 warm-ups; medians.
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS=${1:-30}
for t in skopeo hyperfine taskset python3 curl jq; do
  command -v "$t" >/dev/null || { echo "bench: $t is required: apt-get install skopeo hyperfine util-linux python3 curl jq" >&2; exit 2; }
done
PY=${ZOLL_TOOLS_VENV:-/opt/zoll-venv}/bin/python
"$PY" -c 'import cryptography' 2>/dev/null || { echo "bench: $PY with cryptography is required (.ci/run installs it)" >&2; exit 2; }
cargo build --release --quiet -p zoll
ZOLL=$PWD/target/release/zoll
TMP=$(mktemp -d)
PIDS=()
cleanup() { for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$TMP"; }
trap cleanup EXIT

# --- 1. verifications per second -----------------------------------------------------------------
taskset -c 1 cargo bench --quiet -p zoll-sign --bench verify -- --warm-up-time 2 --measurement-time 5 ecdsa_p256_verify_message >"$TMP/crit" 2>&1
# criterion prints `time:   [low mid high]`; take the middle estimate, in µs.
mid=$(grep -m1 'time:' "$TMP/crit" | sed -E 's/.*\[([^]]*)\].*/\1/' | awk '{print $3, $4}')
zoll_us=$(echo "$mid" | awk '{v=$1; u=$2; if (u=="ns") v/=1000; if (u=="ms") v*=1000; print v}')
zoll_rate=$(awk -v us="$zoll_us" 'BEGIN {printf "%.0f", 1e6/us}')
peer_rate=$(taskset -c 1 "$PY" - <<'PY'
import time
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives import hashes
key = ec.generate_private_key(ec.SECP256R1())
pub = key.public_key()
payload = b'{"critical":{"identity":{"docker-reference":"registry.example/app"},"image":{"docker-manifest-digest":"sha256:' + b"ab"*32 + b'"},"type":"cosign container image signature"},"optional":null}'
sig = key.sign(payload, ec.ECDSA(hashes.SHA256()))
for _ in range(2000):
    pub.verify(sig, payload, ec.ECDSA(hashes.SHA256()))
n, t0 = 0, time.perf_counter()
while time.perf_counter() - t0 < 5:
    for _ in range(1000):
        pub.verify(sig, payload, ec.ECDSA(hashes.SHA256()))
    n += 1000
print(round(n / (time.perf_counter() - t0)))
PY
)

# --- 2. zoll verify end to end -------------------------------------------------------------------
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
DATA=$TMP/data
"$ZOLL" registry --data-dir "$DATA" user add bench --admin --password bench-password-1 2>/dev/null
"$ZOLL" registry --data-dir "$DATA" org create bench --public 2>/dev/null
PORT=$(free_port)
taskset -c 0 "$ZOLL" serve --data-dir "$DATA" --listen "127.0.0.1:$PORT" 2>>"$TMP/zoll.log" &
PIDS+=("$!")
for _ in $(seq 200); do curl -s -o /dev/null "http://127.0.0.1:$PORT/v2/" && break; sleep 0.05; done
# a one-layer image, as an OCI layout pushed with skopeo
python3 - "$TMP/layout" <<'PY'
import hashlib, io, json, os, sys, tarfile, gzip
root = sys.argv[1]; os.makedirs(f"{root}/blobs/sha256")
def blob(b):
    d = hashlib.sha256(b).hexdigest(); open(f"{root}/blobs/sha256/{d}", "wb").write(b); return d
raw = io.BytesIO()
with tarfile.open(fileobj=raw, mode="w") as t:
    data = b"hello\n"; i = tarfile.TarInfo("etc/hello"); i.size = len(data); t.addfile(i, io.BytesIO(data))
tar = raw.getvalue(); gz = gzip.compress(tar, mtime=0)
layer = blob(gz)
config = json.dumps({"architecture": "amd64", "os": "linux", "rootfs": {"type": "layers", "diff_ids": ["sha256:" + hashlib.sha256(tar).hexdigest()]}}).encode()
c = blob(config)
m = json.dumps({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
  "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": "sha256:" + c, "size": len(config)},
  "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip", "digest": "sha256:" + layer, "size": len(gz)}]}).encode()
md = blob(m)
open(f"{root}/index.json", "w").write(json.dumps({"schemaVersion": 2, "manifests": [{"mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": "sha256:" + md, "size": len(m), "annotations": {"org.opencontainers.image.ref.name": "1"}}]}))
open(f"{root}/oci-layout", "w").write('{"imageLayoutVersion":"1.0.0"}')
PY
IMAGE=127.0.0.1:$PORT/bench/app:1
skopeo copy -q --dest-tls-verify=false --dest-creds bench:bench-password-1 "oci:$TMP/layout:1" "docker://$IMAGE"
(cd "$TMP" && ZOLL_KEY_PASSWORD= "$ZOLL" key generate --output-key-prefix k >/dev/null 2>&1)
ZOLL_USERNAME=bench ZOLL_PASSWORD=bench-password-1 ZOLL_KEY_PASSWORD= "$ZOLL" sign "$IMAGE" --key "$TMP/k.key" --insecure 2>/dev/null
"$ZOLL" verify "$IMAGE" --key "$TMP/k.pub" --insecure >/dev/null 2>&1 || { echo "bench: zoll verify failed" >&2; exit 1; }
hyperfine -N --style none --warmup 3 --runs "$RUNS" --export-json "$TMP/h.json" \
  -n zoll "taskset -c 1 $ZOLL verify $IMAGE --key $TMP/k.pub --insecure" \
  -n skopeo "taskset -c 1 skopeo inspect --raw --tls-verify=false docker://$IMAGE" >/dev/null
zoll_ms=$(jq -r '.results[] | select(.command=="zoll") | .median * 1000' "$TMP/h.json")
skopeo_ms=$(jq -r '.results[] | select(.command=="skopeo") | .median * 1000' "$TMP/h.json")

echo "cores: $(nproc --all), zoll $("$ZOLL" --version | awk '{print $2}'), $(skopeo --version), python cryptography $("$PY" -c 'import cryptography; print(cryptography.__version__)')"
printf '| ECDSA P-256 verifications of a cached payload, one core | %s/s | pyca cryptography (OpenSSL): %s/s | >= 20,000/s | %s |\n' \
  "$zoll_rate" "$peer_rate" "$([ "$zoll_rate" -ge 20000 ] && echo yes || echo '**no**')"
printf '| `zoll verify` of an image in a local zoll serve, end to end (median of %s) | %.1f ms | `skopeo inspect --raw` of the same image: %.1f ms | <= 50 ms | %s |\n' \
  "$RUNS" "$zoll_ms" "$skopeo_ms" "$(awk -v m="$zoll_ms" 'BEGIN {print (m <= 50 ? "yes" : "**no**")}')"
