"""Evaluate one product for many cases: read CSV or JSON Lines rows, write one result row per case."""
from __future__ import annotations

import datetime as dt
import json
import os
import sys
import time
from collections import deque
from contextlib import closing
from dataclasses import dataclass, field
from decimal import Decimal
from itertools import chain
from pathlib import Path
from typing import Any, BinaryIO, Callable, Iterator, NamedTuple


from .batchreader import CHUNK_ROWS, CaseReader, cell_columns
from .cases import case_fields, cell_converter, convert_facts, value_converter
from .errors import CaseError, CatalogueError, ErrorList, Position
from .files import AtomicFile
from .limits import LAST_DATE, MAX_ROW_CHARS
from .problems import row_problem
from .jsonrows import JsonRows
from .rows import (SIGNAL_COLUMNS, ResultRows, SignalRows, csv_text, json_line_parts, result_columns, rule_ids,
                   signal_objects)

# File formats by extension. A .json file holds one document, not one case per line: refused by name.
FORMATS = {".csv": "csv", ".jsonl": "jsonl", ".ndjson": "jsonl"}

_JSON = json.JSONDecoder(parse_float=Decimal, parse_constant=str)  # exact money; NaN stays text, so it is refused


def file_format(path: str | Path) -> str | None:
    """'csv' or 'jsonl' by the file's extension; None when the extension is not one of FORMATS."""
    return FORMATS.get(Path(path).suffix.lower())


# -- the outcome ---------------------------------------------------------------------------------

@dataclass(frozen=True)
class BadRow:
    """A case that could not be evaluated: the cases file, its row (data rows count from 1), first line,
    id, and the error (an ErrorList when several cells are wrong; an evaluation error points into the card)."""

    file: str
    row: int
    line: int
    id: Any
    error: CatalogueError

    @property
    def errors(self) -> list[CatalogueError]:
        return self.error.errors if isinstance(self.error, ErrorList) else [self.error]

    @property
    def message(self) -> str:
        """The error column of the output."""
        return "; ".join(error.message for error in self.errors)

    def __reduce__(self):
        # An exception pickles only its message; from a worker the position and hint must come along.
        return (_bad_row, (self.file, self.row, self.line, self.id,
                           [(type(e), e.message, e.position, e.hint) for e in self.errors]))


def _bad_row(file, row, line, ident, errors) -> BadRow:
    restored = [kind(message, position, hint) for kind, message, position, hint in errors]
    return BadRow(file, row, line, ident, restored[0] if len(restored) == 1 else ErrorList(restored))


def _one(errors: list[CatalogueError]) -> CatalogueError:
    return errors[0] if len(errors) == 1 else ErrorList(errors)


@dataclass
class Summary:
    """What a run did, for the closing line on standard error."""

    out: Path
    receipt: dict[str, str]
    as_of: dt.date | None
    window_end: dt.date | None  # with --due-within: the last day of the window
    cases: int = 0
    evaluated: int = 0
    bad: int = 0
    listed: int = 0  # with --due-within: the deadlines written


class _Done(NamedTuple):
    """A chunk, evaluated: the output (UTF-8, encoded by the worker so the main process only writes it;
    or the list of bytes that make it up) and what went wrong, in input order."""

    text: bytes | list[bytes]
    cases: int
    evaluated: int
    listed: int
    bad: list[BadRow]




def _key_column(text: str, key: str) -> int:
    return text.find(json.dumps(key, ensure_ascii=False)) + 1 or 1


# -- the evaluation of a chunk (in this process or in a worker) ----------------------------------

