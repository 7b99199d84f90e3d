"""The `catalogue` command line: the only place that turns results and errors into text and exit codes."""
from __future__ import annotations

import datetime as dt
import json
import os
import sys
import warnings
from pathlib import Path

import click

from interpreter import __version__
from interpreter.api import BACKENDS, Engine
from interpreter.catalogue import default_root
from interpreter.errors import CatalogueError, ErrorList, Position, RuleSyntaxError, source_excerpt
from interpreter.limits import MAX_DOCUMENT_CHARS, MAX_DUE_WITHIN, MAX_JOBS
from interpreter.parser import parse_date
from interpreter.printer import to_text as expression_text
from interpreter.results import to_json
from interpreter.yamlsource import display_path

# Usage errors exit 2: click does that itself.
EXIT_OK, EXIT_BAD_INPUT = 0, 1


def _fail(error: CatalogueError) -> None:
    """Print every problem as file:line:col: message, and stop with exit code 1."""
    errors = error.errors if isinstance(error, ErrorList) else [error]
    for item in errors:
        click.echo(f"{item.position}: {item.message}", err=True)
        for line in source_excerpt(item.position):
            click.echo(f"    {line}", err=True)
        if item.hint:
            click.echo(f"    hint: {item.hint}", err=True)
    if len(errors) > 1:
        click.echo(f"{len(errors)} problems found", err=True)
    sys.exit(EXIT_BAD_INPUT)


def _engine(ctx: click.Context, whole: bool = False) -> Engine:
    """The engine on the chosen catalogue; `whole` loads and checks every card now (else per product)."""
    if "engine" not in ctx.obj:
        try:
            ctx.obj["engine"] = Engine(ctx.obj["catalogue"], backend=ctx.obj["backend"])
        except CatalogueError as error:
            _fail(error)
    if whole:
        try:
            ctx.obj["engine"].catalogue.load_whole()
        except CatalogueError as error:
            _fail(error)
    return ctx.obj["engine"]


class _IsoDate(click.ParamType):
    name = "DATE"

    def convert(self, value, param, ctx):
        if isinstance(value, dt.date):
            return value
        try:
            return parse_date(value, Position("<command line>", 1, 1))
        except RuleSyntaxError as error:
            self.fail(f"{error.message} ({error.hint})" if error.hint else error.message, param, ctx)
        except (ValueError, OverflowError) as error:  # e.g. year 0: well-formed but not a calendar date
            self.fail(f"'{value}' is not a date: {error}", param, ctx)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--catalogue", "catalogue", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="The catalogue folder (default: $CATALOGUE_DIR, else the bundled catalogue).")
@click.option("--backend", type=click.Choice(BACKENDS), default="compiled", show_default=True,
              help="How rules are evaluated: compiled to Python (fast), or by the reference tree walker "
                   "(--explain always uses the reference).")
@click.version_option(__version__, prog_name="catalogue")
@click.pass_context
def main(ctx: click.Context, catalogue: Path | None, backend: str) -> None:
    """Query the catalogue of re-integration products: deadlines, payments, reports and checks."""
    warnings.showwarning = _show_warning
    ctx.ensure_object(dict)
    ctx.obj["catalogue"] = catalogue or default_root()
    ctx.obj["backend"] = backend


def _show_warning(message, category, filename, lineno, file=None, line=None) -> None:
    """A warning (e.g. an untrusted cache folder) as one line on standard error, without Python's source line."""
    click.echo(f"warning: {message}", err=True)


@main.command()
@click.pass_context
def validate(ctx: click.Context) -> None:
    """Load and type-check every file of the catalogue; print each problem as file:line:col."""
    from interpreter.sheets import check_product

    engine = _engine(ctx, whole=True)
    catalogue = engine.catalogue
    # Every rule must read as a Dutch sentence on the product sheets; one that cannot is an error.
    problems = [problem for editions in catalogue.products.values() for product in editions
                for problem in check_product(product, catalogue.vocabulary)]
    if problems:
        _fail(ErrorList(problems))
    count = sum(len(editions) for editions in catalogue.products.values())
    click.echo(f"ok: {count} product cards, {len(catalogue.files)} files, catalogue {catalogue.hash[:16]}")


