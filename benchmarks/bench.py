"""Benchmark harness (`make bench`): the rule engine against hand-written Python, simpleeval and rule-engine.

One run measures, each as an absolute time and as a ratio to a baseline measured in the same run:

1. full-product evaluation of 12XR and LEON-3: compiled backend and reference evaluator against a
   hand-written Python function (benchmarks/handwritten.py) that gives the same Result;
2. the cost of one expression: lambda, compiled, reference, simpleeval, rule-engine;
3. catalogue load + type check, without and with the on-disk cache;
4. cold start of `catalogue evaluate` against `python -c "import yaml, lark, click"`;
5. `catalogue batch` on N generated 12XR cases (default 1,000,000) with 2 jobs, to CSV and to JSON Lines.

A peer evaluator that is not installed is reported as such; nothing else is skipped.
"""
from __future__ import annotations

import argparse
import datetime as dt
import functools
import os
import platform
import random
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import timeit
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
BIN = Path(sys.executable).parent  # the virtual environment's bin/, where `catalogue` is installed
sys.path.insert(0, str(HERE))

from handwritten import HANDWRITTEN, add_working_days  # noqa: E402
from startup import as_installed, note  # noqa: E402

from interpreter.api import Engine  # noqa: E402
from interpreter.compiler import compile_expression, compile_product  # noqa: E402
from interpreter.checker import Checker  # noqa: E402
from interpreter.errors import Position  # noqa: E402
from interpreter.evaluator import Evaluation, evaluate  # noqa: E402
from interpreter.parser import parse  # noqa: E402
from interpreter.results import to_json  # noqa: E402

NOT_MEASURED = "not measured"
TARGETS = {}  # measurement -> (what was measured, met: True | False | None when not measured, figure)


# -- output ----------------------------------------------------------------------------------------------

def fmt_time(seconds: float) -> str:
    """Seconds in the unit that suits them: µs, ms or s."""
    if seconds < 1e-3:
        return f"{seconds * 1e6:.2f} µs"
    if seconds < 1:
        return f"{seconds * 1e3:.1f} ms"
    return f"{seconds:.2f} s"


def heading(text: str) -> None:
    """Print a section title after a blank line."""
    print(f"\n{text}", flush=True)


def row(name: str, seconds: float | None, baseline: float | None = None, note: str = "") -> None:
    """Print one measurement: name, time, ratio to the baseline, note; the note alone when not measured."""
    if seconds is None:
        print(f"    {name:<36} {note or NOT_MEASURED}", flush=True)
        return
    ratio = f"{seconds / baseline:7.2f}×" if baseline else " " * 8
    print(f"    {name:<36} {fmt_time(seconds):>11}  {ratio}  {note}".rstrip(), flush=True)


def verdict(met: bool) -> str:
    """The words for a target's outcome."""
    return "met" if met else "NOT met"


def target(key: str, text: str, met: bool | None, figure: str = "") -> str:
    """Remember a target for the summary; the words to print after the measurement."""
    TARGETS[key] = (key, text, met, figure)
    return f"target {text}: {NOT_MEASURED if met is None else verdict(met)}"


def best(stmt: str, number: int, repeat: int, **names) -> float:
    """Seconds per execution of `stmt`: the best of `repeat` runs of `number` executions."""
    return min(timeit.Timer(stmt, globals=names).repeat(repeat=repeat, number=number)) / number


