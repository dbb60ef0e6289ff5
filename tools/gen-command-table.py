#!/usr/bin/env python3
"""Generate src/Proxy.Resp/Commands/CommandTable.Generated.cs from a live Redis server's COMMAND output.

Starts a throwaway redis-server (the one on PATH; the checked-in table comes from Redis 7.0.15) on a free
127.0.0.1 port with persistence off, reads COMMAND over a plain RESP2 socket, stops the server by its PID and
writes the C# table. Standard library only.

Usage: python3 tools/gen-command-table.py [--output PATH] [--redis-server PATH]
"""

from __future__ import annotations

import argparse
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_OUTPUT = REPO_ROOT / "src" / "Proxy.Resp" / "Commands" / "CommandTable.Generated.cs"

# Redis COMMAND flag -> CommandFlags member. Flags Redis prints that the proxy does not route on
# (skip_monitor, skip_slowlog, asking, no_mandatory_keys, no_async_loading, no_multi, allow_busy, ...) are dropped.
# Note: Redis 7.0 deliberately hides may_replicate from COMMAND output, so MayReplicate is only set if a
# server that does print it is used.
FLAG_MAP = {
    "write": "Write",
    "readonly": "ReadOnly",
    "admin": "Admin",
    "pubsub": "PubSub",
    "noscript": "NoScript",
    "blocking": "Blocking",
    "loading": "Loading",
    "stale": "Stale",
    "no_auth": "NoAuth",
    "may_replicate": "MayReplicate",
    "fast": "Fast",
    "denyoom": "DenyOom",
    "movablekeys": "MovableKeys",
}

# ACL category -> CommandFlags member.
CATEGORY_MAP = {
    "@transaction": "Transaction",
    "@scripting": "Scripting",
    "@connection": "Connection",
    "@keyspace": "Keyspace",
}

# Order in which flags are printed (matches the declaration order of CommandFlags).
FLAG_ORDER = [
    "Write", "ReadOnly", "Admin", "PubSub", "NoScript", "Blocking", "Loading", "Stale", "NoAuth",
    "MayReplicate", "Fast", "DenyOom", "MovableKeys", "Transaction", "Scripting", "Connection", "Container", "Keyspace",
]


class RespError(Exception):
    pass


class RespReader:
    """Minimal RESP2/RESP3 reader over a socket."""

    def __init__(self, sock: socket.socket) -> None:
        self._file = sock.makefile("rb")

    def _line(self) -> bytes:
        line = self._file.readline()
        if not line.endswith(b"\r\n"):
            raise ConnectionError("connection closed in the middle of a reply")
        return line[:-2]

    def read(self):
        line = self._line()
        kind, rest = chr(line[0]), line[1:]
        if kind in "+":
            return rest.decode()
        if kind == "-":
            raise RespError(rest.decode())
        if kind in ":(":
            return int(rest)
        if kind in "$=!":
            length = int(rest)
            if length < 0:
                return None
            data = self._file.read(length + 2)
            if len(data) != length + 2:
                raise ConnectionError("connection closed in the middle of a bulk string")
            return data[:-2].decode()
        if kind in "*~>":
            count = int(rest)
            return None if count < 0 else [self.read() for _ in range(count)]
        if kind == "%":
            count = int(rest)
            return {self._hashable(self.read()): self.read() for _ in range(count)}
        if kind == "_":
            return None
        if kind == "#":
            return rest == b"t"
        if kind == ",":
            return float(rest)
        raise RespError(f"unexpected RESP type byte {kind!r}")

    @staticmethod
    def _hashable(value):
        return tuple(value) if isinstance(value, list) else value


def encode_command(*args: str) -> bytes:
    out = [f"*{len(args)}\r\n".encode()]
    for arg in args:
        data = arg.encode()
        out.append(f"${len(data)}\r\n".encode() + data + b"\r\n")
    return b"".join(out)


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Command:
    name: str
    arity: int
    flags: list[str]
    first_key: int
    last_key: int
    key_step: int
    categories: list[str]
    subcommands: list["Command"] = field(default_factory=list)

    @staticmethod
    def parse(raw) -> "Command":
        if not isinstance(raw, list) or len(raw) < 7:
            raise ValueError(f"unexpected COMMAND entry: {raw!r}")
        subs = raw[9] if len(raw) > 9 and raw[9] else []
        return Command(
            name=raw[0].lower(),
            arity=int(raw[1]),
            flags=[str(f).lower() for f in raw[2]],
            first_key=int(raw[3]),
            last_key=int(raw[4]),
            key_step=int(raw[5]),
            categories=[str(c).lower() for c in raw[6]],
            subcommands=sorted((Command.parse(s) for s in subs), key=lambda c: c.name),
        )

    def cs_flags(self) -> str:
        members = {FLAG_MAP[f] for f in self.flags if f in FLAG_MAP}
        members |= {CATEGORY_MAP[c] for c in self.categories if c in CATEGORY_MAP}
        if self.subcommands:
            members.add("Container")
        if not members:
            return "CommandFlags.None"
        return " | ".join(f"CommandFlags.{m}" for m in FLAG_ORDER if m in members)


