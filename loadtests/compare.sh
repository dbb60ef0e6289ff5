#!/usr/bin/env bash
# compare.sh - RespProxy side by side with direct Redis and twemproxy (and any other --extra proxy), measured by
# the shared harness ../shared/bench/proxy-bench.sh (redis-benchmark, interleaved rounds, medians, p50/p99,
# ratio to direct, proxy CPU per request).
#
#   1. builds RespProxy once, in Release:  dotnet publish src/Proxy -c Release -o <publish dir>
#   2. runs proxy-bench.sh with  --extra 'respproxy=<publish dir>/RespProxy --Proxy:Listen=127.0.0.1:{listen_port}
#        --Proxy:AdminListen=127.0.0.1:0 --Topology:Mode=Standalone --Topology:Servers:0=127.0.0.1:{backend_port}'
#      plus every other argument given here (--extra, --rounds, --tests, --out, ... see proxy-bench.sh --help);
#   3. prints where the summary is.
#
# Own options (everything else goes to proxy-bench.sh unchanged):
#   --publish-dir DIR   where to publish RespProxy (default: a fresh temp dir)
#   --no-build          do not build; use --proxy-bin, or RespProxy already in --publish-dir
#   --proxy-bin PATH    the RespProxy executable to measure (implies --no-build)
#   --proxy-args 'ARGS' extra arguments appended to the RespProxy command line (e.g. --Logging:LogLevel:Default=Warning)
#   --name NAME         endpoint name in the tables (default respproxy)
#   --dry-run           print the proxy-bench.sh command line and stop (no build, no run)
# Environment: PROXY_BENCH=/path/to/proxy-bench.sh overrides the harness location.
#
# Examples (from anywhere; paths are resolved from the repo root):
#   loadtests/compare.sh                                   # full default run, about 3-4 minutes
#   loadtests/compare.sh --rounds 3 --tests "set_p16 get_p16"
#   loadtests/compare.sh --rounds 3 --extra 'haproxy={bench_dir}/extras/haproxy-l4.sh {backend_port} {listen_port} {work_dir}'
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BENCH="${PROXY_BENCH:-}"
if [[ -z "$BENCH" ]]; then
  BENCH="$ROOT/../shared/bench/proxy-bench.sh"
  if [[ -d "$ROOT/../shared/bench" ]]; then BENCH="$(cd "$ROOT/../shared/bench" && pwd)/proxy-bench.sh"; fi
fi

PUBLISH_DIR=""
BUILD=1
PROXY_BIN=""
PROXY_ARGS=""
NAME="respproxy"
DRY_RUN=0
OUT_DIR=""
PASS=()

usage() { sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//; /^set -euo/d'; }

need_value() { [[ $# -ge 2 ]] || { echo "compare.sh: $1 needs a value" >&2; exit 2; }; }

while [[ $# -gt 0 ]]; do
  case "$1" in
    --publish-dir) need_value "$@"; PUBLISH_DIR="$2"; shift 2;;
    --no-build) BUILD=0; shift;;
    --proxy-bin) need_value "$@"; PROXY_BIN="$2"; BUILD=0; shift 2;;
    --proxy-args) need_value "$@"; PROXY_ARGS="$2"; shift 2;;
    --name) need_value "$@"; NAME="$2"; shift 2;;
    --dry-run) DRY_RUN=1; shift;;
    -h|--help) usage; echo; echo "proxy-bench.sh options:"; "$BENCH" --help | sed -n '/^Flags/,$p'; exit 0;;
    --out) need_value "$@"; OUT_DIR="$2"; shift 2;;
    --no-rotate|--no-twemproxy) PASS+=("$1"); shift;;
    --summarize) echo "compare.sh: for --summarize call $BENCH directly" >&2; exit 2;;
    --*) need_value "$@"; PASS+=("$1" "$2"); shift 2;;
    *) echo "compare.sh: unexpected argument '$1' (try --help)" >&2; exit 2;;
  esac
