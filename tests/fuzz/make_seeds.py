#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-only
"""Writes the seed corpora under tests/fuzz/corpus/<target>/ (run from the top directory:
/usr/bin/python3 tests/fuzz/make_seeds.py). The captures in tests/data are copied in;
the rest is built here: chunked responses, CSTP frames, raw-deflate frames as the ASA
sends them (zlib, window 2^12, Z_SYNC_FLUSH per packet, running adler32), virtio headers
with TCP/UDP super-packets. Each input starts with the target's control bytes (see the
comment at the top of each fuzz_<target>.c)."""
import os
import base64
import hashlib
import struct
import zlib

TOP = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
CORPUS = os.path.join(TOP, "tests", "fuzz", "corpus")
DATA = os.path.join(TOP, "tests", "data")


def data(name):
    with open(os.path.join(DATA, name), "rb") as f:
        return f.read()


def write(target, name, blob):
    d = os.path.join(CORPUS, target)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, name), "wb") as f:
        f.write(blob)


def http(status, headers, body=b"", cl=True):
    h = b"HTTP/1.1 " + status + b"\r\n"
    for k, v in headers:
        h += k + b": " + v + b"\r\n"
    if cl and body is not None:
        h += b"Content-Length: " + str(len(body)).encode() + b"\r\n"
    return h + b"\r\n" + (body or b"")


def chunked(body_parts, ext=b""):
    out = b""
    for p in body_parts:
        out += b"%x" % len(p) + ext + b"\r\n" + p + b"\r\n"
    return out + b"0\r\n\r\n"


# --- checksums and packets ------------------------------------------------------------
def csum_add(b, acc=0):
    if len(b) % 2:
        b += b"\0"
    for i in range(0, len(b), 2):
        acc += b[i] << 8 | b[i + 1]
    return acc


def fold(acc):
    while acc >> 16:
        acc = (acc & 0xFFFF) + (acc >> 16)
    return acc


def ip4(proto, l4, ident=1, src=b"\x0a\x4d\x00\x32", dst=b"\x0a\x4e\x00\x0a", df=True):
    total = 20 + len(l4)
    h = bytearray(struct.pack(">BBHHHBBH4s4s", 0x45, 0, total, ident, 0x4000 if df else 0,
                              64, proto, 0, src, dst))
    struct.pack_into(">H", h, 10, ~fold(csum_add(bytes(h))) & 0xFFFF)
    return bytes(h)


def ip6(proto, l4, src=b"\xfd" + b"\0" * 14 + b"\x50", dst=b"\xfd" + b"\0" * 14 + b"\x10"):
    return struct.pack(">IHBB16s16s", 0x60000000, len(l4), proto, 64, src, dst)


def pseudo(v, ip, proto, l4len):
    if v == 4:
        return csum_add(ip[12:20]) + proto + l4len
    return csum_add(ip[8:40]) + proto + l4len


def tcp(seq, ack, flags, payload, opts=b"", sport=40000, dport=5201, window=501):
    doff = (20 + len(opts)) // 4
    return struct.pack(">HHIIBBHHH", sport, dport, seq & 0xFFFFFFFF, ack, doff << 4, flags,
                       window, 0, 0) + opts + payload


def udp(payload, sport=40000, dport=53):
    return struct.pack(">HHHH", sport, dport, 8 + len(payload), 0) + payload


def packet(v, proto, l4, ident=1, fill_csum=True, pseudo_only=False):
    hdr = ip4(proto, l4, ident) if v == 4 else ip6(proto, l4)
    l4 = bytearray(l4)
    off = 16 if proto == 6 else 6
    if fill_csum:
        acc = pseudo(v, hdr, proto, len(l4))
        if pseudo_only:
            c = fold(acc)
        else:
            c = ~fold(csum_add(bytes(l4), acc)) & 0xFFFF
            c = c or 0xFFFF if proto == 17 else c
        struct.pack_into(">H", l4, off, c)
    return hdr + bytes(l4)


TS_OPTS = b"\x01\x01\x08\x0a" + struct.pack(">II", 12345, 678)


def vnet(flags, gso_type, hdr_len, gso_size, csum_start, csum_offset):
    return struct.pack("<BBHHHH", flags, gso_type, hdr_len, gso_size, csum_start, csum_offset)


