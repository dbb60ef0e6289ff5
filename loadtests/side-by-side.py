#!/usr/bin/env python3
"""side-by-side.py - direct Redis, twemproxy, RespProxy and any other proxy, measured with our own load generator.

Starts one redis-server and, in front of it, twemproxy (nutcracker), RespProxy and every --extra proxy, each on a free
loopback port. Then, round by round, runs RespLoad against every endpoint for every test, in an order that rotates
each round (so no endpoint always runs first or last), and summarises medians, ratios to direct Redis (overall and
paired within a round), latency percentiles and the CPU time each endpoint and the Redis behind it spent per request.
With --verify every reply of every run is checked against its own request; a mismatch fails the run (exit 1).

This is loadtests/compare.sh's comparison with RespLoad instead of redis-benchmark, and with nothing outside the
repository. compare.sh (the shared harness) stays the reference for the numbers quoted in docs/BENCHMARKS.md.

  loadtests/side-by-side.py                                   # 5 rounds of the six standard tests
  loadtests/side-by-side.py --rounds 3 --tests "get_p16 mget10" --verify
  loadtests/side-by-side.py --extra 'other=/path/to/proxy --listen 127.0.0.1:{listen_port} --backend 127.0.0.1:{backend_port}'
  loadtests/side-by-side.py --test 'mixed=--pipeline 8 --mix set:40,get:40,mget:20 --keys-per-multi 4 --requests 300k'

Pinning (--pin split, the default, as the shared harness does): RespLoad on CPU 0, Redis and every proxy on CPU 1, so
a proxy shares one core with Redis. --pin none leaves scheduling to the kernel (CI machines, containers).
Processes are started by this script and stopped by their PIDs; only loopback addresses are used.
Exit codes: 0 ok, 1 a run failed or a reply did not match, 2 usage or set-up error.
"""

import argparse
import json
import math
import os
import shlex
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field

from loopback import answers_ping, free_port

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
HZ = os.sysconf("SC_CLK_TCK")

# The six tests of the shared harness, as RespLoad arguments (request counts are added per test kind).
STANDARD_TESTS = {
    "set_p1": ("p1", "--pipeline 1 --mix set:1"),
    "get_p1": ("p1", "--pipeline 1 --mix get:1"),
    "set_p16": ("p16", "--pipeline 16 --mix set:1"),
    "get_p16": ("p16", "--pipeline 16 --mix get:1"),
    "mset10": ("multi", "--pipeline 1 --mix mset:1 --keys-per-multi 10"),
    "mget10": ("multi", "--pipeline 1 --mix mget:1 --keys-per-multi 10"),
}


@dataclass
class Endpoint:
    name: str
    port: int
    process: subprocess.Popen


@dataclass
class Sample:
    round: int
    test: str
    endpoint: str
    rps: float
    p50_ms: float
    p99_ms: float
    cpu_us: float
    backend_cpu_us: float
    requests: int
    mismatches: int
    failures: list = field(default_factory=list)


