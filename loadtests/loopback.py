"""What the Python load-test scripts share about their loopback endpoints: a free port, and whether PING is answered."""

import socket


def free_port():
    """A TCP port on 127.0.0.1 that nothing listens on now (the caller's server binds it next)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def answers_ping(port, timeout_s=1.0):
    """True when 127.0.0.1:port accepts a connection and answers a PING (RESP array form) with +PONG."""
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=timeout_s) as s:
            s.sendall(b"*1\r\n$4\r\nPING\r\n")
            return s.recv(64).startswith(b"+PONG")
    except OSError:
        return False
