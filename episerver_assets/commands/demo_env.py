"""The demo's keys in `.env`, which `dagster dev` (`make ui`) loads from the working directory.

The demo owns one marked block and rewrites only that block; every other line is the user's and is
kept as it is. A key the user sets outside the block is left to the user: the block omits it.
"""

from __future__ import annotations

import re
from pathlib import Path

BEGIN = "# >>> episerver-assets demo: rewritten by each `episerver-assets demo`, delete the block to drop it"
END = "# <<< episerver-assets demo"
_ASSIGNMENT = re.compile(r"^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*=")


def _user_lines(text: str) -> list[str]:
    lines, inside = [], False
    for line in text.splitlines():
        if line.strip() == BEGIN:
            inside = True
        elif line.strip() == END and inside:
            inside = False
        elif not inside:
            lines.append(line)
    return lines


def update_demo_env(path: Path, values: dict[str, str]) -> list[str]:
    """Write `values` into the demo's block of `path`; returns the keys skipped because the user sets them."""
    user = _user_lines(path.read_text(encoding="utf-8")) if path.exists() else []
    user_keys = {m[1] for m in map(_ASSIGNMENT.match, user) if m}
    while user and not user[-1].strip():
        user.pop()
    ours = {key: value for key, value in values.items() if key not in user_keys}
    block = [BEGIN, *(f"{key}={value}" for key, value in ours.items()), END] if ours else []
    text = "\n".join(user + ([""] if user and block else []) + block)
    path.write_text(text + "\n" if text else "", encoding="utf-8")
    return sorted(set(values) - set(ours))
