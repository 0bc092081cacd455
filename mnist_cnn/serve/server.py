"""Starting the server: the socket, the warning off the loopback, the models, uvicorn.

The socket is bound here before uvicorn starts, so a port in use is one line of error (not
a log record after the models have loaded) and `--port 0` serves on a free port that is
printed (what the tests use).
"""

from __future__ import annotations

import errno
import ipaddress
import socket
import threading
import webbrowser
from typing import Callable

LOOPBACK_NAMES = ("localhost",)


def is_loopback(host: str) -> bool:
    if host in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def bind(host: str, port: int) -> socket.socket:
    """A listening socket on host:port, or OSError with the reason."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    # proto IPPROTO_TCP, not 0: asyncio sets TCP_NODELAY only on sockets that say they are
    # TCP, and without it every keep-alive response waited 40 ms for a delayed ACK.
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
        sock.listen(128)
    except OSError:
        sock.close()
        raise
    return sock


def load_models(root, torch_model: str, keras_model: str):
    """Both frameworks' models, loaded once, each running its inference on one CPU thread:
    one 28x28 digit is too little work to share between threads (see deploy/threads.py)."""
    from ..deploy.threads import use_threads
    from .models import ModelHolder

    holder = ModelHolder(root)
    holder.load("torch", torch_model)
    if keras_model != "none":
        from ..backends import BackendUnavailable, get_backend

        try:
            get_backend("keras")  # imports TensorFlow quietly (keras_impl), before any op runs
            use_threads("keras", 1)
        except BackendUnavailable:
            pass  # holder.load records why
    holder.load("keras", keras_model)
    warm_up(holder)
    return holder


def warm_up(holder) -> None:
    """One drawing and one small photo through every model before the first visitor: the
    first calls trace TensorFlow's function and initialise OpenCV and PyTorch (seconds)."""
    import cv2
    import numpy as np

    from .answers import read_drawing, read_photo

    models = holder.snapshot()
    if not models:
        return
    pad = np.full((280, 280), 255, np.uint8)
    cv2.line(pad, (140, 50), (140, 230), 0, 18)
    for framework in models:
        read_drawing(models, pad, maps=framework)
    read_photo(models, cv2.resize(pad, (320, 240)))


def open_socket(host: str, port: int) -> socket.socket:
    """bind(), with the one-line reason when it fails (before any model is loaded)."""
    try:
        return bind(host, port)
    except OSError as exc:
        raise OSError(f"cannot serve on {host}:{port}: {exc.strerror or exc}"
                      f"{' (choose another --port)' if exc.errno == errno.EADDRINUSE else ''}") from None


def serve(holder, sock: socket.socket, host: str, open_browser: bool, out: Callable[[str], None]) -> None:
    """Serve the page on the bound `sock` until Ctrl-C."""
    import uvicorn

    from .app import create_app

    real_port = sock.getsockname()[1]
    shown = f"[{host}]" if ":" in host else host
    address = f"http://{shown}:{real_port}/"
    allowed = ["127.0.0.1", "localhost", "[::1]"] if is_loopback(host) else None
    app = create_app(holder, allowed_hosts=allowed)
    out(f"Serving on {address}  (Draw: {address}draw, Photo & camera: {address}photo, Runs: {address}runs)")
    out("Ctrl-C stops it.")
    if open_browser:
        threading.Timer(1.0, webbrowser.open, args=(address,)).start()
    config = uvicorn.Config(app, log_level="warning", access_log=False, timeout_graceful_shutdown=2)
    uvicorn.Server(config).run(sockets=[sock])