def machine() -> None:
    """Print the machine the figures come from."""
    cpu = "unknown"
    try:
        cpu = next(line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                   if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    memory = ""
    try:
        kib = next(int(line.split()[1]) for line in Path("/proc/meminfo").read_text().splitlines()
                   if line.startswith("MemTotal"))
        memory = f", {kib / 2**20:.1f} GiB RAM"
    except (OSError, StopIteration):
        pass
    usable = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    print("Machine")
    print(f"    CPU     {cpu}; {os.cpu_count()} cores ({usable} usable){memory}")
    print(f"    Python  {platform.python_version()} ({platform.python_implementation()})")
    print(f"    OS      {platform.platform()}")
    print(f"    date    {dt.datetime.now().isoformat(timespec='seconds')}; load average "
          + " ".join(f"{x:.2f}" for x in os.getloadavg()) + " (other work on the machine skews every figure)")
    print(f"    2 CPU-bound processes at once do {parallel_scaling():.2f}× the work of one (2.00× on 2 free cores)")


def parallel_scaling() -> float:
    """How much more work two busy processes do than one: the most `--jobs 2` can gain here."""
    spin = [sys.executable, "-c", "import time\nt = time.perf_counter()\nfor i in range(10_000_000): pass\n"
            "print(time.perf_counter() - t)"]

    def elapsed(count: int) -> list[float]:
        procs = [subprocess.Popen(spin, stdout=subprocess.PIPE, text=True) for _ in range(count)]
        return [float(p.communicate()[0]) for p in procs]

    one = min(elapsed(1)[0] for _ in range(2))
    two = min(max(elapsed(2)) for _ in range(2))
    return 2 * one / two


# -- 1. full-product evaluation --------------------------------------------------------------------------

# Hand-picked cases: (name, plain facts as a case file gives them, as_of = rules_on; None: the registration date).
CASES = {
    "12XR": [
        ("worked example (full case)", "example", None),
        ("examples/12XR-case.yaml", "examples/12XR-case.yaml", None),
        ("partial: registration only", {"registered_on": "2016-04-01"}, dt.date(2016, 6, 1)),
        ("nothing known", {}, dt.date(2016, 6, 1)),
        ("hard to place, all phases, 2019", {
            "registered_on": "2019-03-15", "phases": ["orientation", "preparation", "strengthening", "mediation"],
            "hard_to_place": True, "benefit": "WGA", "district": "D11", "price": 6000,
            "contract_started_on": "2019-01-01", "contract_end_on": "2020-06-30", "estimated_value": 300000,
            "plan_approved_on": "2019-05-20", "plan_submitted_on": "2019-05-13"}, dt.date(2019, 12, 1)),
        ("Wajong, full pay, overdue", {
            "registered_on": "2016-05-31", "phases": ["orientation", "strengthening", "mediation"],
            "benefit": "Wajong", "full_pay": True, "price": "4999.99", "district": "D01"}, dt.date(2018, 12, 1)),
        ("mediation only (not applicable)", {
            "registered_on": "2017-08-31", "phases": ["mediation"], "benefit": "ZW", "price": "1001.05",
            "hard_to_place": False, "final_report_on": "2019-09-01", "contract_started_on": "2016-02-29",
            "contract_end_on": "2017-02-28"}, dt.date(2017, 9, 1)),
    ],
    "LEON-3": [
        ("worked example (full case)", "example", None),
        ("examples/LEON-3-case.yaml", "examples/LEON-3-case.yaml", None),
        ("partial: registration only", {"registered_on": "2024-03-04"}, dt.date(2024, 3, 20)),
        ("nothing known", {}, dt.date(2025, 1, 1)),
        ("reduced reporting, late invoice", {
            "registered_on": "2025-10-01", "started_on": "2025-11-03", "planned_end_on": "2026-11-02",
            "ended_on": "2026-11-30", "reduced_reporting": True, "invoice_received_on": "2026-12-18",
            "price": "3333.33", "introduction_hours": 2, "intake_hours": "5.5", "annual_volume": 50000},
         dt.date(2027, 2, 1)),
        ("short, no reports", {"started_on": "2024-06-01", "planned_end_on": "2024-07-15", "price": 1000,
                               "intake_on": "2024-05-20", "annual_volume": 50001}, dt.date(2024, 6, 1)),
    ],
}


def typed_cases(engine: Engine, code: str) -> list[tuple[str, dict, dt.date]]:
    """The hand-picked cases of a product as typed facts with their reference date."""
    cases = []
    for name, spec, as_of in CASES[code]:
        if spec == "example":
            product = engine.product(code)
            facts, as_of = product.example_facts, product.example_as_of
        elif isinstance(spec, str):
            facts = engine.read_case(ROOT / spec)
        else:
            facts = engine.facts(spec)
        # One date for both questions: the hand-written functions judge and pick values on the same day.
        day = as_of or facts.get(engine.product(code).reference_fact) or dt.date.today()
        cases.append((name, facts, day))
    return cases


def random_cases(engine: Engine, code: str, count: int, seed: int = 3) -> list[tuple[str, dict, dt.date]]:
    """Random cases with any subset of the facts either product reads, within the product's editions."""
    rng = random.Random(seed)
    first, last = (dt.date(2016, 4, 1), dt.date(2026, 12, 31)) if code == "12XR" else \
        (dt.date(2024, 1, 1), dt.date(2028, 12, 31))

    def day() -> str:
        return (first + dt.timedelta(days=rng.randrange((last - first).days + 1))).isoformat()

    cases = []
    for index in range(count):
        raw = {name: day() for name in (
            "registered_on", "started_on", "intake_on", "plan_submitted_on", "plan_approved_on", "work_resumed_on",
            "ended_on", "planned_end_on", "final_report_on", "invoice_received_on", "paid_on",
            "contract_started_on", "contract_end_on") if rng.random() < 0.7}
        if rng.random() < 0.8:
            raw["phases"] = rng.sample(["orientation", "preparation", "strengthening", "mediation"], rng.randint(0, 4))
        raw.update({name: rng.random() < 0.5 for name in ("hard_to_place", "full_pay", "reduced_reporting")
                    if rng.random() < 0.7})
        if rng.random() < 0.8:
            raw["benefit"] = rng.choice(["WGA", "ZW", "WAO", "WAZ", "Wajong"])
        if rng.random() < 0.8:
            raw["district"] = f"D{rng.randint(1, 11):02d}"
        if rng.random() < 0.8:
            raw["price"] = f"{rng.randrange(0, 800000) / 100:.2f}"
        raw.update({name: rng.choice([40000, 50000, 80000, 209000, 250000])
                    for name in ("annual_volume", "estimated_value") if rng.random() < 0.8})
        raw.update({name: rng.choice([0, 1, 2, 5, "5.5", 7]) for name in ("introduction_hours", "intake_hours")
                    if rng.random() < 0.7})
        cases.append((f"random case {index}", engine.facts(raw), dt.date.fromisoformat(day())))
    return cases


def _comparable(result) -> dict:
    """to_json without the receipt, which Engine.evaluate adds and these functions do not, and without each
    entry's `source` object: to_json builds it from the rule's citation, the same work whatever computed
    the result, and the hand-written functions carry no citations."""
    out = to_json(result)
    out.pop("receipt", None)
    for section in ("deadlines", "payments", "reports", "checks"):
        for entry in out[section]:
            entry.pop("source", None)
    return out


def check_same_results(engine: Engine, code: str, cases) -> None:
    """Stop unless hand-written, reference and compiled give identical to_json output on every case."""
    labels = engine.catalogue.vocabulary.fact_labels
    handwritten = HANDWRITTEN[code]
    compiled = {}
    for name, facts, as_of in cases:
        product = engine.product(code, as_of)
        outputs = {"reference": _comparable(evaluate(product, facts, as_of, fact_labels=labels)),
                   "hand-written": _comparable(handwritten(facts, as_of))}
        if id(product) not in compiled:
            compiled[id(product)] = compile_product(product, labels)
        outputs["compiled"] = _comparable(compiled[id(product)](facts, as_of))
        for other, out in outputs.items():
            if out != outputs["reference"]:
                print(f"\nSTOP: for {code}, case '{name}' (as of {as_of}), the {other} result differs from the "
                      f"reference evaluator's; the timings would compare different work.", file=sys.stderr)
                for key, value in outputs["reference"].items():
                    if out.get(key) != value:
                        print(f"  {key}:\n    reference:  {value}\n    {other + ':':<11} {out.get(key)}",
                              file=sys.stderr)
                print(f"  facts: {facts}", file=sys.stderr)
                sys.exit(1)


def bench_full_product(engine: Engine, quick: bool) -> None:
    """Full-product evaluation: compiled and reference against the hand-written function."""
    heading("1. Full-product evaluation (µs per evaluation; ratio to the hand-written function)")
    labels = engine.catalogue.vocabulary.fact_labels
    number, repeat = (300, 3) if quick else (3000, 7)
    for code in ("12XR", "LEON-3"):
        cases = typed_cases(engine, code)
        randoms = random_cases(engine, code, 100 if quick else 500)
        check_same_results(engine, code, cases + randoms)
        print(f"  {code}: hand-written, reference and compiled give identical to_json on {len(cases)} hand-picked and "
              f"{len(randoms)} random cases")
        name, facts, as_of = cases[0]
        product = engine.product(code, as_of)
        started = time.perf_counter()
        compiled = compile_product(product, labels)
        print(f"    (compile_product took {fmt_time(time.perf_counter() - started)}, once per product)")
        mixed = []
        for _, case_facts, case_as_of in cases:
            case_product = engine.product(code, case_as_of)
            case_compiled = compiled if case_product is product else compile_product(case_product, labels)
            mixed.append((case_product, case_compiled, case_facts, case_as_of))
        for label, runs in ((f"{name}, {number:,} calls, best of {repeat}", [(product, compiled, facts, as_of)]),
                            (f"all {len(cases)} hand-picked cases in turn", mixed)):
            print(f"  {code} — {label}")
            key = f"{code}, " + ("hand-picked cases in turn" if len(runs) > 1 else "full case")
            names = {"runs": runs, "hand": HANDWRITTEN[code], "evaluate": evaluate, "labels": labels}
            per = len(runs)
            hand = best("for p, c, f, a in runs: hand(f, a)", number // per or 1, repeat, **names) / per
            row("hand-written", hand, hand)
            fast = best("for p, c, f, a in runs: c(f, a)", number // per or 1, repeat, **names) / per
            row("compiled", fast, hand, target(key, "compiled ≤ 1.5× hand-written", fast <= 1.5 * hand,
                                               f"{fast / hand:.2f}×"))
            ref = best("for p, c, f, a in runs: evaluate(p, f, a, fact_labels=labels)", number // per or 1,
                       repeat, **names) / per
            row("reference", ref, hand)


# -- 2. one expression -----------------------------------------------------------------------------------

CENT, HUNDRED, EIGHTY, SIXTY = Decimal("0.01"), Decimal(100), Decimal(80), Decimal(60)
FIVE_THOUSAND, WGA_ZW, DAYS_56 = Decimal(5000), frozenset({"WGA", "ZW"}), dt.timedelta(days=56)

# Each expression written equivalently in the rule language, as a lambda, in simpleeval and in rule-engine
# (None with the reason where the peer cannot express it).
EXPRESSIONS = [
    {"rule": "if hard_to_place then price * 80% else price * 60%",
     "lambda": lambda f: ((f["price"] * EIGHTY if f["hard_to_place"] else f["price"] * SIXTY) / HUNDRED)
     .quantize(CENT, ROUND_HALF_UP),
     "simpleeval": "round(price * 80 / 100 if hard_to_place else price * 60 / 100, 2)",
     "rule-engine": "hard_to_place ? price * 0.8 : price * 0.6"},
    {"rule": "price <= €5000 and benefit in {WGA, ZW}",
     "lambda": lambda f: f["price"] <= FIVE_THOUSAND and f["benefit"] in WGA_ZW,
     "simpleeval": "price <= 5000 and benefit in {'WGA', 'ZW'}",
     "rule-engine": "price <= 5000 and benefit in {'WGA', 'ZW'}"},
    {"rule": "registered_on + 56 days",
     "lambda": lambda f: f["registered_on"] + DAYS_56,
     "simpleeval": "registered_on + timedelta(days=56)",
     "rule-engine": 'registered_on + t"P56D"'},
    {"rule": "registered_on + 10 working days",
     "lambda": lambda f: add_working_days(f["registered_on"], 10),
     "simpleeval": (None, "no working-day calendar"),
     "rule-engine": (None, "no working-day calendar")},
]
EXPRESSION_FACTS = {"registered_on": "2016-04-28", "price": "4321.09", "hard_to_place": False, "benefit": "ZW",
                    "phases": ["orientation", "mediation"]}


def _same_value(value, expected) -> bool:
    """Equal, allowing float or a peer's Decimal for money and datetime for a date."""
    if isinstance(value, dt.datetime):
        value = value.date()
    if isinstance(expected, Decimal) and isinstance(value, (int, float, Decimal)) and not isinstance(value, bool):
        return abs(Decimal(str(value)) - expected) < Decimal("0.005")
    return value == expected


def _version(distribution: str) -> str:
    from importlib.metadata import PackageNotFoundError, version
    try:
        return version(distribution)
    except PackageNotFoundError:
        return "(not installed)"


def _peers():
    """simpleeval and rule-engine, or the reason they cannot be used."""
    peers = {}
    try:
        import simpleeval
        evaluator = simpleeval.EvalWithCompoundTypes(functions={"round": round, "timedelta": dt.timedelta})
        peers["simpleeval"] = evaluator
    except ImportError:
        peers["simpleeval"] = None
    try:
        import rule_engine
        peers["rule-engine"] = rule_engine
    except ImportError:
        peers["rule-engine"] = None
    return peers


def bench_expressions(engine: Engine, quick: bool) -> None:
    """Per-expression cost: the rule language (compiled, reference) against a lambda and two peers."""
    number, repeat = (10_000, 2) if quick else (100_000, 3)
    heading(f"2. One expression, parsed once, evaluated {number:,} times (best of {repeat}; ratio to the lambda)")
    vocabulary = engine.catalogue.vocabulary
    facts = engine.facts(EXPRESSION_FACTS)
    as_of = facts["registered_on"]
    product = engine.product("12XR", as_of)  # gives the working-day calendar
    peers = _peers()
    print(f"    facts: {EXPRESSION_FACTS}")
    print("    peers: " + ", ".join(f"{name} {_version(name)}" for name in peers))
    print("    reference = Evaluation(product, facts, as_of).eval(node), a new Evaluation per call; "
          "compiled = compile_expression(node, calendar)(facts, as_of)")
    all_met, ratios = True, []
    for spec in EXPRESSIONS:
        node = Checker(vocabulary.fact_types, vocabulary.enums, {}).check(
            parse(spec["rule"], lambda offset: Position("<bench>", 1, offset + 1)))
        expected = Evaluation(product, facts, as_of).eval(node)
        print(f"  {spec['rule']}   = {expected}")
        lam = spec["lambda"]
        if lam(facts) != expected:
            sys.exit(f"STOP: the lambda for '{spec['rule']}' gives {lam(facts)}, the rule language {expected}")
        base = best("lam(facts)", number, repeat, lam=lam, facts=facts)
        row("lambda", base, base)
        fn = compile_expression(node, product.calendar)
        if fn(facts, as_of) != expected:
            sys.exit(f"STOP: compiled '{spec['rule']}' gives {fn(facts, as_of)}, the reference {expected}")
        row("compiled", best("fn(facts, as_of)", number, repeat, fn=fn, facts=facts, as_of=as_of), base)
        reference = best("Evaluation(product, facts, as_of).eval(node)", number, repeat, Evaluation=Evaluation,
                         product=product, facts=facts, as_of=as_of, node=node)
        row("reference", reference, base)
        peer_times = []
        for peer in ("simpleeval", "rule-engine"):
            text = spec[peer]
            if isinstance(text, tuple):
                row(peer, None, note=f"skipped: {text[1]}")
                continue
            if peers[peer] is None:
                row(peer, None, note="not installed (pip install -e '.[bench]')")
                continue
            if peer == "simpleeval":
                evaluator = peers[peer]
                evaluator.names = facts
                parsed = evaluator.parse(text)
                stmt, names = "ev.eval(text, previously_parsed=parsed)", {"ev": evaluator, "text": text,
                                                                          "parsed": parsed}
                value = evaluator.eval(text, previously_parsed=parsed)
            else:
                rule = peers[peer].Rule(text, context=peers[peer].Context())
                stmt, names = "rule.evaluate(facts)", {"rule": rule, "facts": facts}
                value = rule.evaluate(facts)
            if not _same_value(value, expected):
                sys.exit(f"STOP: {peer} '{text}' gives {value!r}, the rule language {expected!r}")
            seconds = best(stmt, number, repeat, **names)
            peer_times.append(seconds)
            row(peer, seconds, base, f"{text}")
        if peer_times:
            met = reference < min(peer_times)
            ratios.append(reference / min(peer_times))
            all_met &= met
            print(f"    reference vs fastest peer: {reference / min(peer_times):.2f}× "
                  f"({verdict(met)}: the reference must be faster than every peer)")
    target("one expression", "reference faster than simpleeval and rule-engine on every expression",
           all_met if all(p is not None for p in peers.values()) else None,
           "slowest reference/fastest-peer " + (f"{max(ratios):.2f}×" if ratios else "-"))


# -- 3. catalogue load -----------------------------------------------------------------------------------

def bench_load(quick: bool) -> None:
    """Catalogue load + type check without the on-disk cache, and with it."""
    heading("3. Catalogue load + type check (all fifteen products)")
    from interpreter.catalogue import load_catalogue
    runs = 3 if quick else 7
    uncached = {"cache": False}
    load_catalogue(**uncached)  # imports and the Lark parser out of the way

    def timed(**kwargs) -> list[float]:
        times = []
        for _ in range(runs):
            started = time.perf_counter()
            load_catalogue(**kwargs)
            times.append(time.perf_counter() - started)
        return times

    times = timed(**uncached)
    met = min(times) < 0.150
    row(f"no cache, min of {runs}", min(times), None,
        f"median {fmt_time(statistics.median(times))}; "
        + target("catalogue load + type check", "< 150 ms without the cache", met, fmt_time(min(times))))
    # The first load in a fresh process also builds the Lark parser and imports the engine.
    code = ("import time; t0 = time.perf_counter(); from interpreter.catalogue import load_catalogue; "
            "t1 = time.perf_counter(); load_catalogue(**%r); t2 = time.perf_counter(); print(t1 - t0, t2 - t1)"
            % (uncached,))
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, env=installed_env())
    if out.returncode == 0:
        imported, first = (float(x) for x in out.stdout.split())
        row("no cache, first in a process", first, None,
            f"(builds the Lark parser too; importing the engine took {fmt_time(imported)} before)")
    else:
        row("no cache, first in a process", None, note=f"failed: {out.stderr.strip().splitlines()[-1:]}")
    if uncached:
        load_catalogue(cache=True)
        cached = timed(cache=True)
        row(f"cached, min of {runs}", min(cached), None, f"median {fmt_time(statistics.median(cached))}")
    else:
        row("cached", None)


# -- 4. cold start ---------------------------------------------------------------------------------------

class CommandFailed(Exception):
    pass


@functools.cache
def installed_env() -> dict[str, str]:
    """The environment of every timed command: the project's bytecode compiled, as an installed tool has it."""
    return as_installed(dict(os.environ))


def _run(command: list[str], env: dict | None = None) -> float:
    """Wall seconds of one run of `command`; CommandFailed with its last error line if it fails."""
    started = time.perf_counter()
    done = subprocess.run(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, cwd=ROOT,
                          env=env if env is not None else installed_env())
    seconds = time.perf_counter() - started
    if done.returncode != 0:
        lines = done.stderr.decode().strip().splitlines() or ["(no message)"]
        raise CommandFailed(f"exit {done.returncode}: {lines[0][:200]}")
    return seconds


def _run_with_empty_cache(command: list[str]) -> tuple[float, bool]:
    """Wall seconds with CATALOGUE_CACHE_DIR pointing at a new empty folder, and whether it wrote there."""
    scratch = Path(tempfile.mkdtemp(prefix="bench-cache-"))
    try:
        seconds = _run(command, dict(installed_env(), CATALOGUE_CACHE_DIR=str(scratch)))
        return seconds, any(scratch.iterdir())
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def bench_cold_start(quick: bool) -> None:
    """Cold start of `catalogue evaluate` against a bare import of its three main dependencies."""
    runs = 4 if quick else 10
    heading(f"4. Cold start, a new process each time (min and median of {runs} runs)")
    if note(os.environ):
        print(f"    {note(os.environ)}")
    evaluate_cmd = [str(BIN / "catalogue"), "evaluate", "12XR", "examples/12XR-case.yaml"]
    import_cmd = [sys.executable, "-c", "import yaml, lark, click"]
    try:
        _run(evaluate_cmd)  # the on-disk cache, if any, is warm from here on
    except CommandFailed as error:
        row("catalogue evaluate 12XR …", None, note=f"failed: {error}")
        target("cold start of evaluate", "< 3× the bare import", False, "failed")
        return
    bare, warm = [], []
    for _ in range(runs):  # interleaved, so that both see the same state of the machine
        bare.append(_run(import_cmd))
        warm.append(_run(evaluate_cmd))
    row('python -c "import yaml, lark, click"', min(bare), min(bare), f"median {fmt_time(statistics.median(bare))}")
    met = min(warm) < 3 * min(bare)
    row("catalogue evaluate 12XR …", min(warm), min(bare),
        f"median {fmt_time(statistics.median(warm))} ({statistics.median(warm) / statistics.median(bare):.2f}×); "
        + target("cold start of evaluate", "< 3× the bare import", met, f"{min(warm) / min(bare):.2f}×"))
    empty = [_run_with_empty_cache(evaluate_cmd) for _ in range(max(2, runs // 3))]
    seconds = min(s for s, _ in empty)
    if any(wrote for _, wrote in empty):
        row("… with an empty cache dir", seconds, min(bare), "(CATALOGUE_CACHE_DIR set to a new folder)")
    else:
        row("… with an empty cache dir", None,
            note=f"not measured: nothing was written to CATALOGUE_CACHE_DIR (evaluate took {fmt_time(seconds)})")


# -- 5. batch --------------------------------------------------------------------------------------------

BATCH_COLUMNS = ("id", "registered_on", "phases", "hard_to_place", "full_pay", "benefit", "district", "price",
                 "plan_submitted_on", "plan_approved_on", "work_resumed_on", "final_report_on",
                 "contract_started_on", "contract_end_on", "estimated_value")
PHASES = ("orientation mediation", "orientation preparation mediation", "orientation strengthening mediation",
          "orientation preparation strengthening mediation", "mediation", "orientation")


def write_cases(path: Path, count: int, seed: int = 2016) -> None:
    """`count` random but valid 12XR cases as CSV: registration 2016–2026, some facts missing."""
    rng = random.Random(seed)
    random_ = rng.random
    origin = dt.date(2015, 1, 1)
    days = [(origin + dt.timedelta(days=i)).isoformat() for i in range(16 * 366)]
    first = (dt.date(2016, 4, 1) - origin).days  # the first edition of 12XR
    span = (dt.date(2026, 12, 31) - origin).days - first + 1
    benefits = ("WGA", "ZW", "WAO", "WAZ", "Wajong")
    districts = tuple(f"D{i:02d}" for i in range(1, 12))
    values = ("150000", "209000", "250000", "")
    with path.open("w", encoding="utf-8", newline="") as out:
        out.write(",".join(BATCH_COLUMNS) + "\n")
        lines = []
        for index in range(count):
            reg = first + int(random_() * span)
            submitted = reg + 20 + int(random_() * 50)
            approved = submitted + 3 + int(random_() * 17)
            contract = reg - int(random_() * 200)
            lines.append(",".join((
                str(index),
                days[reg] if random_() < 0.98 else "",
                PHASES[int(random_() * 6)] if random_() < 0.95 else "",
                ("true" if random_() < 0.3 else "false") if random_() < 0.9 else "",
                "true" if random_() < 0.02 else "",
                benefits[int(random_() * 5)] if random_() < 0.95 else "",
                districts[int(random_() * 11)],
                f"{1000 + int(random_() * 5500)}.{int(random_() * 100):02d}" if random_() < 0.95 else "",
                days[submitted] if random_() < 0.8 else "",
                days[approved] if random_() < 0.7 else "",
                days[reg + 60 + int(random_() * 700)] if random_() < 0.4 else "",
                days[reg + 180 + int(random_() * 600)] if random_() < 0.1 else "",
                days[contract],
                days[contract + 300 + int(random_() * 100)] if random_() < 0.9 else "",
                values[int(random_() * 4)],
            )))
            if len(lines) == 10_000:
                out.write("\n".join(lines) + "\n")
                lines.clear()
        if lines:
            out.write("\n".join(lines) + "\n")


def bench_batch(count: int, rounds: int = 2) -> None:
    """Throughput of `catalogue batch` with 2 jobs on generated 12XR cases, to CSV and to JSON Lines."""
    heading(f"5. Batch: catalogue batch 12XR on {count:,} generated cases, --jobs 2")
    limit = 30 * count / 1_000_000
    folder = Path(tempfile.mkdtemp(prefix="bench-batch-"))
    try:
        cases = folder / "cases.csv"
        started = time.perf_counter()
        write_cases(cases, count)
        print(f"    (generated {cases.stat().st_size / 2**20:.0f} MiB of CSV in "
              f"{fmt_time(time.perf_counter() - started)}; not counted)", flush=True)
        give_up = max(600.0, 20 * limit)
        # The same cases to CSV and to JSON Lines, alternating (the order swapped each round), so that
        # other work on the machine weighs on both alike; each output is removed before the next run.
        times: dict[str, list[float]] = {"csv": [], "jsonl": []}
        cpus: dict[str, list[float]] = {"csv": [], "jsonl": []}
        sizes: dict[str, int] = {}
        for index in range(rounds):
            for fmt in (("csv", "jsonl") if index % 2 == 0 else ("jsonl", "csv")):
                outcome = _timed_batch(cases, folder / f"results.{fmt}", count, give_up)
                if isinstance(outcome, str):
                    row(f"catalogue batch to {fmt}", None, note=outcome)
                    target("batch", f"{count:,} cases in < {limit:g} s on 2 cores", False, outcome)
                    target("batch jsonl", "JSON Lines within 1.2× the CSV time", False, outcome)
                    return
                times[fmt].append(outcome[0])
                cpus[fmt].append(outcome[1])
                sizes[fmt] = outcome[2]
        csv_best, jsonl_best = min(times["csv"]), min(times["jsonl"])
        met = csv_best < limit
        row("to CSV, wall time", csv_best, limit, f"best of {rounds}; ratio to the {limit:g} s target; "
            f"{count / csv_best:,.0f} cases/s; "
            + target("batch", f"{count:,} cases in < {limit:g} s on 2 cores", met, fmt_time(csv_best)))
        ratios = [j / c for c, j in zip(times["csv"], times["jsonl"])]
        ratio = jsonl_best / csv_best
        row("to JSON Lines, wall time", jsonl_best, csv_best,
            f"best of {rounds}; ratio to CSV (per round: {', '.join(f'{r:.2f}×' for r in ratios)}); "
            + target("batch jsonl", "JSON Lines within 1.2× the CSV time", ratio <= 1.2, f"{ratio:.2f}×"))
        cpu_ratio = min(cpus["jsonl"]) / min(cpus["csv"])
        print(f"    CPU time (user + system, all processes), least of {rounds}: CSV {fmt_time(min(cpus['csv']))}, "
              f"JSON Lines {fmt_time(min(cpus['jsonl']))}: {cpu_ratio:.2f}× (less swayed by other work than wall time)")
        print(f"    (all runs: CSV {', '.join(fmt_time(t) for t in times['csv'])}; JSON Lines "
              f"{', '.join(fmt_time(t) for t in times['jsonl'])}; output {sizes['csv'] / 2**20:,.0f} MiB of CSV, "
              f"{sizes['jsonl'] / 2**20:,.0f} MiB of JSON Lines)", flush=True)
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def _timed_batch(cases: Path, results: Path, count: int, give_up: float) -> tuple[float, float, int] | str:
    """Wall seconds, CPU seconds (user + system, of the command and its workers) and output bytes of one
    `catalogue batch 12XR cases --out results --jobs 2`; else what went wrong."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    try:
        done = subprocess.run([str(BIN / "catalogue"), "batch", "12XR", str(cases), "--out", str(results),
                               "--jobs", "2"], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
                              cwd=ROOT, env=installed_env(), timeout=give_up)
    except subprocess.TimeoutExpired:
        return f"did not finish within {give_up:g} s: stopped"
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    if done.returncode != 0:
        return f"failed (exit {done.returncode}): {done.stderr.strip()[-500:]}"
    size = results.stat().st_size
    with results.open("rb") as handle:
        lines = sum(chunk.count(b"\n") for chunk in iter(lambda: handle.read(1 << 24), b""))
    results.unlink()
    expected = count + (results.suffix == ".csv")  # the CSV header
    if lines != expected:
        return f"{results.name} has {lines:,} lines for {count:,} cases"
    return wall, cpu, size


# -- main ------------------------------------------------------------------------------------------------

PARTS = ("full", "expressions", "load", "cold", "batch")


def summary() -> None:
    """The targets, one line each."""
    heading("Targets")
    for key, text, met, figure in TARGETS.values():
        print(f"    {NOT_MEASURED if met is None else verdict(met):<18} {key}: {text}" + (f" (measured {figure})" if figure else ""))


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer repeats, for a first look")
    parser.add_argument("--cases", type=int, default=1_000_000, help="cases for the batch run (default 1,000,000)")
    parser.add_argument("--rounds", type=int, default=2,
                        help="batch runs to CSV and to JSON Lines, alternating (default 2; the best of each counts)")
    parser.add_argument("--only", default=",".join(PARTS), help=f"comma-separated subset of: {', '.join(PARTS)}")
    args = parser.parse_args(argv)
    parts = set(args.only.split(","))
    if not parts <= set(PARTS):
        parser.error(f"--only takes {', '.join(PARTS)}")
    os.chdir(ROOT)
    machine()
    engine = Engine() if parts & {"full", "expressions"} else None
    if "full" in parts:
        bench_full_product(engine, args.quick)
    if "expressions" in parts:
        bench_expressions(engine, args.quick)
    if "load" in parts:
        bench_load(args.quick)
    if "cold" in parts:
        bench_cold_start(args.quick)
    if "batch" in parts:
        bench_batch(args.cases, max(1, args.rounds))
    summary()


if __name__ == "__main__":
    main()
