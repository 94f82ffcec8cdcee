#!/usr/bin/env bash
# Benchmark `zoll serve` against Debian's `docker-registry` (CNCF Distribution 2.8) on loopback,
# both storing under the same temporary directory (same disk), in the same run, and print the
# figures recorded in the README's performance table. Usage: bench/registry.sh [RUNS]   (default 5)
#
# - the servers run on core 0 (`taskset -c 0`), every client (skopeo, wrk) on core 1;
# - push and pull with `skopeo copy` of two OCI layouts generated once and cached under
#   target/bench-cache/registry: `big`, one 1 GiB layer of random (incompressible) bytes stored
#   uncompressed, and `many`, 200 gzip'd layers of 16 small random files each (14 MB). Each push
#   goes to a freshly started server with empty storage; the pulls go to an `oci:` directory that
#   is removed before every run. Before every run skopeo's blob-info cache is removed and `sync`
#   runs (no writeback of an earlier run lands in this one). Runs are interleaved (zoll,
#   distribution, zoll, ...), RUNS of each; the figure is the median throughput in MB/s (10^6
#   bytes of all blobs and the manifest over skopeo's wall clock). zoll fsyncs every blob before
#   it becomes visible; distribution's filesystem driver does not fsync;
# - manifest load: wrk, one thread, 64 connections, 10 s (30 s request timeout), GET of one
#   manifest by tag with the Accept header of docker and OCI clients, after a 2 s warm-up;
#   interleaved, RUNS of each, medians of requests/s and p99. Peak RSS is VmHWM of each server
#   process, read after its runs; each load phase uses freshly started servers that served
#   nothing but one small push.
#
# Authentication, chosen to be equal on both sides:
# - push and pull: both servers require credentials. distribution uses htpasswd (bcrypt, cost 5,
#   `htpasswd -Bbn`; it checks Basic credentials on every request), zoll has a system
#   administrator `bench` (skopeo does zoll's token flow: Basic once on /token, then a Bearer
#   token). The `bench` organisation in zoll is public.
# - manifest load, anonymous (the target's figures): distribution without `auth:`, zoll's public
#   organisation without credentials. Neither server checks a password per request.
# - manifest load with `Authorization: Basic` on every request (extra rows): distribution
#   htpasswd (bcrypt per request), zoll Basic (Argon2id once, then its 60 s credential cache).
#
# distribution's access log is disabled and its log level is `error`; zoll logs at its default
# (warnings). distribution uses its in-memory blob descriptor cache, as Debian's config does.
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS=${1:-5}
for t in skopeo docker-registry htpasswd wrk taskset python3 curl jq bc; do
  command -v "$t" >/dev/null || { echo "bench: $t is required: apt-get install skopeo docker-registry apache2-utils wrk util-linux python3 curl jq bc" >&2; exit 2; }
done
[ "$(nproc --all)" -ge 2 ] || { echo "bench: two cores are required (server on 0, clients on 1)" >&2; exit 2; }

