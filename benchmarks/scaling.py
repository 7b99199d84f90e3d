"""Scaling benchmark: what one evaluation and one edit cost as the catalogue grows from 15 to 1,000 cards.

For catalogues of 15, 100 and 1,000 cards (the bundled fifteen, then copies of them under new
codes), one run measures, each in a new process as a user would start it:

- uncached `catalogue validate` (CATALOGUE_NO_CACHE=1);
- cold `catalogue evaluate 12XR` with an empty cache folder;
- warm `catalogue evaluate 12XR` (the cache filled by the run before);
- `catalogue evaluate 12XR` right after an edit to one other card;

and prints each as a time, as a ratio to the 15-card figure and as a ratio to
`python -c "import yaml, lark, click"` measured in the same run. Targets of the issue on scaling:
on 1,000 cards warm evaluate within 3× the bare import, evaluate after a one-card edit under 1 s,
uncached validate under 5 s.
"""
from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from startup import as_installed, note

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
BIN = Path(sys.executable).parent  # the virtual environment's bin/, where `catalogue` is installed
BUNDLED = ROOT / "catalogue"
SIZES = (15, 100, 1000)
CASE = ROOT / "examples" / "12XR-case.yaml"
EDITED = "LEON-3"  # a card other than the one evaluated


def make_catalogue(folder: Path, size: int) -> Path:
    """The bundled catalogue without its test files, its cards copied under new codes up to `size` cards."""
    root = folder / f"catalogue-{size}"
    shutil.copytree(BUNDLED, root, ignore=shutil.ignore_patterns("*.tests.yaml"))
    cards = sorted(p for p in (root / "products").rglob("*.yaml"))
    extra = root / "products" / "copies"
    extra.mkdir()
    copy = 0
    while len(cards) + copy < size:
        card = cards[copy % len(cards)]
        text = card.read_text(encoding="utf-8")
        code = re.search(r"^code: (\S+)$", text, re.M).group(1)
        new_code = f"{code}-C{copy // len(cards) + 1:03d}"
        (extra / f"{new_code}.yaml").write_text(
            re.sub(r"^code: \S+$", f"code: {new_code}", text, count=1, flags=re.M), encoding="utf-8")
        copy += 1
    return root


def run(command: list[str], env: dict[str, str]) -> float:
    started = time.perf_counter()
    done = subprocess.run(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env, cwd=ROOT,
                          timeout=600)
    seconds = time.perf_counter() - started
    if done.returncode != 0:
        lines = done.stderr.decode(errors="replace").strip().splitlines() or ["(no message)"]
        raise SystemExit(f"failed: {' '.join(command)}: {lines[0][:300]}")
    return seconds


def edit_one_card(root: Path, round_: int) -> None:
    """A change a policy author might make to another card: its title."""
    card = next((root / "products").rglob(f"{EDITED}.yaml"))
    text = card.read_text(encoding="utf-8")
    card.write_text(re.sub(r"^title: (.*?)( \(edit \d+\))?$", rf"title: \1 (edit {round_})", text, count=1,
                           flags=re.M), encoding="utf-8")


def measure(root: Path, runs: int, base_env: dict[str, str]) -> dict[str, float]:
    catalogue = str(BIN / "catalogue")
    evaluate = [catalogue, "--catalogue", str(root), "evaluate", "12XR", str(CASE)]
    validate = [catalogue, "--catalogue", str(root), "validate"]
    figures: dict[str, list[float]] = {"validate, no cache": [], "evaluate, cold": [], "evaluate, warm": [],
                                       "evaluate after a one-card edit": []}
    for round_ in range(runs):
        figures["validate, no cache"].append(run(validate, {**base_env, "CATALOGUE_NO_CACHE": "1"}))
        cache = Path(tempfile.mkdtemp(prefix="scale-cache-"))
        try:
            env = {**base_env, "CATALOGUE_CACHE_DIR": str(cache)}
            figures["evaluate, cold"].append(run(evaluate, env))
            figures["evaluate, warm"].append(run(evaluate, env))
            edit_one_card(root, round_)
            figures["evaluate after a one-card edit"].append(run(evaluate, env))
        finally:
            shutil.rmtree(cache, ignore_errors=True)
    return {name: min(times) for name, times in figures.items()}


def bare_import(runs: int, env: dict[str, str]) -> float:
    return min(run([sys.executable, "-c", "import yaml, lark, click"], env) for _ in range(max(3, runs)))


def fmt(seconds: float) -> str:
    return f"{seconds * 1e3:.0f} ms" if seconds < 1 else f"{seconds:.2f} s"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=list(SIZES), help="catalogue sizes in cards")
    parser.add_argument("--runs", type=int, default=3, help="runs per figure; the minimum is reported")
    options = parser.parse_args(argv)
    sizes = sorted(set(options.sizes) | {15})
    env = as_installed({key: value for key, value in os.environ.items() if not key.startswith("CATALOGUE_")})
    if note(os.environ):
        print(note(os.environ))
    with tempfile.TemporaryDirectory(prefix="scale-") as scratch:
        bare = bare_import(options.runs, env)
        print(f"python -c \"import yaml, lark, click\": {fmt(bare)} (min of {max(3, options.runs)})\n")
        results = {}
        for size in sizes:
            root = make_catalogue(Path(scratch), size)
            results[size] = measure(root, options.runs, env)
        bare_after = bare_import(options.runs, env)
    bare = min(bare, bare_after)
    names = list(results[15])
    print(f"{'cards':>6}  {'measurement':<32} {'time':>9} {'× 15 cards':>11} {'× bare import':>14}")
    for size in sizes:
        for name in names:
            seconds = results[size][name]
            print(f"{size:>6}  {name:<32} {fmt(seconds):>9} {seconds / results[15][name]:>10.2f}× "
                  f"{seconds / bare:>13.2f}×")
    largest = results[max(sizes)]
    print(f"\nTargets on {max(sizes)} cards (report what is reached):")
    checks = [("warm evaluate within 3× the bare import", largest["evaluate, warm"] / bare <= 3,
               f"{largest['evaluate, warm'] / bare:.2f}×"),
              ("evaluate after a one-card edit under 1 s", largest["evaluate after a one-card edit"] < 1,
               fmt(largest["evaluate after a one-card edit"])),
              ("uncached validate under 5 s", largest["validate, no cache"] < 5, fmt(largest["validate, no cache"]))]
    for text, met, figure in checks:
        print(f"  {'met    ' if met else 'NOT met'}  {text}: {figure}")


if __name__ == "__main__":
    main()
