"""A Ctrl-C is never lost: what is interrupted is not published.

Python turns SIGINT into a KeyboardInterrupt raised in whatever Python code the main thread
runs next. When that code is a finalizer (a `__del__`, a weakref callback) run by the garbage
collector, the interpreter prints "Exception ignored in ..." and carries on; a library's bare
`except:` swallows it without a word. CI saw it once: a training interrupted one second in,
while torch was still starting, trained on, published its run and exited 0.

So the handler installed here also remembers the Ctrl-C, and the places that must not go on
after one ask `raise_if_interrupted()`: every epoch of training and the publishing of a run
(runs.publish_run), so that an interrupted job leaves nothing behind however it was swallowed.
Every process of ours calls `remember_ctrl_c()` first: cli.main, the menu and compare's
training children.
"""

from __future__ import annotations

import signal
import threading

_interrupted = False


def _on_sigint(signum, frame) -> None:
    global _interrupted
    _interrupted = True
    raise KeyboardInterrupt


def remember_ctrl_c() -> None:
    """Install the remembering handler where SIGINT still has Python's own.

    A process started with SIGINT ignored (`cmd &` in a script) keeps ignoring it, and a
    handler set by the caller (a test runner, an embedding program) is left alone.
    """
    if threading.current_thread() is threading.main_thread() and \
            signal.getsignal(signal.SIGINT) is signal.default_int_handler:
        signal.signal(signal.SIGINT, _on_sigint)


def interrupted() -> bool:
    """Whether a Ctrl-C reached this process (the handler above must be installed)."""
    return _interrupted


def raise_if_interrupted() -> None:
    """Raise the KeyboardInterrupt of a Ctrl-C that something swallowed on its way."""
    if _interrupted:
        raise KeyboardInterrupt
