"""Every sentence a card or family quotes must stand, word for word, in the source it cites.

The quotes are the ones the catalogue loader keeps (the card's own source quote, each rule's
citation quotes, family rules included), the quoted strings ("...") of a card's `description`,
and the sentences the YAML test cases quote in their `source`. Whitespace is collapsed on both
sides before comparing: the sources are text conversions whose line breaks and double spaces
carry no meaning.

The source documents live outside the repository ($CATALOGUE_SOURCES, else ../shared/sources);
without them these tests are skipped, not failed.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml
from conftest import sources_dir

from cards import BUNDLED
from interpreter.catalogue import load_catalogue
from interpreter.errors import CatalogueError
from interpreter.policy.testing import discover
from interpreter.yamlsource import load_file

QUOTE_STYLES = ('"', "'")


def collapse(text: str) -> str:
    return " ".join(text.split())


@dataclass(frozen=True)
class Quote:
    where: str      # card or family file, and the rule or field that quotes
    document: str   # the cited source file name
    text: str


def _card_path(product) -> Path:
    path = Path(product.file)
    if path.is_file():
        return path
    matches = [p for p in (BUNDLED / "products").rglob("*.yaml")
               if not p.name.endswith(".tests.yaml") and p.stem == product.code]
    return matches[0] if matches else path


def _description_quotes(product) -> list[Quote]:
    """The description strings written in quotes on the card: they claim to be the source's words."""
    path = _card_path(product)
    document = load_file(path)
    quotes = []
    for node_path, node in document.value_nodes.items():
        if (node_path[:1] == ("description",) and isinstance(node, yaml.ScalarNode)
                and node.style in QUOTE_STYLES):
            field = ".".join(str(part) for part in node_path)
            quotes.append(Quote(f"{path.name} {field}", product.citation.document, node.value))
    return quotes


def _collect() -> tuple[list[Quote], list[tuple[str, str]]]:
    """All quotes, each once (family rules are shared by several cards), and all cited documents."""
    catalogue = load_catalogue(BUNDLED)
    quotes: dict[tuple[str, str, str], Quote] = {}
    documents: dict[tuple[str, str], None] = {}
    for editions in catalogue.products.values():
        for product in editions:
            card = Path(product.file).name
            documents[(card, product.citation.document)] = None
            for index, text in enumerate(product.citation.quotes):
                where = f"{card} source[{index}]"
                quotes.setdefault((where, product.citation.document, text),
                                  Quote(where, product.citation.document, text))
            for quote in _description_quotes(product):
                quotes.setdefault((quote.where, quote.document, quote.text), quote)
            for rule in product.rules.values():
                if rule.citation is None:
                    continue
                origin = Path(rule.origin).name
                documents[(origin, rule.citation.document)] = None
                for index, text in enumerate(rule.citation.quotes):
                    where = f"{origin} {rule.section}.{rule.id}[{index}]"
                    quotes.setdefault((where, rule.citation.document, text),
                                      Quote(where, rule.citation.document, text))
    # Families are read by the loader only through their cards; their own `source` is checked here.
    for path in sorted((BUNDLED / "families").glob("*.yaml")):
        data = load_file(path).data
        source = data.get("source") or {}
        if "document" in source:
            documents[(path.name, source["document"])] = None
        texts = source.get("quote") or []
        for index, text in enumerate([texts] if isinstance(texts, str) else texts):
            where = f"{path.name} source[{index}]"
            quotes.setdefault((where, source.get("document", ""), text),
                              Quote(where, source.get("document", ""), text))
    return list(quotes.values()), list(documents)


QUOTES, DOCUMENTS = _collect()

# A test case's `source` names its document by file name and quotes the sentence between “ and ”;
# an ellipsis (…) inside the quotation marks leaves words out, so each piece is checked on its own.
DOCUMENT_NAME = re.compile(r"\b(\d{3}_[0-9a-f]{16}\.txt)\b")
QUOTATION = re.compile(r"“([^”]*)”")


def _case_quotes() -> list[Quote]:
    quotes = []
    for path in discover(BUNDLED):
        try:
            data = load_file(path).data
        except CatalogueError:
            continue  # test_products reports a file it cannot read
        cases = (data.get("cases") or []) if isinstance(data, dict) else []
        for index, case in enumerate(cases):
            source = case.get("source") if isinstance(case, dict) else None
            if not isinstance(source, str):
                continue
            document = DOCUMENT_NAME.search(source)
            if document is None:
                continue
            for number, quoted in enumerate(QUOTATION.findall(source)):
                for piece in (p.strip() for p in quoted.split("…")):
                    if piece:
                        where = f"{path.name} case {index + 1} ({case.get('name')}) quote {number + 1}"
                        quotes.append(Quote(where, document.group(1), piece))
    return quotes


CASE_QUOTES = _case_quotes()


@pytest.fixture(scope="module")
def sources() -> Path:
    folder = sources_dir()
    if folder is None:
        pytest.skip("the source documents are not available: set CATALOGUE_SOURCES to their folder, "
                    "or put them in ../shared/sources beside the checkout")
    return folder


_texts: dict[Path, str] = {}


def _source_text(path: Path) -> str:
    if path not in _texts:
        _texts[path] = collapse(path.read_text(encoding="utf-8"))
    return _texts[path]


def test_there_are_quotes_to_check():
    assert QUOTES, "no quotes found on the cards: the collection of this test module is broken"


@pytest.mark.parametrize("origin, document", DOCUMENTS, ids=[f"{o}->{d}" for o, d in DOCUMENTS])
def test_cited_document_exists(sources: Path, origin: str, document: str):
    assert document, f"{origin} cites a source without a document name"
    assert (sources / document).is_file(), (
        f"{origin} cites '{document}', which is not in {sources}; "
        f"the documents there are: {', '.join(sorted(p.name for p in sources.iterdir()))}")


@pytest.mark.parametrize("quote", QUOTES, ids=[q.where for q in QUOTES])
def test_quote_is_verbatim(sources: Path, quote: Quote):
    _check_quote(sources, quote)


@pytest.mark.parametrize("quote", CASE_QUOTES, ids=[q.where for q in CASE_QUOTES])
def test_test_case_quote_is_verbatim(sources: Path, quote: Quote):
    _check_quote(sources, quote)


def _check_quote(sources: Path, quote: Quote) -> None:
    path = sources / quote.document
    if not path.is_file():
        pytest.fail(f"{quote.where} quotes '{quote.document}', which is not in {sources}")
    wanted = collapse(quote.text)
    assert wanted, f"{quote.where} has an empty quote"
    text = _source_text(path)
    if wanted in text:
        return
    # Say how far the quote does match, so the editor sees where it departs from the source.
    longest = 0
    for end in range(len(wanted), 0, -1):
        if wanted[:end] in text:
            longest = end
            break
    pytest.fail(f"{quote.where}: the quote is not in {quote.document}.\n"
                f"  quote:         {wanted}\n"
                f"  matches up to: {wanted[:longest]!r}\n"
                f"  then differs:  {wanted[longest:longest + 60]!r}")
