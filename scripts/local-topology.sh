#!/usr/bin/env bash
# Starts (or stops) the local default topology of config/sentinel.json on loopback addresses:
#   master   127.0.1.1:6379 (dc1)
#   replicas 127.0.1.2:6379 (dc1) and 127.0.2.1:6379 (dc2)
#   sentinels 127.0.0.1:26379, :26380, :26381 watching "mymaster" (quorum 2, down-after 1000 ms)
# Usage: scripts/local-topology.sh start|stop [DIR]   (DIR defaults to .run/topology; PIDs are kept there)
set -euo pipefail
cd "$(dirname "$0")/.."
action="${1:-start}"
dir="$(mkdir -p "${2:-.run/topology}" && cd "${2:-.run/topology}" && pwd)"

stop_all() {
  for pidfile in "$dir"/*.pid; do
    [ -e "$pidfile" ] || continue
    pid="$(cat "$pidfile")"
    kill "$pid" 2>/dev/null || true
    rm -f "$pidfile"
  done
}

wait_ping() { # host port
  for _ in $(seq 1 150); do
    redis-cli -h "$1" -p "$2" PING >/dev/null 2>&1 && return 0
    sleep 0.1
  done
  echo "no answer from $1:$2" >&2
  return 1
}

start_redis() { # name host port [replicaof-host replicaof-port]
  local name="$1" host="$2" port="$3"
  mkdir -p "$dir/$name"
  {
    echo "bind $host"
    echo "bind-source-addr $host"
    echo "port $port"
    echo "dir $dir/$name"
    echo "save \"\""
    echo "appendonly no"
    echo "protected-mode no"
    echo "logfile $dir/$name/redis.log"
    [ $# -ge 5 ] && echo "replicaof $4 $5"
  } > "$dir/$name/redis.conf"
  redis-server "$dir/$name/redis.conf" --daemonize no &
  echo $! > "$dir/$name.pid"
  wait_ping "$host" "$port"
}

start_sentinel() { # name port
  local name="$1" port="$2"
  mkdir -p "$dir/$name"
  cat > "$dir/$name/sentinel.conf" <<CONF
bind 127.0.0.1
port $port
dir $dir/$name
logfile $dir/$name/sentinel.log
sentinel monitor mymaster 127.0.1.1 6379 2
sentinel down-after-milliseconds mymaster 1000
sentinel failover-timeout mymaster 5000
sentinel parallel-syncs mymaster 1
CONF
  redis-sentinel "$dir/$name/sentinel.conf" --daemonize no &
  echo $! > "$dir/$name.pid"
  wait_ping 127.0.0.1 "$port"
}

case "$action" in
  stop)
    stop_all
    ;;
  start)
    stop_all
    start_redis master 127.0.1.1 6379
    start_redis replica-dc1 127.0.1.2 6379 127.0.1.1 6379
    start_redis replica-dc2 127.0.2.1 6379 127.0.1.1 6379
    start_sentinel sentinel-1 26379
    start_sentinel sentinel-2 26380
    start_sentinel sentinel-3 26381
    for _ in $(seq 1 150); do
      replicas="$(redis-cli -h 127.0.1.1 -p 6379 INFO replication | grep -c 'state=online' || true)"
      [ "$replicas" -ge 2 ] && break
      sleep 0.1
    done
    echo "Topology up in $dir: master 127.0.1.1:6379, replicas 127.0.1.2:6379 (dc1) and 127.0.2.1:6379 (dc2), sentinels 127.0.0.1:26379-26381."
    ;;
  *)
    echo "usage: $0 start|stop [DIR]" >&2
    exit 2
    ;;
esac
