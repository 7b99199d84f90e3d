"""The long fuzz run (`make fuzz`): many inputs per class through the checks of tests/fuzzing.py.

Prints, per input class: inputs tried, how they ended, failures and the slowest input; writes the same
as JSON (--json). Exits 1 when any input failed. `make fuzz FUZZ_SCALE=0.1` runs a tenth of it.
"""
from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

sys.path.insert(0, str(Path(__file__).resolve().parent))
import fuzzing as f  # noqa: E402

# Inputs per class at scale 1: over 100,000 in all, and a million payment splits besides.
COUNTS = {
    "random expressions": 22_000,
    "mutated expressions": 22_000,
    "well-typed expressions, extreme values": 27_000,
    "cards (load, Dutch, sheets, evaluate)": 2_000,
    "calendars": 2_000,
    "case files": 26_000,
    "batch files": 3_000,
    "payment splits": 1_000_000,
}


class Tally:
    def __init__(self, name: str):
        self.name = name
        self.tried = 0
        self.endings: Counter[str] = Counter()
        self.failures: list[dict] = []
        self.slowest = (0.0, "")
        self.slowest_run: tuple = ()  # the check and its arguments, to time it again alone
        self.started = time.perf_counter()

    def run(self, check, *args, shown: str) -> None:
        self.tried += 1
        start = time.perf_counter()
        try:
            with f.time_bound():
                ending = check(*args)
        except (f.Failure, TimeoutError) as failure:
            ending = "FAILURE"
            if len(self.failures) < 20:
                self.failures.append({"input": shown[:500], "failure": str(failure)[:500]})
        elapsed = time.perf_counter() - start
        self.endings[ending] += 1
        if elapsed > self.slowest[0]:
            self.slowest = (elapsed, shown[:200])
            self.slowest_run = (check, args)

    def retime_slowest(self) -> float:
        """The slowest input once more, alone: on a shared machine, a pause of the process or the machine
        (garbage collection, another process) can make an input slow that is not."""
        if not self.slowest_run:
            return 0.0
        check, args = self.slowest_run
        start = time.perf_counter()
        try:
            with f.time_bound():
                check(*args)
        except (f.Failure, TimeoutError):
            pass
        return time.perf_counter() - start

    def report(self) -> dict:
        return {"class": self.name, "tried": self.tried, "failures": self.endings["FAILURE"],
                "endings": dict(self.endings.most_common()), "slowest_seconds": round(self.slowest[0], 3),
                "slowest_input": self.slowest[1], "slowest_again_seconds": round(self.retime_slowest(), 3), "seconds": round(time.perf_counter() - self.started, 1),
                "first_failures": self.failures}


def hypothesis_settings(count: int):
    return settings(max_examples=count, deadline=None, database=None, phases=[Phase.generate],
                    suppress_health_check=list(HealthCheck))


def run_class(name: str, count: int, context: f.Context, seeds: list[str]) -> dict:
    tally = Tally(name)
    vocabulary = context.vocabulary
    facts = f.typed_facts(vocabulary)

    if name == "payment splits":
        _splits(tally, count)
        return tally.report()

    if name.endswith("expressions") or name.startswith("well-typed"):
        texts = {"random expressions": f.random_expressions(), "mutated expressions": f.mutated_expressions(seeds),
                 "well-typed expressions, extreme values": f.typed_expressions()}[name]

        @hypothesis_settings(count)
        @given(text=texts, case=facts, day=f.DATES)
        def each(text, case, day):
            tally.run(f.check_expression, context, text, case, day, shown=text)
    elif name.startswith("cards"):
        @hypothesis_settings(count)
        @given(card=f.cards(), case=facts, day=st.one_of(st.none(), f.DATES))
        def each(card, case, day):
            tally.run(f.check_card, context, card, case, day, shown=card)
    elif name == "calendars":
        @hypothesis_settings(count)
        @given(calendar=f.calendars(), case=facts, day=st.one_of(st.none(), f.DATES))
        def each(calendar, case, day):
            tally.run(f.check_calendar, context, calendar, case, day, shown=calendar)
    elif name == "case files":
        @hypothesis_settings(count)
        @given(text=f.case_texts(vocabulary), day=st.one_of(st.none(), f.DATES))
        def each(text, day):
            tally.run(f.check_case, context, text, day, shown=text)
    else:
        @hypothesis_settings(count)
        @given(file=f.batch_files(), out_format=st.sampled_from(["csv", "jsonl"]),
               due_within=st.one_of(st.none(), st.integers(0, 36_600)))
        def each(file, out_format, due_within):
            tally.run(f.check_batch, context, *file, out_format, due_within, shown=file[1])
    each()
    return tally.report()


def _splits(tally: Tally, count: int) -> None:
    """A million splits: hypothesis would spend more on drawing than the check costs, so plain random."""
    import random
    from decimal import Decimal
    generator = random.Random(11)
    units = (Decimal(1), Decimal("0.01"), Decimal("0.0001"))
    for _ in range(count):
        cents = generator.choice((generator.randint(0, 100), generator.randint(0, 10_000_000),
                                  generator.randint(0, 99_999_999_999_999_999)))
        base = Decimal(cents) / 100
        unit = generator.choice(units)
        whole = int(100 / unit)
        cuts = sorted(generator.randint(0, whole) for _ in range(generator.randint(1, 7)))
        bounds = [0, *cuts, whole]
        shares = [Decimal(b - a) * unit for a, b in zip(bounds, bounds[1:])]
        tally.run(f.check_split, base, shares, shown=f"{base} split {[str(s) for s in shares]}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--scale", type=float, default=1.0, help="multiply every class's count (default 1)")
    parser.add_argument("--json", type=Path, help="also write the figures here")
    parser.add_argument("--only", action="append", help="run only classes whose name contains this")
    args = parser.parse_args()
    started = time.perf_counter()
    reports = []
    with tempfile.TemporaryDirectory(prefix="catalogue-fuzz-") as folder:
        context = f.Context(Path(folder))
        seeds = f.seed_expressions()
        for name, count in COUNTS.items():
            if args.only and not any(part in name for part in args.only):
                continue
            report = run_class(name, max(1, int(count * args.scale)), context, seeds)
            reports.append(report)
            print(f"{name:42} {report['tried']:>9,} tried  {report['failures']:>3} failures  "
                  f"slowest {report['slowest_seconds']:.3f} s (alone {report['slowest_again_seconds']:.3f} s)  "
                  f"({report['seconds']:.0f} s)", flush=True)
            for failure in report["first_failures"][:3]:
                print(f"    FAILURE {failure['failure']}\n      input: {failure['input']!r}", flush=True)
            if args.json:  # after every class, so that a long run stopped early still leaves its figures
                _write(args.json, reports)
    total = sum(r["tried"] for r in reports)
    failures = sum(r["failures"] for r in reports)
    splits = sum(r["tried"] for r in reports if r["class"] == "payment splits")
    print(f"{'all classes':42} {total:>9,} tried  {failures:>3} failures  ({total - splits:,} without the splits; "
          f"{time.perf_counter() - started:.0f} s on {dt.date.today().isoformat()})")
    return 1 if failures else 0


def _write(path: Path, reports: list[dict]) -> None:
    path.write_text(json.dumps({"date": dt.date.today().isoformat(), "python": sys.version.split()[0],
                                "classes": reports}, indent=2), encoding="utf-8")


if __name__ == "__main__":
    sys.exit(main())
