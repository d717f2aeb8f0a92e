"""A partner's webhook receiver, written for the tests: it verifies the HMAC-SHA256 signature
and the timestamp exactly as a partner would, and can be told to fail."""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

PORTS = range(18310, 18400)


class Receiver:
    def __init__(self, secret: str, tolerance_seconds: int = 300):
        self.secret = secret.encode()
        self.tolerance = tolerance_seconds
        self.received: list[dict] = []  # verified bodies
        self.refused: list[str] = []  # why a request was refused
        self.fail_next = 0  # answer 500 to this many requests first
        self.lock = threading.Lock()
        self.server = self._bind()
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def _bind(self) -> ThreadingHTTPServer:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                code = receiver.handle(self.headers, body)
                self.send_response(code)
                self.end_headers()

            def log_message(self, *args):
                pass

        for port in PORTS:
            try:
                return ThreadingHTTPServer(("127.0.0.1", port), Handler)
            except OSError:
                continue
        raise RuntimeError("no free port in 18310-18399")

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/hooks/cas"

    def handle(self, headers, body: bytes) -> int:
        timestamp = headers.get("X-CAS-Timestamp", "")
        signature = headers.get("X-CAS-Signature", "")
        expected = (
            "sha256="
            + hmac.new(self.secret, timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()
        )
        with self.lock:
            if not hmac.compare_digest(signature, expected):
                self.refused.append("signature")
                return 401
            if not timestamp.isdigit() or abs(time.time() - int(timestamp)) > self.tolerance:
                self.refused.append("timestamp")
                return 401
            if self.fail_next > 0:
                self.fail_next -= 1
                return 500
            self.received.append(json.loads(body))
            return 204

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()
