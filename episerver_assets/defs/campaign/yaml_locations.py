"""Where in a YAML text a validation error's location points, for messages that name line and column."""

from __future__ import annotations

from collections.abc import Sequence

import yaml


def _child(node: yaml.Node, part: object) -> yaml.Node | None:
    if isinstance(node, yaml.MappingNode):
        return next((value for key, value in node.value if key.value == part), None)
    if isinstance(node, yaml.SequenceNode) and isinstance(part, int) and 0 <= part < len(node.value):
        return node.value[part]
    return None


def position_of(text: str, location: Sequence[object]) -> tuple[int, int]:
    """(line, column), 1-based, of the deepest node of `location` (keys and list indices) the text has.

    A missing key points at the mapping that lacks it; an unparseable text at its start.
    """
    try:
        node = yaml.compose(text)
    except yaml.YAMLError:
        node = None
    if node is None:
        return 1, 1
    for part in location:
        child = _child(node, part)
        if child is None:
            break
        node = child
    return node.start_mark.line + 1, node.start_mark.column + 1