def parse_args(argv):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--rounds", type=int, default=5)
    p.add_argument("--tests", default=" ".join(STANDARD_TESTS), help="space-separated names (standard or --test)")
    p.add_argument("--test", action="append", default=[], metavar="NAME=ARGS",
                   help="an extra test: RespLoad arguments, with --requests (repeatable); add NAME to --tests too,"
                        " or leave --tests alone to run it after the standard ones")
    p.add_argument("--clients", type=int, default=50)
    p.add_argument("--keyspace", type=int, default=100_000)
    p.add_argument("--value-size", type=int, default=3, help="ignored with --verify (RespLoad needs more)")
    p.add_argument("--n-p1", type=int, default=100_000, help="requests per pipeline-1 run")
    p.add_argument("--n-p16", type=int, default=1_000_000, help="requests per pipeline-16 run")
    p.add_argument("--n-multi", type=int, default=100_000, help="requests per MSET/MGET run")
    p.add_argument("--warmup-seconds", type=float, default=1.0,
                   help="an unrecorded warm-up pass runs each test this long against every endpoint first (JIT"
                        " tiering of a .NET proxy needs seconds of load, not a request count); 0 = none")
    p.add_argument("--verify", action="store_true", help="check every reply against its request")
    p.add_argument("--pin", choices=["split", "none"], default="split")
    p.add_argument("--proxy-bin", help="the RespProxy executable (default: publish src/Proxy in Release)")
    p.add_argument("--respload-dll", help="RespLoad.dll (default: build loadtests/RespLoad in Release)")
    p.add_argument("--no-respproxy", action="store_true", help="leave RespProxy out (compare other proxies only)")
    p.add_argument("--no-twemproxy", action="store_true")
    p.add_argument("--extra", action="append", default=[], metavar="NAME=TEMPLATE",
                   help="another proxy: a shell command with {listen_port} and {backend_port} (repeatable);"
                        " run it in the foreground (exec it), so its CPU time is counted")
    p.add_argument("--out", help="results directory (default: a new temp dir)")
    args = p.parse_args(argv)
    if args.rounds < 1:
        p.error("--rounds must be at least 1")
    args.custom = {}
    for spec in args.test:
        name, sep, test_args = spec.partition("=")
        if not sep or not name.isidentifier() or "--requests" not in test_args and "-n " not in test_args:
            p.error(f"--test '{spec}': want NAME=ARGS with --requests N")
        args.custom[name] = ("custom", test_args)
    if args.test and args.tests == p.get_default("tests"):
        args.tests += " " + " ".join(args.custom)
    args.test_names = args.tests.split()
    unknown = [t for t in args.test_names if t not in STANDARD_TESTS and t not in args.custom]
    if unknown:
        p.error(f"unknown tests: {' '.join(unknown)}")
    for spec in args.extra:
        name, sep, template = spec.partition("=")
        if not sep or not name.replace("-", "_").isidentifier() or "{listen_port}" not in template:
            p.error(f"--extra '{spec}': want NAME=TEMPLATE with {{listen_port}}")
    return args


class Processes:
    """Everything this script started, stopped by PID (never by name) when the run ends, however it ends."""

    def __init__(self, log_dir, pin):
        self._started = []
        self._log_dir = log_dir
        self._pin = pin

    def start(self, name, argv, cpu=1):
        if self._pin == "split":
            argv = ["taskset", "-c", str(cpu)] + argv
        log = open(os.path.join(self._log_dir, f"{name}.log"), "wb")
        # A session of its own: a Ctrl-C in the terminal reaches this script only, which then stops everything.
        process = subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                   start_new_session=True)
        self._started.append(process)
        return process

    def stop_all(self):
        for process in reversed(self._started):
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + 10
        for process in reversed(self._started):
            try:
                process.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def wait_for_pong(name, port, process, timeout_s=60):
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SetupError(f"{name} exited with {process.returncode} before answering PING (see its log)")
        if answers_ping(port):
            return
        time.sleep(0.05)
    raise SetupError(f"{name} did not answer PING on 127.0.0.1:{port} within {timeout_s} s")


class SetupError(Exception):
    pass


def cpu_ticks(pid):
    """utime + stime of a process and all its descendants (a wrapper shell's child is counted too)."""
    children = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as f:
                    fields = f.read().rsplit(")", 1)[1].split()
                children.setdefault(int(fields[1]), []).append((int(entry), int(fields[11]) + int(fields[12])))
            except (OSError, IndexError):
                continue
    total, stack = 0, [pid]
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        total = int(fields[11]) + int(fields[12])
    except OSError:
        return 0
    while stack:
        for child, ticks in children.get(stack.pop(), []):
            total += ticks
            stack.append(child)
    return total


def build(args, out_dir):
    if args.respload_dll is None:
        project = os.path.join(ROOT, "loadtests", "RespLoad", "RespLoad.csproj")
        run_quietly(["dotnet", "build", project, "-c", "Release", "-nologo", "-v", "quiet"], out_dir, "build-respload")
        args.respload_dll = os.path.join(ROOT, "loadtests", "RespLoad", "bin", "Release", "net10.0", "RespLoad.dll")
    if args.proxy_bin is None and not args.no_respproxy:
        publish_dir = os.path.join(out_dir, "publish")
        run_quietly(["dotnet", "publish", os.path.join(ROOT, "src", "Proxy"), "-c", "Release", "-o", publish_dir,
                     "-nologo", "-v", "quiet"], out_dir, "build-respproxy")
        args.proxy_bin = os.path.join(publish_dir, "RespProxy")
    for path in [args.respload_dll] + ([] if args.no_respproxy else [args.proxy_bin]):
        if not os.path.exists(path):
            raise SetupError(f"{path} does not exist")


