"""The FastAPI application: three pages, a small JSON API, and errors that are JSON.

    GET  /draw /photo /runs            the pages (static files of this package)
    GET  /api/status                   which models answer, and why one is missing
    POST /api/draw?maps=torch|keras    body: an image of one drawn digit
    POST /api/read?roi=x,y,w,h&ink=auto|dark|light   body: a photo or camera frame
    GET  /api/runs                     the runs with their accuracy; POST /api/model {"run": NAME}
    GET  /api/runs/NAME/curves|confusion, /api/comparison, /api/comparison/curves|confusion

Bodies are the image's bytes (`curl --data-binary @photo.jpg`), capped while they arrive.
The model work runs in the thread pool, so the event loop keeps accepting requests.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Optional

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import FileResponse, JSONResponse, RedirectResponse
from fastapi.staticfiles import StaticFiles
from pydantic import BaseModel
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException

from .. import __version__
from ..reading.digits import clip_roi
from .answers import NothingDrawn, read_drawing, read_photo
from .catalog import comparison_figure, latest_comparison, run_figure, runs_listing
from .models import ModelError, ModelHolder
from .uploads import MAX_BYTES, UploadError, decode_image

STATIC = Path(__file__).resolve().parent / "static"
PAGES = {"draw": "draw.html", "photo": "photo.html", "runs": "runs.html"}
# The pages load nothing from elsewhere; camera frames and drawings become blob: and data: URLs.
SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; img-src 'self' data: blob:; media-src 'self' blob:; "
                               "style-src 'self'; script-src 'self'; connect-src 'self'; frame-ancestors 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
}


class ModelChoice(BaseModel):
    run: str


def error(status: int, message: str) -> JSONResponse:
    return JSONResponse({"error": message}, status_code=status)


async def read_body(request: Request) -> bytes:
    """The request body, refused (413) as soon as it passes MAX_BYTES, declared or not."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > MAX_BYTES:
        raise UploadError(413, f"the upload is {int(declared):,} bytes; the limit is {MAX_BYTES:,}")
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > MAX_BYTES:
            raise UploadError(413, f"the upload is over the limit of {MAX_BYTES:,} bytes")
        chunks.append(chunk)
    data = b"".join(chunks)
    if data.startswith(b"--") and "multipart/" in request.headers.get("content-type", ""):
        raise UploadError(415, "send the image's bytes as the body (curl --data-binary @photo.jpg), "
                               "not a form (curl -F)")
    return data


def parse_roi(text: Optional[str]) -> Optional[tuple[int, int, int, int]]:
    if not text:
        return None
    try:
        x, y, w, h = (int(float(part)) for part in text.split(","))
    except ValueError:
        raise UploadError(422, f"roi={text!r} is not x,y,w,h (four whole numbers)") from None
    return x, y, w, h


