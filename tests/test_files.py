"""Files written whole: the old file or the new one, never half of one, and no temporary file left."""
from __future__ import annotations

import os
import stat

import pytest

from interpreter.files import AtomicFile, write_whole


def test_text_is_written_whole_as_utf8_and_replaces_the_old_file(tmp_path):
    target = tmp_path / "out.json"
    target.write_text("old", encoding="utf-8")
    write_whole(target, "één\n")
    assert target.read_bytes() == "één\n".encode("utf-8")
    assert [p.name for p in tmp_path.iterdir()] == ["out.json"]


def test_an_error_while_writing_keeps_the_old_file_and_leaves_no_temporary_one(tmp_path):
    target = tmp_path / "out.csv"
    target.write_bytes(b"old")
    with pytest.raises(KeyboardInterrupt):
        with AtomicFile(target) as stream:
            stream.write(b"half")
            raise KeyboardInterrupt
    assert target.read_bytes() == b"old"
    assert [p.name for p in tmp_path.iterdir()] == ["out.csv"]


def test_an_existing_file_keeps_its_mode_and_a_mode_can_be_asked_for(tmp_path):
    kept = tmp_path / "kept"
    kept.write_bytes(b"x")
    os.chmod(kept, 0o640)
    write_whole(kept, b"y")
    assert stat.S_IMODE(kept.stat().st_mode) == 0o640
    private = tmp_path / "private"
    write_whole(private, b"z", mode=0o600)
    assert stat.S_IMODE(private.stat().st_mode) == 0o600


def test_a_folder_that_does_not_exist_gives_the_callers_error(tmp_path):
    missing = tmp_path / "no" / "out.txt"
    with pytest.raises(OSError):
        write_whole(missing, b"x")
    with pytest.raises(ValueError, match="cannot write 'out.txt'"):
        AtomicFile(missing, on_error=lambda path, error: ValueError(f"cannot write '{path.name}'"))


def test_another_writer_can_write_into_the_file_between_handover_and_take_back(tmp_path):
    path = tmp_path / "out.txt"
    with AtomicFile(path) as sink:
        sink.write(b"head\n")
        fd, at = sink.handover()  # what was written so far is in the file, and the place after it
        assert at == 5
        os.pwrite(fd, b"second\n", at + 6)  # the others write where they were told, in any order
        os.pwrite(fd, b"first\n", at)
        sink.take_back(at + 13)
        sink.write(b"tail\n")
        assert not path.exists()  # still the temporary file
    assert path.read_bytes() == b"head\nfirst\nsecond\ntail\n"
