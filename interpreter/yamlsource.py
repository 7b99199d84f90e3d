"""Read YAML text into plain data while remembering where every key and value stood."""
from __future__ import annotations

import hashlib
import os
import re
import stat
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

import yaml

from .errors import Position, YamlError
from .limits import MAX_DOCUMENT_CHARS, MAX_NUMBER_CHARS, MAX_YAML_DEPTH, MAX_YAML_NODES

Path_ = tuple  # a path into the data: keys and list indexes, as cerberus reports them

_STR = "tag:yaml.org,2002:str"
_INT = "tag:yaml.org,2002:int"
_FLOAT = "tag:yaml.org,2002:float"
_BOOL = "tag:yaml.org,2002:bool"
_NULL = "tag:yaml.org,2002:null"
_TIMESTAMP = "tag:yaml.org,2002:timestamp"
_MAP = "tag:yaml.org,2002:map"
_SEQ = "tag:yaml.org,2002:seq"

_DECIMAL_INT = re.compile(r"[-+]?[0-9]+")
_DECIMAL_FLOAT = re.compile(r"[-+]?([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][-+]?[0-9]+)?")


@dataclass
class Document:
    """The data of one YAML file plus the nodes it came from, keyed by path."""

    file: str
    text: str
    data: Any
    value_nodes: dict[Path_, yaml.Node] = field(default_factory=dict)
    key_nodes: dict[Path_, yaml.Node] = field(default_factory=dict)
    built: int = 0  # values built so far, aliases counted each time they are expanded

    def position(self, path: Path_ = (), offset: int = 0) -> Position:
        """Where the value at `path` starts, or the character `offset` inside that scalar."""
        path = tuple(path)
        while path and path not in self.value_nodes:
            path = path[:-1]
        node = self.value_nodes.get(path)
        if node is None:
            return Position(self.file, 1, 1)
        index = node.start_mark.index
        if isinstance(node, yaml.ScalarNode):
            index = _align(node.value, self.text, node.start_mark.index, node.end_mark.index, offset)
        return self._position_at(index)

    def key_position(self, path: Path_) -> Position:
        """Where the key of the entry at `path` stands (for unknown or misplaced keys)."""
        node = self.key_nodes.get(tuple(path))
        if node is None:
            return self.position(path)
        return self._position_at(node.start_mark.index)

    def _position_at(self, index: int) -> Position:
        line = self.text.count("\n", 0, index) + 1
        column = index - (self.text.rfind("\n", 0, index) + 1) + 1
        return Position(self.file, line, column)

    def sub(self, path: Path_) -> Any:
        value = self.data
        for part in path:
            value = value[part]
        return value


def _align(value: str, text: str, start: int, end: int, offset: int) -> int:
    """Map an offset in a scalar's value to an index in the file text.

    The value may differ from its source by quotes, indentation and folded line
    breaks, so walk both, letting whitespace in the source stand for folded whitespace.
    """
    raw = start
    if raw < len(text) and text[raw] in "\"'|>":
        raw += 1
        if text[raw - 1] in "|>":
            while raw < end and text[raw] != "\n":
                raw += 1
    for char in value[:offset]:
        if char.isspace():
            if raw < end and text[raw].isspace():
                raw += 1
                while raw < end and text[raw].isspace() and text[raw] != char:
                    raw += 1
            continue
        while raw < end and text[raw] != char:
            raw += 1
        raw += 1
    if offset < len(value) and not value[offset].isspace():
        # Skip what the value does not contain: line breaks and indentation, and the second
        # character of an escape such as '' in single quotes.
        ahead = raw
        while ahead < end and text[ahead] != value[offset]:
            ahead += 1
        if ahead < end:
            raw = ahead
    return min(raw, max(end, start))


