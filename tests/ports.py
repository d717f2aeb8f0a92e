"""Free local ports for the suites that start servers of their own (each suite its range)."""

from __future__ import annotations

import socket
from collections.abc import Iterable


def free_port(ports: Iterable[int], what: str) -> int:
    """The first port of ``ports`` nothing listens on; ``what`` names the server wanting it."""
    for port in ports:
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise RuntimeError(f"no free port for {what}")
