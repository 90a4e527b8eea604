#!/usr/bin/python3
"""Test HTTP server for the corp namespace: GET /<file> from a directory, PUT /sink
answers the sha256 of the body. Bounded: it exits after --max-seconds."""
import argparse
import hashlib
import http.server
import os
import socket
import socketserver
import threading


class Handler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def do_PUT(self):
        remaining = int(self.headers.get("Content-Length", "0"))
        h = hashlib.sha256()
        while remaining > 0:
            chunk = self.rfile.read(min(remaining, 1 << 20))
            if not chunk:
                break
            h.update(chunk)
            remaining -= len(chunk)
        body = (h.hexdigest() + "\n").encode()
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


class Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    address_family = socket.AF_INET6

    def server_bind(self):
        # One socket for both families: IPv4 clients arrive as ::ffff:a.b.c.d.
        self.socket.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
        super().server_bind()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bind", default="::")
    ap.add_argument("--port", type=int, default=8080)
    ap.add_argument("--dir", required=True)
    ap.add_argument("--max-seconds", type=int, default=900)
    a = ap.parse_args()
    os.chdir(a.dir)
    srv = Server((a.bind, a.port), Handler)
    threading.Timer(a.max_seconds, srv.shutdown).start()
    srv.serve_forever()


if __name__ == "__main__":
    main()