done

[[ "$NAME" =~ ^[A-Za-z0-9_.-]+$ ]] || { echo "compare.sh: bad --name '$NAME'" >&2; exit 2; }
[[ -f "$BENCH" ]] || { echo "compare.sh: harness not found at $BENCH (set PROXY_BENCH)" >&2; exit 2; }

# make_dir DIR|"" TEMPLATE -> absolute path (a fresh temp dir when empty); nothing is created by --dry-run
make_dir() {
  if [[ "$DRY_RUN" == 1 ]]; then echo "${1:-<new temp dir>}"; return; fi
  local d="$1"
  if [[ -z "$d" ]]; then d="$(mktemp -d -t "$2")"; fi
  mkdir -p "$d" && (cd "$d" && pwd)
}

if [[ -z "$PROXY_BIN" ]]; then
  if [[ -z "$PUBLISH_DIR" && "$BUILD" == 0 ]]; then
    echo "compare.sh: --no-build needs --proxy-bin or --publish-dir" >&2; exit 2
  fi
  PUBLISH_DIR="$(make_dir "$PUBLISH_DIR" respproxy-publish.XXXXXX)"
  PROXY_BIN="$PUBLISH_DIR/RespProxy"
elif [[ "$PROXY_BIN" != /* && "$DRY_RUN" == 0 ]]; then
  PROXY_BIN="$(cd "$(dirname "$PROXY_BIN")" && pwd)/$(basename "$PROXY_BIN")"   # the harness runs it from elsewhere
fi
OUT_DIR="$(make_dir "$OUT_DIR" respproxy-compare.XXXXXX)"

# The template goes through `bash -c` in proxy-bench.sh: quote the binary path, exec so the proxy itself is the
# service process. {listen_port} and {backend_port} are filled in by the harness.
TEMPLATE="exec $(printf '%q' "$PROXY_BIN") --Proxy:Listen=127.0.0.1:{listen_port} --Proxy:AdminListen=127.0.0.1:0"
TEMPLATE+=" --Topology:Mode=Standalone --Topology:Servers:0=127.0.0.1:{backend_port}"
if [[ -n "$PROXY_ARGS" ]]; then TEMPLATE+=" $PROXY_ARGS"; fi

CMD=("$BENCH" --out "$OUT_DIR" --extra "$NAME=$TEMPLATE" "${PASS[@]}")

if [[ "$DRY_RUN" == 1 ]]; then
  printf '%q ' "${CMD[@]}"; echo
  exit 0
fi

if [[ "$BUILD" == 1 ]]; then
  echo "compare.sh: building RespProxy (Release) into $PUBLISH_DIR" >&2
  if ! (cd "$ROOT" && dotnet publish src/Proxy -c Release -o "$PUBLISH_DIR" -nologo -v quiet) >"$OUT_DIR/build.log" 2>&1; then
    echo "compare.sh: dotnet publish src/Proxy failed; last lines of $OUT_DIR/build.log:" >&2
    tail -n 30 "$OUT_DIR/build.log" >&2
    exit 1
  fi
fi
[[ -x "$PROXY_BIN" ]] || { echo "compare.sh: $PROXY_BIN is missing or not executable" >&2; exit 1; }

echo "compare.sh: $(printf '%q ' "${CMD[@]}")" >&2
rc=0
"${CMD[@]}" || rc=$?

echo
if [[ -f "$OUT_DIR/summary.md" ]]; then
  echo "summary: $OUT_DIR/summary.md"
  echo "raw rows: $OUT_DIR/raw.tsv   run info: $OUT_DIR/run.info   logs: $OUT_DIR/logs/ (RespProxy: logs/$NAME.log)"
else
  echo "compare.sh: no summary was written (proxy-bench.sh exit code $rc); logs: $OUT_DIR/logs/" >&2
fi
exit "$rc"
