"""A small client of the pave-go fake PAVE server, standard library only.

It starts `pave fake serve`, signs API requests as PAVE documents
(HMAC-SHA256 of "username:api_key@timestamp" with the API secret), and
calls the fake's control API (/_fake/...). Timestamps are taken from the
Date header of the fake's last answer, so they follow the fake's clock
(which POST /_fake/clock moves).
"""

import email.utils
import hashlib
import hmac
import json
import os
import subprocess
import threading
import time
import urllib.error
import urllib.request
from datetime import datetime, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class Answer:
    """One HTTP answer: status, headers and decoded JSON body (or None)."""

    def __init__(self, status, headers, raw):
        self.status, self.headers, self.raw = status, headers, raw
        try:
            self.json = json.loads(raw) if raw else None
        except ValueError:
            self.json = None

    def __repr__(self):
        return f"Answer({self.status}, {self.raw[:200]!r})"


class Fake:
    """A running `pave fake serve` process and a client of it."""

    def __init__(self, *flags):
        binary = os.environ.get("PAVE_BIN", "pave")
        self.proc = subprocess.Popen(
            [binary, "fake", "serve", "--addr", "127.0.0.1:0", "--json", *flags],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        line = self.proc.stdout.readline()
        if not line:
            raise RuntimeError("pave fake serve printed no start line: " + self.proc.stderr.read())
        self.start_line = json.loads(line)
        self.url = self.start_line["base_url"]
        self.last_date = None
        deadline = time.monotonic() + 5
        while self.control("GET", "/_fake/health").status != 200:
            if time.monotonic() > deadline:
                raise RuntimeError("the fake did not answer /_fake/health")
            time.sleep(0.02)
        account = self.control("GET", "/_fake/accounts").json["accounts"][0]
        self.username, self.api_key, self.api_secret = account["username"], account["api_key"], account["api_secret"]

    def close(self):
        self.proc.terminate()
        try:
            self.proc.wait(5)
        except subprocess.TimeoutExpired:
            self.proc.kill()
        self.proc.stdout.close()
        self.proc.stderr.close()

    def send(self, method, path, body=None, headers=None):
        data = None if body is None else (body if isinstance(body, bytes) else json.dumps(body).encode())
        req = urllib.request.Request(self.url + path, data=data, method=method)
        if data is not None:
            req.add_header("Content-Type", "application/json")
        for k, v in (headers or {}).items():
            req.add_header(k, v)
        try:
            with urllib.request.urlopen(req, timeout=5) as resp:
                ans = Answer(resp.status, resp.headers, resp.read())
        except urllib.error.HTTPError as err:
            ans = Answer(err.code, err.headers, err.read())
        if ans.headers.get("Date"):
            self.last_date = email.utils.parsedate_to_datetime(ans.headers["Date"])
        return ans

    def control(self, method, path, body=None):
        return self.send(method, path, body)

    def timestamp(self):
        """The time to sign with: the Date of the fake's last answer."""
        now = self.last_date or datetime.now(timezone.utc)
        return now.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")

    def signed_headers(self, timestamp=None):
        ts = timestamp or self.timestamp()
        message = f"{self.username}:{self.api_key}@{ts}".encode()
        token = hmac.new(self.api_secret.encode(), message, hashlib.sha256).hexdigest()
        return {"API-Key": self.api_key, "API-Timestamp": ts, "API-Token": token}

    def api(self, method, path, body=None, timestamp=None):
        return self.send(method, path, body, self.signed_headers(timestamp))


class Receiver:
    """A local webhook receiver collecting the JSON bodies it is sent."""

    def __init__(self):
        received = self.received = []

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                received.append((self.path, dict(self.headers), json.loads(body)))
                self.send_response(200)
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, args=(0.01,), daemon=True)
        self.thread.start()

    def events(self, path):
        return [body for p, _, body in self.received if p == path]

    def close(self):
        self.server.shutdown()
        self.server.server_close()
