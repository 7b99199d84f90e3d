"""The entry point for applications: load a catalogue once, evaluate many cases."""
from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any, Mapping

from . import __version__
from .cases import convert_facts, read_case
from .catalogue import Catalogue, load_catalogue
from .model import Product
from .results import Result, evaluate

REFERENCE_FACT = "registered_on"


class Engine:
    """A loaded, checked catalogue that evaluates cases.

    >>> engine = Engine()                       # the bundled catalogue
    >>> result = engine.evaluate("12XR", {"registered_on": "2016-04-01"})
    >>> result.deadlines[0].date
    datetime.date(2016, 5, 27)
    """

    def __init__(self, catalogue: Path | str | Catalogue | None = None):
        self.catalogue = catalogue if isinstance(catalogue, Catalogue) else load_catalogue(catalogue)

    @property
    def receipt(self) -> dict[str, str]:
        return {"engine": __version__, "catalogue_hash": self.catalogue.hash}

    def facts(self, raw: Mapping[str, Any]) -> dict[str, Any]:
        """Typed facts from plain values (ISO date strings, numbers, "60%", lists of names)."""
        return convert_facts(dict(raw), self.catalogue.vocabulary)

    def read_case(self, source: str | Path, stdin_text: str | None = None) -> dict[str, Any]:
        return read_case(source, self.catalogue.vocabulary, stdin_text)

    def reference_date(self, facts: Mapping[str, Any], as_of: dt.date | None) -> dt.date:
        """--as-of when given, else the registration date, else today."""
        if as_of is not None:
            return as_of
        registered = facts.get(REFERENCE_FACT)
        return registered if isinstance(registered, dt.date) else dt.date.today()

    def product(self, code: str, on: dt.date | None = None) -> Product:
        return self.catalogue.product(code, on)

    def evaluate(self, code: str, facts: Mapping[str, Any], as_of: dt.date | None = None,
                 explain: bool = False, typed: bool = False) -> Result:
        """Evaluate product `code` for one case. `facts` are plain values unless `typed` is true."""
        facts = dict(facts) if typed else self.facts(facts)
        day = self.reference_date(facts, as_of)
        product = self.catalogue.product(code, day)
        result = evaluate(product, facts, day, explain=explain,
                          fact_labels=self.catalogue.vocabulary.fact_labels)
        result.receipt = self.receipt
        return result
