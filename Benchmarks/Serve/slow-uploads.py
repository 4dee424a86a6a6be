#!/usr/bin/env python3
"""Slow uploads: CONNECTIONS clients that each send a drawing's bytes 100 at a time, one
piece every 0.5 s (a 2.6 KB drawing would take 13 s, past the server's 10 s deadline), again
and again for SECONDS; prints the statuses they got. With --fast, one more client posts the
whole drawing every 0.2 s meanwhile (from 2 s on, once the slow ones hold their requests
open) and its statuses and latencies are printed too.

    slow-uploads.py PORT IMAGE CONNECTIONS SECONDS [--fast]"""
import asyncio
import collections
import http.client
import sys
import threading
import time

port, image, connections, seconds = int(sys.argv[1]), sys.argv[2], int(sys.argv[3]), float(sys.argv[4])
with_fast = "--fast" in sys.argv[5:]
body = open(image, "rb").read()
statuses = collections.Counter()
fast_statuses = collections.Counter()
latencies = []


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


def fast(start, end):
    """Whole drawings, one at a time, on a thread of its own (not the slow clients' loop)."""
    time.sleep(max(0, start - time.monotonic()))
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
    thread = threading.Thread(target=fast, args=(time.monotonic() + 2, end)) if with_fast else None
    if thread:
        thread.start()
    await asyncio.gather(*(client(end) for _ in range(connections)))
    if thread:
        thread.join()


def counts(counter):
    return ", ".join(f"{status}: {count}" for status, count in sorted(counter.items())) or "none"


asyncio.run(main())
print("slow uploads: " + counts(statuses))
if with_fast:
    latencies.sort()
    at = lambda q: latencies[min(len(latencies) - 1, int(q * len(latencies)))] * 1000  # noqa: E731
    print(f"fast client among {connections} slow uploads: {len(latencies)} requests, {counts(fast_statuses)}; "
          f"latency p50 {at(0.5):.1f} ms, p99 {at(0.99):.1f} ms, max {latencies[-1] * 1000:.1f} ms")
