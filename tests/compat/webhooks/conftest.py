"""Process-level tests of events and signed webhooks (Omise dialect).

Unlike the client suites, these tests start their own dispute-docs processes: the binary in
COMPAT_BIN, on a fresh Postgres database per test module (created under COMPAT_PG_URL, named
with the COMPAT_DB_PREFIX the run script drops at exit, and dropped here after the module),
`migrate`, `seed COMPAT_FIXTURE`, then `serve` with LISTEN_ADDR, PUBLIC_BASE_URL, OPS_TOKEN and
WEBHOOK_ALLOW_CIDRS=127.0.0.0/8 (the worker refuses loopback otherwise). Each server's log goes
to COMPAT_LOG_DIR/webhooks-<module>-<name>.log.

The receiver is a plain `http.server` on 127.0.0.1:0 in a thread: it records every request
(method, path, headers, raw body) and answers the next queued status (200 when none is queued).

Signatures are checked by code that shares nothing with the server: the `standardwebhooks`
package for `webhook-signature`, and a few lines of hmac/hashlib/base64 for `Omise-Signature`.

No fixed sleeps stand in for synchronisation: every wait is for a condition, with a deadline.
"""

import base64
import collections
import hashlib
import hmac
import json
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import requests
import standardwebhooks

BIN = os.environ["COMPAT_BIN"]
FIXTURE = os.environ["COMPAT_FIXTURE"]
PG_URL = os.environ.get("COMPAT_PG_URL", "postgres://postgres@127.0.0.1:5432").rstrip("/")
LOG_DIR = os.environ.get("COMPAT_LOG_DIR") or tempfile.gettempdir()
DB_PREFIX = os.environ.get("COMPAT_DB_PREFIX", "compat_webhooks")

ACCOUNT = "acct_5demomerchant000000"  # the demo account (fixtures/demo.json)
KEY = "skey_test_4xs8breq3htbkj03d2x"  # its test key
VERSION = "2019-05-29"
BASE36 = "0123456789abcdefghijklmnopqrstuvwxyz"
EVENT_KEYS = ("dispute.create", "dispute.update", "dispute.close")

# Lines printed at the end of the pytest run (numbers worth seeing even when everything passes).
REPORT = []


def report(line):
    REPORT.append(line)
    print(line)


def pytest_terminal_summary(terminalreporter):
    if REPORT:
        terminalreporter.section("webhooks report")
        for line in REPORT:
            terminalreporter.write_line(line)


def wait_until(what, predicate, timeout=15.0, interval=0.05):
    """Polls `predicate` until it returns something truthy (returned), or fails at the deadline."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() >= deadline:
            raise AssertionError("timed out after %.1f s waiting for %s" % (timeout, what))
        time.sleep(interval)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def psql(sql):
    subprocess.run(
        ["psql", PG_URL + "/postgres", "-v", "ON_ERROR_STOP=1", "-qAtc", sql],
        check=True,
        capture_output=True,
        timeout=60,
    )


# ------------------------------------------------------------------------------------------
# Processes


class Database:
    """A fresh Postgres database, migrated and seeded, with a blob directory beside it."""

    def __init__(self, label):
        self.name = "%s_%s_%s" % (DB_PREFIX, re.sub(r"[^a-z0-9]", "", label)[:12],
                                  secrets.token_hex(4))
        self.dir = tempfile.mkdtemp(prefix="compat-webhooks-")
        os.mkdir(os.path.join(self.dir, "blobs"))
        self.url = "%s/%s" % (PG_URL, self.name)
        self.log_path = os.path.join(LOG_DIR, "webhooks-%s-setup.log" % label)
        psql("create database %s" % self.name)
        self.env = {
            "DATABASE_URL": self.url,
            "BLOB_STORE_URL": "file://%s/blobs" % self.dir,
        }
        for mode, args in (("wb", ["migrate"]), ("ab", ["seed", FIXTURE])):
            with open(self.log_path, mode) as log:
                subprocess.run(
                    [BIN, *args],
                    cwd=self.dir,
                    env=server_env(self.env),
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    check=True,
                    timeout=120,
                )

    def drop(self):
        try:
            psql("drop database if exists %s with (force)" % self.name)
        finally:
            shutil.rmtree(self.dir, ignore_errors=True)


def server_env(extra):
    """The environment of a dispute-docs process: nothing inherited that would change it."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("WEBHOOK_")
        and k.lower() not in ("http_proxy", "https_proxy", "all_proxy")
        and k
        not in ("DATABASE_URL", "BLOB_STORE_URL", "OPS_TOKEN", "LISTEN_ADDR", "PUBLIC_BASE_URL")
    }
    env["RUST_LOG"] = "warn,dispute_docs::webhooks=info"
    env.update({k: str(v) for k, v in extra.items()})
    return env


