"""The interactive menu: framework -> train (or reuse the latest model) -> test mode.

It calls the same workflow functions as the CLI, so a menu choice and a command give the
same result. Invalid answers re-prompt; end of input or Ctrl-C leaves with a message.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Optional

from rich.console import Console

from . import workflows
from .backends import BackendUnavailable, ModelFileError, display_name
from .config import DEFAULT_RECIPE, RECIPE_NOTES, RECIPES, get_recipe
from .data import DataError
from .runs import latest_run, runs_root
from .training import load_run_summary


class MenuExit(Exception):
    """The user left the menu (q, end of input or Ctrl-C)."""

    def __init__(self, message: str, code: int = 0):
        super().__init__(message)
        self.code = code


@dataclass
class Session:
    console: Console
    ask: Callable[[str], str]
    data_dir: Optional[str]
    runs_dir: Optional[str]
    framework: str = ""
    model: str = "latest"


def _ask(session: Session, prompt: str) -> str:
    try:
        return session.ask(prompt).strip()
    except EOFError:
        raise MenuExit("End of input: leaving the menu.") from None
    except KeyboardInterrupt:
        raise MenuExit("Interrupted: leaving the menu.", code=130) from None


def choose(session: Session, title: str, options: list[tuple[str, str]], default: Optional[str] = None) -> str:
    """Show numbered options and return the key chosen; re-prompt until the answer is valid."""
    session.console.print(f"\n[bold]{title}[/]")
    for key, label in options:
        session.console.print(f"  {key}) {label}")
    keys = [key for key, _ in options]
    hint = f" [{default}]" if default else ""
    while True:
        answer = _ask(session, f"> choice{hint}: ").lower()
        if not answer and default:
            return default
        if answer in keys:
            return answer
        session.console.print(f"Please answer one of: {', '.join(keys)}.")


def ask_int(session: Session, prompt: str, default: int) -> int:
    while True:
        answer = _ask(session, f"> {prompt} [{default}]: ")
        if not answer:
            return default
        if answer.isdigit() and int(answer) >= 1:
            return int(answer)
        session.console.print("Please enter a whole number of at least 1 (or Enter for the default).")


def choose_framework(session: Session) -> None:
    while True:
        answer = choose(session, "Choose the framework", [("1", "PyTorch"), ("2", "TensorFlow/Keras"),
                                                          ("3", "both frameworks, side by side"), ("q", "quit")])
        if answer == "q":
            raise MenuExit("Bye.")
        if answer != "3":
            session.framework = {"1": "torch", "2": "keras"}[answer]
            return
        from .menu_compare import side_by_side  # imports this module: loaded on first use

        side_by_side(session)  # a comparison, then the framework choice again


def choose_recipe(session: Session) -> str:
    """One of the named recipes, by number; Enter takes the default."""
    keys = {str(i + 1): name for i, name in enumerate(RECIPES)}
    default = next(k for k, v in keys.items() if v == DEFAULT_RECIPE)
    return keys[choose(session, "Recipe", [(k, f"{v} - {RECIPE_NOTES[v]}") for k, v in keys.items()],
                       default=default)]


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
    outcome = workflows.train(session.framework, recipe, {"epochs": epochs}, session.console,
                              session.data_dir, session.runs_dir)
    session.model = str(outcome.run_dir)
    return True


def test_on_test_set(session: Session) -> None:
    workflows.evaluate(session.model, session.framework, session.console, session.data_dir, session.runs_dir)


def test_on_webcam(session: Session) -> None:
    """The camera window: SPACE, drag a region, ENTER; the digits read are shown and printed."""
    from .input_errors import ReadingError  # no OpenCV needed for the error types

    source = _ask(session, "> camera index, or a video or image file [0]: ") or "0"
    live = _ask(session, "> read continuously in the guide box (live)? [y/N]: ").lower() in ("y", "yes")
    session.console.print("SPACE: snapshot, drag the region, ENTER to read it (c cancels); q or Esc: back to the menu.")
    try:
        from .read_commands import camera_session  # imports OpenCV: only when this mode is chosen

        camera_session(source, session.model, session.framework, session.runs_dir, live, True, None, "auto",
                       lambda line: session.console.print(line, markup=False, highlight=False))
    except ReadingError as exc:
        session.console.print(f"Error: {exc}", markup=False)


def test_on_image_file(session: Session) -> None:
    """Photos or scans of handwritten digits, one prompt at a time (Enter goes back)."""
    import shlex
    from pathlib import Path

    from .input_errors import ReadingError

    while True:
        answer = _ask(session, "> image file(s) to read (Enter: back): ")
        if not answer:
            return
        try:
            paths = [Path(p).expanduser() for p in shlex.split(answer)]
        except ValueError as exc:  # an unclosed quote
            session.console.print(f"Error: {exc}", markup=False)
            continue
        try:
            from .read_commands import predict_files

            predict_files(paths, session.model, session.framework, session.runs_dir, None, "auto", session.console)
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
            except (DataError, ModelFileError, BackendUnavailable, ValueError) as exc:
                session.console.print(f"[red]Error:[/] {exc}")
    except MenuExit as done:
        session.console.print(str(done))
        return done.code
    except KeyboardInterrupt:  # Ctrl-C while training or evaluating
        session.console.print("\nInterrupted: leaving the menu; nothing half-written was left behind.")
        return 130