def create_app(holder: ModelHolder, allowed_hosts: Optional[list[str]] = None) -> FastAPI:
    """The application for the models in `holder` (its runs folder is the only one it reads).

    `allowed_hosts`: the Host names accepted (127.0.0.1 and localhost when serving on the
    loopback), so a web page elsewhere cannot reach this server through DNS rebinding.
    """
    # No /docs: FastAPI's documentation page loads its scripts from a CDN. The schema stays.
    app = FastAPI(title="mnist-cnn", version=__version__, docs_url=None, redoc_url=None,
                  openapi_url="/api/openapi.json")
    root = holder.root

    @app.middleware("http")
    async def host_check_and_headers(request: Request, call_next):
        if allowed_hosts:
            host = request.headers.get("host", "")
            name = host.rsplit(":", 1)[0] if not host.endswith("]") else host
            if name not in allowed_hosts:
                return error(400, f"this server answers only to {', '.join(allowed_hosts)} (Host was {host!r})")
        response = await call_next(request)
        for name, value in SECURITY_HEADERS.items():
            response.headers.setdefault(name, value)
        return response

    @app.exception_handler(UploadError)
    async def upload_error(request: Request, exc: UploadError):
        return error(exc.status, exc.message)

    @app.exception_handler(ModelError)
    async def model_error(request: Request, exc: ModelError):
        return error(exc.status, str(exc))

    @app.exception_handler(HTTPException)
    async def http_error(request: Request, exc: HTTPException):
        return error(exc.status_code, str(exc.detail))

    @app.exception_handler(RequestValidationError)
    async def validation_error(request: Request, exc: RequestValidationError):
        problems = "; ".join(f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors())
        return error(422, problems or "invalid request")

    @app.exception_handler(Exception)
    async def server_error(request: Request, exc: Exception):
        # Never a traceback page: one line saying what failed (the server log has the rest).
        return error(500, f"internal error: {type(exc).__name__}: {exc}")

    app.mount("/static", StaticFiles(directory=STATIC), name="static")

    @app.get("/", include_in_schema=False)
    def home():
        return RedirectResponse("/draw")

    for word, file in PAGES.items():
        app.add_api_route(f"/{word}", (lambda file=file: FileResponse(STATIC / file)), methods=["GET"],
                          include_in_schema=False)

    def models_or_503() -> dict:
        models = holder.snapshot()
        if not models:
            why = "; ".join(f"{m['name']}: {m['reason']}" for m in holder.status()["missing"].values())
            raise UploadError(503, f"no model to answer ({why})")
        return models

    @app.get("/api/status")
    def status():
        return {"version": __version__, "runs_folder": str(root), **holder.status()}

    @app.post("/api/draw")
    async def draw(request: Request, maps: Optional[str] = None):
        """One drawn digit (an image's bytes) -> the 28x28 input, each framework's answer, maps."""
        start = time.perf_counter()
        data = await read_body(request)
        models = models_or_503()
        try:
            result = await run_in_threadpool(lambda: read_drawing(models, decode_image(data), maps))
        except NothingDrawn as exc:
            raise UploadError(422, str(exc)) from None
        result["ms_total"] = round(1000 * (time.perf_counter() - start), 2)
        return JSONResponse(result)  # plain JSON types already: skips FastAPI's slow recursive encoder

    @app.post("/api/read")
    async def read(request: Request, roi: Optional[str] = None, ink: str = "auto"):
        """A photo or camera frame -> every digit's box, 28x28 input and each framework's answer."""
        if ink not in ("auto", "dark", "light"):
            raise UploadError(422, f"ink={ink!r}: choose auto, dark or light")
        start = time.perf_counter()
        region = parse_roi(roi)
        data = await read_body(request)
        models = models_or_503()

        def work() -> dict:
            image = decode_image(data)
            try:
                clipped = clip_roi(region, image.shape) if region is not None else None
            except ValueError as exc:
                raise UploadError(422, str(exc)) from None
            return read_photo(models, image, clipped, ink)

        result = await run_in_threadpool(work)
        result["ms_total"] = round(1000 * (time.perf_counter() - start), 2)
        return JSONResponse(result)

    @app.get("/api/runs")
    def runs():
        in_use = {m.run for m in holder.snapshot().values()}
        return {"runs_folder": str(root),
                "runs": [{**run, "in_use": run["name"] in in_use} for run in runs_listing(root)]}

    @app.get("/api/runs/{name}/{figure}")
    def run_plot(name: str, figure: str):
        path = run_figure(root, name, figure)
        if path is None:
            raise UploadError(404, f"no {figure!r} figure for a run called {name!r}")
        return FileResponse(path, media_type="image/png")

    @app.post("/api/model")
    async def use_model(choice: ModelChoice):
        loaded = await run_in_threadpool(holder.use_run, choice.run)
        return {"now_answering": loaded.describe(), **holder.status()}

    @app.get("/api/comparison")
    def comparison():
        # No comparison yet is a state of the folder, not an error: the page says what to run.
        found = latest_comparison(root)
        return found or {"name": None, "note": "no comparison yet: run `mnist-cnn compare` to make one"}

    @app.get("/api/comparison/{figure}")
    def comparison_plot(figure: str):
        path = comparison_figure(root, figure)
        if path is None:
            raise UploadError(404, f"no {figure!r} figure in the latest comparison")
        return FileResponse(path, media_type="image/png")

    return app
