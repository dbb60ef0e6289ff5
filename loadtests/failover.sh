#!/usr/bin/env bash
# failover.sh - RespProxy under the shared failover harness (../shared/bench/failover-bench.sh): 1 master, 2 replicas,
# 3 sentinels (down-after 1000 ms) and the proxy in sentinel mode; a writer INCRs every 10 ms through the proxy while
# the master is killed with SIGKILL. Reports the write window, failed and lost writes, and sentinel's timings.
#
# Usage: loadtests/failover.sh [--trials N] [--req-timeout S] [other failover-bench.sh flags]
#   --proxy-args 'ARGS'  extra RespProxy arguments (e.g. --Topology:HoldWritesMs=0 to measure without holding)
#   --no-build           reuse the RespProxy published in --publish-dir
#   --publish-dir DIR    where to publish RespProxy (default: a fresh temp dir)
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BENCH="${FAILOVER_BENCH:-$ROOT/../shared/bench/failover-bench.sh}"
PUBLISH_DIR=""
BUILD=1
PROXY_ARGS=""
PASS=()
while [[ $# -gt 0 ]]; do
  case "$1" in
    --proxy-args) PROXY_ARGS="$2"; shift 2;;
    --no-build) BUILD=0; shift;;
    --publish-dir) PUBLISH_DIR="$2"; shift 2;;
    *) PASS+=("$1"); shift;;
  esac
done

[[ -x "$BENCH" ]] || { echo "failover.sh: harness not found at $BENCH (set FAILOVER_BENCH)" >&2; exit 2; }
PUBLISH_DIR="${PUBLISH_DIR:-$(mktemp -d "${TMPDIR:-/tmp}/respproxy-publish.XXXXXX")}"
if [[ $BUILD -eq 1 ]]; then
  dotnet publish "$ROOT/src/Proxy" -c Release -o "$PUBLISH_DIR" -nologo -v quiet >&2
fi

PROXY_CMD="$PUBLISH_DIR/RespProxy --Proxy:Listen=127.0.0.1:{listen_port} --Proxy:AdminListen=127.0.0.1:0"
PROXY_CMD+=" --Topology:Mode=Sentinel --Topology:Sentinels:0={sentinels} --Topology:Groups:0:Name={master_name}"
PROXY_CMD+=" --Topology:Groups:0:Slots=0-16383 --Logging:LogLevel:Default=Warning $PROXY_ARGS"
exec "$BENCH" --proxy-cmd "$PROXY_CMD" --proxy-name respproxy "${PASS[@]}"