def load_text(text: str, file: str) -> Document:
    """Parse YAML text safely into a Document; every problem is a YamlError with a position."""
    document = Document(file=file, text=text, data=None)
    if len(text) > MAX_DOCUMENT_CHARS:
        raise YamlError(f"the file is too large: {len(text):,} characters, at most {MAX_DOCUMENT_CHARS:,}",
                        Position(file, 1, 1), hint="split it into smaller files")
    _refuse_lone_surrogates(document)
    try:
        node = _compose(text)
    except yaml.MarkedYAMLError as error:
        raise _yaml_error(error, file) from None
    except yaml.reader.ReaderError as error:
        index = min(error.position, len(text))
        code = error.character if isinstance(error.character, int) else ord(error.character)
        raise YamlError(f"the control character U+{code:04X} is not allowed in a YAML file",
                        document._position_at(index),
                        hint="remove it; control characters cannot stand in YAML text") from None
    except yaml.YAMLError as error:
        raise YamlError(f"this is not valid YAML: {error}", Position(file, 1, 1)) from None
    if node is None:
        raise YamlError("the file is empty", Position(file, 1, 1),
                        hint="a catalogue file needs at least one 'key: value' line")
    document.data = _build(node, (), document)
    return document


def _refuse_lone_surrogates(document: Document) -> None:
    """Text handed over as a string (standard input, the API) may hold half of a UTF-16 pair, which is
    no character at all and which the YAML parser cannot encode."""
    try:
        document.text.encode("utf-8")
    except UnicodeEncodeError as error:
        raise YamlError(f"the text holds U+{ord(document.text[error.start]):04X}, half of a UTF-16 pair and not "
                        f"a character", document._position_at(error.start),
                        hint="save the file as UTF-8 text") from None


# libyaml composes several times faster; its marks also count characters, so positions agree.
_FAST_LOADER = getattr(yaml, "CSafeLoader", None)


def _compose(text: str):
    """The node tree of a YAML text; a broken text is composed again by the pure-Python parser,
    whose error marks carry the text around the problem that the messages quote."""
    if _FAST_LOADER is not None:
        try:
            return yaml.compose(text, Loader=_FAST_LOADER)
        except yaml.MarkedYAMLError as error:
            if "maximum nesting depth" in str(error.problem):
                raise _too_deep(error) from None  # the pure-Python parser would recurse that deep
        except yaml.YAMLError:
            pass
    try:
        return yaml.compose(text, Loader=yaml.SafeLoader)
    except RecursionError:
        raise yaml.MarkedYAMLError(problem=f"the lists and mappings are nested more than "
                                           f"{MAX_YAML_DEPTH} deep") from None


def _too_deep(error: yaml.MarkedYAMLError) -> yaml.MarkedYAMLError:
    return yaml.MarkedYAMLError(problem=f"the lists and mappings are nested more than {MAX_YAML_DEPTH} deep",
                                problem_mark=error.problem_mark)


# UTF-8 takes at most 4 bytes a character: a larger file cannot be a document of the allowed size.
MAX_DOCUMENT_BYTES = 4 * MAX_DOCUMENT_CHARS


def read_bounded(path: Path, name: str) -> bytes:
    """The bytes of a regular file of at most MAX_DOCUMENT_BYTES; a YamlError at the file otherwise.

    Checked before reading, so that a huge file is never read whole and a FIFO never blocks."""
    try:
        status = path.stat()
        if not stat.S_ISREG(status.st_mode):
            raise YamlError("not a regular file", Position(name, 1, 1), hint="a catalogue or case file is a plain file")
        if status.st_size > MAX_DOCUMENT_BYTES:
            raise YamlError(f"the file is too large: {status.st_size:,} bytes, at most {MAX_DOCUMENT_BYTES:,}",
                            Position(name, 1, 1), hint="split it into smaller files")
        with path.open("rb") as stream:
            return stream.read(MAX_DOCUMENT_BYTES + 1)
    except OSError as error:
        raise YamlError(f"cannot read the file: {error.strerror}", Position(name, 1, 1)) from None


def load_file(path: Path | str, display: str | None = None) -> Document:
    """Read and parse a YAML (or JSON) file."""
    path = Path(path)
    name = display or str(path)
    try:
        text = read_bounded(path, name).decode("utf-8")
    except UnicodeDecodeError:
        raise YamlError("the file is not UTF-8 text", Position(name, 1, 1),
                        hint="save the file as UTF-8") from None
    return load_text(text, name)


