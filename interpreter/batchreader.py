"""Reading a batch's cases: CSV or JSON Lines rows, streamed in chunks, each with its row and line number."""
from __future__ import annotations

import codecs
import csv
from itertools import chain
from typing import BinaryIO, Iterator, NamedTuple

from .cases import RULES_ON, convert_facts
from .errors import CaseError, Position, raise_all
from .limits import MAX_COLUMNS

# Rows per task for a worker: large enough that sending a chunk costs little next to evaluating it,
# small enough that the progress bar moves and memory stays flat.
CHUNK_ROWS = 2000

DELIMITERS = (",", ";", "\t")


class Unreadable(NamedTuple):
    """A row the reader already knows to be bad (not UTF-8, not CSV); the worker reports it."""

    message: str
    hint: str | None



class _Lines:
    """The physical lines of a binary stream as text. Lines that are not UTF-8 are decoded with
    replacement characters and their numbers remembered, so that only their rows go bad."""

    def __init__(self, stream: BinaryIO, file: str):
        self.stream = stream
        self.file = file
        self.undecodable: list[int] = []
        self.number = 0  # of the line last read

    def __iter__(self) -> Iterator[str]:
        lines = iter(self.stream)
        number = 0
        while True:
            try:
                raw = next(lines)
            except StopIteration:
                return
            except OSError as error:
                raise CaseError(f"cannot read '{self.file}': {error.strerror or error}",
                                Position(self.file, number + 1, 1)) from None
            number = self.number = number + 1
            if number == 1 and raw.startswith(codecs.BOM_UTF8):
                raw = raw[len(codecs.BOM_UTF8):]  # spreadsheets write one before the header
            try:
                yield raw.decode("utf-8")
            except UnicodeDecodeError:
                self.undecodable.append(number)
                yield raw.decode("utf-8", "replace")


class _Pushback:
    """An iterator of lines that can be given back one line, for the CSV reader to start from."""

    def __init__(self, lines: Iterator[str]):
        self.lines = lines
        self.back: str | None = None

    def __iter__(self) -> "_Pushback":
        return self

    def __next__(self) -> str:
        if self.back is not None:
            line, self.back = self.back, None
            return line
        return next(self.lines)