@main.command(name="list")
@click.option("--as-of", type=_IsoDate(), default=None, help="Only the editions valid on this date.")
@click.pass_context
def list_products(ctx: click.Context, as_of: dt.date | None) -> None:
    """The products, a line each: code, title and source (and the edition, with --as-of)."""
    for code, editions in _engine(ctx, whole=True).catalogue.products.items():
        if as_of is None:
            product = editions[-1]
            click.echo(f"{code:<8} {product.title}  [{product.citation.title}, {product.citation.section}]")
            continue
        for product in editions:
            if product.valid_on(as_of):
                span = f"{product.valid_from or '…'} to {product.valid_until or '…'}"
                click.echo(f"{code:<8} {product.title}  [edition {product.edition}, valid {span}]")


@main.command(name="test")
@click.argument("cards", nargs=-1)
@click.pass_context
def run_tests(ctx: click.Context, cards: tuple[str, ...]) -> None:
    """Run the YAML test cases of all cards, or of the given product codes or card files."""
    from interpreter.policy.testing import run_all, select_test_files

    engine = _engine(ctx, whole=True)
    try:
        paths = select_test_files(engine.catalogue, cards)
        outcomes = run_all(engine, paths)
    except CatalogueError as error:
        _fail(error)
    failed = [outcome for outcome in outcomes if not outcome.passed]
    for outcome in failed:
        click.echo(f"FAILED {outcome.position}: {outcome.name}")
        for failure in outcome.failures:
            click.echo(f"    {failure}")
    click.echo(f"{len(outcomes) - len(failed)} passed, {len(failed)} failed")
    sys.exit(EXIT_BAD_INPUT if failed else EXIT_OK)


@main.command()
@click.argument("code")
@click.option("--as-of", type=_IsoDate(), default=None, help="Show the edition valid on this date.")
@click.pass_context
def show(ctx: click.Context, code: str, as_of: dt.date | None) -> None:
    """The rules of one product card, readable."""
    engine = _engine(ctx)
    try:
        product = engine.product(code, as_of)
    except CatalogueError as error:
        _fail(error)
    click.echo(f"{product.code} — {product.title}")
    click.echo(f"source: {product.citation.document}, {product.citation.section}")
    span = f"{product.valid_from or '…'} to {product.valid_until or '…'}"
    click.echo(f"edition: {product.edition} (valid {span}); family: {product.family or '-'}; "
               f"calendar: {product.calendar.name}")
    for section in ("parameters", "values", "deadlines", "payments", "reports", "checks"):
        rules = product.in_section(section)
        if not rules:
            continue
        click.echo(f"\n{section.capitalize()}")
        for rule in rules:
            click.echo(f"  {rule.id}: {rule.label}")
            if rule.override_reason:
                click.echo(f"      overrides the family's rule ({rule.overridden}): {rule.override_reason}")
            for edition in rule.editions:
                span = f" (valid {edition.valid_from or '…'} to {edition.valid_until or '…'})" \
                    if edition.valid_from or edition.valid_until else ""
                click.echo(f"      value = {expression_text(edition.expr.node)}{span}")
            for slot, expr in rule.exprs.items():
                if slot == "base" and rule.group:
                    slot = f"base of {rule.group}"
                click.echo(f"      {slot} = {expression_text(expr.node)}")
            if rule.roll:
                click.echo(f"      roll = {rule.roll}")
            if rule.optional:
                click.echo("      optional: a right, not a duty (late or lapsed, never overdue)")
            if rule.citation and rule.citation.quote:
                click.echo(f"      source {rule.citation.section}: “{rule.citation.quote}”")
    _show_tables(product)
    if product.assumptions:
        click.echo("\nAssumptions")
        for assumption in product.assumptions:
            click.echo(f"  {assumption.id}: {' '.join(assumption.text.split())}")