cargo build --release --quiet -p zoll
ZOLL=$PWD/target/release/zoll
DIST=$(command -v docker-registry)
CACHE=$PWD/target/bench-cache/registry
TMP=$(mktemp -d)
PIDS=()
cleanup() { for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$TMP"; }
trap cleanup EXIT
# shellcheck source=bench/common.sh
. bench/common.sh   # the scripts cd to the repository root first

USER_=bench PASS=bench-password-1
ACCEPT='Accept: application/vnd.oci.image.manifest.v1+json, application/vnd.oci.image.index.v1+json, application/vnd.docker.distribution.manifest.v2+json, application/vnd.docker.distribution.manifest.list.v2+json'
BLOB_CACHES=(/var/lib/containers/cache/blob-info-cache-v1.boltdb /var/lib/containers/cache/blob-info-cache-v1.sqlite
  "${XDG_DATA_HOME:-$HOME/.local/share}/containers/cache/blob-info-cache-v1.boltdb"
  "${XDG_DATA_HOME:-$HOME/.local/share}/containers/cache/blob-info-cache-v1.sqlite")

# --- test images (OCI layouts, tag `bench`), generated once -------------------------------------
python3 - "$CACHE" <<'PY'
import gzip, hashlib, io, json, os, random, sys, tarfile
root = sys.argv[1]

def put(d, data):
    h = hashlib.sha256(data).hexdigest()
    os.makedirs(f"{d}/blobs/sha256", exist_ok=True)
    with open(f"{d}/blobs/sha256/{h}", "wb") as f:
        f.write(data)
    return f"sha256:{h}", len(data)

def finish(d, layers, diff_ids):
    cfg = {"architecture": "amd64", "os": "linux", "config": {},
           "rootfs": {"type": "layers", "diff_ids": diff_ids}, "history": []}
    cd, cs = put(d, json.dumps(cfg).encode())
    man = {"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
           "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": cd, "size": cs},
           "layers": layers}
    md, ms = put(d, json.dumps(man).encode())
    with open(f"{d}/oci-layout", "w") as f:
        json.dump({"imageLayoutVersion": "1.0.0"}, f)
    with open(f"{d}/index.json", "w") as f:
        json.dump({"schemaVersion": 2, "manifests": [{"mediaType": man["mediaType"], "digest": md, "size": ms,
                   "annotations": {"org.opencontainers.image.ref.name": "bench"}}]}, f)
    open(f"{d}/.complete", "w").close()

def small_layer(rng, n, files):
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT) as tf:
        for i in range(files):
            data = rng.randbytes(rng.randint(512, 8192))
            ti = tarfile.TarInfo(f"layer{n:03d}/file{i:02d}.bin"); ti.size = len(data); ti.mtime = 0
            tf.addfile(ti, io.BytesIO(data))
    tar = buf.getvalue()
    gz = gzip.compress(tar, compresslevel=1, mtime=0)
    return gz, "sha256:" + hashlib.sha256(tar).hexdigest()

def many(d, count, files):
    if os.path.exists(f"{d}/.complete"):
        return
    rng = random.Random(count)
    layers, diff_ids = [], []
    for n in range(count):
        gz, diff = small_layer(rng, n, files)
        dg, sz = put(d, gz)
        layers.append({"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip", "digest": dg, "size": sz})
        diff_ids.append(diff)
    finish(d, layers, diff_ids)

def big(d, size):
    if os.path.exists(f"{d}/.complete"):
        return
    os.makedirs(f"{d}/blobs/sha256", exist_ok=True)
    tmp = f"{d}/blobs/layer.tmp"
    class Random:
        def __init__(self): self.left = size
        def read(self, n):
            n = min(n, self.left); self.left -= n
            return os.urandom(n)
    with open(tmp, "wb") as f:
        with tarfile.open(fileobj=f, mode="w", format=tarfile.PAX_FORMAT) as tf:
            ti = tarfile.TarInfo("random.bin"); ti.size = size; ti.mtime = 0
            tf.addfile(ti, Random())
    with open(tmp, "rb") as f:
        h = hashlib.file_digest(f, "sha256").hexdigest()
    os.rename(tmp, f"{d}/blobs/sha256/{h}")
    dg = f"sha256:{h}"
    finish(d, [{"mediaType": "application/vnd.oci.image.layer.v1.tar", "digest": dg,
                "size": os.path.getsize(f"{d}/blobs/sha256/{h}")}], [dg])

big(f"{root}/big", 1 << 30)
many(f"{root}/many", 200, 16)
many(f"{root}/small", 1, 4)
PY
bytes_of() { find "$CACHE/$1/blobs" -type f -printf '%s\n' | paste -sd+ | bc; }

# --- servers --------------------------------------------------------------------------------------
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_up() { for _ in $(seq 200); do curl -s -o /dev/null "http://127.0.0.1:$1/v2/" && return 0; sleep 0.05; done; echo "bench: server on $1 did not start" >&2; exit 1; }
htpasswd -Bbn "$USER_" "$PASS" >"$TMP/htpasswd"

