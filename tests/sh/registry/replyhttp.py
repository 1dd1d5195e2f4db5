"""replyhttp.py: the request handler the fake registries of these tests
(proxy.py, hostile.py) start from: HTTP/1.1 keep-alive, no log on stderr,
and reply(), one whole answer with its Content-Length (no body to HEAD)."""
import http.server


class ReplyHandler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *a):
        pass

    def reply(self, code, body=b"", headers=()):
        self.send_response(code)
        for k, v in headers:
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)