def _yaml_error(error: yaml.MarkedYAMLError, file: str) -> YamlError:
    mark = error.problem_mark or error.context_mark
    position = Position(file, mark.line + 1, mark.column + 1) if mark else Position(file, 1, 1)
    problem = error.problem or "this is not valid YAML"
    hint = None
    before = ""
    if error.problem_mark is not None and error.problem_mark.buffer is not None:
        buffer, index = error.problem_mark.buffer, error.problem_mark.index
        before = buffer[buffer.rfind("\n", 0, index) + 1:index].rstrip()
    if "while scanning a quoted scalar" in (error.context or "") and error.context_mark is not None:
        # Point at the quote that is never closed, not at the end of the file where YAML gave up.
        opening = error.context_mark
        return YamlError("a quote is opened here but never closed", Position(file, opening.line + 1,
                                                                             opening.column + 1),
                         hint="add the closing quote at the end of the value")
    closed_value = before.endswith(("\"", "'", "]", "}")) and before.lstrip() != before[-1:]
    if "expected <block end>" in problem and closed_value:
        return YamlError(
            "the value ends with its closing quote or bracket, but more text follows on the line", position,
            hint="a value that starts with a quote, '{' or '[' must end there; to write more, put the whole "
                 "value in single quotes, e.g. '{WGA, ZW} == {WGA}' or '\"a\" text'")
    if "\\t" in problem or "\t" in problem:
        problem = "a tab character is used for indentation"
        hint = "YAML indentation must use spaces; replace the tab by spaces"
    elif "mapping values are not allowed" in problem:
        problem = "a ':' appears where YAML does not expect one"
        hint = ("check the indentation of this line against the line above, "
                "or put the value in quotes if it contains ': '")
    elif "could not find expected ':'" in problem:
        hint = "a line is missing its 'key: value' colon, or a quote is not closed"
    elif "found unexpected end of stream" in problem or "while scanning a quoted scalar" in (error.context or ""):
        problem = "a quote is opened but never closed"
        hint = "add the closing quote at the end of the value"
    elif "expected <block end>" in problem or "did not find expected key" in (error.problem or ""):
        problem = "the indentation of this line does not match the lines around it"
        hint = "align this key with the other keys of the same block (spaces only)"
        above = _line_above(error.problem_mark)
        if above is not None:
            # YAML notices only here, but the odd one out is often the line above.
            line, column = above
            hint = (f"check the indentation: line {line} starts at column {column}, this line at column "
                    f"{mark.column + 1}; align the keys of one block (spaces only)")
    return YamlError(problem, position, hint)


def _line_above(mark) -> tuple[int, int] | None:
    """The nearest line above with text, when it is indented further than the problem line."""
    if mark is None or mark.buffer is None:
        return None
    lines = mark.buffer.split("\n")
    here = len(lines[mark.line]) - len(lines[mark.line].lstrip(" ")) if mark.line < len(lines) else 0
    for number in range(mark.line - 1, -1, -1):
        text = lines[number]
        if text.strip() and not text.lstrip().startswith("#"):
            indent = len(text) - len(text.lstrip(" "))
            return (number + 1, indent + 1) if indent > here else None
    return None


def _build(node: yaml.Node, path: Path_, document: Document) -> Any:
    document.built += 1
    if document.built > MAX_YAML_NODES:
        raise YamlError(f"the file expands to more than {MAX_YAML_NODES:,} values",
                        document._position_at(node.start_mark.index),
                        hint="an anchor (&) used many times through aliases (*) multiplies its values; "
                             "write the values out or use fewer aliases")
    if len(path) > MAX_YAML_DEPTH:
        raise YamlError(f"the lists and mappings are nested more than {MAX_YAML_DEPTH} deep",
                        document._position_at(node.start_mark.index), hint="flatten the structure")
    document.value_nodes[path] = node
    if isinstance(node, yaml.MappingNode):
        return _build_mapping(node, path, document)
    if isinstance(node, yaml.SequenceNode):
        if node.tag != _SEQ:
            raise _tag_error(node, document)
        return [_build(item, path + (index,), document) for index, item in enumerate(node.value)]
    return _scalar(node, document)


