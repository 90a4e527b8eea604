#!/usr/bin/python3
"""Identity server and probe for the split-tunneling tests.

Server: answers every TCP connection (port 7000) and UDP datagram (port 7001), on every
address of its namespace, with "NAME LOCAL-ADDRESS", and appends "PROTO LOCAL PEER" to its
log, so a test sees which side (corp or decoy) a connection reached. Bounded by --max-seconds.

Probe: `idsrv.py probe tcp|udp|udp-unconnected[6] HOST` prints the answer, or "ERR <reason>"
(exit 1); `tcp@DEV` binds the socket to DEV first (SO_BINDTODEVICE); `dns-from` and
`dns-peer` send a DNS query to HOST and print the answer's source (recvfrom, getpeername); HOST may be a name (6: resolve it to IPv6). Sweep: `idsrv.py sweep N DOMAIN`
resolves and connects to n1..nN.DOMAIN, printing "corp=X decoy=Y err=Z"."""
import argparse
import selectors
import socket
import struct
import sys
import time

TCP_PORT, UDP_PORT = 7000, 7001
IP_PKTINFO = getattr(socket, "IP_PKTINFO", 8)  # Python 3.11 lacks the constant


def serve(name, log_path, max_seconds):
    sel = selectors.DefaultSelector()
    log = open(log_path, "a", buffering=1)
    for family, any_addr in ((socket.AF_INET, "0.0.0.0"), (socket.AF_INET6, "::")):
        t = socket.socket(family, socket.SOCK_STREAM)
        t.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        if family == socket.AF_INET6:
            t.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
        t.bind((any_addr, TCP_PORT))
        t.listen(64)
        sel.register(t, selectors.EVENT_READ, "tcp")
        u = socket.socket(family, socket.SOCK_DGRAM)
        if family == socket.AF_INET6:
            u.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
            u.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_RECVPKTINFO, 1)
        else:
            u.setsockopt(socket.IPPROTO_IP, IP_PKTINFO, 1)
        u.bind((any_addr, UDP_PORT))
        sel.register(u, selectors.EVENT_READ, "udp")
    deadline = time.monotonic() + max_seconds
    while time.monotonic() < deadline:
        for key, _ in sel.select(timeout=1):
            s = key.fileobj
            if key.data == "tcp":
                c, peer = s.accept()
                local = c.getsockname()[0]
                log.write(f"tcp {local} {peer[0]}\n")
                c.sendall(f"{name} {local}\n".encode())
                c.close()
                continue
            data, anc, _, peer = s.recvmsg(2048, 256)
            local = "?"
            for level, typ, val in anc:
                if s.family == socket.AF_INET and typ == IP_PKTINFO:
                    local = socket.inet_ntop(socket.AF_INET, val[8:12])
                elif s.family == socket.AF_INET6 and typ == socket.IPV6_PKTINFO:
                    local = socket.inet_ntop(socket.AF_INET6, val[:16])
            log.write(f"udp {local} {peer[0]}\n")
            # Answer from the address asked, or a connected client drops the reply.
            if s.family == socket.AF_INET:
                info = struct.pack("@i4s4s", 0, socket.inet_pton(socket.AF_INET, local), bytes(4))
                anc = [(socket.IPPROTO_IP, IP_PKTINFO, info)]
            else:
                info = struct.pack("@16sI", socket.inet_pton(socket.AF_INET6, local), 0)
                anc = [(socket.IPPROTO_IPV6, socket.IPV6_PKTINFO, info)]
            s.sendmsg([f"{name} {local}\n".encode()], anc, 0, peer)


def dns_probe(kind, host):
    """A query for www.public.example to HOST port 53; prints where the answer says it came
    from: recvfrom's address (dns-from, unconnected) or getpeername (dns-peer, connected)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    query = struct.pack("!HHHHHH", 0x4b53, 0x0100, 1, 0, 0, 0)
    query += b"".join(bytes([len(p)]) + p for p in b"www.public.example".split(b".")) + b"\0"
    query += struct.pack("!HH", 1, 1)
    try:
        s = socket.socket(family, socket.SOCK_DGRAM)
        s.settimeout(3)
        if kind == "dns-peer":
            s.connect((host, 53))
            s.send(query)
            s.recv(512)
            print(s.getpeername()[0])
        else:
            s.sendto(query, (host, 53))
            print(s.recvfrom(512)[1][0])
        return 0
    except OSError as e:
        print(f"ERR {e.strerror or e}")
        return 1


def probe(kind, host):
    if kind.startswith("dns-"):
        return dns_probe(kind, host)
    kind, _, dev = kind.partition("@")  # tcp@eth1: a socket bound to that device
    family = socket.AF_INET6 if ":" in host or kind.endswith("6") else socket.AF_INET
    kind = kind.rstrip("6")
    try:
        if kind == "tcp":
            s = socket.socket(family, socket.SOCK_STREAM)
            s.settimeout(3)
            if dev:
                s.setsockopt(socket.SOL_SOCKET, socket.SO_BINDTODEVICE, dev.encode())
            s.connect((host, TCP_PORT))
            data = s.recv(200)
        else:
            s = socket.socket(family, socket.SOCK_DGRAM)
            s.settimeout(3)
            if kind == "udp":
                s.connect((host, UDP_PORT))
                s.send(b"hello")
            else:
                s.sendto(b"hello", (host, UDP_PORT))
            data = s.recv(200)
        print(data.decode().split()[0])
        return 0
    except OSError as e:
        print(f"ERR {e.strerror or e}")
        return 1


def sweep(count, domain):
    """Resolves n1..nCOUNT.DOMAIN and connects to each at once (the first-connection race);
    prints how many reached each side."""
    sides = {}
    for i in range(1, count + 1):
        try:
            addr = socket.getaddrinfo(f"n{i}.{domain}", TCP_PORT, socket.AF_INET,
                                      socket.SOCK_STREAM)[0][4]
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            s.settimeout(3)
            s.connect(addr)
            side = s.recv(200).decode().split()[0]
            s.close()
        except OSError as e:
            side = "err"
            if "err" not in sides:
                print(f"first error: n{i}.{domain}: {e}", file=sys.stderr)
        sides[side] = sides.get(side, 0) + 1
    print(" ".join(f"{k}={v}" for k, v in sorted(sides.items())))


def main():
    if len(sys.argv) == 4 and sys.argv[1] == "probe":
        sys.exit(probe(sys.argv[2], sys.argv[3]))
    if len(sys.argv) == 4 and sys.argv[1] == "sweep":
        sweep(int(sys.argv[2]), sys.argv[3])
        return
    ap = argparse.ArgumentParser()
    ap.add_argument("--name", required=True)
    ap.add_argument("--log", required=True)
    ap.add_argument("--max-seconds", type=int, default=900)
    a = ap.parse_args()
    serve(a.name, a.log, a.max_seconds)


if __name__ == "__main__":
    main()
