#!/usr/bin/env python3
"""RespProxy's cost in each topology mode, side by side on the same Redis servers.

Starts two sentinel-managed groups on free loopback ports (g1: master + replica, g2: master + replica, one
sentinel watching both), then measures, round by round in rotating order:

  direct            redis-benchmark straight to g1's master (reference)
  standalone        --Topology:Mode=Standalone over g1's master
  sentinel          sentinel mode, one group (all slots), reads to the master
  sentinel-replica  sentinel mode, one group, reads to the replica in the proxy's datacenter (PreferReplica)
  sentinel-2groups  sentinel mode, keys preshard over g1 and g2 by slot, reads to replicas; MSET/MGET split

Every endpoint serves the same requests on the same CPU: redis-benchmark on CPU 0, every Redis, the sentinel and
the proxy on CPU 1 (the shared harness's pinning). Printed per test: requests per second and the proxy's CPU per
request (utime+stime of /proc/<pid>/stat around the run), medians over the rounds. Processes are stopped by PID.

  loadtests/modes-compare.py --proxy-bin /tmp/pub/RespProxy --rounds 3
  loadtests/modes-compare.py            # builds RespProxy (Release) into a temp dir first
"""
import argparse
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TICK = os.sysconf("SC_CLK_TCK")
TESTS = {  # name: (redis-benchmark arguments, share of --requests); as in the shared harness (proxy-bench.sh)
    "set_p1": (["-t", "set", "-P", "1"], 0.25), "get_p1": (["-t", "get", "-P", "1"], 0.25),
    "set_p16": (["-t", "set", "-P", "16"], 1.0), "get_p16": (["-t", "get", "-P", "16"], 1.0),
    "mset10": (["-t", "mset", "-P", "1"], 0.1), "mget10": (["-P", "1", "MGET"] + ["key:__rand_int__"] * 10, 0.1),
}


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def pinned(cpu, argv):
    return (["taskset", "-c", str(cpu)] + argv) if shutil.which("taskset") else argv


