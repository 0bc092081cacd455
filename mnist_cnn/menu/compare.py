"""The menu's third framework choice, "both frameworks, side by side": `mnist-cnn compare` by menu.

It calls the same workflow as the command (mnist_cnn.side_by_side.compare); errors are
shown and lead back to the framework choice, as elsewhere in the menu.
"""

from __future__ import annotations

from ..config import DEFAULT_RECIPE, get_recipe
from ..errors import user_message
from ..runs import latest_run, runs_root
from ..side_by_side import compare
from .prompts import MenuExit, Session, ask_int, choose, choose_recipe


def side_by_side(session: Session) -> None:
    root = runs_root(session.runs_dir)
    latest = [latest_run(root, framework) for framework in ("torch", "keras")]
    options = [("1", "train the same recipe in both frameworks and compare them")]
    if all(latest):
        options.append(("2", f"compare the latest runs ({latest[0].name} and {latest[1].name})"))
    options += [("b", "back"), ("q", "quit")]
    answer = choose(session, "Both frameworks, side by side", options, default="1")
    if answer == "q":
        raise MenuExit("Bye.")
    if answer == "b":
        return
    try:
        if answer == "2":
            compare(session.console, DEFAULT_RECIPE, {}, [str(run) for run in latest],
                    data_dir=session.data_dir, runs_dir=session.runs_dir)
        else:
            recipe = choose_recipe(session)
            epochs = ask_int(session, "epochs", get_recipe(recipe).epochs)
            compare(session.console, recipe, {"epochs": epochs}, data_dir=session.data_dir,
                    runs_dir=session.runs_dir)
    except Exception as exc:  # shown, then back to the framework choice, as elsewhere in the menu
        message = user_message(exc)
        if message is None:
            raise
        session.console.print(f"[red]Error:[/] {message}")
