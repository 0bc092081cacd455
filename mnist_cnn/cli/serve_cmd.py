"""`mnist-cnn serve`: the web page where both frameworks read a drawn digit, a photo or the webcam."""

from __future__ import annotations

import click

from ..runs import runs_root
from .common import console, friendly_errors, runs_dir_option

MODEL_HELP = "'latest' (the newest {name} run), a run folder, a model file, or 'none'."


@click.command()
@click.option("--torch-model", default="latest", show_default=True, help=MODEL_HELP.format(name="PyTorch"))
@click.option("--keras-model", default="latest", show_default=True, help=MODEL_HELP.format(name="Keras"))
@runs_dir_option
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Address to listen on. Anything but the loopback lets other machines use the page "
                   "(there is no password): prefer an SSH port forward.")
@click.option("--port", type=click.IntRange(0, 65535), default=8000, show_default=True,
              help="Port to listen on (0: any free port, printed).")
@click.option("--open", "open_browser", is_flag=True, help="Open the page in this machine's web browser.")
@friendly_errors
def serve(torch_model, keras_model, runs_dir, host, port, open_browser):
    """A local web page: draw a digit, or show a photo or the webcam, and watch PyTorch and
    Keras answer side by side.

    The page shows each framework's digit, confidence and ten probabilities, the 28x28 image
    the models were given, the feature maps of each convolution layer; photos and camera
    snapshots are read digit by digit with boxes; the Runs page lists the runs and makes the
    one you pick answer. Models load once; nothing is written.

    \b
    On a remote machine (a GPU box, a container), forward the port over SSH and open
    http://127.0.0.1:8000/ on your laptop (its camera works there):
      ssh -L 8000:127.0.0.1:8000 host      then on host: mnist-cnn serve

    \b
    Examples:
      mnist-cnn serve
      mnist-cnn serve --torch-model runs/20261121-184658-torch-fast --keras-model none --port 8080
    """
    try:
        import fastapi  # noqa: F401
        import uvicorn  # noqa: F401
    except ImportError as exc:
        raise click.ClickException(f"the web page needs the serve extra ({exc}): pip install -e '.[serve]' "
                                   f"(or `make install`)") from None
    from ..serve.server import is_loopback, load_models, open_socket, serve as run_server

    out = console()
    if not is_loopback(host):
        click.echo(f"Warning: serving on {host}: anyone who can reach this machine on port {port} can use the "
                   f"page and its API (there is no password). On a remote machine prefer "
                   f"`ssh -L {port}:127.0.0.1:{port} host` and the default --host 127.0.0.1.", err=True)
    try:
        sock = open_socket(host, port)  # before the models load: a busy port is said at once
    except OSError as exc:
        raise click.ClickException(str(exc)) from None
    root = runs_root(runs_dir)
    holder = load_models(root, torch_model, keras_model)
    for framework, loaded in holder.snapshot().items():
        out.print(f"{loaded.describe()['name']}: {loaded.path}")
    for missing in holder.status()["missing"].values():
        out.print(f"[yellow]{missing['name']} is missing:[/] {missing['reason']}")
    if not holder.snapshot():
        sock.close()
        raise click.ClickException(f"no model to serve in {root}: train one first (mnist-cnn train)")
    run_server(holder, sock, host, open_browser, out.print)
