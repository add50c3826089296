"""Where in a YAML text a validation error's location points, for messages that name line and column."""

from __future__ import annotations

from collections.abc import Sequence

import yaml


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
