"""The visitor base: dispatch by node class, children from the dataclass fields, trees rebuilt by a transformer."""
from __future__ import annotations

from interpreter import nodes as n
from interpreter.errors import Position
from interpreter.parser import parse
from interpreter.visitor import NodeTransformer, NodeVisitor, iter_child_nodes


def tree(text: str) -> n.Node:
    return parse(text, lambda offset: Position("<test>", 1, offset + 1))


def test_children_come_from_the_fields_in_the_same_order_as_nodes_children():
    for text in ("a + b * 2", "if a then b else c", "min(a, b, c)", "every 3 months from a until b",
                 "not (a in {x, y})", "-a ?? b", "a == b and c or d"):
        for node in n.walk(tree(text)):
            assert tuple(iter_child_nodes(node)) == n.children(node), text


def test_visit_calls_the_method_named_after_the_class_and_generic_visit_walks_the_rest():
    class Names(NodeVisitor):
        def __init__(self):
            self.seen = []

        def visit_Name(self, node):
            self.seen.append(node.name)

    names = Names()
    names.visit(tree("min(a + b, if c then d else e)"))
    assert names.seen == ["a", "b", "c", "d", "e"]


def test_visit_passes_extra_arguments_to_the_method():
    class Depth(NodeVisitor):
        def visit_Name(self, node, depth):
            return depth

    assert Depth().visit(tree("a"), 3) == 3


def test_a_transformer_rebuilds_only_what_it_changes():
    class Rename(NodeTransformer):
        def visit_Name(self, node):
            return n.Name(node.name.upper(), pos=node.pos) if node.name == "b" else node

    before = tree("a + (b * c)")
    after = Rename().visit(before)
    assert after == tree("a + (B * c)")
    assert after.left is before.left  # untouched branches are shared, not copied
    untouched = tree("a + c")
    assert Rename().visit(untouched) is untouched
