#!/usr/bin/python3
"""A scripted hostile AnyConnect gateway for kslice's integration tests (stdlib only).

It speaks enough aggregate auth (POST config-auth init -> auth-request form -> auth-reply
-> complete with a session token) and CSTP (CONNECT /CSCOSSLC/tunnel -> 200 with X-CSTP-*
headers, then 8-byte STF frames) to bring kslice to one phase, then attacks it there.
One scenario per process:

    hostile_gw.py --scenario NAME --listen ADDR:PORT --cert PEM --key PEM \
        --log FILE --record FILE [--trigger FILE] [--ready FILE] [--max-seconds N]

--log gets one line per thing done or received; --record is a JSON object rewritten
(atomically) whenever something worth asserting arrives: requests seen, the cookie the
client presented, the DPD-RESP it sent back (length, and whether the payload matched),
whether it still answered a probe DPD after the attack, the DISCONNECT it sent...
Attacks after CONNECT wait until --trigger exists (the test creates it once the tunnel is
up), so they hit a client that is fully up. `--list` prints the scenario names.
"""
import argparse
import itertools
import json
import os
import socket
import ssl
import struct
import sys
import threading
import time
import zlib

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

STF_DATA, STF_DPD_REQ, STF_DPD_RESP, STF_DISCONNECT = 0, 3, 4, 5
STF_KEEPALIVE, STF_COMPRESSED, STF_TERMINATE = 7, 8, 9

FORGED = b'level=err sub=auth event=login_failed user="root"'
# Every text the gateway controls gets these: clear screen, set the terminal title, CR, LF
# then a forged log line, double quotes, invalid UTF-8. Headers cannot carry LF (it ends the
# header), so they get CR; XML 1.0 cannot carry ESC or BEL at all (not even as &#27;), so
# XML texts get what it allows: CR, LF, TAB and quotes.
CTL = b"\x1b[2J\x1b]0;pwned\x07\r\n" + FORGED + b' "q"\xff\xfe'
CTL_HDR = b"\x1b[2J\x1b]0;pwned\x07\r" + FORGED + b' "q"\xff\xfe'
CTL_XML = "x&#13;&#10;" + FORGED.decode().replace('"', "&quot;") + "&#9;&quot;q&quot;"

# Scenario -> where it strikes. "init": the answer to the first POST; "reply": the answer
# to the form answers; "connect": the CONNECT answer; "cstp": frames after the tunnel is up
# (waits for --trigger); "tcp"/"tls": before any HTTP.
SCENARIOS = {
    "silent-tcp": "tcp",            # accepts, never speaks TLS
    "silent-tls": "tls",            # TLS handshake, then never answers HTTP
    "trickle": "init",              # a valid response, one byte every 0.5 s, forever
    "silent-connect": "connect",    # login fine, CONNECT never answered
    "trickle-connect": "connect",   # login fine, CONNECT answer trickled forever
    "big-head": "init",             # > 64 KB of header lines
    "huge-header": "init",          # one header line of 1 MB
    "big-body": "init",             # Content-Length: 20 MB, and sends it
    "big-body-close": "init",       # no length, 20 MB until close
    "chunk-overflow": "init",       # chunk size ffffffffffffffff
    "chunk-wrap": "init",           # chunk size 10000000000000005 (wraps to 5 in 64 bits)
    "chunk-negative": "init",       # chunk size -1
    "chunk-nocrlf": "init",         # a valid chunk whose data is not followed by CRLF
    "redirect-loop": "init",        # 302 to itself, forever
    "xml-dtd-entity": "init",       # DOCTYPE with an internal entity used in <message>
    "xml-billion-laughs": "init",   # nested entities (the billion laughs)
    "xml-external-entity": "init",  # SYSTEM entity naming a local file
    "xml-10mb": "init",             # 10 MB auth-request, chunked
    "xml-600k": "init",             # 600 KB auth-request with Content-Length
    "xml-raw-ctl": "init",          # raw ESC, BEL and 0xff 0xfe inside <message>
    "ctl-form": "init",             # control characters in message, id, labels, options
    "ctl-login-failed": "reply",    # <error> and <message> with control characters
    "ctl-401-auth": "init",         # 401 with control characters in reason and X-Reason
    "ctl-401-connect": "connect",   # the same, answering CONNECT
    "ctl-banner": "cstp",           # banner (XML), X-CSTP-Banner, other X-CSTP-* values
    "huge-cookie": "cstp",          # 100 KB session token
    "mtu-zero": "connect",          # X-CSTP-MTU: 0
    "mtu-huge": "connect",          # X-CSTP-MTU: 99999
    "addr-garbage": "connect",      # X-CSTP-Address: garbage with control characters
    "split-10k": "connect",         # 10,000 X-CSTP-Split-Include headers
    "dpd-big": "cstp",              # DPD-REQ with a 60,000-byte payload
    "dpd-record": "cstp",           # DPD-REQ as large as one TLS record allows (16,376)
    "bad-magic": "cstp",            # frame starting XTF
    "hdr-byte7": "cstp",            # header byte 7 = 0x01
    "data-65535": "cstp",           # data frame of 65,535 bytes (an IPv4 header claiming it)
    "truncated-close": "cstp",      # header says 1000 bytes, 100 arrive, TCP closed
    "compressed-unagreed": "cstp",  # type 8 frame, no compression agreed
    "deflate-garbage": "cstp",      # deflate agreed, then a frame of garbage
    "unknown-type": "cstp",         # frame type 0x42
    "disconnect-ctl": "cstp",       # DISCONNECT whose reason has control characters
    "terminate": "cstp",            # TERMINATE
    # Not an attack, a gateway timer: X-CSTP-Disconnected-Timeout: 3, then the connection
    # drops and every later one is cut at once (the session is forgotten after 3 s).
    "disconnected-timeout": "cstp",
    # Not an attack either: deflate as the ASA does it, made by Python's zlib (an
    # implementation other than kslice's), both ways: IPv4 echo requests are answered.
    "deflate-echo": "cstp",
    # Not an attack: the ASA's <client-cert-request/> (openconnect auth.c), sent in answer
    # to the init on a connection whose handshake asked for no certificate; later
    # handshakes ask (--client-ca). With a certificate the login goes on by form; an init
    # with <client-cert-fail/> gets the form too (another way in).
    "cert-request": "auth",
    # Not attacks: the ASA's SAML login (tests/lib/saml_asa.py), the token brought back to
    # the client's listener by the browser (external) or left in a cookie (embedded).
    "saml-external": "auth",
    "saml-embedded": "auth",
}
# Attacks the client must refuse before it answers a form: a client that answers anyway
# has accepted the attack; it is recorded and told "Login failed." so it ends quickly.
REFUSE_BEFORE_REPLY = {n for n, w in SCENARIOS.items() if w == "init"} - {"ctl-form"}