def _build_mapping(node: yaml.MappingNode, path: Path_, document: Document) -> dict:
    if node.tag != _MAP:
        raise _tag_error(node, document)
    result: dict[str, Any] = {}
    for key_node, value_node in node.value:
        if not isinstance(key_node, yaml.ScalarNode):
            raise YamlError("a key must be a plain word, not a list or a mapping",
                            document._position_at(key_node.start_mark.index))
        if key_node.tag == "tag:yaml.org,2002:merge":
            raise YamlError("YAML merge keys ('<<') are not supported in the catalogue",
                            document._position_at(key_node.start_mark.index),
                            hint="write the keys out in full")
        key = str(key_node.value)
        if key in result:
            first = document.key_nodes[path + (key,)]
            raise YamlError(
                f"the key '{key}' appears twice in the same block "
                f"(first on line {first.start_mark.line + 1})",
                document._position_at(key_node.start_mark.index),
                hint="remove or rename one of them; YAML would silently keep only the last")
        document.key_nodes[path + (key,)] = key_node
        result[key] = _build(value_node, path + (key,), document)
    return result


def _scalar(node: yaml.ScalarNode, document: Document) -> Any:
    value = node.value
    if node.tag == _STR or node.tag == _TIMESTAMP:
        # Dates stay text: the catalogue parses them itself, with better messages.
        return value
    if node.tag == _INT:
        digits = value.replace("_", "")
        # ASCII decimal only: '010' is ten to a reader, not YAML 1.1's octal eight, and '0x10' or
        # '1:30' (base 60) stay text, which a number fact then refuses with a message; so do digits
        # too long to be a number of the domain (and too long for int()).
        if _DECIMAL_INT.fullmatch(digits) and len(digits) <= MAX_NUMBER_CHARS:
            return int(digits)
        return value
    if node.tag == _FLOAT:
        if not _DECIMAL_FLOAT.fullmatch(value.replace("_", "")):
            return value  # .nan, .inf, base 60: text, refused where a number is needed
        try:
            return Decimal(value.replace("_", ""))  # never float: money must stay exact
        except InvalidOperation:
            return value
    if node.tag == _BOOL:
        return value.lower() in ("true", "yes", "on", "y")
    if node.tag == _NULL:
        return None
    raise _tag_error(node, document)


def _tag_error(node: yaml.Node, document: Document) -> YamlError:
    tag = node.tag
    if tag.startswith("tag:yaml.org,2002:"):
        tag = "!!" + tag[len("tag:yaml.org,2002:"):]  # as it was written
    return YamlError(f"the YAML tag '{tag}' is not allowed in the catalogue",
                     document._position_at(node.start_mark.index),
                     hint="remove the '!' tag; the catalogue only uses plain YAML values")


def card_paths(root: Path) -> list[Path]:
    """The card files of a catalogue, in the order they are loaded (test files are not cards)."""
    return [path for path in sorted((root / "products").rglob("*.yaml")) if not path.name.endswith(".tests.yaml")]


def catalogue_hash(root: Path, contents: dict[Path, bytes]) -> str:
    """The catalogue's fingerprint in receipts: every file it was loaded from, by name and content."""
    digest = hashlib.sha256()
    for path in sorted(contents):
        digest.update(path.relative_to(root).as_posix().encode() + b"\0")
        digest.update(contents[path] + b"\0")
    return digest.hexdigest()


def display_path(path: Path) -> str:
    """A path as the user should see it: relative to the working directory when inside it."""
    try:
        relative = os.path.relpath(path)
    except ValueError:
        return str(path)
    return str(path) if relative.startswith("..") else relative


def expression_text(value: Any) -> str:
    """A YAML scalar as the rule language writes it: YAML reads `true` as a bool, the language as a word."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)