def cpu_ticks(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return int(fields[11]) + int(fields[12])


def wait_for(what, condition, timeout=20.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.05)
    sys.exit(f"modes-compare: timed out waiting for {what}")


def cli(port, *args):
    result = subprocess.run(["redis-cli", "-p", str(port), *args], capture_output=True, text=True, timeout=10)
    return result.stdout if result.returncode == 0 else ""


class Processes:
    def __init__(self):
        self.pids = []

    def start(self, argv, log):
        with open(log, "ab") as out:
            proc = subprocess.Popen(pinned(1, argv), stdout=out, stderr=subprocess.STDOUT)
        self.pids.append(proc)
        return proc

    def stop(self, proc):
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        self.pids.remove(proc)

    def stop_all(self):
        for proc in list(reversed(self.pids)):
            self.stop(proc)


def start_topology(procs, work):
    ports = {name: free_port() for name in ("m1", "r1", "m2", "r2", "sentinel")}
    for name in ("m1", "r1", "m2", "r2"):
        argv = ["redis-server", "--port", str(ports[name]), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
                "--dir", work]
        if name.startswith("r"):
            argv += ["--replicaof", "127.0.0.1", str(ports["m" + name[1]])]
        procs.start(argv, f"{work}/{name}.log")
    for name in ports:
        if name != "sentinel":
            wait_for(f"redis {name}", lambda p=ports[name]: cli(p, "PING").strip() == "PONG")
    for replica in ("r1", "r2"):
        wait_for(f"{replica} in sync", lambda p=ports[replica]: "master_link_status:up" in cli(p, "INFO", "replication"))
    conf = f"{work}/sentinel.conf"
    with open(conf, "w") as f:
        f.write(f"port {ports['sentinel']}\nbind 127.0.0.1\ndir {work}\n")
        for group, master in (("g1", "m1"), ("g2", "m2")):
            f.write(f"sentinel monitor {group} 127.0.0.1 {ports[master]} 1\n")
            f.write(f"sentinel down-after-milliseconds {group} 5000\n")
    procs.start(["redis-sentinel", conf], f"{work}/sentinel.log")
    wait_for("the sentinel to see both replicas",
             lambda: all("127.0.0.1" in cli(ports["sentinel"], "SENTINEL", "REPLICAS", g) for g in ("g1", "g2")))
    return ports


def proxy_args(endpoint, ports, listen):
    common = [f"--Proxy:Listen=127.0.0.1:{listen}", "--Proxy:AdminListen=127.0.0.1:0",
              "--Logging:LogLevel:Default=Warning"]
    if endpoint == "standalone":
        return common + ["--Topology:Mode=Standalone", f"--Topology:Servers:0=127.0.0.1:{ports['m1']}"]
    sentinel = common + ["--Topology:Mode=Sentinel", f"--Topology:Sentinels:0=127.0.0.1:{ports['sentinel']}",
                         "--Proxy:DataCenter=dc1", "--Topology:DataCenters:dc1:0=127.0.0.0/8"]
    if endpoint == "sentinel":
        return sentinel + ["--Topology:Groups:0:Name=g1", "--Topology:ReadPolicy=Master"]
    if endpoint == "sentinel-replica":
        return sentinel + ["--Topology:Groups:0:Name=g1", "--Topology:ReadPolicy=PreferReplica"]
    return sentinel + ["--Topology:Groups:0:Name=g1", "--Topology:Groups:0:Slots=0-8191",
                       "--Topology:Groups:1:Name=g2", "--Topology:Groups:1:Slots=8192-16383",
                       "--Topology:ReadPolicy=PreferReplica"]


def expected_readers(endpoint):
    return {"sentinel-replica": 1, "sentinel-2groups": 2}.get(endpoint, 0)


def bench(port, test, requests, clients):
    test_args, share = TESTS[test]
    n = max(1000, int(requests * share))
    argv = pinned(0, ["redis-benchmark", "-p", str(port), "-c", str(clients), "-r", "100000", "-n", str(n), "-q",
                      *test_args])
    out = subprocess.run(argv, capture_output=True, text=True, timeout=600).stdout.replace("\r", "\n")
    lines = [line for line in out.splitlines() if "requests per second" in line]
    if not lines:
        sys.exit(f"modes-compare: no result from {' '.join(argv)}")
    return n, float(re.search(r"([0-9.]+) requests per second", lines[-1]).group(1))


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--proxy-bin")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--requests", type=int, default=1_000_000, help="pipeline-16 requests per run; others scaled")
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--tests", default=" ".join(TESTS))
    parser.add_argument("--endpoints", default="direct standalone sentinel sentinel-replica sentinel-2groups")
    args = parser.parse_args()
    tests = args.tests.split()
    endpoints = args.endpoints.split()

    work = tempfile.mkdtemp(prefix="respproxy-modes.")
    proxy_bin = args.proxy_bin
    if not proxy_bin:
        subprocess.run(["dotnet", "publish", f"{ROOT}/src/Proxy", "-c", "Release", "-o", f"{work}/publish", "-nologo",
                        "-v", "quiet"], check=True, stdout=subprocess.DEVNULL)
        proxy_bin = f"{work}/publish/RespProxy"

    procs = Processes()
    results = {}  # (endpoint, test) -> [(rps, cpu_us_per_request)]
    try:
        ports = start_topology(procs, work)
        for round_index in range(args.rounds):
            order = endpoints[round_index % len(endpoints):] + endpoints[:round_index % len(endpoints)]
            for endpoint in order:
                proxy = None
                port = ports["m1"]
                if endpoint != "direct":
                    port = free_port()
                    proxy = procs.start([proxy_bin, *proxy_args(endpoint, ports, port)], f"{work}/{endpoint}.log")
                    wait_for(f"{endpoint} to answer", lambda: cli(port, "PING").strip() == "PONG")
                    readers = expected_readers(endpoint)
                    wait_for(f"{endpoint} to route reads to {readers} replica(s)",
                             lambda: cli(port, "INFO", "proxy").count("readers=127.") >= readers)
                # Warm-up of every test before any is measured: JIT tiering waits until no new method has been
                # compiled for a while, and a sentinel-mode proxy compiles its watcher's code in its first seconds;
                # warming only the test about to run left the first test of sentinel modes partly on unoptimised code.
                for test in tests:
                    bench(port, test, args.requests // 10, args.clients)
                for test in tests:
                    before = cpu_ticks(proxy.pid) if proxy else 0
                    n, rps = bench(port, test, args.requests, args.clients)
                    used = (cpu_ticks(proxy.pid) - before) if proxy else 0
                    results.setdefault((endpoint, test), []).append((rps, used * 1e6 / TICK / n))
                    print(f"round {round_index + 1} {endpoint:17} {test:8} {rps:12,.0f} rps"
                          + (f"  proxy {used * 1e6 / TICK / n:6.2f} us/req" if proxy else ""), flush=True)
                if proxy:
                    procs.stop(proxy)
    finally:
        procs.stop_all()

    print(f"\nmedians of {args.rounds} rounds: requests per second (ratio to direct), proxy CPU us per request")
    print("| test | " + " | ".join(endpoints) + " |")
    print("|---|" + "---:|" * len(endpoints))
    for test in tests:
        direct = statistics.median(r for r, _ in results[("direct", test)]) if "direct" in endpoints else None
        cells = []
        for endpoint in endpoints:
            rps = statistics.median(r for r, _ in results[(endpoint, test)])
            cell = f"{rps:,.0f}"
            if endpoint != "direct":
                if direct:
                    cell += f" ({rps / direct:.2f})"
                cell += f", {statistics.median(c for _, c in results[(endpoint, test)]):.2f} us"
            cells.append(cell)
        print(f"| {test} | " + " | ".join(cells) + " |")
    shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
