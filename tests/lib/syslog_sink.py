#!/usr/bin/python3
"""A syslog receiver for kslice's tests (stdlib only): binds a datagram socket (mode 0666,
as /dev/log is) and writes each message it gets as one line to --out, control bytes as
\\xNN, so that a test can read back what kslice --syslog sent.

    syslog_sink.py --socket PATH --out FILE [--max-seconds N]
"""
import argparse
import os
import socket
import sys
import time


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--socket", required=True)
    p.add_argument("--out", required=True)
    p.add_argument("--max-seconds", type=float, default=300)
    a = p.parse_args()
    s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    s.bind(a.socket)
    os.chmod(a.socket, 0o666)
    s.settimeout(0.5)
    end = time.monotonic() + a.max_seconds
    with open(a.out, "a", buffering=1) as out:
        while time.monotonic() < end:
            try:
                msg = s.recv(65536)
            except socket.timeout:
                continue
            out.write("".join(chr(b) if 0x20 <= b < 0x7f else "\\x%02x" % b for b in msg) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
