"""One way to walk an expression tree: `visit_<NodeClass>` methods, children taken from the dataclass fields.

In the style of Jinja2's `NodeVisitor` and `NodeTransformer`: `visit(node)` calls the method named
after the node's class, or `generic_visit` when there is none. A node's children are the nodes (and
tuples of nodes) in its dataclass fields (nodes.iter_child_nodes, re-exported here), so a new kind of
node needs no table to be walked.
"""
from __future__ import annotations

import dataclasses
from typing import Any, Callable

from .nodes import Node, iter_child_nodes, iter_fields

__all__ = ["NodeVisitor", "NodeTransformer", "VISIT_NAMES", "iter_fields", "iter_child_nodes"]


class _VisitNames(dict):
    """Node class -> the name of its visit method, made on first use: dispatch is one dict look-up."""

    def __missing__(self, cls: type) -> str:
        name = self[cls] = f"visit_{cls.__name__}"
        return name


# Shared by every visitor; a hot visitor (the evaluator) dispatches through it directly.
VISIT_NAMES: dict[type, str] = _VisitNames()


class NodeVisitor:
    """Walks a tree; `visit_<NodeClass>(node, ...)` handles a kind of node, `generic_visit` the rest."""

    def get_visitor(self, node: Node) -> Callable[..., Any] | None:
        return getattr(self, VISIT_NAMES[type(node)], None)

    def visit(self, node: Node, *args: Any, **kwargs: Any) -> Any:
        visitor = self.get_visitor(node)
        if visitor is not None:
            return visitor(node, *args, **kwargs)
        return self.generic_visit(node, *args, **kwargs)

    def generic_visit(self, node: Node, *args: Any, **kwargs: Any) -> Any:
        for child in iter_child_nodes(node):
            self.visit(child, *args, **kwargs)


class NodeTransformer(NodeVisitor):
    """A visitor that returns a new tree: `generic_visit` rebuilds a node from its visited children."""

    def generic_visit(self, node: Node, *args: Any, **kwargs: Any) -> Node:
        changes = {}
        for name, value in iter_fields(node):
            if isinstance(value, Node):
                new = self.visit(value, *args, **kwargs)
            elif isinstance(value, tuple) and any(isinstance(item, Node) for item in value):
                new = tuple(self.visit(item, *args, **kwargs) if isinstance(item, Node) else item for item in value)
                if all(a is b for a, b in zip(new, value)):
                    continue
            else:
                continue
            if new is not value:
                changes[name] = new
        # Nodes are frozen: an unchanged branch is shared, not copied.
        return dataclasses.replace(node, **changes) if changes else node
