"""The entry point for applications: load a catalogue once, evaluate many cases."""
from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any, Callable, Mapping

from . import __version__
from .cases import RULES_ON, convert_facts, read_case
from .catalogue import default_root
from .compiler import CompiledProduct, compile_product
from .evaluator import evaluate
from .model import Catalogue, Product, edition_on
from .results import Result
from .store import LazyCatalogue, open_catalogue

# "compiled": each product compiled once into Python code (fast); "reference": the tree walker,
# which also produces the --explain trace.
BACKENDS = ("compiled", "reference")


class Engine:
    """A loaded, checked catalogue that evaluates cases.

    >>> engine = Engine()                       # the bundled catalogue
    >>> result = engine.evaluate("12XR", {"registered_on": "2016-04-01"}, as_of=dt.date(2016, 5, 1))
    >>> result.deadlines[0].date
    datetime.date(2016, 5, 27)
    """

    def __init__(self, catalogue: Path | str | Catalogue | None = None, backend: str = "compiled"):
        _check_backend(backend)
        # Lazily, card by card: evaluating one product loads (or reads from the cache) only its cards.
        loaded = isinstance(catalogue, (Catalogue, LazyCatalogue))
        self.catalogue = catalogue if loaded else open_catalogue(catalogue or default_root())
        self.backend = backend
        self._compiled: dict[int, CompiledProduct] = {}  # by id() of a product the catalogue keeps alive

    @property
    def receipt(self) -> dict[str, str]:
        return {"engine": __version__, "catalogue_hash": self.catalogue.hash}

    def facts(self, raw: Mapping[str, Any]) -> dict[str, Any]:
        """Typed facts from plain values (ISO date strings, numbers, "60%", lists of names)."""
        return convert_facts(dict(raw), self.catalogue.vocabulary)

    def read_case(self, source: str | Path, stdin_text: str | None = None) -> dict[str, Any]:
        return read_case(source, self.catalogue.vocabulary, stdin_text)

    def dates(self, code: str, facts: Mapping[str, Any], as_of: dt.date | None = None,
              rules_on: dt.date | None = None) -> tuple[dt.date, dt.date]:
        """(as_of, rules_on) of an evaluation of typed facts.

        as_of, the day statuses are judged on: as given, else today. rules_on, the day whose rules
        apply: as given, else the case's own `rules_on`, else the value of the reference fact its
        product's family declares, else as_of.
        """
        as_of = dt.date.today() if as_of is None else as_of
        if rules_on is None:
            rules_on = facts.get(RULES_ON)
        if rules_on is None:
            reference_fact = self.catalogue.product(code).reference_fact
            rules_on = facts.get(reference_fact) if reference_fact else None
        return as_of, as_of if rules_on is None else rules_on

    def compiled(self, product: Product) -> CompiledProduct:
        """The product compiled to Python, compiled on first use and kept."""
        compiled = self._compiled.get(id(product))
        if compiled is None:
            compiled = self._compiled[id(product)] = compile_product(product, self.catalogue.vocabulary.fact_labels)
        return compiled

    def product(self, code: str, on: dt.date | None = None) -> Product:
        return self.catalogue.product(code, on)

    def evaluate(self, code: str, facts: Mapping[str, Any], as_of: dt.date | None = None,
                 rules_on: dt.date | None = None, explain: bool = False, typed: bool = False,
                 backend: str | None = None) -> Result:
        """Evaluate product `code` for one case. `facts` are plain values unless `typed` is true.

        Statuses are judged on `as_of` (default today); the edition and the effective-dated values
        are those of `rules_on` (default: see `dates`). The trace (`explain`) always comes from the
        reference evaluator.
        """
        backend = _check_backend(backend or self.backend)
        facts = dict(facts) if typed else self.facts(facts)
        as_of, rules_on = self.dates(code, facts, as_of, rules_on)
        facts.pop(RULES_ON, None)  # a date of the evaluation, not a fact the rules may read
        product = self.catalogue.product(code, rules_on)
        if explain or backend == "reference":
            result = evaluate(product, facts, as_of, explain=explain,
                              fact_labels=self.catalogue.vocabulary.fact_labels, rules_on=rules_on)
        else:
            result = self.compiled(product)(facts, as_of, rules_on)
        result.receipt = self.receipt
        return result

    def evaluator(self, code: str, rules_on: dt.date | None = None) -> Callable[[dict[str, Any], dt.date], Result]:
        """`evaluate(code, facts, as_of, rules_on, typed=True)` for many cases, as a function of (facts, as_of).

        A batch asks the same questions for every case: the product's editions and its reference fact are
        looked up once here, not twice per case as evaluate does; each edition's compiled function is kept.
        The function takes the facts' dict over (it pops the case's rules_on) and gives every result the one
        receipt of the run. The product must exist: this raises what evaluate raises for an unknown code.
        """
        if self.backend == "reference":
            return lambda facts, as_of: self.evaluate(code, facts, as_of, rules_on, typed=True)
        editions = self.catalogue.editions(code)
        reference_fact = self.catalogue.product(code).reference_fact  # the latest edition's, as `dates` says
        receipt, compiled = self.receipt, self.compiled

        def evaluate_case(facts: dict[str, Any], as_of: dt.date) -> Result:
            own = facts.pop(RULES_ON, None)  # a date of the evaluation, not a fact the rules may read
            on = own if rules_on is None else rules_on
            if on is None and reference_fact:
                on = facts.get(reference_fact)
            if on is None:
                on = as_of
            result = compiled(edition_on(code, editions, on))(facts, as_of, on)
            result.receipt = receipt
            return result
        return evaluate_case


def _check_backend(backend: str) -> str:
    if backend not in BACKENDS:
        raise ValueError(f"unknown backend {backend!r}; choose one of {', '.join(BACKENDS)}")
    return backend
