"""The visitor base: dispatch by node class, children from the dataclass fields, trees rebuilt by a transformer."""
from __future__ import annotations

from decimal import Decimal

from interpreter import nodes as n
from interpreter.errors import Position
from interpreter.parser import parse
from interpreter.printer import to_text
from interpreter.visitor import NodeTransformer, NodeVisitor, iter_child_nodes


def tree(text: str) -> n.Node:
    return parse(text, lambda offset: Position("<test>", 1, offset + 1))


def test_children_come_from_the_fields_in_reading_order():
    cases = {
        "a + b * 2": ["a", "b * 2"],
        "if a then b else c": ["a", "b", "c"],
        "min(a, b, c)": ["a", "b", "c"],
        "every 3 months from a until b": ["3 months", "a", "b"],
        "x not in {x, y}": ["x", "{x, y}"],
        "-a ?? b": ["-a", "b"],
        "circa a": ["a"],
        "a": [],
    }
    for text, expected in cases.items():
        assert [to_text(child) for child in iter_child_nodes(tree(text))] == expected, text
        assert [to_text(child) for child in n.children(tree(text))] == expected, text


def test_the_children_of_a_decision_table_are_its_inputs_then_the_tests_row_by_row_then_its_cells():
    at = Position("<test>", 1, 1)
    phase, hard = n.Name("phase", pos=at), n.Name("hard", pos=at)
    low, high = n.MoneyLit(Decimal(1), pos=at), n.MoneyLit(Decimal(2), pos=at)
    plan, yes = n.SetLit(("plan",), pos=at), n.BoolLit(True, pos=at)
    table = n.Decide("prices", "price", (phase, hard), ((plan, None), (None, yes)), (low, high), pos=at)
    assert n.children(table) == (phase, hard, plan, yes, low, high)  # '-' (None) is no child
    assert list(n.walk(table)) == [table, phase, hard, plan, yes, low, high]


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
