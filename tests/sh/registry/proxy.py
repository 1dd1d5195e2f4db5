"""proxy.py UPSTREAM LOG [--token USER:PASS] [--slow BYTES_PER_S FASTFILE]

A loopback HTTP front for a test registry (docker-registry, plain HTTP):
  --token  the distribution spec's bearer-token flow, served here (the
           registry behind stays anonymous): /v2/ requests without a token
           get 401 + WWW-Authenticate: Bearer realm=...; /token checks Basic
           USER:PASS and hands out a token for the asked scope.
  --slow   blob bodies are sent at BYTES_PER_S until FASTFILE exists
           (to kill a pull midway).
Prints its port on stdout, logs one line per request to LOG."""
import base64
import http.client
import http.server
import json
import os
import secrets
import socketserver
import sys
import time
import urllib.parse

from replyhttp import ReplyHandler

UP, LOG = sys.argv[1], sys.argv[2]
OPTS = sys.argv[3:]
CREDS = OPTS[OPTS.index("--token") + 1] if "--token" in OPTS else None
SLOW = int(OPTS[OPTS.index("--slow") + 1]) if "--slow" in OPTS else 0
FAST = OPTS[OPTS.index("--slow") + 2] if "--slow" in OPTS else None
TOKENS = {}


def log(line):
    with open(LOG, "a") as f:
        f.write(line + "\n")


class H(ReplyHandler):

    def token(self):
        q = urllib.parse.parse_qs(urllib.parse.urlparse(self.path).query)
        auth = self.headers.get("Authorization", "")
        log("token service=%s scope=%s basic=%s" % (q.get("service", [""])[0],
                                                    " ".join(q.get("scope", [""])), bool(auth)))
        want = "Basic " + base64.b64encode(CREDS.encode()).decode()
        if auth != want:
            return self.reply(401, b'{"details":"bad credentials"}')
        t = secrets.token_hex(16)
        TOKENS[t] = " ".join(q.get("scope", [""]))
        self.reply(200, json.dumps({"token": t}).encode(), [("Content-Type", "application/json")])

    def challenge(self):
        parts = self.path.split("/")
        scope = ""
        for kind in ("manifests", "blobs"):
            if kind in parts:
                scope = "repository:%s:pull" % "/".join(parts[2:parts.index(kind)])
        realm = 'Bearer realm="http://127.0.0.1:%d/token",service="df2make-test"' % PORT
        if scope:
            realm += ',scope="%s"' % scope
        self.reply(401, b'{"errors":[{"code":"UNAUTHORIZED","message":"token needed"}]}',
                   [("WWW-Authenticate", realm), ("Content-Type", "application/json")])

    def authorized(self):
        auth = self.headers.get("Authorization", "")
        return auth.startswith("Bearer ") and auth[7:] in TOKENS

    def mount_allowed(self):
        """A mount from a repository the token may not pull from becomes a
        plain upload, as the distribution registry does."""
        q = urllib.parse.parse_qs(urllib.parse.urlparse(self.path).query)
        if "from" not in q:
            return
        scopes = TOKENS.get(self.headers.get("Authorization", "")[7:], "").split(" ")
        if CREDS and "repository:%s:pull" % q["from"][0] not in scopes:
            self.path = self.path.split("?")[0]

    def forward(self):
        self.mount_allowed()
        c = http.client.HTTPConnection(UP)
        hdrs = {k: v for k, v in self.headers.items()
                if k.lower() in ("accept", "content-type", "content-range", "content-length")}
        c.request(self.command, self.path, body=self.body, headers=hdrs)
        r = c.getresponse()
        self.send_response(r.status)
        for k, v in r.getheaders():
            if k.lower() in ("content-type", "content-length", "docker-content-digest",
                             "www-authenticate", "location"):
                self.send_header(k, v)
        self.end_headers()
        while self.command != "HEAD":
            chunk = r.read(16384)
            if not chunk:
                break
            self.wfile.write(chunk)
            if SLOW and "/blobs/" in self.path and not os.path.exists(FAST):
                self.wfile.flush()
                time.sleep(len(chunk) / SLOW)

    def do_GET(self):
        # read first: a 401 must not leave the body to be parsed as the
        # next request of the connection
        n = int(self.headers.get("Content-Length", "0") or 0)
        self.body = self.rfile.read(n) if n else None
        auth = self.headers.get("Authorization", "")
        log("%s %s auth=%s%s" % (self.command, self.path.split("?")[0], auth.split(" ")[0],
                                 " scope=" + TOKENS.get(auth[7:], "") if auth[:7] == "Bearer " else ""))
        if self.path.startswith("/token"):
            return self.token()
        if CREDS and not self.authorized():
            return self.challenge()
        self.forward()

    do_HEAD = do_GET
    do_POST = do_GET
    do_PUT = do_GET
    do_PATCH = do_GET


class S(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True


srv = S(("127.0.0.1", 0), H)
PORT = srv.server_address[1]
print(PORT, flush=True)
srv.serve_forever()