def run_quietly(argv, out_dir, name):
    with open(os.path.join(out_dir, "logs", f"{name}.log"), "wb") as log:
        if subprocess.call(argv, stdout=log, stderr=subprocess.STDOUT) != 0:
            raise SetupError(f"{' '.join(argv)} failed: see {log.name}")


def start_endpoints(args, processes, work_dir):
    backend_port = free_port()
    redis = processes.start("redis", ["redis-server", "--port", str(backend_port), "--bind", "127.0.0.1",
                                      "--save", "", "--appendonly", "no", "--dir", work_dir])
    wait_for_pong("redis", backend_port, redis)
    endpoints = [Endpoint("direct", backend_port, redis)]

    if not args.no_twemproxy:
        if subprocess.call(["sh", "-c", "command -v nutcracker"], stdout=subprocess.DEVNULL) != 0:
            print("nutcracker not found: twemproxy left out (apt-get install nutcracker)", file=sys.stderr)
        else:
            endpoints.append(start_twemproxy(processes, work_dir, backend_port))

    if not args.no_respproxy:
        port = free_port()
        process = processes.start("respproxy", [
            args.proxy_bin, f"--Proxy:Listen=127.0.0.1:{port}", "--Proxy:AdminListen=127.0.0.1:0",
            "--Topology:Mode=Standalone", f"--Topology:Servers:0=127.0.0.1:{backend_port}"])
        wait_for_pong("respproxy", port, process)
        endpoints.append(Endpoint("respproxy", port, process))

    for spec in args.extra:
        name, _, template = spec.partition("=")
        port = free_port()
        command = template.replace("{listen_port}", str(port)).replace("{backend_port}", str(backend_port))
        process = processes.start(name, ["bash", "-c", command])
        wait_for_pong(name, port, process)
        endpoints.append(Endpoint(name, port, process))
    return endpoints


def start_twemproxy(processes, work_dir, backend_port):
    port, stats_port = free_port(), free_port()
    conf = os.path.join(work_dir, "nutcracker.yml")
    with open(conf, "w") as f:
        f.write("alpha:\n"
                f"  listen: 127.0.0.1:{port}\n"
                "  hash: fnv1a_64\n"
                "  distribution: ketama\n"
                "  redis: true\n"
                "  auto_eject_hosts: false\n"
                "  servers:\n"
                f"   - 127.0.0.1:{backend_port}:1\n")
    process = processes.start("twemproxy", ["nutcracker", "-c", conf, "-s", str(stats_port), "-a", "127.0.0.1",
                                            "-p", os.path.join(work_dir, "nutcracker.pid"),
                                            "-o", os.path.join(work_dir, "nutcracker.log")])
    wait_for_pong("twemproxy", port, process)
    return Endpoint("twemproxy", port, process)


def test_arguments(args, test, warmup=False):
    """RespLoad arguments of one test; the warm-up version runs for --warmup-seconds instead of a request count."""
    kind, test_args = STANDARD_TESTS.get(test) or args.custom[test]
    argv = shlex.split(test_args)
    if warmup:
        argv += ["--duration", f"{args.warmup_seconds:g}s"]
    elif kind != "custom":
        argv += ["--requests", str({"p1": args.n_p1, "p16": args.n_p16, "multi": args.n_multi}[kind])]
    return argv


def run_one(args, endpoint, backend, load_args, json_path, label):
    """One RespLoad run; returns (summary JSON, CPU ticks of the endpoint, CPU ticks of the Redis behind it)."""
    argv = ["dotnet", args.respload_dll, "--port", str(endpoint.port), "--clients", str(args.clients),
            "--keyspace", str(args.keyspace), "--warmup", "0", "--json", json_path, "--quiet", "--label", label]
    argv += ["--verify"] if args.verify else ["--no-verify", "--value-size", str(args.value_size)]
    argv += load_args
    if args.pin == "split":
        argv = ["taskset", "-c", "0"] + argv
    endpoint_before, backend_before = cpu_ticks(endpoint.process.pid), cpu_ticks(backend.process.pid)
    log_path = json_path[:-len(".json")] + ".log"
    with open(log_path, "wb") as log:
        code = subprocess.call(argv, stdout=log, stderr=subprocess.STDOUT)
    endpoint_ticks = cpu_ticks(endpoint.process.pid) - endpoint_before
    backend_ticks = cpu_ticks(backend.process.pid) - backend_before
    try:
        with open(json_path) as f:
            result = json.load(f)
    except (OSError, ValueError):
        result = {"requests": 0, "rps": 0.0, "ops": [], "verification": {"mismatches": 0}, "failures": []}
    if code != 0:
        result.setdefault("failures", []).append(f"RespLoad exited with {code} (log: {log_path})")
    return result, endpoint_ticks, backend_ticks


