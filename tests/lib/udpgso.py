#!/usr/bin/python3
"""UDP through the tunnel with UDP_SEGMENT (the kernel hands kslice one super-packet per
send when the TUN offers USO). recv: counts datagrams whose payload matches the pattern
and prints "<good> <bad>" after --count datagrams or --seconds. send: --sends sendmsg
calls of --segs segments of --size bytes each."""
import argparse
import socket
import struct
import sys
import time

UDP_SEGMENT = 103  # linux/udp.h


def payload(seq, size):
    head = struct.pack("!I", seq)
    return head + bytes((seq + i) & 0xff for i in range(size - 4))


def recv(a):
    s = socket.socket(socket.AF_INET6 if ":" in a.host else socket.AF_INET, socket.SOCK_DGRAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 8 << 20)
    s.bind((a.host, a.port))
    s.settimeout(a.seconds)
    good = bad = 0
    print("ready", flush=True)
    try:
        while good + bad < a.count:
            d = s.recv(65536)
            seq = struct.unpack("!I", d[:4])[0] if len(d) >= 4 else -1
            if seq >= 0 and d == payload(seq, len(d)) and len(d) == a.size:
                good += 1
            else:
                bad += 1
    except socket.timeout:
        pass
    print(good, bad)


def send(a):
    fam = socket.AF_INET6 if ":" in a.host else socket.AF_INET
    s = socket.socket(fam, socket.SOCK_DGRAM)
    if a.dev:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_BINDTODEVICE, a.dev.encode())
    s.setsockopt(socket.SOL_UDP, UDP_SEGMENT, a.size)
    s.connect((a.host, a.port))
    seq = 0
    for _ in range(a.sends):
        buf = b"".join(payload(seq + i, a.size) for i in range(a.segs))
        s.send(buf)
        seq += a.segs
        time.sleep(0.002)  # stay under the TUN queue: this tests bytes, not drops


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("mode", choices=("send", "recv"))
    ap.add_argument("--host", required=True)
    ap.add_argument("--port", type=int, default=9999)
    ap.add_argument("--dev")
    ap.add_argument("--size", type=int, default=1000)
    ap.add_argument("--segs", type=int, default=10)
    ap.add_argument("--sends", type=int, default=100)
    ap.add_argument("--count", type=int, default=1000)
    ap.add_argument("--seconds", type=float, default=10)
    a = ap.parse_args()
    (send if a.mode == "send" else recv)(a)


if __name__ == "__main__":
    sys.exit(main())