def _show_tables(product) -> None:
    """The card's decision tables and lookups, as tables (their outputs are listed among the values)."""
    from interpreter.printer import lookup_lines, table_lines
    for title, items, lines in (("Tables", product.tables, table_lines), ("Lookups", product.lookups, lookup_lines)):
        if items:
            click.echo(f"\n{title}")
        for item in items.values():
            hit = f"; hit policy {item.hit}" if getattr(item, "hit", "unique") != "unique" else ""
            click.echo(f"  {item.id}: {item.label}{hit}")
            if title == "Tables":
                click.echo("      inputs: " + ", ".join(f"{name} = {expr.text}" for name, expr in item.inputs))
            for line in lines(item):
                click.echo(f"      {line}")
            if item.citation and item.citation.quote:
                click.echo(f"      source {item.citation.section}: “{item.citation.quote}”")


@main.command()
@click.argument("code")
@click.argument("casefile")
@click.option("--as-of", type=_IsoDate(), default=None,
              help="The day deadlines are judged on: open, met, overdue (default: today).")
@click.option("--rules-on", type=_IsoDate(), default=None,
              help="The day whose rules apply: edition and dated values (default: the case's rules_on, "
                   "else its reference fact such as registered_on, else --as-of).")
@click.option("--format", "output_format", type=click.Choice(["json", "text", "svg"]), default="json",
              show_default=True, help="svg: the case's timeline as an SVG picture.")
@click.option("--explain", is_flag=True, help="Add the trace: every step, with the card's file:line and source.")
@click.pass_context
def evaluate(ctx: click.Context, code: str, casefile: str, as_of: dt.date | None, rules_on: dt.date | None,
             output_format: str, explain: bool) -> None:
    """Evaluate product CODE for the case in CASEFILE (YAML or JSON; '-' reads standard input)."""
    engine = _engine(ctx)
    try:
        # One character past the limit is enough for the size check: endless input is never read whole.
        stdin_text = sys.stdin.read(MAX_DOCUMENT_CHARS + 1) if casefile == "-" else None
        facts = engine.read_case(casefile, stdin_text)
        result = engine.evaluate(code, facts, as_of=as_of, rules_on=rules_on, explain=explain, typed=True)
    except CatalogueError as error:
        _fail(error)
    if output_format == "json":
        click.echo(json.dumps(to_json(result, explain), ensure_ascii=False, indent=2))
    elif output_format == "svg":
        from interpreter.timeline import timeline_of
        events = {name: value for name, value in facts.items() if name != "rules_on"}  # a date of the evaluation
        click.echo(timeline_of(engine, result, events), nl=False)
    else:
        from interpreter.resulttext import result_text  # the sheets' Dutch words: only loaded when asked for
        click.echo(result_text(engine, result, explain))


@main.command()
@click.argument("code")
@click.argument("cases")
@click.option("--out", required=True, type=click.Path(dir_okay=False, path_type=Path),
              help="The file to write: .csv, or .jsonl/.ndjson for JSON Lines.")
@click.option("--as-of", type=_IsoDate(), default=None,
              help="The day every case's deadlines are judged on (default: today).")
@click.option("--rules-on", type=_IsoDate(), default=None,
              help="The day whose rules apply to every case (default: each case's rules_on, else its "
                   "reference fact such as registered_on, else --as-of).")
@click.option("--due-within", type=click.IntRange(min=0, max=MAX_DUE_WITHIN), default=None, metavar="DAYS",
              help="Write only the open deadlines that fall due from --as-of to DAYS days later.")
@click.option("--id-column", default="id", show_default=True,
              help="The column (JSON Lines: key) with each case's id; written to the output, not a fact.")
@click.option("--jobs", "-j", type=click.IntRange(min=1, max=MAX_JOBS), default=None,
              help="Worker processes (default: the number of CPUs; 1 evaluates in this process).")
@click.option("--progress/--no-progress", default=None,
              help="Show a progress bar on standard error (default: when it is a terminal).")
