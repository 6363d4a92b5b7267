#!/usr/bin/env python3
"""A WebSocket session server in Python that takes part in ECS session drains through the
session sidecar's HTTP API alone (agent/README.md "Sidecar"): standard library only, no AWS SDK.

Every WebSocket connection is one session (``?session=<id>``). The server asks the sidecar before
admitting it (POST /sessions/<id>: 201 admitted, 409 refused: closed with 1013), echoes every
message, and tells the sidecar when it ends (DELETE). A watcher long-polls GET /state: when the
sidecar says the hard deadline is near, every session is closed with 1012 and a reconnect hint.
On SIGTERM it takes no new session, tells the sidecar (POST /terminating), keeps serving the open
ones and exits 0 after the last one closed. When the sidecar cannot be reached, users are admitted
anyway: a registry blip must not turn into an outage.

stdout carries one line, {"listening": <port>}; logs are JSON lines on stderr.
"""
import base64
import hashlib
import json
import os
import signal
import socket
import struct
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

SIDECAR = os.environ.get("SIDECAR_URL", "http://127.0.0.1:8787").rstrip("/")
PORT = int(os.environ.get("PORT", "8080"))
HOST = os.environ.get("HOST", "0.0.0.0")
RETRY_AFTER_MS = int(os.environ.get("SESSION_SERVER_RETRY_AFTER_MS", "1000"))
WS_GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
SERVICE_RESTART, TRY_AGAIN_LATER = 1012, 1013


def log(message, **fields):
    line = {"time": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), "source": "python-session-server", "message": message, **fields}
    sys.stderr.write(json.dumps(line) + "\n")
    sys.stderr.flush()


def sidecar(method, path, timeout=5.0):
    """(status, JSON body) of one sidecar call; (None, None) when the sidecar cannot be reached."""
    request = urllib.request.Request(SIDECAR + path, data=b"" if method in ("POST", "DELETE") else None, method=method)
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            body = response.read()
            return response.status, json.loads(body) if body else None
    except urllib.error.HTTPError as error:
        body = error.read()
        return error.code, json.loads(body) if body else None
    except (OSError, ValueError) as error:
        log("sidecar unreachable", method=method, path=path, error=str(error))
        return None, None


class Session:
    """One WebSocket connection; frames go out under a lock (the watcher closes sessions too)."""

    def __init__(self, session_id, handler):
        self.id = session_id
        self.handler = handler
        self.lock = threading.Lock()
        self.closing = False

    def send(self, opcode, payload=b""):
        with self.lock:
            if self.closing:
                return
            if opcode == 0x8:
                self.closing = True
            self.handler.wfile.write(frame(opcode, payload))

    def close(self, code, reason=""):
        try:
            self.send(0x8, struct.pack("!H", code) + reason.encode())
            # A client that does not answer the close within 5 s is dropped.
            self.handler.connection.settimeout(5)
        except OSError:
            pass


def frame(opcode, payload):
    length = len(payload)
    if length < 126:
        header = struct.pack("!BB", 0x80 | opcode, length)
    elif length < 65536:
        header = struct.pack("!BBH", 0x80 | opcode, 126, length)
    else:
        header = struct.pack("!BBQ", 0x80 | opcode, 127, length)
    return header + payload


def read_frame(stream):
    """(opcode, payload) of the next client frame, or None at the end of the connection."""
    head = stream.read(2)
    if len(head) < 2:
        return None
    opcode, length = head[0] & 0x0F, head[1] & 0x7F
    if length == 126:
        length = struct.unpack("!H", stream.read(2))[0]
    elif length == 127:
        length = struct.unpack("!Q", stream.read(8))[0]
    mask = stream.read(4) if head[1] & 0x80 else b""
    payload = stream.read(length)
    if mask:
        payload = bytes(byte ^ mask[index % 4] for index, byte in enumerate(payload))
    return opcode, payload


