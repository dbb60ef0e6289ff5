#!/usr/bin/env bash
# cpu-per-request.sh PROXY_PID REDIS_PID PORT [redis-benchmark options...]
#
# One quick A/B data point for a proxy that is already running (pinned by the caller, e.g. `taskset -c 1`): runs
# redis-benchmark (50 clients, pinned to CPU 0) against PORT and prints throughput, p50, and the CPU time per request
# of the proxy and of the Redis behind it, from /proc/<pid>/stat (utime + stime) before and after. Alternate two
# proxies a few times; the shared proxy-bench harness (loadtests/compare.sh) is the reference measurement.
#   loadtests/cpu-per-request.sh 1234 1200 6380 -t get -n 300000
#   loadtests/cpu-per-request.sh 1234 1200 6380 -t get -n 2000000 -P 16
set -euo pipefail
[[ $# -ge 3 ]] || { sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//; /^set -euo/d'; exit 2; }
PROXY_PID=$1; REDIS_PID=$2; PORT=$3; shift 3
REQUESTS=$(printf '%s\n' "$@" | awk 'prev=="-n"{print; exit} {prev=$0}')
[[ -n "$REQUESTS" ]] || { echo "cpu-per-request.sh: give the request count with -n" >&2; exit 2; }
ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
HZ=$(getconf CLK_TCK)
p0=$(ticks "$PROXY_PID"); r0=$(ticks "$REDIS_PID")
line=$(taskset -c 0 redis-benchmark -p "$PORT" -c 50 -r 100000 -d 3 --csv "$@" 2>/dev/null | tail -1)
p1=$(ticks "$PROXY_PID"); r1=$(ticks "$REDIS_PID")
python3 - "$line" "$((p1 - p0))" "$((r1 - r0))" "$REQUESTS" "$HZ" <<'PY'
import sys
fields = [f.strip('"') for f in sys.argv[1].split(',')]
proxy, redis, n, hz = int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
us = lambda ticks: ticks * 1e6 / hz / n
print(f"rps={fields[1]} p50_ms={fields[4]} proxy_cpu_us_per_req={us(proxy):.2f} redis_cpu_us_per_req={us(redis):.2f}")
PY
