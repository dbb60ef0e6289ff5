#!/usr/bin/env bash
# Starts the local default topology (scripts/local-topology.sh: 1 master, 2 replicas in two datacenters,
# 3 sentinels, all on loopback; installs redis-server/redis-sentinel if missing) and RespProxy in sentinel mode in
# front of it on 127.0.0.1:6380. Ctrl+C stops everything.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/install-deps.sh
trap 'scripts/local-topology.sh stop' EXIT INT TERM
scripts/local-topology.sh start

echo "Starting RespProxy (sentinel mode, ReadPolicy PreferReplica, datacenter dc1) on 127.0.0.1:6380;"
echo "health and INFO: http://127.0.0.1:9121/healthz, redis-cli -p 6380 INFO proxy"
echo "Connect with: redis-cli -p 6380"
dotnet run --project src/Proxy -c Release -- --config config/sentinel.json "$@"