class Server:
    def __init__(self):
        self.sessions = {}
        self.lock = threading.Lock()
        self.accepting = True
        self.terminating = False
        self.sidecar_started_at = None

    def admit(self, session):
        if self.terminating:
            return False
        status, body = sidecar("POST", "/sessions/" + urllib.parse.quote(session.id, safe=""))
        if status == 409:
            return False
        if status not in (201, None):
            log("sidecar refused the request; admitting the session", status=status, body=body)
        with self.lock:
            self.sessions[session.id] = session
        return True

    def ended(self, session):
        with self.lock:
            if self.sessions.get(session.id) is session:
                del self.sessions[session.id]
        sidecar("DELETE", "/sessions/" + urllib.parse.quote(session.id, safe=""))
        self.exit_if_done()

    def on_sigterm(self, *_):
        if self.terminating:
            return
        self.terminating = True
        self.accepting = False
        log("SIGTERM: no new sessions; serving the open ones", sessions=len(self.sessions))
        threading.Thread(target=self.after_sigterm, daemon=True).start()

    def after_sigterm(self):
        sidecar("POST", "/terminating")
        self.exit_if_done()

    def exit_if_done(self):
        with self.lock:
            done = self.terminating and not self.sessions
        if done:
            log("the last session closed after SIGTERM: exiting")
            os._exit(0)

    def watch(self):
        """Long-polls the sidecar's state and acts on it: readiness, deadline-near, a sidecar restart."""
        version = None
        while True:
            # The first read answers at once; then each waits for a change past the version seen.
            query = "/state" if version is None else "/state?wait=20&since=%d" % version
            status, state = sidecar("GET", query, timeout=25)
            if status != 200:
                # A restarted sidecar counts versions from 0 again: start over with a plain read.
                version = None
                time.sleep(0.5)
                continue
            if state["startedAt"] != self.sidecar_started_at:
                if self.sidecar_started_at is not None:
                    self.announce_again()
                self.sidecar_started_at = state["startedAt"]
            version = state["version"]
            self.accepting = state["accepting"] and not self.terminating
            if state["deadlineNear"]:
                self.close_all_gracefully(state.get("deadline", {}))

    def announce_again(self):
        """A restarted sidecar knows no session: count the open ones in again (idempotent)."""
        with self.lock:
            ids = list(self.sessions)
        log("the sidecar restarted; announcing the open sessions again", sessions=len(ids))
        for session_id in ids:
            sidecar("POST", "/sessions/" + urllib.parse.quote(session_id, safe=""))

    def close_all_gracefully(self, deadline):
        with self.lock:
            open_sessions = list(self.sessions.values())
        if open_sessions:
            log("hard deadline near: closing every session with 1012", sessions=len(open_sessions), deadline=deadline.get("at"))
        reason = json.dumps({"reconnect": True, "retryAfterMs": RETRY_AFTER_MS}, separators=(",", ":"))
        for session in open_sessions:
            session.close(SERVICE_RESTART, reason)


SERVER = Server()


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *_):
        pass

    def do_GET(self):
        url = urllib.parse.urlsplit(self.path)
        if self.headers.get("Upgrade", "").lower() == "websocket":
            return self.session(urllib.parse.parse_qs(url.query).get("session", [""])[0])
        if url.path == "/healthz":
            return self.answer(200 if SERVER.accepting else 503, {"healthy": SERVER.accepting, "sessions": len(SERVER.sessions)})
        if url.path == "/livez":
            return self.answer(200, {"live": True})
        self.answer(404, {"error": "NotFound"})

    def answer(self, status, body):
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def session(self, session_id):
        key = self.headers.get("Sec-WebSocket-Key")
        if not session_id or key is None:
            return self.answer(400, {"error": "a session needs ?session=<id> and a WebSocket handshake"})
        accept = base64.b64encode(hashlib.sha1((key + WS_GUID).encode()).digest()).decode()
        self.send_response(101)
        self.send_header("Upgrade", "websocket")
        self.send_header("Connection", "Upgrade")
        self.send_header("Sec-WebSocket-Accept", accept)
        self.end_headers()
        self.close_connection = True
        session = Session(session_id, self)
        if not SERVER.admit(session):
            session.close(TRY_AGAIN_LATER, "try another server")
            self.wait_for_close(session)
            return
        try:
            self.echo(session)
        finally:
            SERVER.ended(session)

    def echo(self, session):
        while True:
            try:
                received = read_frame(self.rfile)
            except (OSError, struct.error):
                return
            if received is None:
                return
            opcode, payload = received
            if opcode == 0x8:
                # The client closes (or answers our close): echo its code, then the session is over.
                session.send(0x8, payload[:2])
                return
            if opcode == 0x9:
                session.send(0xA, payload)
            elif opcode in (0x1, 0x2):
                session.send(opcode, payload)

    def wait_for_close(self, session):
        try:
            while (received := read_frame(self.rfile)) is not None and received[0] != 0x8:
                pass
        except (OSError, struct.error):
            pass


def main():
    signal.signal(signal.SIGTERM, SERVER.on_sigterm)
    httpd = ThreadingHTTPServer((HOST, PORT), Handler)
    httpd.daemon_threads = True
    threading.Thread(target=SERVER.watch, daemon=True).start()
    sys.stdout.write(json.dumps({"listening": httpd.server_address[1]}) + "\n")
    sys.stdout.flush()
    log("listening", port=httpd.server_address[1], sidecar=SIDECAR)
    httpd.serve_forever()


if __name__ == "__main__":
    main()
