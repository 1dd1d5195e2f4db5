"""hostile.py LOG MODE: a fake registry on two loopback ports (the
registry, and "elsewhere": another port the registry points its clients
to) serving one image, library/x:1, and misbehaving by MODE:
  redirect-port   the layer GET is redirected to elsewhere (same host)
  redirect-host   the layer GET is redirected to localhost:REGISTRY-PORT
  redirect-loop   the layer GET is redirected to itself, forever
  realm-elsewhere the Bearer realm is elsewhere's /token
  endless         the manifest body never ends
  big-index       the tag is an index of 10,000 manifests (9,999 for
                  riscv64 variants that do not exist, then the amd64 one)
  trickle-token   the realm is elsewhere, whose /token answer sends a
                  header line byte by byte, one every 0.2 s, forever
  trickle-layer   the layer's body comes a byte every 0.5 s
  stall-manifest  the manifest's headers come, then nothing
  steady-layer    a 24 KB layer sent at 4 KiB/s (1 KiB every 0.25 s)
  big-layer       a well-behaved registry whose layer is 3 MB (random)
The registry wants Basic credentials (or, realm-elsewhere, a token).
Prints "REGPORT ELSEPORT" on stdout; logs one line per request to LOG:
  PORT METHOD PATH auth=AUTHORIZATION-HEADER"""
import gzip
import hashlib
import http.server
import io
import json
import os
import socketserver
import sys
import tarfile
import threading
import time

from replyhttp import ReplyHandler

LOG, MODE = sys.argv[1], sys.argv[2]


def digest(b):
    return "sha256:" + hashlib.sha256(b).hexdigest()


def layer():
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w") as t:
        data = {"steady-layer": os.urandom(24000),
                "big-layer": os.urandom(3000000)}.get(MODE, b"hello\n")
        i = tarfile.TarInfo("hello")
        i.size = len(data)
        t.addfile(i, io.BytesIO(data))
    return raw.getvalue(), gzip.compress(raw.getvalue(), mtime=0)


TAR, LAYER = layer()
CONFIG = json.dumps({"architecture": "amd64", "os": "linux", "config": {},
                     "rootfs": {"type": "layers", "diff_ids": [digest(TAR)]}}).encode()
MANIFEST = json.dumps({
    "schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
    "config": {"mediaType": "application/vnd.oci.image.config.v1+json",
               "digest": digest(CONFIG), "size": len(CONFIG)},
    "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip",
                "digest": digest(LAYER), "size": len(LAYER)}]}).encode()
INDEX_TYPE = "application/vnd.oci.image.index.v1+json"
INDEX = json.dumps({"schemaVersion": 2, "mediaType": INDEX_TYPE, "manifests": [
    {"mediaType": "application/vnd.oci.image.manifest.v1+json",
     "digest": "sha256:%064x" % i, "size": 1000,
     "platform": {"architecture": "riscv64", "os": "linux", "variant": "v%d" % i}}
    for i in range(9999)] + [
    {"mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": digest(MANIFEST),
     "size": len(MANIFEST), "platform": {"architecture": "amd64", "os": "linux"}}]}).encode()
PORTS = {}
LOCK = threading.Lock()


def log(line):
    with LOCK, open(LOG, "a") as f:
        f.write(line + "\n")


class H(ReplyHandler):

    def slowly(self, body, ct, piece, pause):
        """Sends the headers of body, then body piece bytes every pause
        seconds (pause None: never)."""
        self.send_response(200)
        for k, v in ct + [("Content-Length", str(len(body)))]:
            self.send_header(k, v)
        self.end_headers()
        self.wfile.flush()
        try:
            if pause is None:
                time.sleep(3600)
            for i in range(0, len(body), piece):
                self.wfile.write(body[i:i + piece])
                self.wfile.flush()
                time.sleep(pause)
        except OSError:
            return

    def trickle(self):
        self.send_response(200)
        self.flush_headers()
        try:
            while True:
                for c in b"X-Slow: 0123456789\r\n":
                    self.wfile.write(bytes([c]))
                    self.wfile.flush()
                    time.sleep(0.2)
        except OSError:
            return

    def authorized(self):
        auth = self.headers.get("Authorization", "")
        if MODE in ("realm-elsewhere", "trickle-token"):
            if auth == "Bearer tok3n":
                return True
            realm = "http://127.0.0.1:%d/token" % PORTS["else"]
            self.reply(401, b"{}", [("WWW-Authenticate",
                                     'Bearer realm="%s",service="reg"' % realm)])
            return False
        if auth.startswith("Basic "):
            return True
        self.reply(401, b"{}", [("WWW-Authenticate", 'Basic realm="reg"')])
        return False

    def do_GET(self):
        port = self.server.server_address[1]
        log("%d %s %s auth=%s" % (port, self.command, self.path,
                                  self.headers.get("Authorization", "")))
        if port == PORTS["else"]:
            if self.path.startswith("/token") and MODE == "trickle-token":
                return self.trickle()
            if self.path.startswith("/token"):
                return self.reply(200, b'{"token":"tok3n"}', [("Content-Type", "application/json")])
            return self.reply(200, LAYER)
        p = self.path
        if p == "/else/blob":
            return self.reply(200, LAYER)
        if not self.authorized():
            return
        if p == "/v2/":
            return self.reply(200, b"{}")
        if MODE == "big-index" and p == "/v2/library/x/manifests/1":
            return self.reply(200, INDEX, [("Content-Type", INDEX_TYPE),
                                           ("Docker-Content-Digest", digest(INDEX))])
        if p.startswith("/v2/library/x/manifests/"):
            ct = [("Content-Type", "application/vnd.oci.image.manifest.v1+json"),
                  ("Docker-Content-Digest", digest(MANIFEST))]
            if MODE == "stall-manifest" and self.command == "GET":
                return self.slowly(MANIFEST, ct, 1, None)
            if MODE == "endless" and self.command == "GET":
                self.send_response(200)
                for k, v in ct:
                    self.send_header(k, v)
                self.end_headers()
                try:
                    while True:
                        self.wfile.write(b" " * 65536)
                except OSError:
                    return
            return self.reply(200, MANIFEST, ct)
        if p == "/v2/library/x/blobs/" + digest(CONFIG):
            return self.reply(200, CONFIG)
        if p == "/v2/library/x/blobs/" + digest(LAYER):
            to = {"redirect-port": "http://127.0.0.1:%d/blob" % PORTS["else"],
                  "redirect-host": "http://localhost:%d/else/blob" % port,
                  "redirect-loop": p}.get(MODE)
            if to:
                return self.reply(307, b"", [("Location", to)])
            if MODE == "trickle-layer":
                return self.slowly(LAYER, [], 1, 0.5)
            if MODE == "steady-layer":
                return self.slowly(LAYER, [], 1024, 0.25)
            return self.reply(200, LAYER)
        self.reply(404, b'{"errors":[{"code":"NOT_FOUND","message":"no"}]}')

    do_HEAD = do_GET


class S(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True


servers = [S(("127.0.0.1", 0), H) for _ in range(2)]
PORTS["reg"], PORTS["else"] = (s.server_address[1] for s in servers)
for s in servers:
    threading.Thread(target=s.serve_forever, daemon=True).start()
print(PORTS["reg"], PORTS["else"], flush=True)
threading.Event().wait()
