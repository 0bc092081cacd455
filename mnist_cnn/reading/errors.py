"""What can go wrong when reading real images: one-line messages, no OpenCV needed to import.

The CLI's `friendly_errors` turns every `ReadingError` into a one-line error (exit code 1);
the menu prints it and goes on.
"""

from __future__ import annotations

from ..errors import MnistCnnError


class ReadingError(MnistCnnError):
    """An image, a camera, a region or a display that cannot be used; the message says why."""


class ImageError(ReadingError):
    """A file that is missing, unreadable or not an image."""


class NoDigitError(ReadingError):
    """An image (or a region of it) with no digit in it."""


class CameraError(ReadingError):
    """A camera or video that cannot be opened, or that stopped delivering frames."""


class DisplayError(ReadingError):
    """No screen to open a window on (or an OpenCV without a GUI)."""
