"""Dutch product sheets: rules said in Dutch, one page per product, rendered with Jinja2.

The stages, in order: words.py (numbers, dates, labels), grammar.py (articles, agreement, clauses),
simplify.py (a pass over the tree before anything is said), phrases.py and clauses.py (one visitor
each), sentences.py (a sentence per rule), pages.py (what a sheet shows), output.py (templates and
files). Everything a caller needs is here.
"""
from .context import RenderError
from .output import FORMATS, MANIFEST, STYLESHEET, TEMPLATES, md_text, render_sheets, write_sheets
from .pages import SheetError
from .sentences import check_product, expression, rule_applies, rule_sentence

__all__ = ["RenderError", "SheetError", "FORMATS", "MANIFEST", "STYLESHEET", "TEMPLATES", "md_text",
           "render_sheets", "write_sheets", "check_product", "expression", "rule_applies", "rule_sentence"]
