#!/usr/bin/python3
# Abuses a kslice control socket the way a hostile local user would, for a bounded time:
#   dribble PATH SECONDS : up to 40 connections, each sending one byte every 0.3 s
#                          (reopened when the daemon drops them)
#   vanish PATH COUNT    : clients that hang up before, during and after their reply
# Prints one line of counts; exits 0 (the test judges the daemon, not this script).
import socket, sys, time

def conn(path):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(1)
    s.connect(path)
    return s

def dribble(path, seconds):
    socks, dropped, opened = [], 0, 0
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        while len(socks) < 40:
            try:
                socks.append(conn(path)); opened += 1
            except OSError:
                break
        for s in list(socks):
            try:
                s.send(b"s")
            except OSError:
                socks.remove(s); s.close(); dropped += 1
        time.sleep(0.3)
    for s in socks:
        s.close()
    print(f"dribble opened={opened} dropped={dropped}")

def vanish(path, count):
    done = 0
    for _ in range(count):
        for how in ("before", "during", "after"):
            try:
                s = conn(path)
                if how != "before":
                    s.send(b"status json\n")
                if how == "after":
                    s.recv(1)
                s.close()
                done += 1
            except OSError:
                pass
    print(f"vanish clients={done}")

if __name__ == "__main__":
    mode, path, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
    (dribble if mode == "dribble" else vanish)(path, n)
