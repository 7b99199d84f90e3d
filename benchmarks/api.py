"""Load benchmark of the HTTP service: POST /v1/products/12XR/evaluate against the framework's floor.

Both run as `uvicorn --workers 2` on a free loopback port; the floor is a bare FastAPI endpoint in
the same kind of app that reads the body and returns a fixed JSON body as large as the evaluate
answer. The same client (keep-alive connections on asyncio streams, in this process) drives each
for a fixed time, in alternating rounds, each after a warm-up. Prints requests/s, p50 and p99, and the ratio of the two;
then, in this process, what a request costs each application's ASGI callable without the HTTP server and the client.

    python benchmarks/api.py [--seconds 15] [--connections 4] [--rounds 3]

Loopback only, bounded in time: nothing else is contacted, and each run stops after --seconds.
"""
from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import socket
import subprocess
import sys
import time
from pathlib import Path

from fastapi import FastAPI, Request  # module level: the endpoint's annotations are resolved here
from fastapi.responses import Response

REPO = Path(__file__).resolve().parent.parent
HOST = "127.0.0.1"
CASE = {"facts": {"registered_on": "2016-04-01", "phases": ["orientation", "mediation"], "benefit": "WGA",
                  "district": "D03", "price": 4000, "hard_to_place": False, "plan_submitted_on": "2016-05-20",
                  "plan_approved_on": "2016-06-01", "estimated_value": 150000},
        "as_of": "2016-06-15"}
PATH = "/v1/products/12XR/evaluate"


def floor_app():
    """The floor: the same framework, a POST that reads its body and answers fixed bytes of the same size."""
    size = int(os.environ.get("FLOOR_BYTES", "4000"))
    body = json.dumps({"padding": "x" * max(0, size - 15)}).encode()
    app = FastAPI()

    @app.post(PATH)
    async def fixed(request: Request) -> Response:
        await request.body()
        return Response(body, media_type="application/json")

    return app


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        return probe.getsockname()[1]


def start(command: list[str], port: int, env: dict) -> subprocess.Popen:
    process = subprocess.Popen(command, cwd=REPO, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            socket.create_connection((HOST, port), timeout=1).close()
            return process
        except OSError:
            if process.poll() is not None:
                raise SystemExit(f"the server did not start: {process.stderr.read().decode()[-2000:]}")
            time.sleep(0.2)
    process.kill()
    raise SystemExit("the server did not start within 120 s")


def stop(process: subprocess.Popen) -> None:
    process.terminate()
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def request_bytes(port: int) -> bytes:
    body = json.dumps(CASE).encode()
    return (f"POST {PATH} HTTP/1.1\r\nHost: {HOST}:{port}\r\nContent-Type: application/json\r\n"
            f"Content-Length: {len(body)}\r\n\r\n").encode() + body


async def read_response(reader: asyncio.StreamReader) -> tuple[int, bytes]:
    head = await reader.readuntil(b"\r\n\r\n")
    status = int(head.split(b" ", 2)[1])
    length = None
    chunked = False
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value.strip())
        elif name.strip().lower() == b"transfer-encoding" and b"chunked" in value.lower():
            chunked = True
    if chunked:
        body = b""
        while True:
            size = int((await reader.readuntil(b"\r\n")).strip(), 16)
            body += await reader.readexactly(size + 2)
            if size == 0:
                return status, body
    return status, await reader.readexactly(length or 0)


async def connection(port: int, until: float, latencies: list[float], errors: list[int]) -> None:
    reader, writer = await asyncio.open_connection(HOST, port)
    message = request_bytes(port)
    try:
        while time.perf_counter() < until:
            started = time.perf_counter()
            writer.write(message)
            status, _ = await read_response(reader)
            latencies.append(time.perf_counter() - started)
            if status != 200:
                errors.append(status)
    finally:
        writer.close()


async def drive(port: int, seconds: float, connections: int) -> tuple[list[float], list[int], float]:
    latencies: list[float] = []
    errors: list[int] = []
    started = time.perf_counter()
    until = started + seconds
    await asyncio.gather(*(connection(port, until, latencies, errors) for _ in range(connections)))
    return latencies, errors, time.perf_counter() - started


def measure(port: int, seconds: float, connections: int, warmup: float) -> dict:
    asyncio.run(drive(port, warmup, connections))
    latencies, errors, elapsed = asyncio.run(drive(port, seconds, connections))
    if errors:
        raise SystemExit(f"{len(errors)} answers were not 200 (first: {errors[0]}): the figures would mean nothing")
    latencies.sort()
    if not latencies:
        raise SystemExit("no request completed")
    return {"requests": len(latencies), "errors": len(errors), "rps": len(latencies) / elapsed,
            "p50_ms": 1000 * latencies[len(latencies) // 2],
            "p99_ms": 1000 * latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))]}


def evaluate_size(port: int) -> int:
    async def one() -> int:
        reader, writer = await asyncio.open_connection(HOST, port)
        writer.write(request_bytes(port))
        status, body = await read_response(reader)
        writer.close()
        if status != 200:
            raise SystemExit(f"the service answered {status}: {body[:500]!r}")
        return len(body)
    return asyncio.run(one())