# start_zoll DIR: start a zoll registry on core 0 with an empty DIR; sets PORT and PID
start_zoll() {
  rm -rf "$1"; mkdir -p "$1"
  "$ZOLL" registry --data-dir "$1" user add "$USER_" --admin --password "$PASS" 2>/dev/null
  "$ZOLL" registry --data-dir "$1" org create bench --public 2>/dev/null
  PORT=$(free_port)
  taskset -c 0 "$ZOLL" serve --data-dir "$1" --listen "127.0.0.1:$PORT" 2>>"$TMP/zoll.log" &
  PID=$!; PIDS+=("$PID"); wait_up "$PORT"
}
# start_dist DIR AUTH(yes|no): start distribution on core 0 with an empty DIR; sets PORT and PID
start_dist() {
  rm -rf "$1"; mkdir -p "$1/storage"
  PORT=$(free_port)
  cat >"$1/config.yml" <<EOF
version: 0.1
log:
  level: error
  accesslog:
    disabled: true
storage:
  cache:
    blobdescriptor: inmemory
  filesystem:
    rootdirectory: $1/storage
  delete:
    enabled: true
http:
  addr: 127.0.0.1:$PORT
EOF
  [ "$2" = yes ] && printf 'auth:\n  htpasswd:\n    realm: bench\n    path: %s\n' "$TMP/htpasswd" >>"$1/config.yml"
  taskset -c 0 "$DIST" serve "$1/config.yml" 2>>"$TMP/dist.log" &
  PID=$!; PIDS+=("$PID"); wait_up "$PORT"
}
stop() {
  kill "$1"; wait "$1" 2>/dev/null || true
  local keep=() p; for p in "${PIDS[@]}"; do [ "$p" = "$1" ] || keep+=("$p"); done; PIDS=("${keep[@]}")
}
hwm_kib() { awk '/^VmHWM:/ {print $2}' "/proc/$1/status"; }

# --- push and pull --------------------------------------------------------------------------------
clear_caches() { rm -f "${BLOB_CACHES[@]}"; sync; }   # sync: no writeback of an earlier run in this one
push() { # PORT IMAGE
  clear_caches
  once taskset -c 1 skopeo copy --quiet --dest-tls-verify=false --dest-creds "$USER_:$PASS" \
    "oci:$CACHE/$2:bench" "docker://127.0.0.1:$1/bench/$2:bench"
}
pull() { # PORT IMAGE
  clear_caches; rm -rf "$TMP/pulled"
  once taskset -c 1 skopeo copy --quiet --src-tls-verify=false --src-creds "$USER_:$PASS" \
    "docker://127.0.0.1:$1/bench/$2:bench" "oci:$TMP/pulled:bench"
}
mbps() { echo "scale=1; $1 / 1000000 / $2" | bc -l; }