@dataclass
class Job:
    """Everything a worker needs to evaluate chunks of rows into output text."""

    engine: Any
    code: str
    file: str  # the cases file as the user named it, for positions
    input_format: str
    output_format: str
    header: list[str]
    delimiter: str
    id_column: str
    as_of: dt.date
    due_within: int | None
    rules: dict[str, list[str]]  # rule_ids() of the product: the CSV columns
    rules_on: dt.date | None = None  # None: each case's own (see Engine.dates)
    problem_rows: bool = False  # JSON Lines: a bad row as a problem object (RFC 9457), as the service gives it
    root: Path = field(init=False)
    backend: str = field(init=False)

    def __post_init__(self):
        self.root = self.engine.catalogue.root
        self.backend = getattr(self.engine, "backend", "compiled")
        self._prepared = False

    def __getstate__(self):
        # A spawned worker loads the catalogue itself; converters are closures and are made again.
        state = {key: value for key, value in self.__dict__.items() if not key.startswith("_")}
        state["engine"] = None
        return state

    def __setstate__(self, state):
        self.__dict__.update(state)
        self._prepared = False

    @property
    def window_end(self) -> dt.date | None:
        if self.due_within is None:
            return None
        if (LAST_DATE - self.as_of).days <= self.due_within:
            return LAST_DATE  # the window reaches the last day there is
        return self.as_of + dt.timedelta(days=self.due_within)

    def prepare(self) -> None:
        """Load what evaluating needs, once per process: the engine, a converter per column."""
        if self._prepared:
            return
        if self.engine is None:
            from .api import Engine
            self.engine = Engine(self.root, backend=self.backend)
        vocabulary = self.engine.catalogue.vocabulary
        self._evaluate = self.engine.evaluator(self.code, self.rules_on)
        if self.input_format == "csv":
            self._id_at = self.header.index(self.id_column) if self.id_column in self.header else None
            fields = case_fields(vocabulary)
            self._converters = [(index, name, cell_converter(fields[name], vocabulary))
                                for index, name in enumerate(self.header) if name != self.id_column]
            self._read = self._read_cells
        else:
            self._converters = {name: value_converter(fact, vocabulary)
                                for name, fact in case_fields(vocabulary).items()}
            self._read = self._read_object
        signal = self.due_within is not None
        if self.output_format == "csv":
            self._rows = SignalRows() if signal else ResultRows(self.rules)
        else:
            self._rows = None
            self._objects = signal_objects if signal else JsonRows().result
        self._prepared = True

    def head(self) -> bytes:
        """The output's first line: the CSV header (JSON Lines has none)."""
        if self.output_format != "csv":
            return b""
        return csv_text([SIGNAL_COLUMNS if self.due_within is not None else result_columns(self.rules)]).encode()

    def run(self, records: list[tuple], joined: bool = True) -> _Done:
        """Evaluate a chunk; bad rows become error rows and reports, never an exception. Not `joined`: the
        text is a list of the bytes that make it up (a worker hands them to the file as they are)."""
        self.prepare()
        evaluate, as_of, end = self._evaluate, self.as_of, self.window_end
        read, bad, out = self._read, [], []
        evaluated = listed = 0
        as_csv = self._rows is not None
        make = self._rows.result if as_csv else self._objects
        for row, line, payload in records:
            ident, facts, error = read(line, payload)
            if error is None:
                try:
                    result = evaluate(facts, as_of)
                except CatalogueError as problem:
                    error = problem
                except ArithmeticError:  # e.g. an amount of 1e999999 overflows: that row is bad, not the run
                    error = CaseError("a number of the case is too large or too precise to compute with",
                                      Position(self.file, line, 1), hint="check the amounts and numbers of this case",
                                      code="number-out-of-range")
            if error is not None:
                problem = BadRow(self.file, row, line, ident, error)
                bad.append(problem)
                out.append(self._rows.error(row, ident, problem.message) if as_csv
                           else row_problem(row, line, ident, error) if self.problem_rows
                           else {"row": row, "id": ident, "error": problem.message})
                continue
            evaluated += 1
            made = make(row, ident, result, as_of, end)
            listed += len(made)
            out.extend(made)
        # A lone surrogate (an id "\ud800" in JSON) is no UTF-8: written as its escape, \ud800, which
        # JSON reads back as the same string.
        if as_csv:
            data = csv_text(out, guarded=True).encode("utf-8", "backslashreplace")  # ResultRows, SignalRows
            data = data if joined else [data]
        else:
            data = json_line_parts(out)
            data = b"".join(data) if joined else data
        return _Done(data, len(records), evaluated, listed if end is not None else 0, bad)

    def _read_cells(self, line: int, cells) -> tuple[Any, dict | None, CatalogueError | None]:
        if type(cells) is str:  # a line without quotes: its cells are what lies between the delimiters
            if len(cells) > MAX_ROW_CHARS:
                return None, None, _too_long(self.file, line, len(cells))
            cells = cells.rstrip("\r\n").split(self.delimiter)
        elif type(cells) is not list:
            return None, None, CaseError(cells.message, Position(self.file, line, 1), cells.hint)
        at = self._id_at
        ident = (cells[at].strip() or None) if at is not None and at < len(cells) else None
        if len(cells) != len(self.header):
            return ident, None, CaseError(
                f"the row has {len(cells)} cells, the header {len(self.header)} columns",
                Position(self.file, line, 1),
                hint=f"separate the cells with '{self.delimiter}' and put quotes around a cell that contains one")
        facts, problems, columns = {}, [], None
        for index, name, convert in self._converters:
            cell = cells[index].strip()
            if cell:  # an empty cell: the fact is not known
                try:
                    facts[name] = convert(cell)
                except CaseError as error:  # every wrong cell of the row, so that one fix does for all
                    columns = columns or cell_columns(cells, self.delimiter)
                    error.position = Position(self.file, line, columns[index])
                    problems.append(error)
        return (ident, None, _one(problems)) if problems else (ident, facts, None)

    def _read_object(self, line: int, text) -> tuple[Any, dict | None, CatalogueError | None]:
        if type(text) is not str:
            return None, None, CaseError(text.message, Position(self.file, line, 1), text.hint)
        if len(text) > MAX_ROW_CHARS:
            return None, None, _too_long(self.file, line, len(text))
        try:
            data = _JSON.decode(text)
        except ValueError as error:
            return None, None, CaseError(f"not a JSON object: {getattr(error, 'msg', error)}",
                                         Position(self.file, line, getattr(error, "colno", 1)), hint=_JSON_HINT,
                                         code="malformed-json")
        except RecursionError:
            return None, None, CaseError("not a case: the JSON is nested far too deep", Position(self.file, line, 1),
                                         hint=_JSON_HINT, code="malformed-json")
        if not isinstance(data, dict):
            return None, None, CaseError("a line must hold one JSON object of facts", Position(self.file, line, 1),
                                         hint=_JSON_HINT, code="not-an-object")
        ident = data.pop(self.id_column, None)
        converters, facts, problems = self._converters, {}, []
        for name, raw in data.items():
            convert = converters.get(name)
            try:
                if convert is None:
                    convert_facts({name: raw}, self.engine.catalogue.vocabulary)  # raises: unknown fact
                elif raw is not None:  # null: written but not known yet
                    facts[name] = convert(raw)
            except CaseError as error:
                error.position = Position(self.file, line, _key_column(text, name))
                error.fact = name
                problems.append(error)
        return (ident, None, _one(problems)) if problems else (ident, facts, None)


