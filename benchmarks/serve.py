"""How fast `mnist-cnn serve` answers, and how it holds up under load (loopback only).

The real server is started as a user starts it (`python -m mnist_cnn serve --port 0`, in a
process of its own, so its memory is its own), then measured through HTTP:

1. a drawn digit's round trip, request to both frameworks' answers, as the Draw page sends
   it (a 280x280 PNG of black strokes on white, with the feature maps of one framework) and
   without the maps: median and 95th percentile after a warm-up;
2. a 640x480 camera frame (camera-like JPEG frames from MNIST test digits, see
   camera_like.py) through the whole reading pipeline and both frameworks;
3. load: 20 clients at once, each with its own keep-alive connection, 50 requests each
   (drawn digits, every 10th a camera frame), repeated for several rounds; every response
   is counted and the server's resident memory (VmRSS) is sampled through the rounds.

Every loop is bounded; the client and the server share this machine's cores, so the
figures include the client's own work.

    python -m benchmarks.serve [--torch-model RUN] [--keras-model RUN] [--runs-dir D]
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import re
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import cv2
import numpy as np

from benchmarks.camera_like import generate
from benchmarks.common import write_result
from mnist_cnn.data.mnist import load_mnist

ROOT = Path(__file__).resolve().parent.parent


def percentiles(values: list[float]) -> dict:
    array = np.asarray(values)
    return {"count": len(values), "p50_ms": round(float(np.percentile(array, 50)), 2),
            "p95_ms": round(float(np.percentile(array, 95)), 2), "max_ms": round(float(array.max()), 2)}


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmRSS")


class Client:
    """One keep-alive HTTP connection (TCP_NODELAY, as a browser's)."""

    def __init__(self, port: int):
        self.connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        self.connection.connect()
        self.connection.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def post(self, path: str, body: bytes, kind: str) -> tuple[int, dict, float]:
        start = time.perf_counter()
        self.connection.request("POST", path, body=body, headers={"Content-Type": kind})
        response = self.connection.getresponse()
        payload = json.loads(response.read())
        return response.status, payload, 1000 * (time.perf_counter() - start)


def drawn_digits(mnist, count: int) -> list[tuple[bytes, int]]:
    """MNIST test digits as the pad sends them: 280x280, dark ink on white, PNG."""
    out = []
    for k in range(count):
        pad = 255 - cv2.resize(mnist.test_images[k], (280, 280), interpolation=cv2.INTER_LINEAR)
        out.append((cv2.imencode(".png", pad)[1].tobytes(), int(mnist.test_labels[k])))
    return out


def camera_frames(mnist, count: int, seed: int) -> list[tuple[bytes, str]]:
    frames = generate(mnist.test_images, mnist.test_labels, count, seed=seed)
    return [(cv2.imencode(".jpg", f.image, [cv2.IMWRITE_JPEG_QUALITY, 90])[1].tobytes(), f.text) for f in frames]


def start_server(args) -> tuple[subprocess.Popen, int]:
    command = [sys.executable, "-m", "mnist_cnn", "serve", "--port", "0",
               "--torch-model", args.torch_model, "--keras-model", args.keras_model]
    if args.runs_dir:
        command += ["--runs-dir", args.runs_dir]
    server = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, cwd=ROOT,
                              env={**os.environ, "PYTHONPATH": str(ROOT)})
    deadline = time.monotonic() + 180
    for line in server.stdout:
        print("  server:", line.rstrip())
        found = re.search(r"Serving on http://127\.0\.0\.1:(\d+)/", line)
        if found:
            threading.Thread(target=lambda: [None for _ in server.stdout], daemon=True).start()  # keep the pipe drained
            return server, int(found.group(1))
        if time.monotonic() > deadline:
            break
    server.kill()
    raise RuntimeError("the server did not start")


def sequential(port: int, path: str, items: list[tuple[bytes, object]], kind: str, warmup: int,
               check) -> dict:
    client = Client(port)
    times, right, failed = [], 0, 0
    for k, (body, truth) in enumerate(items):
        status, payload, ms = client.post(path, body, kind)
        if status != 200:
            failed += 1
            continue
        if k >= warmup:
            times.append(ms)
            right += check(payload, truth)
    return {**percentiles(times), "failed": failed, "answers_right_percent": round(100 * right / max(1, len(times)), 2)}


def both_right_digit(payload: dict, truth: int) -> bool:
    return all(a["digit"] == truth for a in payload["answers"].values())


def both_read(payload: dict, truth: str) -> bool:
    return all(r["text"] == truth for r in payload["read"].values())