echo "runs: $RUNS (interleaved), cores: $(nproc --all), zoll $("$ZOLL" --version | awk '{print $2}'), $("$DIST" --version | awk '{print $2, $3}'), skopeo $(skopeo --version | awk '{print $3}'), load: $(cut -d' ' -f1-3 /proc/loadavg)"
declare -A R
# timed TRANSFER PORT IMAGE PID FILE: run one push or pull; append MB/s to FILE and the server's
# CPU seconds during it to FILE.cpu
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
timed() {
  local c0 s; c0=$(cpu_ticks "$4")
  s=$($1 "$2" "$3"); mbps "$B" "$s" >>"$5"
  echo "scale=2; ($(cpu_ticks "$4") - $c0) / $(getconf CLK_TCK)" | bc >>"$5.cpu"
}
for img in big many; do
  B=$(bytes_of "$img")
  for k in push-z push-d pull-z pull-d; do : >"$TMP/$k"; : >"$TMP/$k.cpu"; done
  for _ in $(seq "$RUNS"); do
    start_zoll "$TMP/zoll"; timed push "$PORT" "$img" "$PID" "$TMP/push-z"; stop "$PID"
    start_dist "$TMP/dist" yes; timed push "$PORT" "$img" "$PID" "$TMP/push-d"; stop "$PID"
  done
  start_zoll "$TMP/zoll"; ZP=$PORT; ZPID=$PID; push "$ZP" "$img" >/dev/null
  start_dist "$TMP/dist" yes; DP=$PORT; DPID=$PID; push "$DP" "$img" >/dev/null
  for _ in $(seq "$RUNS"); do
    timed pull "$ZP" "$img" "$ZPID" "$TMP/pull-z"
    timed pull "$DP" "$img" "$DPID" "$TMP/pull-d"
  done
  stop "$ZPID"; stop "$DPID"
  for k in push-z push-d pull-z pull-d; do R[$img-$k]=$(median <"$TMP/$k"); R[$img-$k-cpu]=$(median <"$TMP/$k.cpu"); done
  echo "$img ($(echo "scale=1; $B/1000000" | bc) MB, $(find "$CACHE/$img/blobs" -type f | wc -l) blobs), MB/s [runs] (median server CPU s):"
  for op in push pull; do
    printf '  %s: zoll %s [%s] (%s), distribution %s [%s] (%s)\n' "$op" \
      "${R[$img-$op-z]}" "$(paste -sd' ' "$TMP/$op-z")" "${R[$img-$op-z-cpu]}" \
      "${R[$img-$op-d]}" "$(paste -sd' ' "$TMP/$op-d")" "${R[$img-$op-d-cpu]}"
  done
done