def _too_long(file: str, line: int, length: int) -> CaseError:
    return CaseError(f"the row has {length:,} characters, more than {MAX_ROW_CHARS:,}", Position(file, line, 1),
                     hint="a case has one value per fact; check that the line breaks are where they belong")


_JSON_HINT = 'write one case per line as a JSON object, e.g. {"id": "c1", "registered_on": "2016-04-01", "price": 4000}'


# -- the worker pool -----------------------------------------------------------------------------

_WORKER_JOB: Job | None = None
_WORKER_OUT: "_OrderedWrites | None" = None
_WORKER_STOP = None  # a shared flag the main process raises when the run stops early


class _WorkerLost(CatalogueError):
    """A worker died (killed, out of memory) with a chunk in hand."""


class _Abandoned(Exception):
    """The run stopped before this chunk's turn: it is neither evaluated nor written."""


def _start_worker(job: Job, out: "_OrderedWrites | None", stop) -> None:
    """Pool initializer: Ctrl-C is the main process's to handle; the job (and engine) made once."""
    import signal

    global _WORKER_JOB, _WORKER_OUT, _WORKER_STOP
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    job.prepare()
    _WORKER_JOB, _WORKER_OUT, _WORKER_STOP = job, out, stop


def _run_chunk(records: list[tuple], index: int = 0) -> _Done:
    if _WORKER_STOP.value:  # queued before the run stopped: the pool only has to get through it
        raise _Abandoned()
    if _WORKER_OUT is None:
        return _WORKER_JOB.run(records)
    parts: list[bytes] = []
    try:
        done = _WORKER_JOB.run(records, joined=False)
        parts = done.text
    finally:  # the next chunk waits for this one's place in the file, even when this one failed
        _WORKER_OUT.write(index, parts)
    return done._replace(text=b"")


