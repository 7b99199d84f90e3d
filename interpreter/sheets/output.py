"""Sheets as files: the page data rendered with the Jinja2 templates, written atomically into a folder."""
from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path
from typing import Any

import jinja2

from ..errors import Position
from ..files import write_whole
from .pages import Builder, SheetError

TEMPLATES = Path(__file__).resolve().parent / "templates"
FORMATS = ("html", "md")
STYLESHEET = "sheet.css"

_MD_SPECIAL = str.maketrans({c: "\\" + c for c in "\\`*_[]<>|#"})


def md_text(value: Any) -> str:
    """Text for Markdown: characters that would start markup are escaped, lines joined."""
    return " ".join(str(value).split()).translate(_MD_SPECIAL)


def md_code(value: Any) -> str:
    text = " ".join(str(value).split())
    fence = "``" if "`" in text else "`"
    return f"{fence}{text}{fence}" if fence == "`" else f"{fence} {text} {fence}"


def _environment(fmt: str) -> jinja2.Environment:
    environment = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(TEMPLATES)),
        autoescape=fmt == "html",
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    environment.filters["md"] = md_text
    environment.filters["mdcode"] = md_code
    return environment


def render_sheets(engine, fmt: str = "html", out_dir: Path | None = None) -> dict[str, str]:
    """Every file of the sheets, by file name, rendered in memory (raises before anything is written)."""
    if fmt not in FORMATS:
        raise ValueError(f"unknown sheet format '{fmt}'; use one of: {', '.join(FORMATS)}")
    builder = Builder(engine, out_dir)
    sheets = builder.build()
    environment = _environment(fmt)
    sheet_template = environment.get_template(f"sheet.{fmt}.j2")
    index_template = environment.get_template(f"index.{fmt}.j2")
    files: dict[str, str] = {}
    for sheet in sheets:
        files[f"{sheet.file}.{fmt}"] = sheet_template.render(**sheet.context, ext=fmt, stylesheet=STYLESHEET)
        example = sheet.context.get("example")
        if fmt == "md" and example:
            files[f"{sheet.file}.timeline.svg"] = str(example["timeline"])
    files[f"index.{fmt}"] = index_template.render(**builder.index(sheets), ext=fmt, stylesheet=STYLESHEET)
    if fmt == "html":
        files[STYLESHEET] = (TEMPLATES / STYLESHEET).read_text(encoding="utf-8")
    return files


def write_sheets(engine, out_dir: Path, fmt: str = "html") -> list[Path]:
    """Write one sheet per product (and edition), the index and, for HTML, the stylesheet.

    Everything is rendered in memory first and written to a temporary folder beside `out_dir`,
    then moved into place, so an error never leaves half-written sheets behind.
    """
    out_dir = Path(out_dir)
    files = render_sheets(engine, fmt, out_dir)
    parent = out_dir.resolve().parent
    parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.", dir=parent))
    mask = os.umask(0)
    os.umask(mask)
    os.chmod(staging, 0o777 & ~mask)  # mkdtemp makes it private; the sheets are for reading
    try:
        for name, text in files.items():
            (staging / name).write_text(text, encoding="utf-8")
        if not out_dir.exists():
            os.replace(staging, out_dir)
        else:
            if not out_dir.is_dir():
                raise SheetError(f"'{out_dir}' exists and is not a folder", Position(str(out_dir), 1, 1),
                                 hint="give --out a folder (it is created when missing)")
            stale = _written_before(out_dir) - set(files)
            for name in files:
                os.replace(staging / name, out_dir / name)
            for name in sorted(stale):
                _remove_regular_file(out_dir / name)
        _write_manifest(out_dir, files)
    finally:
        if staging.exists():
            shutil.rmtree(staging, ignore_errors=True)
    order = [name for name in files if name not in (f"index.{fmt}", STYLESHEET)]
    order += [name for name in (f"index.{fmt}", STYLESHEET) if name in files]
    return [out_dir / name for name in order]


# The files the last `write_sheets` wrote into a folder, so that a rewrite can remove the pages of
# products and editions that are gone without touching any other file a user keeps there.
MANIFEST = ".catalogue-sheets"
_MANIFEST_LIMIT = 1 << 20


def _written_before(out_dir: Path) -> set[str]:
    """The file names the previous run listed; plain names only, so a doctored list cannot reach out."""
    path = out_dir / MANIFEST
    try:
        if not path.is_file() or path.is_symlink() or path.stat().st_size > _MANIFEST_LIMIT:
            return set()
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError):
        return set()
    return {line for line in lines
            if line and line not in (".", "..", MANIFEST) and "/" not in line and "\\" not in line}


def _write_manifest(out_dir: Path, files: dict[str, str]) -> None:
    write_whole(out_dir / MANIFEST, "".join(f"{name}\n" for name in sorted(files)))


def _remove_regular_file(path: Path) -> None:
    if path.is_file() and not path.is_symlink():
        path.unlink()
