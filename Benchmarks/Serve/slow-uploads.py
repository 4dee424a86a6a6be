#!/usr/bin/env python3
"""Slow uploads: CONNECTIONS clients that each send a drawing's bytes 100 at a time,
one piece every 0.5 s, again and again for SECONDS; prints the statuses they got.

    slow-uploads.py PORT IMAGE CONNECTIONS SECONDS"""
import asyncio, collections, sys, time

port, image, connections, seconds = int(sys.argv[1]), sys.argv[2], int(sys.argv[3]), float(sys.argv[4])
body = open(image, "rb").read()
statuses = collections.Counter()

async def client(end):
    while time.monotonic() < end:
        try:
            reader, writer = await asyncio.open_connection("127.0.0.1", port)
            writer.write(f"POST /api/predict HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: image/png\r\n"
                         f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n".encode())
            for i in range(0, len(body), 100):
                writer.write(body[i:i + 100])
                await writer.drain()
                await asyncio.sleep(0.5)
                if reader.at_eof() or time.monotonic() > end + 30:
                    break
            line = await asyncio.wait_for(reader.readline(), 30)
            statuses[line.split()[1].decode() if len(line.split()) > 1 else "closed"] += 1
            writer.close()
        except (ConnectionError, asyncio.TimeoutError, OSError):
            statuses["error"] += 1

async def main():
    end = time.monotonic() + seconds
    await asyncio.gather(*(client(end) for _ in range(connections)))

asyncio.run(main())
print("slow uploads: " + ", ".join(f"{status}: {count}" for status, count in sorted(statuses.items())))
