#!/usr/bin/env bash
# Starts a local Redis on 127.0.0.1:6379 (installing redis-server if missing; an already running one is reused)
# and RespProxy in front of it on 127.0.0.1:6380. Ctrl+C stops both.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/install-deps.sh

work=".run/redis-6379"
redis_pid=""
cleanup() {
  if [ -n "$redis_pid" ]; then
    kill "$redis_pid" 2>/dev/null || true
  fi
}
trap cleanup EXIT INT TERM

if redis-cli -h 127.0.0.1 -p 6379 PING >/dev/null 2>&1; then
  echo "Using the Redis already listening on 127.0.0.1:6379."
else
  mkdir -p "$work"
  redis-server --bind 127.0.0.1 --port 6379 --dir "$PWD/$work" --save "" --appendonly no \
    --daemonize no --logfile "$PWD/$work/redis.log" &
  redis_pid=$!
  for _ in $(seq 1 100); do
    redis-cli -h 127.0.0.1 -p 6379 PING >/dev/null 2>&1 && break
    kill -0 "$redis_pid" 2>/dev/null || { echo "redis-server failed to start; see $work/redis.log" >&2; exit 1; }
    sleep 0.1
  done
  echo "Started redis-server (pid $redis_pid) on 127.0.0.1:6379."
fi

echo "Starting RespProxy on 127.0.0.1:6380 (admin http://127.0.0.1:9121/healthz)."
echo "Connect with: redis-cli -p 6380"
dotnet run --project src/Proxy -c Release -- --config config/standalone.json "$@"