def to_sample(round_number, test, endpoint, result, endpoint_ticks, backend_ticks):
    requests = int(result.get("requests", 0))
    overall = next((op for op in result.get("ops", []) if op.get("op") == "ALL"), None) \
        or (result["ops"][-1] if result.get("ops") else {})
    per_request = (lambda ticks: ticks * 1e6 / HZ / requests) if requests else (lambda ticks: 0.0)
    return Sample(round_number, test, endpoint.name, float(result.get("rps", 0.0)),
                  float(overall.get("p50_ms", 0.0)), float(overall.get("p99_ms", 0.0)),
                  per_request(endpoint_ticks) if endpoint.name != "direct" else 0.0, per_request(backend_ticks),
                  requests, int(result.get("verification", {}).get("mismatches", 0)), list(result.get("failures", [])))


def is_failed(sample):
    return bool(sample.failures) or sample.mismatches > 0 or sample.requests == 0


def geometric_mean(values):
    values = [v for v in values if v > 0]
    return math.exp(sum(math.log(v) for v in values) / len(values)) if values else 0.0


def summarise(samples, tests, endpoint_names):
    by_key = {}
    for s in samples:
        by_key.setdefault((s.test, s.endpoint), []).append(s)
    lines = ["| test | endpoint | rps median | rps min | rps max | p50 ms | p99 ms | ratio vs direct | paired ratio"
             " med (min-max) | CPU us/req | Redis CPU us/req | mismatches | failed runs |",
             "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    ratios = {name: [] for name in endpoint_names}
    paired = {name: [] for name in endpoint_names}
    for test in tests:
        direct = {s.round: s.rps for s in by_key.get((test, "direct"), [])}
        direct_median = statistics.median(direct.values()) if direct else 0.0
        for name in endpoint_names:
            rows = by_key.get((test, name), [])
            if not rows:
                continue
            rps = [s.rps for s in rows]
            median = statistics.median(rps)
            ratio = median / direct_median if direct_median else 0.0
            pairs = [s.rps / direct[s.round] for s in rows if direct.get(s.round)]
            paired_text = "-"
            if name != "direct" and pairs:
                paired_text = f"{statistics.median(pairs):.2f} ({min(pairs):.2f}-{max(pairs):.2f})"
                ratios[name].append(ratio)
                paired[name].append(statistics.median(pairs))
            cpu = "-" if name == "direct" else f"{statistics.median(s.cpu_us for s in rows):.2f}"
            lines.append(f"| {test} | {name} | {median:,.0f} | {min(rps):,.0f} | {max(rps):,.0f} | "
                         f"{statistics.median(s.p50_ms for s in rows):.3f} | "
                         f"{statistics.median(s.p99_ms for s in rows):.3f} | {ratio:.2f} | {paired_text} | {cpu} | "
                         f"{statistics.median(s.backend_cpu_us for s in rows):.2f} | "
                         f"{sum(s.mismatches for s in rows)} | {sum(1 for s in rows if is_failed(s))} |")
    lines.append("")
    failed = sum(1 for s in samples if is_failed(s))
    if failed:
        lines.append(f"{failed} run(s) failed or did not verify: their numbers are not comparable (see runs/).")
        lines.append("")
    lines.append("Geometric mean over tests of (median rps / direct median rps):")
    for name in endpoint_names:
        if name != "direct" and ratios[name]:
            lines.append(f"- {name}: {geometric_mean(ratios[name]):.2f} (paired: {geometric_mean(paired[name]):.2f})"
                         f" over {len(ratios[name])} tests")
    return "\n".join(lines) + "\n"


def write_raw(samples, path):
    with open(path, "w") as f:
        f.write("round\ttest\tendpoint\trps\tp50_ms\tp99_ms\tcpu_us_per_req\tredis_cpu_us_per_req\trequests\t"
                "mismatches\tfailures\n")
        for s in samples:
            f.write(f"{s.round}\t{s.test}\t{s.endpoint}\t{s.rps:.1f}\t{s.p50_ms:.4f}\t{s.p99_ms:.4f}\t"
                    f"{s.cpu_us:.3f}\t{s.backend_cpu_us:.3f}\t{s.requests}\t{s.mismatches}\t"
                    f"{'; '.join(s.failures)}\n")


def report_progress(sample):
    failed = f"  FAILED: {'; '.join(sample.failures) or f'{sample.mismatches} mismatches'}" \
        if sample.failures or sample.mismatches else ""
    print(f"round {sample.round} {sample.test:8} {sample.endpoint:12} {sample.rps:>12,.0f} rps  "
          f"p50 {sample.p50_ms:.3f} ms{failed}", file=sys.stderr)


def interrupt(signum, frame):
    # SIGTERM (a CI timeout, kill PID) ends the run through the same clean-up as Ctrl-C.
    raise KeyboardInterrupt


def run(args):
    out_dir = args.out or tempfile.mkdtemp(prefix="side-by-side.")
    work_dir = os.path.join(out_dir, "work")
    for d in (out_dir, work_dir, os.path.join(out_dir, "logs"), os.path.join(out_dir, "runs")):
        os.makedirs(d, exist_ok=True)
    build(args, out_dir)
    processes = Processes(os.path.join(out_dir, "logs"), args.pin)
    signal.signal(signal.SIGTERM, interrupt)
    runs_dir = os.path.join(out_dir, "runs")
    samples = []
    try:
        endpoints = start_endpoints(args, processes, work_dir)
        direct = endpoints[0]
        print(f"endpoints: {', '.join(f'{e.name}=127.0.0.1:{e.port}' for e in endpoints)}; results in {out_dir}",
              file=sys.stderr)
        # GETs and MGETs should find values, as they do after redis-benchmark's SET test.
        prefill = ["--pipeline", "16", "--mix", "set:1", "--requests", str(args.keyspace * 3)]
        run_one(args, direct, direct, prefill, os.path.join(runs_dir, "prefill.json"), "prefill")
        if args.warmup_seconds > 0:
            for test in args.test_names:
                for endpoint in endpoints:
                    run_one(args, endpoint, direct, test_arguments(args, test, warmup=True),
                            os.path.join(runs_dir, f"warmup-{test}-{endpoint.name}.json"), f"warm-up {test}")
        for round_number in range(1, args.rounds + 1):
            for test in args.test_names:
                shift = (round_number - 1) % len(endpoints)
                for endpoint in endpoints[shift:] + endpoints[:shift]:
                    json_path = os.path.join(runs_dir, f"r{round_number}-{test}-{endpoint.name}.json")
                    result, endpoint_ticks, backend_ticks = run_one(
                        args, endpoint, direct, test_arguments(args, test), json_path, f"{test}/{endpoint.name}")
                    sample = to_sample(round_number, test, endpoint, result, endpoint_ticks, backend_ticks)
                    samples.append(sample)
                    report_progress(sample)
    except SetupError as e:
        print(f"side-by-side.py: {e}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("side-by-side.py: interrupted", file=sys.stderr)
        return 2
    finally:
        processes.stop_all()

    names = [e.name for e in endpoints]
    summary = summarise(samples, args.test_names, names)
    write_raw(samples, os.path.join(out_dir, "raw.tsv"))
    with open(os.path.join(out_dir, "summary.md"), "w") as f:
        f.write(summary)
    print(summary)
    print(f"summary: {os.path.join(out_dir, 'summary.md')}   raw rows: {os.path.join(out_dir, 'raw.tsv')}")
    failed = [s for s in samples if is_failed(s)]
    if failed:
        print(f"{len(failed)} run(s) failed or did not verify; see {out_dir}/runs", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    try:
        sys.exit(run(parse_args(sys.argv[1:])))
    except SetupError as e:
        print(f"side-by-side.py: {e}", file=sys.stderr)
        sys.exit(2)