def payload(n, off=0):
    return bytes(((off + i) * 7) & 0xFF for i in range(n))


# --- CSTP -----------------------------------------------------------------------------
def frame(t, p):
    return b"STF\x01" + struct.pack(">H", len(p)) + bytes([t, 0]) + p


class Deflater:
    """The ASA's side: raw deflate, window 2^12, a sync flush and the running adler32."""

    def __init__(self):
        self.z = zlib.compressobj(6, zlib.DEFLATED, -12, 9)
        self.adler = zlib.adler32(b"")

    def packet(self, p):
        out = self.z.compress(p) + self.z.flush(zlib.Z_SYNC_FLUSH)
        self.adler = zlib.adler32(p, self.adler)
        return out + struct.pack(">I", self.adler)


def main():
    # Seeds are rewritten, not the corpus removed: reproducers of findings (README) are
    # committed beside them by hand.
    auth_xml = data("ocserv-auth-username.xml")
    asa_group = data("asa-auth-group.xml")
    asa_complete = data("asa-auth-complete.xml")
    connect = data("ocserv-connect-response.txt")

    # http: flags (bit 0: CONNECT, no body), read size, response
    write("http", "connect-ocserv", b"\x01\x00" + connect + frame(7, b""))
    write("http", "connect-small-reads", b"\x01\x01" + connect)
    write("http", "auth-content-length", b"\x00\x00" + http(b"200 OK", [
        (b"Content-Type", b"text/xml"), (b"Set-Cookie", b"webvpncontext=abc; Secure")],
        auth_xml))
    write("http", "auth-chunked", b"\x00\x03" + http(b"200 OK", [
        (b"Transfer-Encoding", b"chunked")], chunked([asa_group[:300], asa_group[300:]]),
        cl=False))
    write("http", "chunked-ext-trailer", b"\x00\x00" + http(b"200 OK", [
        (b"Transfer-Encoding", b"chunked")], None, cl=False) +
        b"5;name=v\r\nhello\r\nA\r\n0123456789\r\n0\r\nX-Trailer: 1\r\n\r\n")
    write("http", "to-eof", b"\x00\x02" + b"HTTP/1.0 200 OK\nServer: x\n\n<config-auth/>")
    write("http", "no-content", b"\x00\x00" + http(b"204 No Content", [], None, cl=False))
    write("http", "unauthorized", b"\x00\x00" + http(b"401 Unauthorized", [
        (b"WWW-Authenticate", b"Basic")], b"denied"))
    write("http", "partial-head", b"\x00\x00HTTP/1.1 200 OK\r\nContent-Le")

    # cookie: one or two response heads
    write("cookie", "ocserv", connect)
    write("cookie", "asa-two-rounds", http(b"200 OK", [
        (b"Set-Cookie", b"webvpncontext=00@Employees; path=/; Secure"),
        (b"Set-Cookie", b"webvpnlogin=1; path=/"),
        (b"set-cookie", b"tg=RW1wbG95ZWVz; Secure")], None, cl=False) +
        http(b"200 OK", [(b"Set-Cookie", b"webvpn=B1A2C3@1234@ABCD; path=/; Secure"),
                         (b"Set-Cookie", b"webvpncontext=; expires=Thu, 01 Jan 1970 22:00:00 GMT"),
                         (b"Set-Cookie", b"webvpnlogin=1")], None, cl=False))
    write("cookie", "many", http(b"200 OK", [
        (b"Set-Cookie", b"c%d=v%d" % (i, i)) for i in range(18)], None, cl=False))

    # auth: flags (1 user, 2 authgroup, 4 totp, 8 password sent, 16 port, 32 stdin), doc
    write("auth", "ocserv-username", b"\x01" + auth_xml)
    write("auth", "asa-group", b"\x27" + asa_group)
    write("auth", "asa-group-pick", b"\x23" + asa_group)
    write("auth", "asa-complete", b"\x01" + asa_complete)
    write("auth", "otp-form", b"\x0d" + b"""<?xml version="1.0" encoding="UTF-8"?>
<config-auth client="vpn" type="auth-request" aggregate-auth-version="2">
<auth id="challenge"><message>Enter your verification code</message>
<form method="post" action="https://vpn.example.com:443/auth?x=1">
<input type="password" name="secondary_password" label="Passcode:"/>
<input type="hidden" name="tok" value="a&amp;b&#13;c"/>
<input type="submit" name="go" value="Go"/>
</form></auth></config-auth>""")
    write("auth", "bad-name", b"\x00" + b"""<config-auth type="auth-request"><auth id="x">
<error>Login failed</error><form action="/+webvpn+/index.html">
<input type="text" name="9bad" label="User"/></form></auth></config-auth>""")

    # login: flags (1 user, 2 group, 4 totp, 8 group path, 16 stdin), read size, responses
    sep = b"\n=====\n"
    r1 = http(b"200 OK", [(b"Set-Cookie", b"webvpncontext=abc; Secure")], auth_xml)
    pw_form = b"""<?xml version="1.0" encoding="UTF-8"?>
<config-auth client="vpn" type="auth-request" aggregate-auth-version="2">
<auth id="passwd"><message>Please enter your password.</message>
<form method="post" action="/auth"><input type="password" name="password" label="Password:" />
</form></auth></config-auth>"""
    r2 = http(b"200 OK", [], pw_form)
    done = http(b"200 OK", [(b"Set-Cookie", b"webvpn=<elided>; Secure"),
                            (b"Set-Cookie", b"webvpnc=bu:/&p:t&iu:1/&sh:ABC; Secure")],
                b"""<?xml version="1.0" encoding="UTF-8"?>
<config-auth client="vpn" type="complete" aggregate-auth-version="2">
<auth id="success"><banner>Welcome</banner></auth></config-auth>""")
    write("login", "ocserv-password", b"\x11\x00" + r1 + sep + r2 + sep + done)
    write("login", "ocserv-small-reads", b"\x11\x02" + r1 + sep + r2 + sep + done)
    write("login", "asa-group-totp", b"\x17\x00" + http(b"200 OK", [], asa_group) + sep +
          http(b"200 OK", [(b"Transfer-Encoding", b"chunked")],
               chunked([asa_complete]), cl=False))
    write("login", "failed", b"\x11\x00" + r1 + sep + r2 + sep + http(b"200 OK", [], pw_form.replace(
        b"<message>Please enter your password.</message>", b"<error>Login failed.</error>")))
    write("login", "closed-then-401", b"\x11\x00" + b"" + sep + http(b"401 Unauthorized", [], b""))

    # postauth: the X-CSTP-Post-Auth-XML value
    pa = b"""<?xml version="1.0" encoding="UTF-8"?><config-auth client="vpn" type="complete"><config><opaque is-for="vpn-client"><custom-attr><dynamic-split-exclude-domains><![CDATA[cdn.example.com,updates.example.net]]></dynamic-split-exclude-domains><dynamic-split-include-domains><![CDATA[corp.example, intranet.example.org]]></dynamic-split-include-domains></custom-attr></opaque></config></config-auth>"""
    write("postauth", "asa", pa)
    write("postauth", "include-only", b"<a><b><dynamic-split-include-domains>x.example,bad..name,*.y.example</dynamic-split-include-domains></b></a>")
    write("postauth", "not-xml", b"<config-auth><dynamic-split-include-domains>")

    # cstp_params: the CONNECT response head
    write("cstp_params", "ocserv", connect)
    asa = http(b"200 OK", [
        (b"X-CSTP-Version", b"1"), (b"X-CSTP-Address", b"10.1.2.3"),
        (b"X-CSTP-Netmask", b"255.255.0.0"), (b"X-CSTP-Address-IP6", b"fd00:1::5/64"),
        (b"X-CSTP-DNS", b"10.0.0.53"), (b"X-CSTP-DNS-IP6", b"fd00::53"),
        (b"X-CSTP-NBNS", b"10.0.0.54"), (b"X-CSTP-Split-Include", b"10.0.0.0/255.0.0.0"),
        (b"X-CSTP-Split-Include-IP6", b"fd00::/16"), (b"X-CSTP-Split-Exclude", b"10.9.0.0/16"),
        (b"X-CSTP-Split-DNS", b"corp.example,lab.example"),
        (b"X-CSTP-Default-Domain", b"corp.example lab.example"),
        (b"X-CSTP-Post-Auth-XML", pa),
        (b"X-CSTP-MTU", b"1390"), (b"X-CSTP-Base-MTU", b"1500"),
        (b"X-CSTP-Content-Encoding", b"deflate"), (b"X-CSTP-Rekey-Method", b"new-tunnel"),
        (b"X-CSTP-Tunnel-All-DNS", b"false"), (b"X-CSTP-MSIE-Proxy-PAC-URL", b"http://p/x.pac"),
        (b"X-DTLS-Session-ID", b"A" * 64), (b"X-DTLS-Port", b"443"),
        (b"X-DTLS-CipherSuite", b"AES256-SHA"), (b"X-DTLS-MTU", b"1400")], None, cl=False)
    write("cstp_params", "asa", asa)
    write("cstp_params", "v6-only", b"HTTP/1.1 200 CONNECTED\nX-CSTP-Address-IP6: 2001:db8::7/128\nX-CSTP-MTU: 1280\n\n")
    write("cstp_params", "bad-netmask", b"HTTP/1.1 200 OK\r\nX-CSTP-Address: 10.0.0.1\r\nX-CSTP-Netmask: 255.0.255.0\r\nX-CSTP-MTU: 1400\r\n\r\n")

    ip_pkt = packet(4, 17, udp(b"hello"))
    ip6_pkt = packet(6, 6, tcp(1, 2, 0x18, b"data"))
    # cstp_frame: reason buffer size - 1, then the stream
    stream = (frame(0, ip_pkt) + frame(3, b"\x01\x02") + frame(4, b"") + frame(7, b"") +
              frame(0, ip6_pkt) + frame(9, b"server going down\x1b[31m"))
    write("cstp_frame", "stream", b"\xc7" + stream)
    write("cstp_frame", "disconnect", b"\x10" + frame(5, b"\xb0Session terminated by admin\r\n") + b"STF\x01\x00")
    write("cstp_frame", "bad-magic", b"\x40" + frame(0, ip_pkt) + b"STX\x01")
    write("cstp_frame", "utf8-reason", b"\xff" + frame(9, "caf\u00e9 \u2603 \x85 done".encode()))

    # inflate: output size selector, then [u16 length][frame]
    d = Deflater()
    pkts = [packet(4, 17, udp(payload(200))), packet(4, 17, udp(payload(200))),
            packet(4, 6, tcp(5, 6, 0x10, b"A" * 1000)), packet(6, 6, tcp(9, 1, 0x18, payload(1300, 3)))]
    frames = b"".join(struct.pack(">H", len(z)) + z for z in (d.packet(p) for p in pkts))
    write("inflate", "asa-stream", b"\x80" + frames)
    write("inflate", "small-out", b"\x10" + frames)
    d = Deflater()
    write("inflate", "big-ratio", b"\x80" + b"".join(struct.pack(">H", len(z)) + z for z in
                                                   (d.packet(b"\0" * 30000), d.packet(b"x" * 100))))
    d = Deflater()
    z = d.packet(pkts[0])
    write("inflate", "bad-adler", b"\x80" + struct.pack(">H", len(z)) + z[:-1] + bytes([z[-1] ^ 1]))

    # gso: MTU, failing index (255: none), virtio header + packet
    body = payload(5000)
    t4 = packet(4, 6, tcp(0xFFFFF000, 77, 0x19 | 0x80, body, TS_OPTS), pseudo_only=True)
    write("gso", "tcp4-super", struct.pack(">HB", 1400, 255) + vnet(1, 1, 52, 1000, 20, 16) + t4)
    write("gso", "tcp4-super-fail", struct.pack(">HB", 1300, 2) + vnet(1, 1, 52, 1448, 20, 16) + t4)
    t6 = packet(6, 6, tcp(1, 2, 0x10, payload(3000)), pseudo_only=True)
    write("gso", "tcp6-super", struct.pack(">HB", 1500, 255) + vnet(1, 4, 60, 1380, 40, 16) + t6)
    u4 = packet(4, 17, udp(payload(3333)), pseudo_only=True)
    write("gso", "udp4-l4", struct.pack(">HB", 1400, 255) + vnet(1, 5, 28, 999, 20, 6) + u4)
    u6 = packet(6, 17, udp(payload(2001)), pseudo_only=True)
    write("gso", "udp6-l4", struct.pack(">HB", 1280, 255) + vnet(1, 5, 48, 700, 40, 6) + u6)
    small = packet(4, 17, udp(payload(101)), pseudo_only=True)
    write("gso", "plain-needs-csum", struct.pack(">HB", 1400, 255) + vnet(1, 0, 0, 0, 20, 6) + small)
    write("gso", "plain", struct.pack(">HB", 1400, 255) + vnet(0, 0, 0, 0, 0, 0) + ip6_pkt)

    # gro: flags (1 vnet, 2 coalesce, arena<<2), ops: 0 add [u16 len][pkt], 2 flush, 3 done
    def add(p, fix=False):
        return bytes([4 if fix else 0]) + struct.pack(">H", len(p)) + p

    flow = b""
    for i in range(6):
        flow += add(packet(4, 6, tcp(1000 + i * 1000, 5, 0x10, payload(1000, i * 1000), TS_OPTS), 100 + i))
    flow += add(packet(4, 6, tcp(7000, 5, 0x18, payload(300, 6000), TS_OPTS), 106))
    write("gro", "tcp4-flow", b"\x17" + flow + b"\x02\x03\x03")
    v6 = [add(packet(6, 6, tcp(7 + i * 1200, 9, 0x10, payload(1200, i * 1200)))) for i in range(4)]
    v4 = [add(packet(4, 6, tcp(300000 + i * 1200, 5, 0x10, payload(1200, i * 1200), TS_OPTS), i))
          for i in range(4)]
    write("gro", "two-flows", b"\x1b" + b"".join(a + b for a, b in zip(v4, v6)) + b"\x02" + b"\x03" * 3)
    write("gro", "mixed-unfixed", b"\x03" + add(packet(4, 17, udp(payload(30)))) +
          add(packet(4, 6, tcp(1, 5, 0x10, payload(100)), 1), True) +
          add(packet(4, 6, tcp(101, 5, 0x10, payload(100)), 2)[:-1] + b"\xff") +
          add(packet(4, 6, tcp(201, 5, 0x11, payload(100)), 3)) + b"\x02\x03\x03\x03\x03")
    write("gro", "no-vnet", b"\x00" + flow[: 2 * (3 + len(flow) // 7)] + b"\x02\x03")

    # cstp_session: flags (1 deflate), mtu (576 + 32*b), dpd, keepalive, operations
    def op_frame(t, p):
        return bytes([2 | (t << 3)]) + struct.pack(">H", len(p)) + p
    sess = (op_frame(0, ip_pkt) + op_frame(3, b"\xde\xad") + op_frame(7, b"") +
            b"\x04" + struct.pack(">H", len(ip6_pkt)) + ip6_pkt +
            bytes([5 | (31 << 3)]) * 3 +
            op_frame(4, b"") + b"\x07\x05bye!!")
    write("cstp_session", "plain", b"\x00\x19\x1e\x1e" + sess)
    write("cstp_session", "deflate", b"\x01\x19\x05\x03" +
          b"\x03" + struct.pack(">H", len(pkts[2])) + pkts[2] +
          b"\x04" + struct.pack(">H", len(pkts[3])) + pkts[3] +
          b"\x03" + struct.pack(">H", len(pkts[0])) + pkts[0] + op_frame(9, b"admin reset\n"))
    raw = frame(0, ip_pkt) + frame(3, b"x") + frame(5, b"\xb0gone")
    write("cstp_session", "split-stream", b"\x00\x19\x00\x00" + b"\x00" + struct.pack(">H", 11) + raw[:11] +
          b"\x01" + struct.pack(">H", len(raw) - 11) + raw[11:])
    write("cstp_session", "garbage", b"\x00\x19\x00\x00\x00\x00\x08GET / HT")

    # pin, totp, server, prefix, domain: the argument as typed
    h = bytes(range(32))
    write("pin", "sha256", b"sha256:" + h.hex().encode())
    write("pin", "sha1-colons", b"SHA1:" + b":".join(b"%02X" % b for b in h[:20]))
    write("pin", "pin-sha256", b"pin-sha256:PVCD54quzV9PFuP1XIPGGhzAT5rkW2rncQBw66M4jLo=")
    write("pin", "short", b"sha256:abcd")
    write("totp", "base32", b"base32:JBSWY3DPEHPK3PXP")
    write("totp", "hex", b"0x3132333435363738393031323334353637383930")
    write("totp", "otpauth", b"otpauth://totp/ACME:alice?secret=JBSWY3DPEHPK3PXP&issuer=ACME&algorithm=SHA256&digits=8&period=60")
    write("totp", "raw", b"12345678901234567890")
    write("totp", "file", b"@base32:GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ\n")
    write("server", "host", b"vpn.example.com")
    write("server", "port", b"vpn.example.com:8443")
    write("server", "url-group", b"https://vpn.example.com/Employees")
    write("server", "v6", b"https://[fd00::1]:10443/a/b?c")
    write("server", "ip", b"192.0.2.10")
    write("profile", "work", b"# the work gateway\nserver vpn.example.com:8443/Employees\nuser = alice\n"
          b"passwd-file credential:passwd\nservercert pin-sha256:PVCD54quzV9PFuP1XIPGGhzAT5rkW2rncQBw66M4jLo=\n"
          b"include 10.0.0.0/8\ndomain corp.example\nno-dtls\ntimeout=30\n")
    write("profile", "errors", b"server h\r\nuser\nfrobnicate 1\n--user x\n\tno-dtls yes\n")
    write("profile", "secrets", b"server [fd00::1]\ntoken-secret base32:JBSWY3DPEHPK3PXP\n"
          b"proxy http://u:p%40w@proxy:3128\nexternal-browser\nexternal-browser=firefox -P work\n")
    write("prefix", "v4", b"10.0.0.0/8")
    write("prefix", "v4-mask", b"10.78.0.0/255.255.255.0")
    write("prefix", "v6", b"fd78:78::/64")
    write("prefix", "host", b"192.0.2.5")
    write("prefix", "host-bits", b"10.1.2.3/8")
    write("prefix", "mapped", b"::ffff:10.0.0.0/104")
    write("domain", "list", b"corp.example\n*.Intranet.Corp.Example.\n!ads.corp.example\nlab\ncorp.example\n")
    write("domain", "long-label", b"a" * 64 + b".example\n" + (b"abcdefghi." * 26) + b"x")
    write("domain", "key", b"\x00\x30\x04corp\x07example" + b"\n")

    # ctl: a request line (then anything), also read as a reply
    write("ctl", "ping", b"ping")
    write("ctl", "route-add", b"route add include 10.0.0.0/8")
    write("ctl", "domain-add", b"domain add tunnel corp.example\nextra")
    write("ctl", "status-json", b"status json")
    write("ctl", "list-learned", b"domain list learned")
    write("ctl", "double-space", b"route del any  fd00::/64")
    write("ctl", "reply-error", b"error no such prefix\n")
    write("ctl", "reply-ok", b'ok\n{"state":"up"}\n')

    # dtls: flags (codec: 0 none, 1 oc-lz4, 2 lzs), then operations: 0 a gateway record
    # (type, u16 len, payload), 1 a raw datagram (u16 len, bytes), 2 a packet sent
    # (u16 len, bytes), 3 a tick (seconds), 4 a socket answer, 5 a failure, 6 replay
    ip = bytes([0x45, 0, 0, 60]) + bytes(16) + b"kslice over dtls " * 2 + bytes(6)
    def rec(t, payload):
        return b"\x00" + bytes([t]) + struct.pack(">H", len(payload)) + payload
    def pkt(payload):
        return b"\x02" + struct.pack(">H", len(payload)) + payload
    write("dtls", "data-both-ways", b"\x00" + rec(0, ip) + pkt(ip) + rec(3, b"abcd") + rec(7, b""))
    write("dtls", "lz4", b"\x01" + rec(8, ip * 4) + pkt(ip * 8))
    write("dtls", "lzs", b"\x02" + rec(8, ip * 4) + pkt(ip * 8))
    write("dtls", "dpd-death", b"\x00" + b"\x03\x02" * 6 + b"\x03\x07\x04\x01" + pkt(ip))
    write("dtls", "forged", b"\x00\x01" + struct.pack(">H", 48) + bytes([23, 0xfe, 0xfd, 0, 1]) + bytes(43))
    write("dtls", "disconnect", b"\x00" + rec(5, b"\xb0bye") + pkt(ip))

    # sign: the key (0 RSA-2048, 1 EC P-256), then PS_SIGN as the worker sends it: type
    # (12), kind (1 PKCS#1, 2 raw PSS block, 3 ECDSA), length, err, data
    def sign(key, kind, blob):
        return bytes([key]) + struct.pack("<IIIi", 12, kind, len(blob), 0) + blob
    digest = hashlib.sha256(b"kslice").digest()
    info = bytes.fromhex("3031300d060960864801650304020105000420") + digest
    write("sign", "pkcs1-sha256", sign(0, 1, info))
    write("sign", "ecdsa-p256", sign(1, 3, digest))
    # EMSA-PSS (RFC 8017 9.1.1) for a 2048-bit key: SHA-256, salt as long as the hash
    salt = hashlib.sha256(b"salt").digest()
    h = hashlib.sha256(b"\0" * 8 + digest + salt).digest()
    db = b"\0" * (256 - 32 - 32 - 2) + b"\x01" + salt
    mask, ctr = b"", 0
    while len(mask) < len(db):
        mask += hashlib.sha256(h + struct.pack(">I", ctr)).digest()
        ctr += 1
    masked = bytearray(x ^ y for x, y in zip(db, mask))
    masked[0] &= 0x7f
    write("sign", "pss-sha256", sign(0, 2, bytes(masked) + h + b"\xbc"))
    write("sign", "raw-not-pss", sign(0, 2, b"\x00" + b"\x42" * 255))

    # cgroup: a path from the root, or a unit name searched for
    for name, blob in (("control", b"a/\x01b"), ("dotdot", b"a/b/../c"), ("empty-component", b"a//b"),
                       ("exec", b"ks0.42"), ("missing", b"nope.scope"),
                       ("path", b"/user.slice/user-1000.slice"), ("path-deep", b"a/b/c/d"),
                       ("root", b"/"), ("space", b"x y"), ("trailing", b"a/b/"),
                       ("unit-once", b"app-ssh.scope"), ("unit-twice", b"app-firefox.scope")):
        write("cgroup", name, blob)

    # gcm: flags (1: AES-256, 2: in place), key, IV, AAD length, a bit to flip, a tag,
    # AAD, data: a DTLS record's shapes (13 bytes of AAD; a TCP segment, a full record)
    def gcm(flags, alen, n, bit=0):
        key = hashlib.sha256(b"key%d" % n).digest()
        return bytes([flags]) + key + key[:12] + bytes([alen]) + struct.pack(">H", bit) + \
            bytes(16) + bytes(range(alen)) + bytes((i * 7) & 0xff for i in range(n))
    write("gcm", "empty-128", gcm(0, 0, 0))
    write("gcm", "record-1306", gcm(1, 13, 1306, 9000))
    write("gcm", "record-1306-in-place", gcm(3, 13, 1306, 20))
    write("gcm", "tail-255", gcm(1, 17, 255 + 256, 4100))
    write("gcm", "full-16k", gcm(3, 13, 16384, 65535))

    # proxy: 0 then a URL, or 1 then the proxy's answer to CONNECT
    # sso: 1 then the browser's request line, or 0 then a token blob (base64)
    write("sso", "request", b"\x01GET /api/sso/AAEAAQ%3D%3D?return=https%3A%2F%2Fgw%2Ff HTTP/1.1")
    write("sso", "request-other", b"\x01GET /favicon.ico HTTP/1.1")
    blob = b"\x00\x01" + struct.pack(">HH", 2, 12) + bytes(12) + struct.pack(">HH", 3, 4) + \
        b"abcd" + struct.pack(">HH", 4, 12) + bytes(12)
    write("sso", "blob-no-key", b"\x00" + base64.b64encode(blob))
    write("proxy", "url", b"\x00http://us%20er:p%40ss@proxy.corp:3128/")
    write("proxy", "url-v6", b"\x00[fd00::1]:8080")
    write("proxy", "answer-200", b"\x01HTTP/1.1 200 Connection established\r\n\r\n")
    write("proxy", "answer-407", b"\x01HTTP/1.0 407 Proxy Authentication Required\r\n"
          b"Proxy-Authenticate: Basic realm=\"x\"\r\n\r\n")


if __name__ == "__main__":
    main()