class Server:
    """One `dispute-docs serve` process on `db`; `env` adds settings (WEBHOOK_POLL_MS, …)."""

    def __init__(self, name, db, label, **env):
        self.name = name
        self.db = db
        self.env = env
        self.ops_token = secrets.token_hex(16)
        self.log_path = os.path.join(LOG_DIR, "webhooks-%s-%s.log" % (label, name))
        self.proc = None
        self.url = None
        self.starts = 0

    def start(self, **env):
        """Starts the process (again, after a stop or a kill) and waits for /healthz."""
        assert self.proc is None or self.proc.poll() is not None, "already running"
        self.env.update(env)
        port = free_port()
        self.url = "http://127.0.0.1:%d" % port
        settings = dict(self.db.env)
        settings.update(
            LISTEN_ADDR="127.0.0.1:%d" % port,
            PUBLIC_BASE_URL=self.url,
            OPS_TOKEN=self.ops_token,
            WEBHOOK_ALLOW_CIDRS="127.0.0.0/8",
        )
        settings.update(self.env)
        self.starts += 1
        with open(self.log_path, "wb" if self.starts == 1 else "ab") as log:
            log.write(("--- serve %s %s\n" % (self.url, sorted(self.env.items()))).encode())
            log.flush()
            self.proc = subprocess.Popen(
                [BIN, "serve"],
                cwd=self.db.dir,
                env=server_env(settings),
                stdout=log,
                stderr=subprocess.STDOUT,
            )

        def healthy():
            if self.proc.poll() is not None:
                raise AssertionError(
                    "%s exited with %s before answering /healthz:\n%s"
                    % (self.name, self.proc.returncode, self.log_tail())
                )
            try:
                return requests.get(self.url + "/healthz", timeout=1).status_code == 200
            except requests.RequestException:
                return False

        wait_until("%s to answer /healthz" % self.name, healthy, timeout=15, interval=0.05)
        return self

    def log_tail(self, lines=30):
        with open(self.log_path, "rb") as f:
            return b"".join(f.readlines()[-lines:]).decode(errors="replace")

    def kill(self):
        """SIGKILL: no shutdown of any kind."""
        os.kill(self.proc.pid, signal.SIGKILL)
        self.proc.wait(timeout=10)
        assert self.proc.returncode == -signal.SIGKILL, self.proc.returncode

    def stop(self):
        if self.proc is None or self.proc.poll() is not None:
            return
        self.proc.terminate()
        try:
            self.proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(timeout=10)

    # -- HTTP

    def api(self, method, path, **kwargs):
        """A merchant call (basic auth with the demo test key)."""
        headers = kwargs.pop("headers", {})
        headers.setdefault("Omise-Version", VERSION)
        return requests.request(
            method, self.url + path, auth=(KEY, ""), headers=headers, timeout=30, **kwargs
        )

    def ops(self, method, path, **kwargs):
        """An operator call (bearer OPS_TOKEN)."""
        headers = kwargs.pop("headers", {})
        headers["Authorization"] = "Bearer " + self.ops_token
        return requests.request(method, self.url + "/ops" + path, headers=headers, timeout=30, **kwargs)

    def open_dispute(self):
        """A fresh `open` test dispute on a brand-new charge; its JSON."""
        charge = "chrg_test_" + "".join(secrets.choice(BASE36) for _ in range(19))
        r = self.api("POST", "/charges/%s/disputes" % charge, json={})
        assert r.status_code == 200, (r.status_code, r.text)
        d = r.json()
        assert d["object"] == "dispute" and d["status"] == "open" and d["charge"] == charge, d
        return d

    def add_endpoint(self, url, mode="test"):
        """Registers an Omise webhook endpoint for the demo account; its JSON (with `secret`)."""
        r = self.ops("POST", "/accounts/%s/webhooks" % ACCOUNT, json={"url": url, "mode": mode})
        assert r.status_code == 200, (r.status_code, r.text)
        endpoint = r.json()
        assert endpoint["url"] == url and endpoint["mode"] == mode, endpoint
        assert len(base64.b64decode(endpoint["secret"], validate=True)) == 32, endpoint
        return endpoint

    def deliveries(self, state=None):
        params = {"account": ACCOUNT, "limit": 1000}
        if state:
            params["state"] = state
        r = self.ops("GET", "/deliveries", params=params)
        assert r.status_code == 200, (r.status_code, r.text)
        body = r.json()
        assert body["object"] == "list", body
        return body["data"]

    def event(self, event_id):
        r = self.api("GET", "/events/" + event_id)
        assert r.status_code == 200, (r.status_code, r.text)
        return r.json()

    def dispute_events(self, dispute_id):
        r = self.api("GET", "/disputes/%s/events" % dispute_id, json={"limit": 100})
        assert r.status_code == 200, (r.status_code, r.text)
        return r.json()["data"]


