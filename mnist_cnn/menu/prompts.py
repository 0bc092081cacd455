"""The menu's prompts: numbered choices, whole numbers and recipes, re-asked until valid.

Shared by the menu's screens (main.py, compare.py); end of input and Ctrl-C become MenuExit.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Optional

from rich.console import Console

from ..config import DEFAULT_RECIPE, RECIPE_NOTES, RECIPES


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


def ask_text(session: Session, prompt: str) -> str:
    """One answer, stripped; end of input and Ctrl-C leave the menu."""
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
        answer = ask_text(session, f"> choice{hint}: ").lower()
        if not answer and default:
            return default
        if answer in keys:
            return answer
        session.console.print(f"Please answer one of: {', '.join(keys)}.")


def ask_int(session: Session, prompt: str, default: int) -> int:
    while True:
        answer = ask_text(session, f"> {prompt} [{default}]: ")
        if not answer:
            return default
        if answer.isdigit() and int(answer) >= 1:
            return int(answer)
        session.console.print("Please enter a whole number of at least 1 (or Enter for the default).")


def choose_recipe(session: Session) -> str:
    """One of the named recipes, by number; Enter takes the default."""
    keys = {str(i + 1): name for i, name in enumerate(RECIPES)}
    default = next(k for k, v in keys.items() if v == DEFAULT_RECIPE)
    return keys[choose(session, "Recipe", [(k, f"{v} - {RECIPE_NOTES[v]}") for k, v in keys.items()],
                       default=default)]
