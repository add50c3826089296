"""Reading a YAML configuration file, and where in its text a validation error points (line, column)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import yaml


class YamlFileError(ValueError):
    """The file cannot be read or is not YAML; the message is one line naming the file (and position)."""


def read_yaml(path: Path, setting: str) -> tuple[str, Any]:
    """The file's text and its parsed value; YamlFileError names `setting` when the file cannot be read."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise YamlFileError(f"{setting}: cannot read {path}: {error.__class__.__name__}: "
                            f"{getattr(error, 'strerror', None) or error}") from None
    try:
        return text, yaml.safe_load(text)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f", line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(error, "problem", None) or str(error).splitlines()[0]
        raise YamlFileError(f"{path}{where}: not valid YAML: {problem}") from None


def _child(node: yaml.Node, part: object) -> tuple[yaml.Node, yaml.Node] | None:
    """(where to point, where to descend): a mapping's key and its value, or a sequence item twice."""
    if isinstance(node, yaml.MappingNode):
        return next(((key, value) for key, value in node.value if key.value == part), None)
    if isinstance(node, yaml.SequenceNode) and isinstance(part, int) and 0 <= part < len(node.value):
        return node.value[part], node.value[part]
    return None


def position_of(text: str, location: Sequence[object]) -> tuple[int, int]:
    """(line, column), 1-based, of the deepest key or list item of `location` the text has.

    A missing key points at the mapping that lacks it; an unparseable text at its start.
    """
    try:
        node = yaml.compose(text)
    except yaml.YAMLError:
        node = None
    if node is None:
        return 1, 1
    mark = node.start_mark
    for part in location:
        found = _child(node, part)
        if found is None:
            break
        mark, node = found[0].start_mark, found[1]
    return mark.line + 1, mark.column + 1
