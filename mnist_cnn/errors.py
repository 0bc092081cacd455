"""The one family of errors a user can cause or fix, and the one place that words them.

Every expected failure (missing or corrupt data, a model file of the other framework, a
framework not installed, a device that is not there, a process group that fails, an image
or camera that cannot be read, a comparison whose child failed) derives from `MnistCnnError`.
The front doors (cli/common.friendly_errors, the menu) catch this one base and show its
message as one line; anything else is a bug and keeps its traceback.

A full disk is not the program's fault either: writing a run or an export that fails for
lack of space, quota or permission is shown as one line too (`storage_problem`). The run is
already safe by then: its staging folder is removed on any exception.
"""

from __future__ import annotations

import errno
from typing import Optional


class MnistCnnError(Exception):
    """Base of every error a user can act on; its message is the whole story, on one line."""


# Writing failed because of the machine, not the program: no space, a quota, a read-only
# file system, a file too large, no permission.
STORAGE_ERRNOS = frozenset({errno.ENOSPC, errno.EDQUOT, errno.EROFS, errno.EFBIG, errno.EACCES, errno.EPERM})


def storage_problem(exc: BaseException) -> Optional[str]:
    """One line for an OSError that the disk or its permissions caused; None for anything else."""
    if not isinstance(exc, OSError) or exc.errno not in STORAGE_ERRNOS:
        return None
    where = f" {exc.filename}" if exc.filename else ""
    return f"could not write{where}: {exc.strerror or exc}"


def user_message(exc: BaseException) -> Optional[str]:
    """The one line to show for an expected failure (ours, bad values, the disk); None: a bug."""
    if isinstance(exc, (MnistCnnError, ValueError)):
        return str(exc)
    return storage_problem(exc)