XML_HEAD = '<?xml version="1.0" encoding="UTF-8"?>\n'


def auth_request(message="Please enter your username and password.", auth_id="main",
                 user_label="Username:", pass_label="Password:", error="", doctype="",
                 pad=0, group=""):
    err = f'<error id="88" param1="" param2="">{error}</error>\n' if error else ""
    sel = (f'<select name="group_list" label="GROUP:{group}">\n'
           f'<option value="Employees">Employees{group}</option>\n'
           f'<option value="Contractors">Contractors{group}</option>\n</select>\n'
           if group else "")
    return (XML_HEAD + doctype +
            '<config-auth client="vpn" type="auth-request" aggregate-auth-version="2">\n'
            '<version who="sg">0.1(1)</version>\n'
            f'<auth id="{auth_id}">\n<title>Login</title>\n{err}'
            f'<message>{message}</message>\n'
            '<form method="post" action="/auth">\n' + sel +
            f'<input type="text" name="username" label="{user_label}" />\n'
            f'<input type="password" name="password" label="{pass_label}" />\n'
            '</form></auth>\n' + " " * pad + '</config-auth>\n')


def auth_complete(token, banner="Authorized use only"):
    return (XML_HEAD +
            '<config-auth client="vpn" type="complete" aggregate-auth-version="2">\n'
            '<session-id>32768</session-id>\n'
            f'<session-token>{token}</session-token>\n'
            f'<auth id="success">\n<banner>{banner}</banner>\n</auth>\n</config-auth>\n')


def frame(ftype, payload=b""):
    return b"STF\x01" + struct.pack(">HBB", len(payload), ftype, 0) + payload


def ipv4_header(total_len, src, dst, proto=17):
    hdr = struct.pack(">BBHHHBBH4s4s", 0x45, 0, total_len, 0x4b53, 0, 64, proto, 0,
                      socket.inet_aton(src), socket.inet_aton(dst))
    s = sum(struct.unpack(">10H", hdr))
    s = (s & 0xffff) + (s >> 16)
    s = (s & 0xffff) + (s >> 16)
    return hdr[:10] + struct.pack(">H", ~s & 0xffff) + hdr[12:]


class Closed(Exception):
    pass


