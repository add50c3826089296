"""Failures a command reports as one line (no traceback), and how to make any error one readable line."""

from __future__ import annotations

from ..redaction import mask_passwords

MAX_LINE = 240


class UserFacingError(Exception):
    """Something the user can fix outside the program (a server down, a port taken); one line, exit 1."""

    exit_code = 1


def one_line(error: BaseException) -> str:
    """`Type: message` on one line, passwords masked, cut to a readable length.

    A refused connection, however deeply the HTTP libraries wrap it, reads "connection refused".
    """
    text = " ".join(str(error).split())
    if "Connection refused" in text or "ConnectionRefusedError" in text:
        where = getattr(error, "url", None) or getattr(error, "path", None)
        text = f"{where}: connection refused" if where else "connection refused"
    line = mask_passwords(f"{type(error).__name__}: {text}" if text else type(error).__name__)
    return line if len(line) <= MAX_LINE else line[: MAX_LINE - 3] + "..."