def read_commands(redis_server: str) -> tuple[str, list[Command]]:
    workdir = tempfile.mkdtemp(prefix="gen-command-table-")
    proc = None
    log = None
    try:
        last_error = None
        log = open(os.path.join(workdir, "redis.log"), "wb")
        for _ in range(5):  # retry if somebody grabs the free port between probing and binding
            port = free_port()
            proc = subprocess.Popen(
                [redis_server, "--save", "", "--appendonly", "no", "--port", str(port), "--bind", "127.0.0.1",
                 "--dir", workdir],
                stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, cwd=workdir,
            )
            try:
                return query(proc, port)
            except (OSError, ConnectionError, TimeoutError) as e:
                last_error = e
                stop(proc)
                proc = None
        raise RuntimeError(f"could not start redis-server: {last_error}")
    finally:
        if proc is not None:
            stop(proc)
        if log is not None:
            log.close()
        shutil.rmtree(workdir, ignore_errors=True)


def query(proc: subprocess.Popen, port: int) -> tuple[str, list[Command]]:
    deadline = time.monotonic() + 10
    while True:
        if proc.poll() is not None:
            raise ConnectionError(f"redis-server exited with {proc.returncode} (port {port})")
        try:
            sock = socket.create_connection(("127.0.0.1", port), timeout=5)
            break
        except OSError:
            if time.monotonic() > deadline:
                raise TimeoutError(f"redis-server did not accept connections on port {port}")
            time.sleep(0.05)
    with sock:
        reader = RespReader(sock)
        while True:  # PING until the dataset is loaded
            sock.sendall(encode_command("PING"))
            try:
                if reader.read() == "PONG":
                    break
            except RespError as e:
                if not str(e).startswith("LOADING") or time.monotonic() > deadline:
                    raise
                time.sleep(0.05)
        sock.sendall(encode_command("INFO", "server"))
        info = reader.read()
        version = next((line.split(":", 1)[1].strip() for line in info.splitlines()
                        if line.startswith("redis_version:")), "unknown")
        sock.sendall(encode_command("COMMAND"))
        commands = sorted((Command.parse(c) for c in reader.read()), key=lambda c: c.name)
    return version, commands


def stop(proc: subprocess.Popen) -> None:
    """Stops the server we started, by its PID only."""
    if proc.poll() is None:
        proc.terminate()  # SIGTERM to proc.pid
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)


def cs_string(s: str) -> str:
    if any(c in s for c in '"\\') or not s.isascii() or not s.isprintable():
        raise ValueError(f"unexpected command name {s!r}")
    return f'"{s}"'


def cs_entry(c: Command) -> str:
    return f"new({cs_string(c.name)}, {c.arity}, {c.cs_flags()}, {c.first_key}, {c.last_key}, {c.key_step})"


def render(version: str, commands: list[Command]) -> str:
    total = len(commands) + sum(len(c.subcommands) for c in commands)
    lines = [
        "// <auto-generated>",
        f"// Generated by tools/gen-command-table.py from Redis {version}'s COMMAND output.",
        "// Do not edit by hand: rerun `python3 tools/gen-command-table.py` instead.",
        f"// {len(commands)} commands, {total - len(commands)} subcommands.",
        "// </auto-generated>",
        "",
        "namespace RespProxy.Resp.Commands;",
        "",
        "public static partial class CommandTable",
        "{",
        "    /// <summary>Redis version whose COMMAND output this table was generated from.</summary>",
        f"    public const string GeneratedFromRedisVersion = {cs_string(version)};",
        "",
        "    /// <summary>Top-level commands sorted by name; subcommands attached to their containers. Ids are assigned by the caller.</summary>",
        "    private static CommandInfo[] CreateGeneratedCommands() =>",
        "    [",
    ]
    for c in commands:
        if not c.subcommands:
            lines.append(f"        {cs_entry(c)},")
            continue
        lines.append(f"        {cs_entry(c)}")
        lines.append("        {")
        lines.append("            Subcommands = CreateSubcommands(")
        for i, s in enumerate(c.subcommands):
            if not s.name.startswith(c.name + "|"):
                raise ValueError(f"subcommand {s.name!r} does not belong to {c.name!r}")
            sep = "," if i + 1 < len(c.subcommands) else "),"
            lines.append(f"                {cs_entry(s)}{sep}")
        lines.append("        },")
    lines.append("    ];")
    lines.append("}")
    return "\n".join(lines) + "\n"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--output", type=Path, default=DEFAULT_OUTPUT)
    parser.add_argument("--redis-server", default=shutil.which("redis-server") or "redis-server")
    args = parser.parse_args()

    version, commands = read_commands(args.redis_server)
    for c in commands:
        if any(s.subcommands for s in c.subcommands):
            raise ValueError(f"{c.name}: nested subcommands are not supported")
    text = render(version, commands)
    args.output.parent.mkdir(parents=True, exist_ok=True)
    tmp = args.output.with_suffix(args.output.suffix + ".tmp")
    tmp.write_text(text, encoding="utf-8", newline="\n")
    os.replace(tmp, args.output)
    subs = sum(len(c.subcommands) for c in commands)
    print(f"wrote {args.output.relative_to(REPO_ROOT) if args.output.is_relative_to(REPO_ROOT) else args.output}: "
          f"{len(commands)} commands, {subs} subcommands (Redis {version})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