class _OrderedWrites:
    """The workers write their chunks into the output file themselves, each at its place in input order.

    A JSON Lines chunk is megabytes: sending it to the main process to be written costs more copies of it
    than encoding it. A worker only waits, briefly, for the chunk before its own to claim its bytes; then
    the two write side by side. Needs a forked worker, which inherits the open file. When the run stops
    early (`stop` raised), nobody waits for a turn that may never come."""

    # A waiting worker looks at `stop` at least this often, even if a notification is lost with a
    # worker that died holding the lock.
    POLL_SECONDS = 1.0

    def __init__(self, context, fd: int, start: int, stop=None):
        self.fd = fd
        self.turn = context.Value("q", 0, lock=False)  # the index of the next chunk to claim its place
        self.end = context.Value("q", start, lock=False)  # where the next chunk goes
        self.stop = stop if stop is not None else context.Value("b", 0, lock=False)
        self.changed = context.Condition()
        # One worker writes at a time. Two processes writing one file at once contend for its inode lock,
        # and the kernel spins for it: on a million JSON Lines rows (7.6 GB) that doubled the system time
        # of the writes. A worker that waits here sleeps instead; the other goes on evaluating meanwhile.
        self.writing = context.Lock()

    def abandon(self) -> None:
        """Wake every worker waiting for its turn: the run has stopped."""
        self.stop.value = 1
        if self.changed.acquire(timeout=self.POLL_SECONDS):  # not forever: its holder may have died
            try:
                self.changed.notify_all()
            finally:
                self.changed.release()

    def write(self, index: int, parts: list[bytes]) -> None:
        size = sum(map(len, parts))
        with self.changed:
            while self.turn.value != index:
                if self.stop.value:
                    raise _Abandoned()
                self.changed.wait(self.POLL_SECONDS)
            at = self.end.value
            self.end.value = at + size
            self.turn.value = index + 1
            self.changed.notify_all()
        while not self.writing.acquire(timeout=self.POLL_SECONDS):  # its holder may have died
            if self.stop.value:
                raise _Abandoned()
        try:
            _write_parts(self.fd, parts, at)
        finally:
            self.writing.release()


def _write_parts(fd: int, parts: list[bytes], at: int) -> int:
    """The parts written into the file at `at`, in order; where they end. Gathered by the kernel straight
    from the parts: the chunk is never copied into one piece here."""
    for start in range(0, len(parts), _IOV_MAX):
        group = parts[start:start + _IOV_MAX]
        expected = sum(map(len, group))
        written = os.pwritev(fd, group, at)
        if written < expected:  # a short write: the rest in one piece
            rest = memoryview(b"".join(group))[written:]
            while rest:
                more = os.pwrite(fd, rest, at + written)
                rest, written = rest[more:], written + more
        at += expected
    return at


def _iov_max() -> int:
    """How many pieces one pwritev may take (POSIX promises 16; Linux allows 1024)."""
    try:
        limit = os.sysconf("SC_IOV_MAX")
    except (AttributeError, ValueError, OSError):
        return 16
    return min(limit, 1024) if limit > 0 else 16


_IOV_MAX = _iov_max()


def default_jobs() -> int:
    """The CPUs this process may use."""
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return os.cpu_count() or 1


def _pool_context():
    import multiprocessing

    # fork starts a worker with the catalogue already loaded; macOS's system libraries make it unsafe there.
    if sys.platform != "darwin" and "fork" in multiprocessing.get_all_start_methods():
        return multiprocessing.get_context("fork")
    return multiprocessing.get_context()


