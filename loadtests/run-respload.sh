#!/usr/bin/env bash
# run-respload.sh [HOST:PORT | PORT] [RespLoad options...]
#
# Builds RespLoad in Release (incremental, quiet) and runs it against HOST:PORT (default 127.0.0.1:6379; loopback
# only - RespLoad refuses any other host) with these defaults, each of which a later option overrides:
#   --clients 50 --pipeline 16 --mix set:50,get:50 --keyspace 100000 --requests 1000000 --warmup 1s
#   --max-duration 120s --verify
# (--requests 1000000 is left out when you give --duration without --requests)
# (--no-verify turns checking off, e.g. to compare with redis-benchmark's 3-byte values: --no-verify --value-size 3)
#
# Examples
#   loadtests/run-respload.sh 127.0.0.1:6379
#   loadtests/run-respload.sh 7000 --mix mset:50,mget:50 --keys-per-multi 10 --json /tmp/mset.json
#   loadtests/run-respload.sh 127.0.0.1:7000 --duration 30s --clients 100 --pipeline 1 --csv results.csv
#   RESPLOAD_NO_BUILD=1 loadtests/run-respload.sh 6379 --self-test
# Exit code: RespLoad's (0 ok, 1 mismatches, 2 usage, 3 connection failure, 4 stopped by --max-duration).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
PROJECT="$ROOT/loadtests/RespLoad/RespLoad.csproj"
DLL="$ROOT/loadtests/RespLoad/bin/Release/net10.0/RespLoad.dll"

case "${1:-}" in
  -h|--help) sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//; /^set -euo/d'; exit 0;;
esac

HOST=127.0.0.1
PORT=6379
if [[ $# -gt 0 && "$1" != -* ]]; then
  target="$1"; shift
  if [[ "$target" =~ ^[0-9]+$ ]]; then
    PORT="$target"
  elif [[ "$target" =~ ^\[(.+)\]:([0-9]+)$ ]]; then
    HOST="${BASH_REMATCH[1]}"; PORT="${BASH_REMATCH[2]}"
  elif [[ "$target" =~ ^([^:]+):([0-9]+)$ ]]; then
    HOST="${BASH_REMATCH[1]}"; PORT="${BASH_REMATCH[2]}"
  else
    echo "run-respload.sh: target '$target' is not HOST:PORT, [IPv6]:PORT or PORT" >&2; exit 2
  fi
fi

if [[ "${RESPLOAD_NO_BUILD:-0}" != 1 || ! -f "$DLL" ]]; then
  log="$(mktemp -t respload-build.XXXXXX)"
  if ! dotnet build "$PROJECT" -c Release -nologo -v quiet >"$log" 2>&1; then
    echo "run-respload.sh: build failed:" >&2; tail -n 30 "$log" >&2; rm -f "$log"; exit 2
  fi
  rm -f "$log"
fi

# --duration alone means "run for that long": then the default request count is not applied.
requests=(--requests 1000000)
for a in "$@"; do
  case "$a" in --duration) requests=();; esac
done
for a in "$@"; do
  case "$a" in --requests|-n) requests=(--requests 1000000);; esac
done

exec dotnet "$DLL" --host "$HOST" --port "$PORT" \
  --clients 50 --pipeline 16 --mix set:50,get:50 --keyspace 100000 "${requests[@]}" --warmup 1s \
  --max-duration 120s --verify "$@"
