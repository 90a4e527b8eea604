#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only
"""A TCP relay, as the TunnelCrack "ServerIP" attacker runs one: it listens on an address
the gateway's name now resolves to and passes the (still end-to-end) TLS connection on to
the real gateway. Bounded by --max-seconds.

usage: tcp_relay.py LISTEN_ADDR PORT TARGET_ADDR TARGET_PORT [--max-seconds N]"""
import argparse
import asyncio


async def pipe(reader, writer):
    try:
        while data := await reader.read(65536):
            writer.write(data)
            await writer.drain()
    except (ConnectionError, asyncio.CancelledError):
        pass
    finally:
        writer.close()


async def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("listen")
    ap.add_argument("port", type=int)
    ap.add_argument("target")
    ap.add_argument("target_port", type=int)
    ap.add_argument("--max-seconds", type=int, default=600)
    a = ap.parse_args()

    async def client(r, w):
        try:
            tr, tw = await asyncio.open_connection(a.target, a.target_port)
        except OSError:
            w.close()
            return
        await asyncio.gather(pipe(r, tw), pipe(tr, w))

    server = await asyncio.start_server(client, a.listen, a.port)
    async with server:
        await asyncio.sleep(a.max_seconds)


if __name__ == "__main__":
    asyncio.run(main())
