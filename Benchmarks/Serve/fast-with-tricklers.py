#!/usr/bin/env python3
"""One fast client among trickling ones: TRICKLERS clients each send a drawing's headers and
then its bytes 100 at a time, one piece every 0.5 s (so a 2.6 KB drawing would take 13 s, past
the server's 10 s deadline), again and again; meanwhile one client posts the whole drawing
every 0.2 s and times each answer. Prints the fast client's statuses and latencies, and the
statuses the tricklers got.

    fast-with-tricklers.py PORT IMAGE TRICKLERS SECONDS"""
import asyncio
import collections
import http.client
import sys
import threading
import time

port, image, tricklers, seconds = int(sys.argv[1]), sys.argv[2], int(sys.argv[3]), float(sys.argv[4])
body = open(image, "rb").read()
trickled = collections.Counter()
fast_statuses = collections.Counter()
latencies = []


async def trickler(end):
    while time.monotonic() < end:
        try:
            reader, writer = await asyncio.open_connection("127.0.0.1", port)
            writer.write(f"POST /api/predict HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: image/png\r\n"
                         f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n".encode())
            for i in range(0, len(body), 100):
                if reader.at_eof() or time.monotonic() > end:
                    break
                writer.write(body[i:i + 100])
                await writer.drain()
                await asyncio.sleep(0.5)
            line = await asyncio.wait_for(reader.readline(), 30)
            trickled[line.split()[1].decode() if len(line.split()) > 1 else "closed"] += 1
            writer.close()
        except (ConnectionError, asyncio.TimeoutError, OSError):
            trickled["error"] += 1


def fast(start, end):
    while time.monotonic() < start:
        time.sleep(0.05)
    while time.monotonic() < end:
        began = time.monotonic()
        try:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
            connection.request("POST", "/api/predict", body, {"Content-Type": "image/png"})
            response = connection.getresponse()
            response.read()
            fast_statuses[str(response.status)] += 1
            connection.close()
        except (OSError, http.client.HTTPException):
            fast_statuses["error"] += 1
        latencies.append(time.monotonic() - began)
        time.sleep(0.2)


async def main():
    end = time.monotonic() + seconds
    # The fast client starts once every trickler has connected and holds a request open.
    thread = threading.Thread(target=fast, args=(time.monotonic() + 2, end))
    thread.start()
    await asyncio.gather(*(trickler(end) for _ in range(tricklers)))
    thread.join()


asyncio.run(main())
latencies.sort()


def at(q):
    return latencies[min(len(latencies) - 1, int(q * len(latencies)))] * 1000


print(f"{tricklers} tricklers, {seconds:.0f} s: fast client {len(latencies)} requests "
      + ", ".join(f"{s} x {n}" for s, n in sorted(fast_statuses.items()))
      + f"; latency p50 {at(0.5):.1f} ms, p99 {at(0.99):.1f} ms, max {latencies[-1] * 1000:.1f} ms; tricklers got "
      + (", ".join(f"{s} x {n}" for s, n in sorted(trickled.items())) or "nothing yet"))