def in_process(size: int, calls: int = 500, rounds: int = 15) -> tuple[float, float]:
    """µs per request through each application's ASGI callable, no sockets (best of `rounds`): what the
    two applications cost apart from the HTTP server and the client, less shaken by a busy machine."""
    from interpreter.live import LiveCatalogue
    from interpreter.service import Settings, create_app

    os.environ["FLOOR_BYTES"] = str(size)
    live = LiveCatalogue(None)
    live.load()
    apps = {"service": create_app(Settings(watch=False), live), "floor": floor_app()}
    body = json.dumps(CASE).encode()
    scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "POST", "scheme": "http",
             "path": PATH, "raw_path": PATH.encode(), "query_string": b"", "root_path": "",
             "headers": [(b"host", HOST.encode()), (b"content-type", b"application/json"),
                         (b"content-length", str(len(body)).encode())],
             "client": (HOST, 50000), "server": (HOST, 8000)}

    async def call(app) -> None:
        async def receive():
            return {"type": "http.request", "body": body, "more_body": False}

        async def send(message):
            if message["type"] == "http.response.start" and message["status"] != 200:
                raise SystemExit(f"in-process: the answer was {message['status']}")
        await app({**scope, "state": {}}, receive, send)

    async def timed(app) -> float:
        started = time.perf_counter()
        for _ in range(calls):
            await call(app)
        return (time.perf_counter() - started) / calls * 1e6

    async def run() -> dict[str, float]:
        best = {name: float("inf") for name in apps}
        for app in apps.values():
            await timed(app)  # warm-up
        for _ in range(rounds):
            for name, app in apps.items():
                best[name] = min(best[name], await timed(app))
        return best

    best = asyncio.run(run())
    return best["service"], best["floor"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=15.0, help="measured time per server (at most 120)")
    parser.add_argument("--connections", type=int, default=4, help="concurrent keep-alive connections (1-64)")
    parser.add_argument("--warmup", type=float, default=1.0, help="seconds of warm-up before each round (at most 10)")
    parser.add_argument("--workers", type=int, default=2, help="server worker processes (1-8)")
    parser.add_argument("--rounds", type=int, default=3, help="alternating rounds (1-9); the median counts")
    args = parser.parse_args()
    seconds = min(max(args.seconds, 1.0), 120.0)
    connections = min(max(args.connections, 1), 64)
    # Every knob bounded, as --seconds is: the run's time and the processes it starts stay bounded.
    args.warmup, args.workers, args.rounds = (min(max(args.warmup, 0.0), 10.0), min(max(args.workers, 1), 8),
                                              min(max(args.rounds, 1), 9))
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    bin_dir = Path(sys.executable).parent

    # Both servers run side by side (idle, a server costs nothing) and are measured in alternating rounds,
    # so that a change in the machine's load during the run touches both alike; the median round counts.
    service_port, floor_port = free_port(), free_port()
    service = start([str(bin_dir / "catalogue"), "serve", "--host", HOST, "--port", str(service_port), "--workers",
                     str(args.workers), "--no-watch", "--log-level", "warning"], service_port, env)
    try:
        size = evaluate_size(service_port)
        floor = start([sys.executable, "-m", "uvicorn", "api:floor_app", "--factory", "--app-dir", "benchmarks",
                       "--host", HOST, "--port", str(floor_port), "--workers", str(args.workers),
                       "--log-level", "warning", "--no-access-log"], floor_port, {**env, "FLOOR_BYTES": str(size)})
        try:
            rounds: dict[str, list[dict]] = {"evaluate": [], "floor": []}
            for _ in range(args.rounds):
                rounds["evaluate"].append(measure(service_port, seconds / args.rounds, connections, args.warmup))
                rounds["floor"].append(measure(floor_port, seconds / args.rounds, connections, args.warmup))
        finally:
            stop(floor)
    finally:
        stop(service)
    evaluate, bare = (sorted(rounds[name], key=lambda r: r["rps"])[len(rounds[name]) // 2]
                      for name in ("evaluate", "floor"))

    print(f"machine: {platform.machine()}, {os.cpu_count()} CPUs, Python {platform.python_version()}, "
          f"{platform.system()} {platform.release()}")
    print(f"{args.workers} workers, {connections} connections, {seconds:.0f} s each in {args.rounds} alternating "
          f"rounds (median round shown); answer {size} bytes")
    print(f"{'':<22}{'requests/s':>12}{'p50 ms':>10}{'p99 ms':>10}{'errors':>8}")
    for name, figures in (("evaluate 12XR", evaluate), ("floor (fixed body)", bare)):
        print(f"{name:<22}{figures['rps']:>12.0f}{figures['p50_ms']:>10.2f}{figures['p99_ms']:>10.2f}"
              f"{figures['errors']:>8}")
    print(f"evaluate at {100 * evaluate['rps'] / bare['rps']:.0f}% of the floor's throughput "
          f"(target >= 70%); p99 {evaluate['p99_ms']:.1f} ms (target < 20 ms)")
    service_us, floor_us = in_process(size)
    print(f"in-process, through each ASGI application without sockets (best of 15 x 500): evaluate "
          f"{service_us:.0f} µs, floor {floor_us:.0f} µs a request ({100 * floor_us / service_us:.0f}%)")


if __name__ == "__main__":
    main()