class Gateway:
    def __init__(self, a):
        self.a = a
        self.scenario = a.scenario
        self.where = SCENARIOS[a.scenario]
        self.lock = threading.Lock()
        self.logf = open(a.log, "a", buffering=1)
        self.rec = {"scenario": a.scenario, "connections": 0, "requests": [],
                    "continued_after_attack": False,
                    "refuse_before_reply": a.scenario in REFUSE_BEFORE_REPLY}
        self.t0 = time.monotonic()
        self.gone = False  # disconnected-timeout: the gateway cuts every new connection
        host, port = a.listen.rsplit(":", 1)
        self.host, self.port = host.strip("[]"), int(port)
        self.saml = None
        if a.scenario.startswith("saml-"):
            import saml_asa
            self.saml = saml_asa.SamlAsa(self, a.scenario == "saml-external")
        # The token is the cookie; 100 KB of it for huge-cookie.
        n = 100 * 1024 if a.scenario == "huge-cookie" else 32
        self.token = ("HOSTILE" + "0123456789ABCDEF" * (n // 16 + 1))[:n]
        self.save()

    # --- what happened ---------------------------------------------------------------
    def log(self, msg):
        with self.lock:
            self.logf.write(f"{time.monotonic() - self.t0:8.3f} {msg}\n")

    def save(self):
        if not self.a.record:
            return
        tmp = self.a.record + ".tmp"
        with open(tmp, "w") as f:
            json.dump(self.rec, f, indent=1, sort_keys=True)
        os.replace(tmp, self.a.record)

    def record(self, key, value):
        with self.lock:
            self.rec[key] = value
            self.save()

    def add_request(self, req):
        with self.lock:
            self.rec["requests"].append(req)
            self.save()

    # --- plumbing ----------------------------------------------------------------------
    def serve(self):
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(self.a.cert, self.a.key)
        if self.saml:  # the CONNECT's STRAP proof is checked over tls-unique
            ctx.maximum_version = ssl.TLSVersion.TLSv1_2
        asking = ctx
        if self.a.client_ca:  # every connection after the first asks for a certificate
            asking = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            asking.load_cert_chain(self.a.cert, self.a.key)
            asking.verify_mode = ssl.CERT_OPTIONAL
            asking.load_verify_locations(self.a.client_ca)
        ls = socket.socket(socket.AF_INET6 if ":" in self.host else socket.AF_INET)
        ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        ls.bind((self.host, self.port))
        ls.listen(16)
        ls.settimeout(0.5)
        self.log(f"listening on {self.host}:{self.port} scenario={self.scenario}")
        if self.a.ready:
            open(self.a.ready, "w").close()
        end = time.monotonic() + self.a.max_seconds
        n = 0
        while time.monotonic() < end:
            try:
                c, peer = ls.accept()
            except socket.timeout:
                continue
            n += 1
            with self.lock:
                self.rec["connections"] = n
                self.save()
            self.log(f"conn {n} from {peer[0]}:{peer[1]}")
            first = ctx if not self.a.ask_first else asking
            threading.Thread(target=self.conn_main, args=(first if n == 1 else asking, c, n),
                             daemon=True).start()
        self.log("max-seconds reached, exiting")

    def conn_main(self, ctx, raw, n):
        try:
            self.handle(ctx, raw, n)
        except Closed as e:
            self.log(f"conn {n}: closed ({e})")
        except (OSError, ssl.SSLError) as e:
            self.log(f"conn {n}: {type(e).__name__}: {e}")
        finally:
            try:
                raw.close()
            except OSError:
                pass

    def hold(self, sock, n, what):
        """Keep the connection open, say nothing, until the peer goes away."""
        start = time.monotonic()
        sock.settimeout(0.5)
        while True:
            try:
                if not sock.recv(4096):
                    break
            except socket.timeout:
                continue
            except (OSError, ssl.SSLError):
                break
        gone = time.monotonic() - start
        self.log(f"conn {n}: {what}: client went away after {gone:.1f} s")
        self.record("client_gone_after_s", round(gone, 2))
        raise Closed("client went away")

    def trickle(self, sock, n, data_iter):
        """One byte every 0.5 s until the client goes away."""
        start, sent = time.monotonic(), 0
        sock.settimeout(5)
        try:
            for b in data_iter:
                sock.sendall(bytes([b]))
                sent += 1
                time.sleep(0.5)
        except (OSError, ssl.SSLError):
            pass
        gone = time.monotonic() - start
        self.log(f"conn {n}: trickled {sent} bytes, client went away after {gone:.1f} s")
        self.record("client_gone_after_s", round(gone, 2))
        raise Closed("client went away")

    def send(self, sock, data, n, what):
        sock.settimeout(20)
        try:
            sock.sendall(data)
        except (OSError, ssl.SSLError) as e:
            self.log(f"conn {n}: sending {what}: client stopped reading ({e})")
            raise Closed("client stopped reading")
        self.log(f"conn {n}: sent {what} ({len(data)} bytes)")

    def handle(self, ctx, raw, n):
        if self.gone:
            with self.lock:
                self.rec["cut_after_drop"] = self.rec.get("cut_after_drop", 0) + 1
                self.save()
            raise Closed("cut: the gateway is unreachable for the test")
        if self.where == "tcp":
            self.hold(raw, n, "silent before TLS")
        raw.settimeout(10)
        tls = ctx.wrap_socket(raw, server_side=True)
        self.log(f"conn {n}: TLS {tls.version()} established")
        if tls.getpeercert():  # a client certificate came in this handshake
            with self.lock:
                self.rec["handshake_certs"] = self.rec.get("handshake_certs", 0) + 1
                self.save()
        if self.where == "tls":
            self.hold(tls, n, "silent after TLS")
        buf = b""
        while True:
            req, buf = self.read_request(tls, buf, n)
            if req is None:
                self.log(f"conn {n}: client closed")
                return
            self.dispatch(tls, req, n)

    def read_request(self, tls, buf, n):
        tls.settimeout(30)
        while b"\r\n\r\n" not in buf:
            if len(buf) > (1 << 20):
                raise Closed("request head over 1 MB")
            try:
                d = tls.recv(65536)
            except (OSError, ssl.SSLError):
                d = b""
            if not d:
                return None, b""
            buf += d
        head, buf = buf.split(b"\r\n\r\n", 1)
        lines = head.decode("latin-1").split("\r\n")
        method, path = (lines[0].split(" ") + ["", ""])[:2]
        hdrs = {}
        for line in lines[1:]:
            k, _, v = line.partition(":")
            hdrs.setdefault(k.strip().lower(), v.strip())
        want = int(hdrs.get("content-length", "0") or 0)
        while len(buf) < want:
            d = tls.recv(65536)
            if not d:
                return None, b""
            buf += d
        body, buf = buf[:want], buf[want:]
        return {"method": method, "path": path, "headers": hdrs, "body": body,
                "head_len": len(head)}, buf

    # --- HTTP ---------------------------------------------------------------------------
    def respond(self, tls, n, status, body=b"", headers=(), what=None, ctype="text/xml"):
        if isinstance(body, str):
            body = body.encode()
        h = b"HTTP/1.1 " + (status if isinstance(status, bytes) else status.encode()) + b"\r\n"
        h += b"Server: hostile\r\nConnection: Keep-Alive\r\n"
        for x in headers:
            h += (x if isinstance(x, bytes) else x.encode()) + b"\r\n"
        h += b"Content-Type: %s\r\nContent-Length: %d\r\n\r\n" % (ctype.encode(), len(body))
        self.send(tls, h + body, n, what or "response")

    def dispatch(self, tls, req, n):
        body = req["body"].decode("utf-8", "replace")
        kind = ("connect" if req["method"] == "CONNECT" else
                "init" if 'type="init"' in body else
                "reply" if 'type="auth-reply"' in body else "other")
        cookie = req["headers"].get("cookie", "")
        self.add_request({"method": req["method"], "path": req["path"], "kind": kind,
                          "head_len": req["head_len"], "body_len": len(req["body"]),
                          "cookie_len": len(cookie)})
        self.log(f"conn {n}: {req['method']} {req['path']} kind={kind} "
                 f"head={req['head_len']} body={len(req['body'])} cookie={len(cookie)}")
        if self.saml and kind != "connect":
            if req["method"] == "GET" or not req["path"].startswith("/") or \
                    req["path"].startswith(("/+CSCOE+/saml", "/idp/")):
                return self.saml.on_http(tls, n, req)
            if kind == "init":
                return self.saml.on_init(tls, n, req, body)
            if kind == "reply":
                return self.saml.on_reply(tls, n, body)
        if self.saml and kind == "connect":
            self.saml.check_connect(tls, req)
        if kind in ("init", "other") and self.scenario == "cert-request":
            return self.on_cert_init(tls, n, body)
        if kind == "init" or kind == "other":
            return self.on_init(tls, n)
        if kind == "reply":
            return self.on_reply(tls, n, body)
        return self.on_connect(tls, n, req)

    def login_failed(self, tls, n):
        self.respond(tls, n, "200 OK", auth_request(message="Login failed."),
                     what="login failed form")

    def on_cert_init(self, tls, n, body):
        cert = tls.getpeercert()
        if cert:
            cn = dict(x[0] for x in cert.get("subject", ())).get("commonName", "")
            self.log(f"conn {n}: client certificate CN={cn!r}")
            self.record("client_cert_cn", cn)
            return self.respond(tls, n, "200 OK", auth_request(), what="form after the cert")
        if "<client-cert-fail" in body:
            self.record("cert_fail", True)
            return self.respond(tls, n, "200 OK", auth_request(), what="form, no cert")
        with self.lock:
            self.rec["cert_requests"] = self.rec.get("cert_requests", 0) + 1
            self.save()
        doc = (XML_HEAD + '<config-auth client="vpn" type="auth-request" '
               'aggregate-auth-version="2"><client-cert-request/></config-auth>')
        return self.respond(tls, n, "200 OK", doc.encode(), what="client-cert-request")

    def on_init(self, tls, n):
        s = self.scenario
        if self.where != "init":
            return self.respond(tls, n, "200 OK", auth_request(), what="auth-request form")
        if s == "trickle":
            doc = auth_request(pad=1 << 20).encode()
            data = (b"HTTP/1.1 200 OK\r\nContent-Type: text/xml\r\n"
                    b"Content-Length: %d\r\n\r\n" % len(doc) + doc)
            self.trickle(tls, n, itertools.chain(data, itertools.repeat(0x20)))
        if s == "big-head":
            pad = b"".join(b"X-Filler-%05d: %s\r\n" % (i, b"f" * 60) for i in range(1200))
            return self.send(tls, b"HTTP/1.1 200 OK\r\n" + pad + b"Content-Length: 0\r\n\r\n",
                             n, "80 KB of header lines")
        if s == "huge-header":
            return self.send(tls, b"HTTP/1.1 200 OK\r\nX-Huge: " + b"h" * (1 << 20) +
                             b"\r\nContent-Length: 0\r\n\r\n", n, "a 1 MB header line")
        if s in ("big-body", "big-body-close"):
            size = 20 << 20
            head = b"HTTP/1.1 200 OK\r\nContent-Type: text/xml\r\n"
            head += (b"Content-Length: %d\r\n\r\n" % size if s == "big-body" else
                     b"Connection: close\r\n\r\n")
            self.send(tls, head, n, "head of a 20 MB body")
            chunk, sent = b"<" + b"b" * 65535, 0
            try:
                while sent < size:
                    tls.sendall(chunk)
                    sent += len(chunk)
            except (OSError, ssl.SSLError) as e:
                self.log(f"conn {n}: client stopped reading after {sent} body bytes ({e})")
                self.record("body_bytes_taken", sent)
                raise Closed("client stopped reading")
            self.log(f"conn {n}: sent all 20 MB")
            self.record("body_bytes_taken", sent)
            raise Closed("body sent")
        if s.startswith("chunk-"):
            head = b"HTTP/1.1 200 OK\r\nContent-Type: text/xml\r\nTransfer-Encoding: chunked\r\n\r\n"
            doc = auth_request().encode()
            body = {
                "chunk-overflow": b"ffffffffffffffff\r\n" + doc + b"\r\n0\r\n\r\n",
                "chunk-wrap": b"10000000000000005\r\n" + doc + b"\r\n0\r\n\r\n",
                "chunk-negative": b"-1\r\n" + doc + b"\r\n0\r\n\r\n",
                "chunk-nocrlf": b"%x\r\n" % len(doc) + doc + b"XX0\r\n\r\n",
            }[s]
            return self.send(tls, head + body, n, s + " body")
        if s == "redirect-loop":
            return self.respond(tls, n, "302 Found", b"",
                                [f"Location: https://{self.host}:{self.port}/"],
                                what="302 to itself")
        if s == "xml-dtd-entity":
            dt = '<!DOCTYPE config-auth [<!ENTITY big "' + "A" * 4000 + '">]>\n'
            return self.respond(tls, n, "200 OK",
                                auth_request(message="&big;&big;&big;", doctype=dt),
                                what="auth-request with an internal entity")
        if s == "xml-billion-laughs":
            dt = '<!DOCTYPE config-auth [<!ENTITY lol "lol">'
            prev = "lol"
            for i in range(1, 10):
                dt += f'<!ENTITY lol{i} "' + f"&{prev};" * 10 + '">'
                prev = f"lol{i}"
            dt += "]>\n"
            return self.respond(tls, n, "200 OK", auth_request(message="&lol9;", doctype=dt),
                                what="billion laughs")
        if s == "xml-external-entity":
            dt = '<!DOCTYPE config-auth [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>\n'
            return self.respond(tls, n, "200 OK", auth_request(message="&xxe;", doctype=dt),
                                what="external entity")
        if s == "xml-10mb":
            doc = auth_request(message="M" * (10 << 20)).encode()
            self.send(tls, b"HTTP/1.1 200 OK\r\nContent-Type: text/xml\r\n"
                      b"Transfer-Encoding: chunked\r\n\r\n", n, "chunked head")
            tls.settimeout(20)
            for i in range(0, len(doc), 65536):
                c = doc[i:i + 65536]
                tls.sendall(b"%x\r\n" % len(c) + c + b"\r\n")
            tls.sendall(b"0\r\n\r\n")
            return self.log(f"conn {n}: sent a {len(doc)}-byte XML document")
        if s == "xml-600k":
            return self.respond(tls, n, "200 OK", auth_request(message="M" * (600 << 10)),
                                what="600 KB XML")
        if s == "xml-raw-ctl":
            doc = auth_request(message="@@").encode().replace(b"@@", CTL)
            return self.respond(tls, n, "200 OK", doc, what="raw control bytes in XML")
        if s == "ctl-form":
            doc = auth_request(message="Hello" + CTL_XML, auth_id="main" + CTL_XML,
                               user_label="Username:" + CTL_XML,
                               pass_label="Password:" + CTL_XML, group=CTL_XML)
            return self.respond(tls, n, "200 OK", doc, what="form with control characters")
        if s == "ctl-401-auth":
            return self.respond(tls, n, b"401 Denied " + CTL_HDR, b"",
                                [b"X-Reason: " + CTL_HDR], what="401 with control characters")
        raise AssertionError(s)

    def on_reply(self, tls, n, body):
        s = self.scenario
        user = body.split("<username>")[1].split("<")[0] if "<username>" in body else ""
        pw = "<password>alicepass</password>" in body
        self.log(f"conn {n}: auth-reply user={user!r} password_ok={pw}")
        if s in REFUSE_BEFORE_REPLY:
            self.log(f"conn {n}: the client answered a form it should have refused")
            self.record("continued_after_attack", True)
            return self.login_failed(tls, n)
        if s == "ctl-login-failed":
            doc = auth_request(message="Login failed." + CTL_XML,
                               error="Login failed." + CTL_XML)
            return self.respond(tls, n, "200 OK", doc, what="login failed with control chars")
        if user != "alice" or not pw:
            return self.login_failed(tls, n)
        banner = "Authorized use only"
        if s == "ctl-banner":
            banner += CTL_XML
        self.complete(tls, n, banner)

    def complete(self, tls, n, banner="Authorized use only"):
        self.record("token_len", len(self.token))
        self.respond(tls, n, "200 OK", auth_complete(self.token, banner),
                     [f"Set-Cookie: webvpn={self.token if len(self.token) < 4096 else ''}; Secure"],
                     what="complete")

    # --- CONNECT ------------------------------------------------------------------------
    def connect_headers(self):
        h = [b"X-CSTP-Version: 1", b"X-CSTP-Server-Name: hostile 0.1",
             b"X-CSTP-Address: 10.77.0.50", b"X-CSTP-Netmask: 255.255.255.0",
             b"X-CSTP-Split-Include: 10.78.0.0/255.255.255.0",
             b"X-CSTP-DPD: 30", b"X-CSTP-Keepalive: 30", b"X-CSTP-Idle-Timeout: none",
             b"X-CSTP-Rekey-Method: ssl", b"X-CSTP-Rekey-Time: 172800",
             b"X-CSTP-Base-MTU: 1500", b"X-CSTP-MTU: 1372"]
        s = self.scenario
        if s == "mtu-zero":
            h = [x for x in h if not x.startswith(b"X-CSTP-MTU")] + [b"X-CSTP-MTU: 0"]
        elif s == "mtu-huge":
            h = [x for x in h if not x.startswith(b"X-CSTP-MTU")] + [b"X-CSTP-MTU: 99999"]
        elif s == "addr-garbage":
            h = [x for x in h if not x.startswith(b"X-CSTP-Address")]
            h.append(b"X-CSTP-Address: 10.77.0.999" + CTL_HDR)
        elif s == "split-10k":
            h += [b"X-CSTP-Split-Include: 10.%d.%d.0/255.255.255.0" % (100 + i // 256, i % 256)
                  for i in range(10000)]
        elif s == "ctl-banner":  # also in entries that are rejected one by one
            h += [b"X-CSTP-Banner: Welcome" + CTL_HDR, b"X-CSTP-Split-DNS: corp" + CTL_HDR,
                  b"X-CSTP-DNS: 10.78.0.53" + CTL_HDR, b"X-CSTP-Default-Domain: c" + CTL_HDR,
                  b"X-CSTP-Split-Include: 10.79.0.0/16" + CTL_HDR]
        elif s == "deflate-garbage":
            h.append(b"X-CSTP-Content-Encoding: deflate")
        elif s == "disconnected-timeout":
            h.append(b"X-CSTP-Disconnected-Timeout: 3")
        elif s == "deflate-echo":
            h.append(b"X-CSTP-Content-Encoding: deflate")
        return h

    def on_connect(self, tls, n, req):
        s = self.scenario
        cookie = req["headers"].get("cookie", "")
        self.record("accept_encoding", req["headers"].get("x-cstp-accept-encoding"))
        ok = f"webvpn={self.token}" in [c.strip() for c in cookie.split(";")]
        self.record("cookie_ok", ok)
        self.record("cookie_len", len(cookie))
        if s == "silent-connect":
            self.hold(tls, n, "silent after CONNECT")
        if s == "trickle-connect":
            head = b"HTTP/1.1 200 CONNECTED\r\n" + b"\r\n".join(self.connect_headers()) + b"\r\n"
            pad = (b"X-CSTP-Pad-%d: x\r\n" % i for i in itertools.count())
            self.trickle(tls, n, itertools.chain(head, itertools.chain.from_iterable(pad)))
        if s == "ctl-401-connect":
            return self.respond(tls, n, b"401 Cookie rejected " + CTL_HDR, b"",
                                [b"X-Reason: " + CTL_HDR], what="401 with control characters")
        if not ok:
            return self.respond(tls, n, "401 Unauthorized", b"", ["X-Reason: bad cookie"])
        head = (b"HTTP/1.1 200 CONNECTED\r\nSet-Cookie: webvpncontext=; path=/; Secure\r\n" +
                b"\r\n".join(self.connect_headers()) + b"\r\n\r\n")
        self.send(tls, head, n, "200 CONNECTED")
        self.record("connected", True)
        if self.where == "cstp":
            Cstp(self, tls, n).run()
            raise Closed("cstp session over")
        # The client should have refused this CONNECT answer; keep the line open while it
        # decides, and note what it did.
        Cstp(self, tls, n).drain(60)
        raise Closed("cstp session over")


class Cstp:
    """The tunnel phase: answers DPDs and records what the client sends; once --trigger
    exists, runs the scenario's attack."""

    def __init__(self, gw, tls, n):
        self.gw, self.tls, self.n = gw, tls, n
        self.buf = b""
        self.closed = False
        self.dpd_resps = []
        self.probe = 0
        # deflate-echo: the ASA's format, one raw-deflate stream (window 2^12) each way,
        # a sync flush per packet, then the big-endian adler32 of all plaintext so far.
        self.inf, self.inf_adler = zlib.decompressobj(-12), zlib.adler32(b"")
        self.dfl, self.dfl_adler = zlib.compressobj(6, zlib.DEFLATED, -12), zlib.adler32(b"")
        self.counts = {"inflated": 0, "bad": 0, "echoes": 0}

    def log(self, msg):
        self.gw.log(f"conn {self.n}: cstp: {msg}")

    def send(self, data, what):
        self.gw.send(self.tls, data, self.n, what)

    def pump(self, timeout):
        """Reads what arrives within `timeout`, handling whole frames."""
        self.tls.settimeout(timeout)
        try:
            d = self.tls.recv(262144)
        except socket.timeout:
            return
        except (OSError, ssl.SSLError) as e:
            d = b""
            self.log(f"read error {e}")
        if not d:
            if not self.closed:
                self.log("client closed the connection")
                self.gw.record("client_closed_at_s", round(time.monotonic() - self.gw.t0, 2))
            self.closed = True
            return
        self.buf += d
        while len(self.buf) >= 8:
            if self.buf[:4] != b"STF\x01":
                self.log(f"client sent a bad header {self.buf[:8].hex()}")
                self.gw.record("client_bad_frame", self.buf[:8].hex())
                self.buf = b""
                return
            plen, ftype = struct.unpack(">HB", self.buf[4:7])
            if len(self.buf) < 8 + plen:
                return
            payload, self.buf = self.buf[8:8 + plen], self.buf[8 + plen:]
            self.on_frame(ftype, payload)

    def inflate(self, payload):
        """A COMPRESSED frame of the client's, or None when it does not decode or check."""
        try:
            pkt = self.inf.decompress(payload[:-4])
        except zlib.error as e:
            self.log(f"inflate failed: {e}")
            return None
        self.inf_adler = zlib.adler32(pkt, self.inf_adler)
        if len(payload) < 5 or struct.unpack(">I", payload[-4:])[0] != self.inf_adler:
            self.log("adler32 mismatch")
            return None
        return pkt

    def deflate(self, pkt):
        z = self.dfl.compress(pkt) + self.dfl.flush(zlib.Z_SYNC_FLUSH)
        self.dfl_adler = zlib.adler32(pkt, self.dfl_adler)
        return z + struct.pack(">I", self.dfl_adler)

    def echo(self, pkt):
        """An IPv4 ICMP echo request answered, compressed by this side's stream."""
        if len(pkt) < 28 or pkt[0] >> 4 != 4 or pkt[9] != 1 or pkt[(pkt[0] & 15) * 4] != 8:
            return
        ihl = (pkt[0] & 15) * 4
        icmp = bytearray(pkt[ihl:])
        icmp[0], icmp[2:4] = 0, b"\0\0"
        if len(icmp) % 2:
            icmp.append(0)  # for the sum only
        s = sum(struct.unpack(f">{len(icmp) // 2}H", icmp))
        s = (s & 0xffff) + (s >> 16)
        s = (s & 0xffff) + (s >> 16)
        icmp[2:4] = struct.pack(">H", ~s & 0xffff)
        icmp = bytes(icmp[:len(pkt) - ihl])
        src, dst = socket.inet_ntoa(pkt[16:20]), socket.inet_ntoa(pkt[12:16])
        reply = ipv4_header(ihl + len(icmp), src, dst, proto=1) + icmp
        self.send(frame(STF_COMPRESSED, self.deflate(reply)), "compressed echo reply")
        self.counts["echoes"] += 1
        self.gw.record("deflate", dict(self.counts))

    def on_frame(self, ftype, payload):
        if self.gw.scenario == "deflate-echo" and ftype in (STF_COMPRESSED, STF_DATA):
            if ftype == STF_COMPRESSED:
                pkt = self.inflate(payload)
                key = "inflated" if pkt is not None else "bad"
            else:
                pkt, key = payload, "plain"
            self.counts[key] = self.counts.get(key, 0) + 1
            self.gw.record("deflate", dict(self.counts))
            if pkt is not None:
                self.echo(pkt)
            return
        if ftype == STF_DPD_REQ:
            self.log(f"DPD-REQ from the client ({len(payload)} bytes), answering")
            self.send(frame(STF_DPD_RESP, payload), "DPD-RESP")
        elif ftype == STF_DPD_RESP:
            self.log(f"DPD-RESP from the client ({len(payload)} bytes)")
            self.dpd_resps.append(payload)
        elif ftype == STF_DISCONNECT:
            reason = payload[1:].decode("utf-8", "replace")
            self.log(f"DISCONNECT from the client: {reason!r}")
            self.gw.record("client_disconnect", reason)
        elif ftype == STF_KEEPALIVE:
            self.log("keepalive from the client")
        else:
            self.log(f"frame type {ftype} from the client ({len(payload)} bytes)")

    def drain(self, seconds):
        end = time.monotonic() + seconds
        while not self.closed and time.monotonic() < end:
            self.pump(0.2)

    def wait_trigger(self):
        path, end = self.gw.a.trigger, time.monotonic() + 60
        while path and not os.path.exists(path) and time.monotonic() < end and not self.closed:
            self.pump(0.1)
        self.log("triggered" if path and os.path.exists(path) else "no trigger, attacking anyway")

    def wait_dpd_resp(self, payload, seconds, key):
        """Did the client echo this DPD-REQ? Records {len, match} of what came back."""
        end = time.monotonic() + seconds
        while not self.closed and time.monotonic() < end:
            for p in self.dpd_resps:
                if p == payload or len(p) == len(payload):
                    self.gw.record(key, {"len": len(p), "match": p == payload})
                    return p == payload
            self.pump(0.2)
        got = [len(p) for p in self.dpd_resps]
        self.gw.record(key, {"len": None, "match": False, "got_lens": got,
                             "closed": self.closed})
        return False

    def send_probe(self):
        """A small DPD-REQ after the attack: does the client still answer?"""
        self.probe += 1
        payload = b"hostile-probe-%d" % self.probe
        self.send(frame(STF_DPD_REQ, payload), "probe DPD-REQ")
        ok = self.wait_dpd_resp(payload, 5, "probe")
        self.gw.record("alive_after_attack", ok)
        self.log(f"client {'answered' if ok else 'did not answer'} the probe")

    def run(self):
        self.wait_trigger()
        if self.closed:
            return
        s = self.gw.scenario
        if s in ("dpd-big", "dpd-record"):
            # A client answers what fits one TLS record (the gateway reads one frame per
            # record) and drops the rest; either way it must stay up.
            n = 60000 if s == "dpd-big" else 16384 - 8
            payload = bytes((i * 7 + 3) & 0xff for i in range(n))
            self.send(frame(STF_DPD_REQ, payload), f"DPD-REQ with {n} bytes")
            ok = self.wait_dpd_resp(payload, 2, "dpd_resp")
            self.log(f"{n}-byte DPD-REQ {'echoed whole' if ok else 'not echoed'}")
            if not self.closed:
                self.send_probe()
        elif s == "bad-magic":
            self.send(b"XTF\x01\x00\x04\x03\x00abcd", "frame with bad magic")
        elif s == "hdr-byte7":
            self.send(b"STF\x01\x00\x04\x03\x01abcd", "frame with header byte 7 = 1")
        elif s == "data-65535":
            pkt = ipv4_header(65535, "10.78.0.10", "10.77.0.50")
            pkt += struct.pack(">HHHH", 7, 9, 65515, 0) + b"\0" * (65535 - 28)
            self.send(frame(STF_DATA, pkt), "data frame of 65,535 bytes")
            self.send_probe()
        elif s == "disconnected-timeout":
            self.gw.gone = True
            sock = socket.socket(fileno=os.dup(self.tls.fileno()))
            sock.shutdown(socket.SHUT_RDWR)  # the path breaks: TCP gone, no goodbye
            sock.close()
            self.gw.record("dropped_at", round(time.monotonic() - self.gw.t0, 2))
            self.log("dropped the connection; later ones are cut at once")
            self.closed = True
            return
        elif s == "truncated-close":
            self.send(b"STF\x01" + struct.pack(">HBB", 1000, STF_DATA, 0) + b"E" * 100,
                      "100 of a 1000-byte frame")
            time.sleep(0.2)
            sock = socket.socket(fileno=os.dup(self.tls.fileno()))
            sock.shutdown(socket.SHUT_RDWR)  # TCP close, no close_notify
            sock.close()
            self.log("closed the TCP connection without close_notify")
            self.closed = True
            return
        elif s == "compressed-unagreed":
            self.send(frame(STF_COMPRESSED, b"\x63\x60\x00\x00" + b"\0\0\0\1"),
                      "compressed frame (nothing agreed)")
        elif s == "deflate-garbage":
            self.send(frame(STF_COMPRESSED, b"\xff\xfe\xfd" * 20 + b"\x12\x34\x56\x78"),
                      "compressed frame of garbage")
        elif s == "unknown-type":
            self.send(frame(0x42, b"?" * 100), "frame of type 0x42")
            self.send_probe()
        elif s == "disconnect-ctl":
            self.send(frame(STF_DISCONNECT, b"\xb0" + CTL), "DISCONNECT with control chars")
        elif s in ("terminate", "ctl-banner", "huge-cookie"):
            self.send(frame(STF_TERMINATE, b"\xb0Server terminated the session"), "TERMINATE")
        # Keep serving (DPDs, the client's DISCONNECT) until it goes away.
        self.drain(60)


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--scenario", choices=sorted(SCENARIOS))
    p.add_argument("--listen", default="198.18.1.1:443")
    p.add_argument("--cert")
    p.add_argument("--key")
    p.add_argument("--log", default="/dev/null")
    p.add_argument("--record")
    p.add_argument("--trigger")
    p.add_argument("--ready")
    p.add_argument("--max-seconds", type=float, default=120)
    p.add_argument("--client-ca", help="CA of client certificates (cert-request)")
    p.add_argument("--ask-first", action="store_true",
                   help="with --client-ca: the first handshake asks for a certificate too")
    p.add_argument("--list", action="store_true", help="print the scenario names")
    a = p.parse_args()
    if a.list:
        print("\n".join(f"{n} {w}" for n, w in SCENARIOS.items()))
        return 0
    if not (a.scenario and a.cert and a.key):
        p.error("--scenario, --cert and --key are required")
    Gateway(a).serve()
    return 0


if __name__ == "__main__":
    sys.exit(main())
