"""serve.py ROOT LOG -- a loopback HTTP server for ADD's URL tests.

Serves the files under ROOT. A file's behaviour is read from ROOT/.meta/NAME
(JSON, optional): {"etag": "...", "last_modified": "HTTP-date",
"disposition": "attachment; filename=...", "status": 500,
"redirect": "/other", "auth": "USER:PASS", "slow": BYTES_PER_S}; ROOT/.meta/_authz.json maps
path prefixes to the exact Authorization header they need (401 else). ETag and Last-Modified are sent only when given, and
If-None-Match / If-Modified-Since are honoured with 304 exactly as given
(the test changes the file and its meta to simulate an update). Missing
files are 404. Every request is logged to LOG as
"METHOD PATH STATUS AUTH" (AUTH: the Authorization header, or -), so a
test can count requests and see which were conditional. Prints the port."""
import base64
import http.server
import json
import os
import socketserver
import sys
import time
import urllib.parse

ROOT, LOG = sys.argv[1], sys.argv[2]


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *a):
        pass

    def note(self, status):
        cond = "cond" if self.headers.get("If-None-Match") or self.headers.get(
            "If-Modified-Since") else "plain"
        with open(LOG, "a") as f:
            f.write("%s %s %d %s %s\n" % (self.command, self.path, status, cond,
                                         self.headers.get("Authorization", "-")))

    def reply(self, status, headers, body=b""):
        self.note(status)
        self.send_response(status)
        for k, v in headers.items():
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def do_GET(self):
        name = urllib.parse.unquote(self.path.split("?")[0]).lstrip("/")
        path = os.path.join(ROOT, name)
        meta_path = os.path.join(ROOT, ".meta", name.replace("/", "_"))
        meta = json.load(open(meta_path)) if os.path.exists(meta_path) else {}
        authz_path = os.path.join(ROOT, ".meta", "_authz.json")
        authz = json.load(open(authz_path)) if os.path.exists(authz_path) else {}
        for prefix, want in authz.items():
            if name.startswith(prefix) and self.headers.get("Authorization") != want:
                return self.reply(401, {"WWW-Authenticate": 'Basic realm="t"'}, b"who?\n")
        if "auth" in meta:
            want = "Basic " + base64.b64encode(meta["auth"].encode()).decode()
            if self.headers.get("Authorization") != want:
                return self.reply(401, {"WWW-Authenticate": 'Basic realm="t"'}, b"who?\n")
        if "redirect" in meta:
            return self.reply(302, {"Location": meta["redirect"]})
        if "status" in meta:
            return self.reply(meta["status"], {}, b"server says no\n")
        if not os.path.isfile(path):
            return self.reply(404, {}, b"not found\n")
        hdr = {}
        if "etag" in meta:
            hdr["ETag"] = meta["etag"]
        if "last_modified" in meta:
            hdr["Last-Modified"] = meta["last_modified"]
        if "disposition" in meta:
            hdr["Content-Disposition"] = meta["disposition"]
        inm = self.headers.get("If-None-Match")
        ims = self.headers.get("If-Modified-Since")
        if (inm and inm == meta.get("etag")) or (
                not inm and ims and ims == meta.get("last_modified")):
            return self.reply(304, hdr)
        with open(path, "rb") as f:
            body = f.read()
        if "slow" in meta:  # bytes per second, so a test can kill a fetch midway
            self.note(200)
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            try:
                for i in range(0, len(body), meta["slow"]):
                    self.wfile.write(body[i:i + meta["slow"]])
                    self.wfile.flush()
                    time.sleep(1)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the client was killed: what the test wants
            return
        self.reply(200, hdr, body)

    do_HEAD = do_GET


class Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True


srv = Server(("127.0.0.1", 0), Handler)
print(srv.server_address[1], flush=True)
srv.serve_forever()
