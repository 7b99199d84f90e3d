"""The environment a timed command runs in: the project's bytecode compiled, as an installed tool has it.

`pip install` compiles a package's modules to bytecode when it installs them, and so do the
dependencies' installs, which the bare-import baseline loads. A shell with PYTHONDONTWRITEBYTECODE set
(some CI images and sandboxes set it) would leave the project's own modules (an editable install) to
be compiled from source at every start: ~50 ms more for the project's side only, which is no part of
what a user's start costs and would tilt every start-up ratio.
"""
from __future__ import annotations

import compileall
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def as_installed(env: dict[str, str]) -> dict[str, str]:
    """`env` without PYTHONDONTWRITEBYTECODE, after compiling the project's modules as pip would."""
    compileall.compile_dir(ROOT / "interpreter", quiet=1)
    compileall.compile_file(ROOT / "cli.py", quiet=1)
    return {key: value for key, value in env.items() if key != "PYTHONDONTWRITEBYTECODE"}


def note(env_before: dict[str, str]) -> str:
    """One line for the report when the shell asked for no bytecode and the benchmark overrode it."""
    if "PYTHONDONTWRITEBYTECODE" in env_before:
        return ("(PYTHONDONTWRITEBYTECODE is set in this shell; the timed commands run without it, "
                "with the project's modules compiled, as an installed tool runs)")
    return ""