def load_round(port: int, clients: int, requests: int, digits, frames) -> dict:
    statuses: dict[str, int] = {}
    times: list[float] = []
    lock = threading.Lock()

    def one_client(index: int) -> None:
        try:
            client = Client(port)
        except OSError as exc:
            with lock:
                statuses[f"connect: {exc}"] = statuses.get(f"connect: {exc}", 0) + requests
            return
        for k in range(requests):
            if k % 10 == 9:
                body, path, kind = frames[(index + k) % len(frames)][0], "/api/read", "image/jpeg"
            else:
                body, path, kind = digits[(index * requests + k) % len(digits)][0], "/api/draw?maps=torch", "image/png"
            try:
                status, _, ms = client.post(path, body, kind)
                key = str(status)
            except (OSError, http.client.HTTPException, ValueError) as exc:
                key, ms = type(exc).__name__, None
            with lock:
                statuses[key] = statuses.get(key, 0) + 1
                if ms is not None:
                    times.append(ms)

    start = time.perf_counter()
    threads = [threading.Thread(target=one_client, args=(i,)) for i in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    seconds = time.perf_counter() - start
    failed = sum(n for key, n in statuses.items() if key != "200")
    return {"requests": clients * requests, "statuses": statuses, "failed": failed, "seconds": round(seconds, 2),
            "requests_per_second": round(clients * requests / seconds, 1), "latency": percentiles(times)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--torch-model", default="latest")
    parser.add_argument("--keras-model", default="latest")
    parser.add_argument("--runs-dir", default=None)
    parser.add_argument("--draws", type=int, default=300)
    parser.add_argument("--frames", type=int, default=100)
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--requests", type=int, default=50)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()

    mnist = load_mnist(None, download=False)
    digits = drawn_digits(mnist, args.draws + 20)
    frames = camera_frames(mnist, args.frames + 5, args.seed)
    server, port = start_server(args)
    try:
        status = json.loads(urlopen_text(port, "/api/status"))
        rss = {"after_start_mb": round(rss_mb(server.pid), 1)}
        print(f"server pid {server.pid} on port {port}; models: "
              f"{ {fw: m['run'] or m['file'] for fw, m in status['models'].items()} }")

        draw_maps = sequential(port, "/api/draw?maps=torch", digits, "image/png", 20, both_right_digit)
        print("draw (with feature maps):", draw_maps)
        draw_plain = sequential(port, "/api/draw", digits, "image/png", 20, both_right_digit)
        print("draw (answers only):", draw_plain)
        camera = sequential(port, "/api/read", frames, "image/jpeg", 5, both_read)
        print("camera 640x480:", camera)

        rss["before_load_mb"] = round(rss_mb(server.pid), 1)
        samples: list[float] = []
        done = threading.Event()

        def sample() -> None:
            while not done.is_set():
                samples.append(rss_mb(server.pid))
                done.wait(0.25)

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        rounds = []
        for r in range(args.rounds):
            result = load_round(port, args.clients, args.requests, digits, frames)
            result["rss_after_mb"] = round(rss_mb(server.pid), 1)
            rounds.append(result)
            print(f"load round {r + 1}:", result)
        done.set()
        sampler.join()
        rss.update(during_load_max_mb=round(max(samples), 1), after_load_mb=round(rss_mb(server.pid), 1),
                   after_each_round_mb=[r["rss_after_mb"] for r in rounds],
                   growth_from_round_1_to_last_mb=round(rounds[-1]["rss_after_mb"] - rounds[0]["rss_after_mb"], 1))
    finally:
        server.terminate()
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()

    payload = {
        "command": "python -m benchmarks.serve " + " ".join(sys.argv[1:]),
        "models": {fw: m["run"] or m["file"] for fw, m in status["models"].items()},
        "draw_round_trip_with_feature_maps": draw_maps,
        "draw_round_trip_answers_only": draw_plain,
        "camera_frame_640x480": camera,
        "load": {"clients": args.clients, "requests_per_client": args.requests, "rounds": rounds,
                 "failed_total": sum(r["failed"] for r in rounds)},
        "server_memory": rss,
        "targets": {"draw_p95_ms": 50, "camera_p95_ms": 150,
                    "draw_met": draw_maps["p95_ms"] <= 50, "camera_met": camera["p95_ms"] <= 150},
    }
    print("wrote", write_result("serve", payload))


def urlopen_text(port: int, path: str) -> str:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    connection.request("GET", path)
    return connection.getresponse().read().decode()


if __name__ == "__main__":
    main()