@click.pass_context
def batch(ctx: click.Context, code: str, cases: str, out: Path, as_of: dt.date | None, rules_on: dt.date | None,
          due_within: int | None, id_column: str, jobs: int | None, progress: bool | None) -> None:
    """Evaluate product CODE for every case in CASES, one result row per case, into --out.

    CASES is CSV (a header row of fact names, then a case per row) or JSON Lines (a JSON object of
    facts per line), by its extension; '-' reads standard input. A bad row is written as an error
    row and reported here; the run goes on, and exits 1 at the end. See docs/batch.md.
    """
    from interpreter import batch as batching  # here, not at the top: every other command starts faster

    if cases != "-":
        _check_batch_format(batching, cases, "CASES")
    _check_batch_format(batching, str(out), "'--out'")
    engine = _engine(ctx)
    size = _batch_size(cases, progress)
    reported: list = []  # the first BATCH_REPORTED bad rows; a progress bar holds them back until it is done

    def report(bad) -> None:
        if len(reported) < BATCH_REPORTED:
            reported.append(bad)
            if size is None:
                _report_bad_row(bad)

    def run(on_progress=None):
        return batching.run_batch(
            engine, code, cases, out, as_of=as_of, rules_on=rules_on, due_within=due_within, id_column=id_column,
            jobs=jobs or batching.default_jobs(), on_bad_row=report, on_progress=on_progress)

    try:
        if size is None:
            summary = run()
        else:
            with click.progressbar(length=size, label=code, file=sys.stderr, show_eta=True,
                                   item_show_func=lambda count: None if count is None else f"{count} cases") as bar:
                summary = run(_advance(bar))
            for bad in reported:
                _report_bad_row(bad)
    except CatalogueError as error:
        _fail(error)
    if summary.bad > len(reported):
        more = summary.bad - len(reported)
        click.echo(f"... and {more} more bad row{'' if more == 1 else 's'}, each in {display_path(out)} with its error",
                   err=True)
    click.echo(_batch_summary(summary), err=True)
    sys.exit(EXIT_BAD_INPUT if summary.bad else EXIT_OK)


# Bad rows listed on stderr; the rest are counted (every one is in the output with its error).
BATCH_REPORTED = 100


def _check_batch_format(batching, path: str, name: str) -> None:
    if batching.file_format(path) is not None:
        return
    suffix = Path(path).suffix
    if suffix.lower() == ".json":
        problem = "a .json file holds one JSON document, not a case per line"
    else:
        problem = f"'{suffix}' is not a format batch knows" if suffix else f"'{path}' has no extension"
    raise click.BadParameter(f"{problem}: use .csv, or .jsonl or .ndjson for JSON Lines", param_hint=name)


def _batch_size(cases: str, progress: bool | None) -> int | None:
    """The size of the cases file when a progress bar is to be shown (it counts bytes read), else None."""
    if cases == "-" or not (progress if progress is not None else sys.stderr.isatty()):
        return None
    try:
        return os.path.getsize(cases)
    except OSError:
        return None  # the run itself says what is wrong with the file


def _advance(bar):
    read = [0]

    def advance(position: int | None, cases_done: int) -> None:
        if position is not None:
            bar.update(position - read[0], cases_done)
            read[0] = position
    return advance


def _report_bad_row(bad) -> None:
    """CASES:row N (line L): message, a line per problem; an evaluation error also says where in the card."""
    for error in bad.errors:
        where = f" (at {error.position})" if error.position.file != bad.file else ""
        click.echo(f"{bad.file}:row {bad.row} (line {bad.line}): {error.message}{where}", err=True)
        if error.hint:
            click.echo(f"    hint: {error.hint}", err=True)