class CaseReader:
    """Rows of a cases file, in chunks of (row, line, payload) for the evaluation.

    The payload is the text of a CSV line without quotes (the worker splits it: most rows, and
    cheaper to send than cells), the cells of a CSV row with quotes (parsed here, since a quoted
    cell may span lines), the text of a JSON line, or Unreadable.
    A CSV header is read and checked when the reader is made: an unknown column stops the run
    before anything is evaluated.
    """

    def __init__(self, stream: BinaryIO, file: str, input_format: str | None, vocabulary, id_column: str):
        self.stream = stream
        self.file = file
        self.lines = _Lines(stream, file)
        self.id_column = id_column
        self._text = iter(self.lines)
        first = self._first_lines()
        self.format = input_format or _sniff(first)
        self._text = chain(first, self._text)
        self.header: list[str] = []
        self.delimiter = ","
        self._seekable = _seekable(stream)
        if self.format == "csv":
            self._read_header(first, vocabulary)

    def _first_lines(self) -> list[str]:
        """The lines up to the first one with text (what the format and the delimiter are judged by)."""
        first = []
        for line in self._text:
            first.append(line)
            if line.strip():
                break
        return first

    def _read_header(self, first: list[str], vocabulary) -> None:
        if not first or not first[-1].strip():
            raise CaseError(f"'{self.file}' is empty", Position(self.file, 1, 1),
                            hint="a CSV file of cases starts with a header row of fact names, "
                                 "e.g. id,registered_on,price")
        self.delimiter = _delimiter(first[-1])
        self._pushback = _Pushback(self._text)
        self._csv = csv.reader(self._pushback, delimiter=self.delimiter)
        try:
            header = next(self._csv)
            while not any(cell.strip() for cell in header):  # blank lines before the header
                header = next(self._csv)
        except csv.Error as error:
            raise CaseError(f"the header is not a CSV row: {error}", Position(self.file, self.lines.number, 1),
                            hint="check the quotes on this line") from None
        line = self._csv.line_num
        if len(header) > MAX_COLUMNS:
            raise CaseError(f"the header has {len(header):,} columns, more than {MAX_COLUMNS:,}",
                            Position(self.file, line, 1), hint="a case has one column per fact, and an id")
        self.header = [name.strip() for name in header]
        columns = cell_columns(header, self.delimiter)
        problems, seen = [], set()
        for index, name in enumerate(self.header):
            where = Position(self.file, line, columns[index])
            if not name:
                problems.append(CaseError(f"column {index + 1} of the header has no name", where,
                                          hint="name every column after a fact, or remove the empty column"))
            elif name in seen:
                problems.append(CaseError(f"the column '{name}' appears twice in the header", where,
                                          hint="keep one column per fact"))
            elif name not in (self.id_column, RULES_ON) and name not in vocabulary.facts:
                problems.append(_unknown_column(name, where, vocabulary, self.id_column))
            seen.add(name)
        raise_all(problems)

    def position(self) -> int | None:
        """How many bytes of the file have been read (for the progress bar); None for a pipe."""
        return self.stream.tell() if self._seekable else None

    def chunks(self, size: int = CHUNK_ROWS) -> Iterator[tuple[list[tuple], int | None]]:
        rows = self._csv_rows() if self.format == "csv" else self._json_rows()
        chunk = []
        for record in rows:
            chunk.append(record)
            if len(chunk) >= size:
                yield chunk, self.position()
                chunk = []
        if chunk:
            yield chunk, self.position()

    def _csv_rows(self) -> Iterator[tuple]:
        lines, reader, pushback = self.lines, self._csv, self._pushback
        undecodable = lines.undecodable
        blank = " \t\r\n" + self.delimiter
        row = 0
        for text in self._text:
            line = lines.number
            if '"' in text:  # quoted cells, perhaps over several lines: the CSV reader reads them
                pushback.back = text
                try:
                    payload = next(reader)
                except csv.Error as error:
                    payload = Unreadable(f"not a CSV row: {error}", "check the quotes on this line")
                else:
                    if not any(payload):
                        continue
            elif not text.strip(blank):
                continue  # a blank line, or a row of empty cells as spreadsheets leave at the end
            else:
                payload = text
            row += 1
            if undecodable and undecodable[-1] >= line:
                yield row, line, _not_utf8([n for n in undecodable if n >= line])
                undecodable.clear()
                continue
            yield row, line, payload

    def _json_rows(self) -> Iterator[tuple]:
        undecodable = self.lines.undecodable
        row = 0
        for line, text in enumerate(self._text, start=1):
            if not text or text.isspace():
                continue
            row += 1
            if undecodable and undecodable[-1] == line:
                yield row, line, _not_utf8([line])
                undecodable.clear()
                continue
            yield row, line, text


def _sniff(first: list[str]) -> str:
    """The format of standard input: JSON Lines when the first text is an object, else CSV."""
    return "jsonl" if first and first[-1].lstrip().startswith("{") else "csv"


def _delimiter(header: str) -> str:
    """',' unless the header is separated by ';' (as spreadsheets write CSV in Dutch) or tabs."""
    counts = {delimiter: header.count(delimiter) for delimiter in DELIMITERS}
    best = max(DELIMITERS, key=counts.__getitem__)
    return best if counts[best] else ","


def _seekable(stream) -> bool:
    try:
        return stream.seekable()
    except (AttributeError, OSError, ValueError):
        return False


def _not_utf8(lines: list[int]) -> Unreadable:
    which = f"line {lines[0]} is" if len(lines) == 1 else "lines " + ", ".join(map(str, lines)) + " are"
    return Unreadable(f"{which} not UTF-8 text",
                       "save the file as UTF-8 (in Excel: 'CSV UTF-8'); the other rows are read as they are")


def _unknown_column(name: str, where: Position, vocabulary, id_column: str) -> CaseError:
    try:  # the case files' own message, with its "did you mean"
        convert_facts({name: None}, vocabulary)
    except CaseError as error:
        message = error.message
    else:  # pragma: no cover - convert_facts refuses every name that is not a fact
        message = f"unknown fact '{name}'"
    return CaseError(f"{message}: the column is not a fact", where,
                     hint=f"the facts are listed in catalogue/facts.yaml; the column '{id_column}' holds "
                          "each case's id (name another one with --id-column)")


def cell_columns(cells: list[str], delimiter: str) -> list[int]:
    """Where each cell starts on its line, counting the quotes a cell with special characters needs
    (all of them in one pass: a row with many wrong cells must not cost the square of its length)."""
    columns, column = [], 1
    for cell in cells:
        columns.append(column)
        quoted = any(c in cell for c in (delimiter, '"', "\n", "\r"))
        column += len(cell) + 1 + (2 + cell.count('"') if quoted else 0)
    return columns