def _evaluated(job: Job, chunks: Iterator, jobs: int, sink: "AtomicFile | None" = None
               ) -> Iterator[tuple[_Done, int | None]]:
    """Each chunk evaluated, in input order: in this process, or by `jobs` workers. With a sink and forked
    workers, the workers write their chunks into it themselves (the text of a _Done is then empty)."""
    chunks = iter(chunks)
    first = next(chunks, None)
    if first is None:
        return
    second = next(chunks, None)
    if jobs <= 1 or second is None:  # one chunk is done before a pool would have started
        yield from _evaluated_here(job, chain([first], [second] if second else [], chunks), sink)
        return
    job.prepare()  # before the fork, so that the workers inherit it
    context = _pool_context()
    stop = context.Value("b", 0, lock=False)
    out = _OrderedWrites(context, *sink.handover(), stop) if sink is not None and _forks(context) else None
    pool = context.Pool(jobs, initializer=_start_worker, initargs=(job, out, stop))
    workers = list(pool._pool)  # as started: a worker that exits before the pool closes has died
    pending: deque = deque()

    def oldest() -> tuple[_Done, int | None]:
        done, position = pending[0]  # pending until it has come: a stop waits for it, or for its lost worker
        outcome = _outcome(done, sink, workers, job.file)
        pending.popleft()
        return outcome, position

    try:
        for index, (records, position) in enumerate(chain([first, second], chunks)):
            pending.append((pool.apply_async(_run_chunk, (records, index)), position))
            # A few chunks ahead keep every worker busy; more would only fill memory.
            if len(pending) > 2 * jobs:
                yield oldest()
        while pending:
            yield oldest()
    except _WorkerLost:
        _stop_pool(pool, pending, out, stop, patience=_OrderedWrites.POLL_SECONDS)
        raise
    except BaseException:  # a failed chunk, a failed write, Ctrl-C, or the reader of this generator gone
        _stop_pool(pool, pending, out, stop, patience=STOP_SECONDS)
        raise
    pool.close()
    pool.join()
    if out is not None:
        sink.take_back(out.end.value)


def _evaluated_here(job: Job, chunks: Iterator, sink: "AtomicFile | None") -> Iterator[tuple[_Done, int | None]]:
    """Each chunk evaluated in this process. A JSON Lines chunk is megabytes, nearly all of it the kept bytes
    of the rows' constant parts: it goes to the file as its pieces, as the workers write theirs, rather than
    joined into a new buffer first (a copy, and fresh pages for the kernel to map every chunk)."""
    if sink is None or job.output_format == "csv" or not hasattr(os, "pwritev"):
        for records, position in chunks:
            yield job.run(records), position
        return
    fd, at = sink.handover()
    for records, position in chunks:
        done = job.run(records, joined=False)
        try:
            at = _write_parts(fd, done.text, at)
        except OSError as error:  # the disk is full
            raise _write_error(sink.path, error) from None
        yield done._replace(text=b""), position
    sink.take_back(at)


# How long a stopped run waits for its workers to finish the chunk in hand before killing them.
STOP_SECONDS = 30.0


def _stop_pool(pool, pending: deque, out: "_OrderedWrites | None", stop, patience: float) -> None:
    """End the pool of a run that stopped early, without hanging.

    Pool.terminate can hang while its task thread is stuck feeding chunks to workers that wait for a
    turn that will never come. So: raise the stop flag (queued chunks are skipped, waiting workers
    give up), let the chunks in hand finish, join; terminate only what is still running after that."""
    stop.value = 1
    if out is not None:
        out.abandon()
    pool.close()
    deadline = time.monotonic() + patience
    for done, _ in pending:
        done.wait(max(0.0, deadline - time.monotonic()))
    if all(done.ready() for done, _ in pending):
        pool.join()
    else:  # a chunk still running, or lost with a dead worker
        pool.terminate()


