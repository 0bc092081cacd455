"""The interactive menu: framework -> train (or reuse the latest model) -> test mode.

It calls the same workflow functions as the CLI, so a menu choice and a command give the
same result. Invalid answers re-prompt; end of input or Ctrl-C leaves with a message.
"""

from __future__ import annotations

from typing import Callable, Optional

from rich.console import Console

from .. import workflows
from ..backends import display_name
from ..config import get_recipe
from ..errors import user_message
from ..runs import latest_run, load_run_summary, runs_root
from .prompts import MenuExit, Session, ask_int, ask_text, choose, choose_recipe


def choose_framework(session: Session) -> None:
    while True:
        answer = choose(session, "Choose the framework", [("1", display_name("torch")), ("2", display_name("keras")),
                                                          ("3", "both frameworks, side by side"), ("q", "quit")])
        if answer == "q":
            raise MenuExit("Bye.")
        if answer != "3":
            session.framework = {"1": "torch", "2": "keras"}[answer]
            return
        from .compare import side_by_side  # loaded on first use: it imports the compare workflow

        side_by_side(session)  # a comparison, then the framework choice again


def choose_model(session: Session) -> bool:
    """Train a new model or reuse the latest; False means "back to the framework"."""
    name = display_name(session.framework)
    latest = latest_run(runs_root(session.runs_dir), session.framework)
    options = [("1", f"train a new {name} model")]
    if latest is not None:
        accuracy = load_run_summary(latest)["test_accuracy"]
        options.append(("2", f"reuse the latest {name} model ({latest.name}, {100 * accuracy:.2f}%)"))
    options += [("b", "back"), ("q", "quit")]
    answer = choose(session, "Model", options, default="2" if latest is not None else "1")
    if answer == "q":
        raise MenuExit("Bye.")
    if answer == "b":
        return False
    if answer == "2":
        session.model = str(latest)
        return True
    recipe = choose_recipe(session)
    epochs = ask_int(session, "epochs", get_recipe(recipe).epochs)
    config = get_recipe(recipe).with_overrides(epochs=epochs)
    outcome = workflows.train(session.framework, config, session.console, session.data_dir, session.runs_dir)
    session.model = str(outcome.run_dir)
    return True


def test_on_test_set(session: Session) -> None:
    workflows.evaluate(session.model, session.framework, session.console, session.data_dir, session.runs_dir)


def test_on_webcam(session: Session) -> None:
    """The camera window: SPACE, drag a region, ENTER; the digits read are shown and printed."""
    from ..reading.errors import ReadingError  # no OpenCV needed for the error types

    source = ask_text(session, "> camera index, or a video or image file [0]: ") or "0"
    live = ask_text(session, "> read continuously in the guide box (live)? [y/N]: ").lower() in ("y", "yes")
    session.console.print("SPACE: snapshot, drag the region, ENTER to read it (c cancels); q or Esc: back to the menu.")
    try:
        from ..reading.commands import camera_session  # imports OpenCV: only when this mode is chosen

        camera_session(source, session.model, session.framework, session.runs_dir, live=live, window=True, roi=None,
                       polarity="auto", out=lambda line: session.console.print(line, markup=False, highlight=False))
    except ReadingError as exc:
        session.console.print(f"Error: {exc}", markup=False)


def test_on_image_file(session: Session) -> None:
    """Photos or scans of handwritten digits, one prompt at a time (Enter goes back)."""
    import shlex
    from pathlib import Path

    from ..reading.errors import ReadingError

    while True:
        answer = ask_text(session, "> image file(s) to read (Enter: back): ")
        if not answer:
            return
        try:
            paths = [Path(p).expanduser() for p in shlex.split(answer)]
        except ValueError as exc:  # an unclosed quote
            session.console.print(f"Error: {exc}", markup=False)
            continue
        try:
            from ..reading.commands import predict_files

            predict_files(paths, session.model, session.framework, session.runs_dir, roi=None, polarity="auto",
                          console=session.console)
        except ReadingError as exc:
            session.console.print(f"Error: {exc}", markup=False)


# The test modes offered after a model is chosen: (label, action).
TEST_MODES: list[tuple[str, Callable[[Session], None]]] = [
    ("standard test set evaluation (10,000 images)", test_on_test_set),
    ("webcam ROI: snapshot, drag a region, read the digits", test_on_webcam),
    ("image file: read the handwritten digits in photos or scans", test_on_image_file),
]


def choose_test(session: Session) -> bool:
    """Run test modes until the user goes back (False) or quits."""
    while True:
        options = [(str(i + 1), label) for i, (label, _) in enumerate(TEST_MODES)]
        options += [("b", "back to the framework choice"), ("q", "quit")]
        answer = choose(session, "Test mode", options, default="1")
        if answer == "q":
            raise MenuExit("Bye.")
        if answer == "b":
            return False
        TEST_MODES[int(answer) - 1][1](session)


def run_menu(console: Optional[Console] = None, ask: Callable[[str], str] = input,
             data_dir: Optional[str] = None, runs_dir: Optional[str] = None) -> int:
    """The menu's main loop; returns the process exit code."""
    session = Session(console or Console(highlight=False, soft_wrap=True), ask, data_dir, runs_dir)
    session.console.print("[bold]mnist-cnn[/] · MNIST in PyTorch and TensorFlow/Keras side by side")
    try:
        while True:
            choose_framework(session)
            try:
                if not choose_model(session):
                    continue
                choose_test(session)
            except Exception as exc:  # the same expected failures the CLI words as one line
                message = user_message(exc)
                if message is None:
                    raise
                session.console.print(f"[red]Error:[/] {message}")
    except MenuExit as done:
        session.console.print(str(done))
        return done.code
    except KeyboardInterrupt:  # Ctrl-C while training or evaluating
        session.console.print("\nInterrupted: leaving the menu; nothing half-written was left behind.")
        return 130
