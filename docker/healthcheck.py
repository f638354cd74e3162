"""Container health check: healthy when a TCP port listens in the container and accepts a connection.

Port-agnostic (the server's port is whatever its command says): reads the listening sockets from
/proc/net/tcp and /proc/net/tcp6 (state 0A = LISTEN) and connects to the first one on the loopback.
"""

import socket
import sys


def listening_ports() -> list[int]:
    ports = []
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            with open(table, encoding="ascii") as f:
                rows = f.read().splitlines()[1:]
        except OSError:
            continue
        for row in rows:
            fields = row.split()
            if len(fields) > 3 and fields[3] == "0A":
                ports.append(int(fields[1].rsplit(":", 1)[1], 16))
    return ports


def main() -> int:
    for port in listening_ports():
        for host in ("127.0.0.1", "::1"):
            try:
                socket.create_connection((host, port), timeout=1).close()
            except OSError:
                continue
            return 0
    print("no listening tcp port accepts connections", file=sys.stderr)
    return 1


if __name__ == "__main__":
    sys.exit(main())
