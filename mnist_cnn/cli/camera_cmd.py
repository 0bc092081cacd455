"""`mnist-cnn camera`: read digits held up to a camera (or from a video or an image)."""

from __future__ import annotations

import click

from .common import friendly_errors
from .reading_options import REGION, ink_option, model_options


@click.command()
@click.option("--source", "-s", default="0", show_default=True,
              help="A camera index (0 is the first camera), a video file, or an image file.")
@model_options
@click.option("--live", is_flag=True,
              help="Predict continuously inside the guide box and show the digits on the preview.")
@click.option("--no-window", is_flag=True,
              help="No window (scripts, servers): --live prints one line per frame; otherwise one snapshot "
                   "is read (--roi, else the whole frame) and printed.")
@click.option("--roi", type=REGION, default=None,
              help="With --no-window: the region to read, x,y,w,h in pixels (live default: the guide box).")
@click.option("--frames", type=click.IntRange(min=1), default=None,
              help="With --no-window --live: stop after N frames (default: until the video ends, or Ctrl-C).")
@ink_option
@friendly_errors
def camera(source, model, framework, runs_dir, live, no_window, roi, frames, ink):
    """Read handwritten digits from a camera, a video or an image.

    A preview window shows the camera with a guide box. SPACE takes a snapshot; drag the
    region holding the digits with the mouse and press ENTER or SPACE (c cancels); the digits
    read are drawn on the snapshot and printed; any key goes back to the camera. --live reads
    the guide box on every frame instead. q or Esc quits; so does closing the window.

    \b
    Examples:
      mnist-cnn camera                       the first camera, snapshots
      mnist-cnn camera --live                continuous reading in the guide box
      mnist-cnn camera --source clip.mp4 --no-window --live
      mnist-cnn camera --source page.jpg --no-window --roi 100,80,300,120
    """
    from ..reading.commands import camera_session

    if roi is not None and not no_window:
        raise click.UsageError("--roi goes with --no-window; in the window, drag the region after SPACE")
    if frames is not None and not (no_window and live):
        raise click.UsageError("--frames goes with --no-window --live")
    readings = camera_session(source, model, framework, runs_dir, live=live, window=not no_window, roi=roi,
                              polarity=ink, out=lambda line: click.echo(line), frames=frames)
    if no_window and not live and not readings[0].digits:
        raise click.ClickException("no digit found in the snapshot" + (f" region {','.join(map(str, roi))}" if roi else "")
                                   + ": hold the digits in view, or give --roi")