def _outcome(done, sink: "AtomicFile | None", workers: list, file: str) -> _Done:
    while not done.ready():
        # Pool hands a dead worker's chunk to nobody, and its result would never come: look for the dead.
        done.wait(_OrderedWrites.POLL_SECONDS)
        lost = [worker.exitcode for worker in workers if worker.exitcode is not None]
        if lost and not done.ready():
            raise _WorkerLost(f"a worker process stopped unexpectedly (exit code {lost[0]}); the run is stopped",
                              Position(file, 1, 1), hint="the machine may be out of memory: try fewer --jobs")
    try:
        return done.get()
    except OSError as error:  # a worker's write into the file (the disk is full)
        if sink is None:
            raise
        raise _write_error(sink.path, error) from None


def _forks(context) -> bool:
    """Whether workers start as forks of this process (inheriting the open output file) and can write it."""
    return context.get_start_method() == "fork" and hasattr(os, "pwritev")


# -- the output file -----------------------------------------------------------------------------

def _write_error(path: Path, error: OSError) -> CatalogueError:
    return CatalogueError(f"cannot write '{path}': {error.strerror or error}", Position(str(path), 1, 1),
                          hint="check that the folder exists and that you may write to it")


# -- the run -------------------------------------------------------------------------------------

def open_cases(cases: str, stdin: BinaryIO | None) -> BinaryIO:
    """The cases file as a binary stream ('-': standard input)."""
    if cases == "-":
        return stdin if stdin is not None else sys.stdin.buffer
    where = Position(cases, 1, 1)
    path = Path(cases)
    if path.is_dir():
        raise CaseError(f"'{cases}' is a folder, not a file of cases", where,
                        hint="give a .csv or .jsonl file with a case per row")
    try:
        return open(path, "rb", buffering=1 << 20)
    except FileNotFoundError:
        raise CaseError(f"the cases file '{cases}' does not exist", where) from None
    except OSError as error:
        raise CaseError(f"cannot read '{cases}': {error.strerror or error}", where) from None


def run_batch(engine, code: str, cases: str, out: Path, *, as_of: dt.date | None = None,
              rules_on: dt.date | None = None, due_within: int | None = None, id_column: str = "id", jobs: int = 1,
              stdin: BinaryIO | None = None,
              on_bad_row: Callable[[BadRow], None] | None = None,
              on_progress: Callable[[int | None, int], None] | None = None,
              chunk_rows: int = CHUNK_ROWS) -> Summary:
    """Evaluate product `code` for every case in `cases` and write the results to `out`.

    The output format follows `out`'s extension, the input's that of `cases` ('-' reads `stdin`, JSON
    Lines when its first text is an object, else CSV). Every case is judged on `as_of` (default today)
    under the rules of `rules_on` (default: each case's own, see Engine.dates). With `due_within`, only
    the open deadlines due from `as_of` to `due_within` days later are written. A bad row is written as
    an error row and passed to `on_bad_row`; anything that stops the run raises a CatalogueError,
    and then no output file is left behind.
    """
    output_format = file_format(out)
    if output_format is None:
        raise ValueError(f"unknown output format: {out}")
    if as_of is None:
        as_of = dt.date.today()
    engine.product(code, rules_on)  # an unknown product, or no edition on --rules-on: stop before reading
    editions = engine.catalogue.editions(code)
    display = "<stdin>" if cases == "-" else cases
    stream = open_cases(cases, stdin)
    try:
        reader = CaseReader(stream, display, None if cases == "-" else file_format(cases),
                            engine.catalogue.vocabulary, id_column)
        job = Job(engine, code, display, reader.format, output_format, reader.header, reader.delimiter,
                  id_column, as_of, due_within, rule_ids(editions), rules_on)
        summary = Summary(out, engine.receipt, as_of, job.window_end)
        with AtomicFile(out, on_error=_write_error) as sink, \
                closing(_evaluated(job, reader.chunks(chunk_rows), jobs, sink)) as evaluated:
            sink.write(job.head())  # before the pool starts: the first chunk goes after it
            for done, position in evaluated:
                sink.write(done.text)
                summary.cases += done.cases
                summary.evaluated += done.evaluated
                summary.listed += done.listed
                summary.bad += len(done.bad)
                if on_bad_row:
                    for bad in done.bad:
                        on_bad_row(bad)
                if on_progress:
                    on_progress(position, summary.cases)
    finally:
        if cases != "-":
            stream.close()
    return summary
