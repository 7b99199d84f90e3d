"""Positions and the excerpt under an error: the offending line with a caret under the column."""
from __future__ import annotations

import os

from interpreter.errors import EXCERPT_WIDTH, Position, source_excerpt
from cards import CARD_HEAD, FIXTURE, catalogue_with, invoke


def test_the_line_and_a_caret_under_the_column(tmp_path):
    path = tmp_path / "card.yaml"
    path.write_text("code: T-1\ndeadlines:\n  due: registered_on + 5x6 days\n", encoding="utf-8")
    column = "  due: registered_on + 5x6 days".index("5x6") + 1  # 1-based, as YAML marks count
    line, caret = source_excerpt(Position(str(path), 3, column))
    assert line == "  due: registered_on + 5x6 days"
    assert caret == " " * (column - 1) + "^"
    assert line[len(caret) - 1] == "5"


def test_a_long_line_is_cut_around_the_column(tmp_path):
    path = tmp_path / "long.yaml"
    path.write_text("x: " + "a" * 500 + "!" + "b" * 500 + "\n", encoding="utf-8")
    line, caret = source_excerpt(Position(str(path), 1, 504))
    assert len(line) <= EXCERPT_WIDTH + 2 and line.startswith("…") and line.endswith("…")
    assert line[len(caret) - 1] == "!"


def test_a_column_past_the_end_points_just_after_the_line(tmp_path):
    path = tmp_path / "short.yaml"
    path.write_text("abc\n", encoding="utf-8")
    assert source_excerpt(Position(str(path), 1, 99)) == ["abc", "   ^"]


def test_no_excerpt_without_a_readable_line(tmp_path):
    path = tmp_path / "one.yaml"
    path.write_text("one line\n", encoding="utf-8")
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    assert source_excerpt(Position("<stdin>", 1, 1)) == []
    assert source_excerpt(Position(str(tmp_path / "absent.yaml"), 1, 1)) == []
    assert source_excerpt(Position(str(path), 2, 1)) == []
    assert source_excerpt(Position(str(path), 0, 0)) == []
    assert source_excerpt(Position(str(fifo), 1, 1)) == []  # opening a FIFO would wait for a writer
    assert source_excerpt(Position(str(tmp_path), 1, 1)) == []


def test_the_command_line_shows_the_excerpt_of_a_card_error(tmp_path):
    card = CARD_HEAD + "deadlines:\n  due_one:\n    label: Een\n    due: registered_on + 5x6 days\n" \
                       "    source: {section: \"1\", quote: \"q\"}\n"
    root = catalogue_with(tmp_path, FIXTURE, {"T-1.yaml": card})
    outcome = invoke("--catalogue", root, "validate")
    assert outcome.exit_code == 1
    lines = outcome.output.splitlines()
    at = next(i for i, text in enumerate(lines) if "T-1.yaml:11:" in text)
    assert lines[at + 1] == "        due: registered_on + 5x6 days"
    assert lines[at + 2].index("^") == lines[at + 1].index("5x6") + 1
