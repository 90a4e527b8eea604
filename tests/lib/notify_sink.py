#!/usr/bin/env python3
"""systemd's side of sd_notify(3) for tests: binds a datagram socket at PATH and writes
each message it receives to OUT as one line, its NAME=VALUE lines joined by '|'; also
records the sender's PID (SO_PASSCRED) as pid=N, as systemd checks NotifyAccess=main."""
import socket
import struct
import sys

path, out = sys.argv[1], sys.argv[2]
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_PASSCRED, 1)
s.bind(path)
with open(out, "a", buffering=1) as f:
    while True:
        msg, anc, _, _ = s.recvmsg(4096, socket.CMSG_SPACE(12))
        pid = 0
        for level, kind, data in anc:
            if level == socket.SOL_SOCKET and kind == socket.SCM_CREDENTIALS:
                pid = struct.unpack("iII", data[:12])[0]
        text = msg.decode("utf-8", "backslashreplace").replace("\n", "|")
        f.write(f"pid={pid} {text}\n")
