#!/usr/bin/env bash
# alloc-per-request.sh [--proxy-bin PATH] [--requests N] [--proxy-args 'ARGS']
#
# Managed bytes allocated per forwarded request on the real path (client sockets -> epoll loop -> parser -> backend
# connection -> Redis -> reply -> client), read from the proxy's own INFO (proxy_gc_allocated_bytes) before and after
# redis-benchmark runs against it. Starts its own redis-server and RespProxy on free loopback ports and stops both
# by PID. Warm-up first (connections, buffers, JIT), then SET and GET at pipeline 1 and 16 with 50 clients.
#   loadtests/alloc-per-request.sh                       # builds RespProxy (Release) into a temp dir
#   loadtests/alloc-per-request.sh --proxy-bin /tmp/rp/RespProxy --requests 2000000
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
PROXY_BIN=""
REQUESTS=1000000
PROXY_ARGS=""
while [[ $# -gt 0 ]]; do
  case "$1" in
    --proxy-bin) PROXY_BIN="$2"; shift 2;;
    --requests) REQUESTS="$2"; shift 2;;
    --proxy-args) PROXY_ARGS="$2"; shift 2;;
    -h|--help) sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//; /^set -euo/d'; exit 0;;
    *) echo "alloc-per-request.sh: unexpected argument '$1'" >&2; exit 2;;
  esac
done

WORK="$(mktemp -d /tmp/respproxy-alloc.XXXXXX)"
if [[ -z "$PROXY_BIN" ]]; then
  dotnet publish "$ROOT/src/Proxy" -c Release -o "$WORK/publish" -nologo -v quiet >/dev/null
  PROXY_BIN="$WORK/publish/RespProxy"
fi

[[ -x "$PROXY_BIN" ]] || { echo "alloc-per-request.sh: $PROXY_BIN is not an executable" >&2; exit 2; }

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'; }
REDIS_PORT=$(free_port)
PROXY_PORT=$(free_port)
redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --save '' --appendonly no --dir "$WORK" >"$WORK/redis.log" 2>&1 &
REDIS_PID=$!
# shellcheck disable=SC2086
"$PROXY_BIN" --Proxy:Listen=127.0.0.1:"$PROXY_PORT" --Proxy:AdminListen=127.0.0.1:0 --Topology:Mode=Standalone \
  --Topology:Servers:0=127.0.0.1:"$REDIS_PORT" --Logging:LogLevel:Default=Warning $PROXY_ARGS >"$WORK/proxy.log" 2>&1 &
PROXY_PID=$!
trap 'kill "$PROXY_PID" "$REDIS_PID" 2>/dev/null; wait 2>/dev/null; rm -rf "$WORK"' EXIT

for _ in $(seq 100); do redis-cli -p "$PROXY_PORT" ping >/dev/null 2>&1 && break; sleep 0.1; done
redis-cli -p "$PROXY_PORT" ping >/dev/null || { echo "alloc-per-request.sh: the proxy did not answer PING" >&2; exit 1; }
allocated() { redis-cli -p "$PROXY_PORT" info proxy | tr -d '\r' | awk -F: '$1=="proxy_gc_allocated_bytes"{print $2}'; }
collections() { redis-cli -p "$PROXY_PORT" info proxy | tr -d '\r' | awk -F: '$1=="proxy_gc_collections"{print $2}'; }

redis-benchmark -p "$PROXY_PORT" -c 50 -t set,get -n "$REQUESTS" -P 16 -q >/dev/null
redis-benchmark -p "$PROXY_PORT" -c 50 -t set,get -n 200000 -q >/dev/null

# Every redis-benchmark run opens 50 new connections, whose set-up allocates (sessions, pipes, reply slots). Two runs
# per test, of N/5 and N requests, and the difference between them divided by the difference in requests is what
# each further request costs in steady state.
printf '%-20s %12s %18s %18s %14s %9s\n' test requests bytes_small_run bytes_large_run marginal_B/req gen0_gcs
run() { # test pipeline n -> allocated bytes
  local a0 a1
  a0=$(allocated)
  redis-benchmark -p "$PROXY_PORT" -c 50 -t "$1" -n "$3" -P "$2" -q >/dev/null
  a1=$(allocated)
  echo $((a1 - a0))
}
for pipeline in 1 16; do
  for test in set get; do
    n=$REQUESTS; [[ $pipeline == 1 ]] && n=$((REQUESTS / 4))
    small=$((n / 5))
    g0=$(collections)
    bytes_small=$(run "$test" "$pipeline" "$small")
    bytes_large=$(run "$test" "$pipeline" "$n")
    g1=$(collections)
    printf '%-20s %12d %18d %18d %14.4f %9d\n' "$test pipeline $pipeline" "$n" "$bytes_small" "$bytes_large" \
      "$(python3 -c "print(($bytes_large-$bytes_small)/($n-$small))")" $((g1 - g0))
  done
done
