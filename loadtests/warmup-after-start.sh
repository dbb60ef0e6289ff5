#!/usr/bin/env bash
# warmup-after-start.sh [--slices N] [--trials N] [--requests N] NAME=RESPPROXY_BIN [NAME=RESPPROXY_BIN ...]
#
# How fast a freshly started proxy serves: starts one redis-server (pinned to CPU 1, on a free loopback port, prefilled
# with 100,000 keys), then for each trial and each build (in turn) starts that RespProxy build pinned to CPU 1, waits
# for its first PONG, and runs back-to-back slices of redis-benchmark GET at pipeline 16 (50 clients, pinned to
# CPU 0, --requests per slice, default 300000). Prints the requests per second of every slice, so one line shows how
# long the build takes to reach its steady speed (JIT tiering) after start. Everything started is stopped by PID.
#   loadtests/warmup-after-start.sh jit=/tmp/pub/RespProxy aot=/tmp/pub-aot/RespProxy
#   loadtests/warmup-after-start.sh --slices 12 --trials 5 old=/tmp/old/RespProxy new=/tmp/new/RespProxy
set -euo pipefail

SLICES=8
TRIALS=3
REQUESTS=300000
BUILDS=()
while [[ $# -gt 0 ]]; do
  case "$1" in
    --slices) SLICES="$2"; shift 2;;
    --trials) TRIALS="$2"; shift 2;;
    --requests) REQUESTS="$2"; shift 2;;
    -h|--help) sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//; /^set -euo/d'; exit 0;;
    *=*) BUILDS+=("$1"); shift;;
    *) echo "warmup-after-start.sh: unexpected argument '$1' (try --help)" >&2; exit 2;;
  esac
done
[[ ${#BUILDS[@]} -gt 0 ]] || { echo "warmup-after-start.sh: give at least one NAME=RESPPROXY_BIN" >&2; exit 2; }

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
wait_pong() {  # wait_pong PORT PID
  for _ in $(seq 600); do
    [[ "$(redis-cli -p "$1" ping 2>/dev/null)" == PONG ]] && return 0
    kill -0 "$2" 2>/dev/null || return 1
    sleep 0.05
  done
  return 1
}

WORK="$(mktemp -d "${TMPDIR:-/tmp}/warmup-after-start.XXXXXX")"
REDIS_PORT="$(free_port)"
PIDS=()
cleanup() { for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done; rm -rf "$WORK"; }
trap cleanup EXIT

taskset -c 1 redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --save '' --appendonly no --dir "$WORK" >"$WORK/redis.log" 2>&1 &
PIDS+=("$!")
wait_pong "$REDIS_PORT" "${PIDS[0]}" || { echo "redis-server did not start (see $WORK/redis.log)" >&2; exit 1; }
redis-benchmark -p "$REDIS_PORT" -t set -n 300000 -r 100000 -d 3 -P 16 -q >/dev/null 2>&1

echo "GET, pipeline 16, 50 clients: requests per second of consecutive ${REQUESTS}-request slices after the first PONG"
for ((trial = 1; trial <= TRIALS; trial++)); do
  for build in "${BUILDS[@]}"; do
    name="${build%%=*}"; bin="${build#*=}"
    port="$(free_port)"
    taskset -c 1 "$bin" --Proxy:Listen=127.0.0.1:"$port" --Proxy:AdminListen=127.0.0.1:0 --Topology:Mode=Standalone \
      --Topology:Servers:0=127.0.0.1:"$REDIS_PORT" >"$WORK/$name.log" 2>&1 &
    pid=$!
    PIDS+=("$pid")
    wait_pong "$port" "$pid" || { echo "$name did not start:"; tail -5 "$WORK/$name.log"; exit 1; } >&2
    line="$(printf '%-10s trial %d:' "$name" "$trial")"
    for ((slice = 1; slice <= SLICES; slice++)); do
      rps="$(taskset -c 0 redis-benchmark -p "$port" -c 50 -r 100000 -d 3 -t get -n "$REQUESTS" -P 16 --csv 2>/dev/null \
        | tail -1 | cut -d, -f2 | tr -d '"')"
      line+="$(printf ' %7.0f' "${rps:-0}")"
    done
    echo "$line"
    kill "$pid"; wait "$pid" 2>/dev/null || true
  done
done