# --- manifest load --------------------------------------------------------------------------------
# load PORT [HEADER]: one wrk run; prints "requests_per_second p99_ms"
to_ms() { awk '{v=$1; u=v; sub(/[0-9.]+/,"",u); sub(/[a-z]+$/,"",v); print (u=="us" ? v/1000 : u=="s" ? v*1000 : u=="m" ? v*60000 : v)}'; }
load() {
  local url="http://127.0.0.1:$1/v2/bench/small/manifests/bench" secs=$2; shift 2
  taskset -c 1 wrk -t1 -c64 -d"${secs}s" --timeout 30s --latency -H "$ACCEPT" "$@" "$url" >"$TMP/wrk" 2>&1
  if grep -q 'Non-2xx\|Socket errors' "$TMP/wrk"; then cat "$TMP/wrk" >&2; echo "bench: failed requests under load" >&2; exit 1; fi
  echo "$(awk '/^Requests\/sec:/ {print $2}' "$TMP/wrk") $(awk '$1=="99%" {print $2}' "$TMP/wrk" | to_ms)"
}
check_manifest() { # PORT [curl args]: the manifest must come back whole
  local port=$1; shift
  [ "$(curl -sf -H "$ACCEPT" "$@" "http://127.0.0.1:$port/v2/bench/small/manifests/bench" | sha256sum | cut -d' ' -f1)" = \
    "$(jq -r '.manifests[0].digest' "$CACHE/small/index.json" | cut -d: -f2)" ] || { echo "bench: wrong manifest from port $port" >&2; exit 1; }
}
manifest_phase() { # KEY LABEL DIST_AUTH(yes|no) [wrk header args for both]
  local key=$1 label=$2 dauth=$3; shift 3
  start_zoll "$TMP/zoll-$key"; ZP=$PORT; ZPID=$PID; push "$ZP" small >/dev/null
  start_dist "$TMP/dist-$key" "$dauth"; DP=$PORT; DPID=$PID; push "$DP" small >/dev/null
  local curl_args=(); [ $# -gt 0 ] && curl_args=(-H "$2")
  check_manifest "$ZP" "${curl_args[@]}"; check_manifest "$DP" "${curl_args[@]}"
  load "$ZP" 2 "$@" >/dev/null; load "$DP" 2 "$@" >/dev/null
  : >"$TMP/rps-z"; : >"$TMP/p99-z"; : >"$TMP/rps-d"; : >"$TMP/p99-d"
  for _ in $(seq "$RUNS"); do
    read -r r p < <(load "$ZP" 10 "$@"); echo "$r" >>"$TMP/rps-z"; echo "$p" >>"$TMP/p99-z"
    read -r r p < <(load "$DP" 10 "$@"); echo "$r" >>"$TMP/rps-d"; echo "$p" >>"$TMP/p99-d"
  done
  R[$key-rss-z]=$(printf '%.1f' "$(echo "$(hwm_kib "$ZPID")/1024" | bc -l)")
  R[$key-rss-d]=$(printf '%.1f' "$(echo "$(hwm_kib "$DPID")/1024" | bc -l)")
  stop "$ZPID"; stop "$DPID"
  for k in rps-z rps-d p99-z p99-d; do R[$key-$k]=$(median <"$TMP/$k"); done
  printf 'manifest GET, 64 connections, %s: zoll %.0f req/s [%s] p99 %.2f ms [%s], distribution %.0f req/s [%s] p99 %.2f ms [%s]; peak RSS zoll %s MiB, distribution %s MiB\n' \
    "$label" "${R[$key-rps-z]}" "$(paste -sd' ' "$TMP/rps-z")" "${R[$key-p99-z]}" "$(paste -sd' ' "$TMP/p99-z")" \
    "${R[$key-rps-d]}" "$(paste -sd' ' "$TMP/rps-d")" "${R[$key-p99-d]}" "$(paste -sd' ' "$TMP/p99-d")" \
    "${R[$key-rss-z]}" "${R[$key-rss-d]}"
}
manifest_phase anon anonymous no
manifest_phase basic "Basic auth on every request" yes -H "Authorization: Basic $(printf '%s:%s' "$USER_" "$PASS" | base64 -w0)"

# --- the table ------------------------------------------------------------------------------------
yes_if() { [ "$(echo "$1" | bc -l)" = 1 ] && echo yes || echo "**no**"; }
x() { printf '%.2fx' "$(echo "$1 / $2" | bc -l)"; }
echo
echo "| what | zoll | distribution $("$DIST" --version | awk '{print $3}') | target | met |"
echo "| --- | --- | --- | --- | --- |"
for img in big many; do
  [ "$img" = big ] && what="1 GiB single-layer image" || what="200-layer image of small files"
  for op in push pull; do
    z=${R[$img-$op-z]} d=${R[$img-$op-d]}
    echo "| $op, $what | $z MB/s | $d MB/s ($(x "$z" "$d")) | >= distribution | $(yes_if "$z >= $d") |"
  done
done
z=${R[anon-rps-z]} d=${R[anon-rps-d]}
printf '| manifest GET, 64 clients, anonymous: requests/s | %.0f | %.0f (%s) | >= 2x | %s |\n' "$z" "$d" "$(x "$z" "$d")" "$(yes_if "$z >= 2 * $d")"
z=${R[anon-p99-z]} d=${R[anon-p99-d]}
printf '| the same: p99 latency | %.2f ms | %.2f ms | no worse | %s |\n' "$z" "$d" "$(yes_if "$z <= $d")"
z=${R[anon-rss-z]} d=${R[anon-rss-d]}
printf '| the same: server peak RSS | %s MiB | %s MiB | no more | %s |\n' "$z" "$d" "$(yes_if "$z <= $d")"
z=${R[basic-rps-z]} d=${R[basic-rps-d]}
printf '| manifest GET, 64 clients, Basic auth on every request: requests/s | %.0f | %.0f (%s) | | |\n' "$z" "$d" "$(x "$z" "$d")"
printf '| the same: p99 latency | %.2f ms | %.2f ms | | |\n' "${R[basic-p99-z]}" "${R[basic-p99-d]}"
printf '| the same: server peak RSS | %s MiB | %s MiB | | |\n' "${R[basic-rss-z]}" "${R[basic-rss-d]}"
