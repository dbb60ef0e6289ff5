#!/usr/bin/env python3
"""Memory cost of idle client connections: RSS of RespProxy before and after opening N idle connections.

Starts its own redis-server and RespProxy (published binary) on free 127.0.0.1 ports, opens N connections that
each send one PING (so every session is fully set up) and then stay idle, reads VmRSS from /proc, and stops
everything by PID.

Usage: loadtests/idle-connections.py --proxy-bin /path/to/RespProxy [--connections 10000]
"""
import argparse, os, resource, socket, subprocess, sys, tempfile, time

from loopback import answers_ping, free_port


def rss_kb(pid):
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise RuntimeError("no VmRSS")


def wait_ping(port, deadline_s=30):
    end = time.time() + deadline_s
    while time.time() < end:
        if answers_ping(port):
            return
        time.sleep(0.05)
    raise RuntimeError(f"nothing answers PING on {port}")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--proxy-bin", required=True)
    parser.add_argument("--connections", type=int, default=10000)
    args = parser.parse_args()

    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    need = args.connections * 2 + 1000
    resource.setrlimit(resource.RLIMIT_NOFILE, (min(max(soft, need), hard), hard))

    work = tempfile.mkdtemp(prefix="respproxy-idle-")
    redis_port, proxy_port = free_port(), free_port()
    redis = subprocess.Popen(["redis-server", "--bind", "127.0.0.1", "--port", str(redis_port), "--save", "",
                              "--appendonly", "no", "--dir", work], stdout=subprocess.DEVNULL)
    proxy = None
    clients = []
    try:
        wait_ping(redis_port)
        proxy = subprocess.Popen([args.proxy_bin, f"--Proxy:Listen=127.0.0.1:{proxy_port}", "--Proxy:AdminListen=127.0.0.1:0",
                                  "--Topology:Mode=Standalone", f"--Topology:Servers:0=127.0.0.1:{redis_port}",
                                  "--Logging:LogLevel:Default=Warning"], stdout=subprocess.DEVNULL)
        wait_ping(proxy_port)
        # Warm up: a few hundred connections opened and closed, so the first measurement is past JIT and pools.
        for _ in range(300):
            with socket.create_connection(("127.0.0.1", proxy_port)) as s:
                s.sendall(b"PING\r\n")
                s.recv(16)
        time.sleep(1)
        before = rss_kb(proxy.pid)
        for i in range(args.connections):
            s = socket.create_connection(("127.0.0.1", proxy_port))
            s.sendall(b"PING\r\n")
            clients.append(s)
        for s in clients:
            if not s.recv(16).startswith(b"+PONG"):
                raise RuntimeError("unexpected reply")
        time.sleep(2)
        after = rss_kb(proxy.pid)
        per = (after - before) / args.connections
        print(f"connections={args.connections} rss_before_kb={before} rss_after_kb={after} per_connection_kb={per:.2f}")
        return 0 if per <= 20 else 1
    finally:
        for s in clients:
            s.close()
        for process in (proxy, redis):
            if process is not None:
                process.terminate()
                try:
                    process.wait(10)
                except subprocess.TimeoutExpired:
                    process.kill()


if __name__ == "__main__":
    sys.exit(main())