# ------------------------------------------------------------------------------------------
# The receiver


class Received:
    """One request the receiver got."""

    def __init__(self, method, path, headers, body, answered, peer_port):
        self.method = method
        self.peer_port = peer_port  # the sender's TCP port
        self.sender = None  # the sending process's name, when Receiver.senders is set
        self.path = path
        self.headers = headers  # [(name, value)] as sent
        self.body = body  # bytes, raw
        self.answered = answered
        self.at = time.time()

    def header(self, name):
        values = [v for k, v in self.headers if k.lower() == name.lower()]
        assert len(values) == 1, (name, self.headers)
        return values[0]

    @property
    def event_id(self):
        return self.header("webhook-id")

    def json(self):
        return json.loads(self.body)


def _read_chunked(rfile):
    body = b""
    while True:
        size = int(rfile.readline().split(b";")[0].strip(), 16)
        if size == 0:
            while rfile.readline() not in (b"\r\n", b"\n", b""):
                pass
            return body
        body += rfile.read(size)
        rfile.readline()


class Receiver:
    """A webhook receiver on 127.0.0.1:0: records everything, answers queued statuses."""

    def __init__(self):
        self.received = []
        self.senders = {}  # name -> pid: set to learn which process sent each request
        self._answers = collections.deque()
        self._cond = threading.Condition()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def _handle(self):
                if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
                    body = _read_chunked(self.rfile)
                else:
                    body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                status = receiver._next_answer()
                record = Received(self.command, self.path, list(self.headers.items()), body, status,
                                  self.client_address[1])
                if receiver.senders:  # which process this is, while the connection is open
                    record.sender = next((name for name, pid in receiver.senders.items()
                                          if record.peer_port in connections_to(pid, receiver.port)),
                                         None)
                with receiver._cond:
                    receiver.received.append(record)
                    receiver._cond.notify_all()
                reply = b"ok" if status < 300 else b"not now"
                self.send_response(status)
                self.send_header("Content-Type", "text/plain")
                self.send_header("Content-Length", str(len(reply)))
                self.end_headers()
                self.wfile.write(reply)

            do_POST = do_GET = do_PUT = do_PATCH = do_DELETE = _handle

            def log_message(self, *args):
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self.port = self._server.server_address[1]
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    def url(self, path="/hooks/omise"):
        return "http://127.0.0.1:%d%s" % (self.port, path)

    def answer(self, *statuses):
        """Queues statuses for the next requests (then 200 again)."""
        with self._cond:
            self._answers.extend(statuses)

    def _next_answer(self):
        with self._cond:
            return self._answers.popleft() if self._answers else 200

    def snapshot(self):
        with self._cond:
            return list(self.received)

    def of_event(self, event_id):
        return [r for r in self.snapshot() if r.event_id == event_id]

    def wait_for(self, what, predicate, timeout=15.0):
        """Waits until predicate(list of everything received) is truthy; returns that list."""
        with self._cond:
            if self._cond.wait_for(lambda: predicate(list(self.received)), timeout=timeout):
                return list(self.received)
            got = [(r.method, r.path, dict(r.headers).get("webhook-id")) for r in self.received]
        raise AssertionError("timed out after %.1f s waiting for %s; received %s" % (timeout, what, got))

    def close(self):
        self._server.shutdown()
        self._server.server_close()


