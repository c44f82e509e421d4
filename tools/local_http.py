"""The HTTP edge of `make run`, as close to API Gateway's as a local server gets.

API Gateway (REST API) takes at most 10,240 bytes of request line and header values
together, and refuses a larger request itself, before any function runs. `make run`
keeps the same bound: a request line over it is answered 414, header values that take
the whole over it 431, a request it cannot parse 400 (or 501 for a method no route can
have), each in the API's error shape, and the connection is closed. Bodies are read
before the app is called, outside its one-at-a-time lock, so a slow client holds up
only its own connection: by Content-Length, or chunked as API Gateway accepts them,
never more than ``MAX_BODY`` bytes (the app answers 413 well below that). What API
Gateway itself answers beyond its bounds is its own, not in the API's shape:
docs/reliability.md, "Limits".
"""
import json
import socket
from http.server import BaseHTTPRequestHandler

REQUEST_LINE_AND_HEADERS = 10_240   # bytes: API Gateway's quota for a REST API
MAX_BODY = 1024 * 1024              # far above MAX_BODY_BYTES; the app answers 413 above that
_LINGER_SECONDS = 1                 # reading what the client still sends, so that our answer is not reset
_CODES = {400: "malformed_request", 414: "uri_too_long", 431: "headers_too_large", 501: "not_implemented",
          505: "http_version_not_supported"}


def refusal(status: int, message: str) -> bytes:
    """An answer of the server's own in the API's error shape."""
    return json.dumps({"error": {"code": _CODES.get(status, "malformed_request"), "message": message}}).encode()


def read_chunked(stream, limit):
    """A chunked request body, and whether it was read to its end.

    Past ``limit`` bytes it stops, returning ``limit + 1`` bytes (so the app
    answers 413) and False (so the connection is closed).
    """
    body = bytearray()
    while True:
        try:
            size = int(stream.readline(1024).split(b";", 1)[0].strip(), 16)
        except ValueError:
            return bytes(body), False
        if size == 0:
            while stream.readline(1024).strip():   # trailers, up to the blank line
                pass
            return bytes(body), True
        if len(body) + size > limit:
            body += stream.read(limit + 1 - len(body))
            return bytes(body), False
        body += stream.read(size)
        stream.readline(1024)   # the CRLF after each chunk


class GatewayEdge(BaseHTTPRequestHandler):
    """A request handler that refuses what API Gateway refuses, in the API's error shape,
    and reads each request's body up front (:meth:`read_payload`)."""

    def parse_request(self):
        if not super().parse_request():
            return False
        if self.request_version == "HTTP/0.9":   # "GET /path" alone: API Gateway takes HTTP/1.1 and 2
            self.send_error(400, "Send HTTP/1.1: the request line ends with the protocol version.")
            return False
        line = len(self.raw_requestline.rstrip(b"\r\n"))
        values = sum(len(value.encode("latin-1", "replace")) for value in self.headers.values())
        if line > REQUEST_LINE_AND_HEADERS:
            self.send_error(414, f"The request line is {line} bytes; at most {REQUEST_LINE_AND_HEADERS} are accepted "
                                 "with the header values.")
            return False
        if line + values > REQUEST_LINE_AND_HEADERS:
            self.send_error(431, f"The request line and header values are {line + values} bytes; at most "
                                 f"{REQUEST_LINE_AND_HEADERS} are accepted.")
            return False
        return True

    unread_body = False   # a body over MAX_BODY is left unread: linger before closing

    def send_error(self, code, message=None, explain=None):
        """http.server's refusals (and ours) as JSON, then the connection closed."""
        # http.server's own messages repeat what the client sent: a few hundred characters do.
        body = refusal(code, (message or self.responses.get(code, ("Bad request",))[0])[:300])
        self.close_connection = True
        # http.server takes a request it cannot parse for HTTP/0.9, which has no status line.
        self.request_version = "HTTP/1.1"
        try:
            self.send_response(code)
            self.send_header("Content-Type", "application/json; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            if self.command != "HEAD" and code >= 200 and code not in (204, 304):
                self.wfile.write(body)
            self.wfile.flush()
        finally:
            self._linger()

    def end_headers(self):
        # Say so when the connection ends with this answer (a refusal, a body left unread).
        if self.close_connection and b"connection:" not in b"".join(getattr(self, "_headers_buffer", [])).lower():
            self.send_header("Connection", "close")
        super().end_headers()

    def _linger(self):
        # Closing a socket with unread bytes in it sends a reset, which can reach the
        # client before our answer does: stop sending, read what is left, then close.
        try:
            self.connection.shutdown(socket.SHUT_WR)
            self.connection.settimeout(_LINGER_SECONDS)
            while self.connection.recv(65536):
                pass
        except OSError:
            pass

    def read_payload(self):
        """``(headers, body)`` as the app is to see them, or None once the request is refused."""
        headers = {name: value for name, value in self.headers.items() if name.lower() != "transfer-encoding"}
        if "chunked" in (self.headers.get("transfer-encoding") or "").lower():
            body, complete = read_chunked(self.rfile, MAX_BODY)
            self.close_connection = self.close_connection or not complete
            self.unread_body = not complete
            return headers, body or None
        length = (self.headers.get("content-length") or "0").strip()
        if not length.isascii() or not length.isdigit() or len(length) > 18:
            self.send_error(400, "Content-Length must be a whole number of bytes.")
            return None
        size = int(length)
        body = self.rfile.read(min(size, MAX_BODY + 1)) if size else b""
        if size > MAX_BODY:   # the app answers 413; the rest is not read
            self.close_connection = self.unread_body = True
        return headers, body or None

    def finish(self):
        super().finish()
        if self.unread_body:
            self._linger()