def _batch_summary(summary) -> str:
    """E.g. '1000 cases: 997 evaluated, 3 bad rows; wrote out.csv (engine 0.1.0, catalogue 1a2b…)'."""
    def count(number: int, word: str) -> str:
        return f"{number} {word}{'' if number == 1 else 's'}"

    text = f"{count(summary.cases, 'case')}: {summary.evaluated} evaluated, {count(summary.bad, 'bad row')}"
    if summary.window_end is not None:
        text += (f"; {count(summary.listed, 'deadline')} due {summary.as_of.isoformat()} "
                 f"to {summary.window_end.isoformat()}")
    receipt = summary.receipt
    return f"{text}; wrote {display_path(summary.out)} (engine {receipt['engine']}, catalogue {receipt['catalogue_hash'][:16]})"


@main.command()
@click.argument("old")
@click.argument("new")
@click.option("--format", "output_format", type=click.Choice(["text", "json"]), default="text", show_default=True)
@click.pass_context
def diff(ctx: click.Context, old: str, new: str, output_format: str) -> None:
    """What changed between two catalogues: folders, or git revisions such as HEAD~1."""
    from interpreter.policy import diff as differ

    current = Path(ctx.obj["catalogue"])
    with differ.scratch_dir() as scratch:
        try:
            engines = [Engine(differ.resolve(side, current, Path(scratch))) for side in (old, new)]
            changes = differ.compare(*engines)
            warnings = differ.contract_warnings(*engines)
        except CatalogueError as error:
            _fail(error)
    for warning in warnings:  # rule ids are part of the API contract (docs/api.md)
        click.echo(f"warning: {warning}", err=True)
    if output_format == "json":
        click.echo(json.dumps(differ.as_json(changes), ensure_ascii=False, indent=2))
    else:
        click.echo(differ.as_text(changes))


@main.command()
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Folder for the schemas (default: the catalogue's schemas/ folder).")
@click.pass_context
def schema(ctx: click.Context, out: Path | None) -> None:
    """Write JSON Schemas for cards, families, test files and case files, for editors."""
    from interpreter.policy.jsonschema import write_schemas

    engine = _engine(ctx, whole=True)
    target = out or engine.catalogue.root / "schemas"
    try:
        written = write_schemas(engine.catalogue.vocabulary, target)
    except OSError as error:
        _fail(CatalogueError(f"cannot write the schemas: {error.strerror}", Position(display_path(target), 1, 1)))
    for path in written:
        click.echo(f"wrote {display_path(path)}")


@main.command(name="new")
@click.argument("code")
@click.option("--family", required=True, help="The family the product belongs to (a file in families/).")
@click.pass_context
def new_card(ctx: click.Context, code: str, family: str) -> None:
    """Scaffold a card with every section and a test file; the catalogue still validates."""
    from interpreter.policy.scaffold import new_card as scaffold

    root = Path(ctx.obj["catalogue"])
    catalogue = _engine(ctx, whole=True).catalogue  # refuse to add to a catalogue that does not load
    try:
        written = scaffold(root, code, family, dt.date.today().isoformat(), catalogue)
    except CatalogueError as error:
        _fail(error)
    try:
        Engine(root)
    except CatalogueError as error:
        for path in written:
            path.unlink(missing_ok=True)
        _fail(error)
    for path in written:
        click.echo(f"wrote {display_path(path)}")
    click.echo(f"next: fill in the TODOs, then run 'catalogue validate' and 'catalogue test {code}'")


@main.command()
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), required=True,
              help="The folder to write the sheets to.")
@click.option("--format", "output_format", type=click.Choice(["html", "md"]), default="html", show_default=True)
@click.pass_context
def sheets(ctx: click.Context, out: Path, output_format: str) -> None:
    """Write a Dutch product sheet per product and an index, rendered from the rules themselves."""
    from interpreter.sheets import write_sheets

    engine = _engine(ctx, whole=True)
    try:
        written = write_sheets(engine, out, output_format)
    except CatalogueError as error:
        _fail(error)
    except OSError as error:
        _fail(CatalogueError(f"cannot write the sheets: {error.strerror}", Position(display_path(out), 1, 1)))
    index = next((p for p in written if p.stem == "index"), written[0] if written else out)
    click.echo(f"wrote {len(written)} files to {display_path(out)}; open {display_path(index)}")


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True,
              help="The address to listen on; give 0.0.0.0 only behind a firewall or proxy.")