def connections_to(pid, port):
    """The local ports of process `pid`'s TCP connections to 127.0.0.1:`port` (Linux /proc),
    to tell which process sent a request; empty where /proc cannot say."""
    inodes = set()
    try:
        for fd in os.listdir("/proc/%d/fd" % pid):
            try:
                target = os.readlink("/proc/%d/fd/%s" % (pid, fd))
            except OSError:
                continue
            if target.startswith("socket:["):
                inodes.add(target[len("socket:["):-1])
        with open("/proc/%d/net/tcp" % pid) as f:
            rows = f.readlines()[1:]
    except OSError:
        return set()
    ports = set()
    for row in rows:
        fields = row.split()
        local, remote, inode = fields[1], fields[2], fields[9]
        if inode in inodes and int(remote.split(":")[1], 16) == port:
            ports.add(int(local.split(":")[1], 16))
    return ports


# ------------------------------------------------------------------------------------------
# Independent verification


def omise_signature(secret, timestamp, body):
    """Omise-Signature as documented: hex HMAC-SHA256, key = the base64-decoded secret,
    message = `<timestamp>.<raw body>`."""
    key = base64.b64decode(secret)
    return hmac.new(key, timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()


def verify(received, secrets_):
    """Checks one delivery against the endpoint's current secrets (every one must sign it), with
    code that is not the server's; returns the event it carries."""
    assert received.method == "POST", received.method
    assert received.header("Content-Type") == "application/json"
    body = received.body
    event = json.loads(body)
    assert event["object"] == "event" and event["webhook_deliveries"] == [], event
    assert event["key"] in EVENT_KEYS, event["key"]
    assert re.fullmatch(r"evnt_test_[0-9a-z]{19}", event["id"]), event["id"]
    assert event["location"] == "/events/" + event["id"]
    assert event["livemode"] is False
    assert event["data"]["object"] == "dispute", event["data"]
    assert received.header("webhook-id") == event["id"]

    timestamp = received.header("Omise-Signature-Timestamp")
    assert re.fullmatch(r"[0-9]+", timestamp), timestamp
    assert received.header("webhook-timestamp") == timestamp
    assert abs(int(timestamp) - time.time()) < 300, timestamp

    omise_sigs = received.header("Omise-Signature").split(",")
    standard_sigs = received.header("webhook-signature").split(" ")
    assert len(omise_sigs) == len(standard_sigs) == len(secrets_), (omise_sigs, standard_sigs)
    assert all(re.fullmatch(r"[0-9a-f]{64}", s) for s in omise_sigs), omise_sigs
    headers = dict(received.headers)
    for secret in secrets_:
        assert omise_signature(secret, timestamp, body) in omise_sigs, secret
        assert standardwebhooks.Webhook(secret).verify(body, headers) == event

    # Neither check is vacuous: another key, or a changed body, is refused.
    stranger = base64.b64encode(os.urandom(32)).decode()
    assert omise_signature(stranger, timestamp, body) not in omise_sigs
    with pytest.raises(standardwebhooks.WebhookVerificationError):
        standardwebhooks.Webhook(stranger).verify(body, headers)
    with pytest.raises(standardwebhooks.WebhookVerificationError):
        standardwebhooks.Webhook(secrets_[0]).verify(body + b" ", headers)
    assert omise_signature(secrets_[0], timestamp, body + b" ") not in omise_sigs
    return event


# ------------------------------------------------------------------------------------------
# Fixtures


def _module_label(request):
    return request.module.__name__.rsplit(".", 1)[-1].removeprefix("test_")


@pytest.fixture(scope="module")
def database(request):
    db = Database(_module_label(request))
    yield db
    db.drop()


@pytest.fixture(scope="module")
def start_server(request, database):
    """start_server(name, **env) -> a running Server on the module's database; all are stopped
    when the module ends (before its database is dropped)."""
    started = []
    label = _module_label(request)

    def start(name, **env):
        server = Server(name, database, label, **env)
        started.append(server)
        return server.start()

    yield start
    for server in started:
        server.stop()


@pytest.fixture(scope="module")
def receiver():
    r = Receiver()
    yield r
    r.close()
