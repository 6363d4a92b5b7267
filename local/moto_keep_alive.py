"""moto's server keeps its connections open (HTTP/1.1 keep-alive) and does not log each request.

werkzeug 3's development server, which moto_server runs, answers every request with
"Connection: close". Every call of the local cloud (the gateway's, the stream poller's, the SQS and
EventBridge pollers') therefore opened a TCP connection and a server thread of its own: about 45 a
second in `npm run demo`, each also writing a request line to moto.log through the logging lock
that every request thread waits on. This server runs the same WSGI application (moto's) on the
standard library's threading HTTP server, one thread per connection as before, with each answer
sent whole with its Content-Length, so the connection serves the client's next request.
moto's own errors still reach moto.log (its tracebacks go to stderr).
"""
import io
import sys
import traceback
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import unquote_to_bytes

# Requests whose client went quiet this long lose their connection (the client reconnects).
IDLE_SECONDS = 300
# Sent without a body whatever the application answers (RFC 9110 6.4.1).
BODILESS = {204, 304}


def _read_chunked(stream):
    body = bytearray()
    while True:
        size = int(stream.readline().split(b";", 1)[0].strip() or b"0", 16)
        if size == 0:
            # Trailer fields, if any, up to the blank line.
            while stream.readline() not in (b"\r\n", b"\n", b""):
                pass
            return bytes(body)
        body += stream.read(size)
        stream.readline()


class KeepAliveHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    timeout = IDLE_SECONDS
    # Headers and body leave in two writes: without TCP_NODELAY, Nagle's algorithm holds the body
    # back for the client's delayed ACK on a kept-alive connection (12 ms a request, measured).
    disable_nagle_algorithm = True
    application = None  # set by serve()

    def __getattr__(self, name):
        # BaseHTTPRequestHandler calls do_<METHOD>: every method goes to the WSGI application.
        if name.startswith("do_"):
            return self._run_application
        raise AttributeError(name)

    def log_message(self, format, *args):  # noqa: A002 - the base class's signature
        pass

    def _environ(self, body):
        path, _, query = self.path.partition("?")
        environ = {
            "REQUEST_METHOD": self.command,
            "SCRIPT_NAME": "",
            "PATH_INFO": unquote_to_bytes(path).decode("latin-1"),
            "QUERY_STRING": query,
            "CONTENT_TYPE": self.headers.get("Content-Type", ""),
            "CONTENT_LENGTH": str(len(body)),
            "SERVER_NAME": self.server.server_address[0],
            "SERVER_PORT": str(self.server.server_address[1]),
            "SERVER_PROTOCOL": self.request_version,
            "REMOTE_ADDR": self.client_address[0],
            "REMOTE_PORT": str(self.client_address[1]),
            "wsgi.version": (1, 0),
            "wsgi.url_scheme": "http",
            "wsgi.input": io.BytesIO(body),
            "wsgi.errors": sys.stderr,
            "wsgi.multithread": True,
            "wsgi.multiprocess": False,
            "wsgi.run_once": False,
        }
        for key, value in self.headers.items():
            name = key.upper().replace("-", "_")
            # The body is read whole (a chunked one decoded): CONTENT_LENGTH tells its length.
            if name in ("CONTENT_TYPE", "CONTENT_LENGTH", "TRANSFER_ENCODING"):
                continue
            name = f"HTTP_{name}"
            environ[name] = f"{environ[name]},{value}" if name in environ else value
        return environ

    def _run_application(self):
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            body = _read_chunked(self.rfile)
        else:
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        answer = {}

        def start_response(status, headers, exc_info=None):
            answer["status"], answer["headers"] = status, headers
            return chunks.append

        chunks = []
        try:
            result = self.application(self._environ(body), start_response)
            try:
                chunks.extend(result)
            finally:
                if hasattr(result, "close"):
                    result.close()
        except Exception:  # noqa: BLE001 - as werkzeug's server: the traceback to moto.log, a 500 to the caller
            traceback.print_exc()
            chunks = [b'{"message": "moto failed on this request: see moto.log"}']
            answer["status"], answer["headers"] = "500 INTERNAL SERVER ERROR", [("Content-Type", "application/json")]
        code, _, reason = answer["status"].partition(" ")
        payload = b"".join(chunks)
        with_body = self.command != "HEAD" and int(code) not in BODILESS
        self.send_response(int(code), reason)
        for key, value in answer["headers"]:
            # A HEAD answer's Content-Length is the one its GET would have: the application's.
            if key.lower() in ("connection", "transfer-encoding") or (key.lower() == "content-length" and self.command != "HEAD"):
                continue
            self.send_header(key, value)
        if with_body:
            self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        if with_body:
            self.wfile.write(payload)


class KeepAliveServer(ThreadingHTTPServer):
    daemon_threads = True


def serve(host, port, application, **_werkzeug_options):
    """moto.server.main's run_simple(host, port, app, threaded=True, ...), kept-alive."""
    handler = type("MotoHandler", (KeepAliveHandler,), {"application": staticmethod(application)})
    with KeepAliveServer((host, port), handler) as server:
        print(f" * Running on http://{host}:{port}", file=sys.stderr, flush=True)
        server.serve_forever()


def install():
    import moto.server

    moto.server.run_simple = serve