@click.option("--port", type=click.IntRange(0, 65535), default=8000, show_default=True)
@click.option("--workers", type=click.IntRange(1, 64), default=1, show_default=True,
              help="Worker processes; they share the on-disk catalogue cache.")
@click.option("--catalogue", "serve_catalogue", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="The catalogue folder (default: the one given before the command, else the bundled one).")
@click.option("--cors-origin", "cors_origins", multiple=True, metavar="ORIGIN",
              help="Allow browser calls from this origin (repeatable); none are allowed by default.")
@click.option("--max-body", type=click.IntRange(1024, 64 << 20), default=1 << 20, show_default=True,
              help="Largest evaluate body, in bytes (413 beyond).")
@click.option("--max-facts", type=click.IntRange(1, 10_000), default=200, show_default=True,
              help="Most facts in one case.")
@click.option("--watch/--no-watch", default=True, show_default=True,
              help="Reload when a catalogue file changes (SIGHUP always reloads).")
@click.option("--log-level", type=click.Choice(["critical", "error", "warning", "info", "debug"]),
              default="info", show_default=True)
@click.pass_context
def serve(ctx: click.Context, host: str, port: int, workers: int, serve_catalogue: Path | None,
          cors_origins: tuple[str, ...], max_body: int, max_facts: int, watch: bool, log_level: str) -> None:
    """Serve the catalogue over HTTP (/v1, OpenAPI at /openapi.json, docs at /docs); see docs/api.md."""
    try:
        import uvicorn

        from interpreter.service import SETTINGS_VARIABLE, Settings, settings_to_environment
    except ImportError as error:
        _fail(CatalogueError(f"the service needs the server extra ({error.name} is missing)",
                             Position("<command line>", 1, 1),
                             hint="pip install 'reintegration-catalogue[server]', or run make serve"))
    if serve_catalogue is not None:
        ctx.obj["catalogue"] = serve_catalogue
    engine = _engine(ctx)  # a broken catalogue stops here, with every problem, before anything listens
    settings = Settings(root=engine.catalogue.root, backend=ctx.obj["backend"], max_body=max_body,
                        max_facts=max_facts, cors_origins=cors_origins, watch=watch)
    os.environ[SETTINGS_VARIABLE] = settings_to_environment(settings)
    click.echo(f"serving catalogue {engine.catalogue.hash[:16]} from {display_path(engine.catalogue.root)} on "
               f"http://{host}:{port}/docs", err=True)
    uvicorn.run("interpreter.service:app_from_environment", factory=True, host=host, port=port, workers=workers,
                log_level=log_level, access_log=False, server_header=False)


def run() -> None:
    """Console-script entry: usage errors exit 2, bad input 1, and never a traceback.

    An exception that is not a CatalogueError is a bug in the interpreter; it is reported in one
    line (exit 1) unless CATALOGUE_TRACEBACK is set, which shows the traceback for debugging.
    """
    try:
        main.main(prog_name="catalogue", standalone_mode=True)
    except KeyboardInterrupt:
        click.echo("interrupted", err=True)
        sys.exit(130)
    except BrokenPipeError:
        # The reader went away (e.g. `catalogue evaluate ... | head`): stop quietly.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        sys.exit(EXIT_BAD_INPUT)
    except Exception as error:  # noqa: BLE001 - the last line of defence against a traceback
        if os.environ.get("CATALOGUE_TRACEBACK"):
            raise
        click.echo(f"internal error: {type(error).__name__}: {error}", err=True)
        click.echo("    hint: this is a bug in the catalogue interpreter; please report it "
                   "with the command and files used (set CATALOGUE_TRACEBACK=1 to see the traceback)", err=True)
        sys.exit(EXIT_BAD_INPUT)


if __name__ == "__main__":
    run()
