"""hf_ser.files: a result file is complete or absent, never half-written."""

from __future__ import annotations

import json

import pytest

from hf_ser.files import PARTIAL_SUFFIX, atomic_open, atomic_path, write_json_atomic, write_text_atomic


def test_written_files_appear_whole_and_leave_no_temporary(tmp_path):
    path = write_json_atomic(tmp_path / "sub" / "r.json", {"uar": 0.5})
    assert json.loads(open(path).read()) == {"uar": 0.5}
    write_text_atomic(tmp_path / "r.md", "# ok\n")
    assert (tmp_path / "r.md").read_text() == "# ok\n"
    assert not list(tmp_path.rglob(f"*{PARTIAL_SUFFIX}"))


def test_a_failed_write_keeps_the_previous_file_and_removes_the_temporary(tmp_path):
    target = tmp_path / "results.json"
    write_json_atomic(target, {"run": 1})
    with pytest.raises(TypeError):
        write_json_atomic(target, {"run": object()})  # not JSON: fails halfway through the dump
    assert json.loads(target.read_text()) == {"run": 1}
    with pytest.raises(RuntimeError), atomic_open(target) as f:
        f.write('{"run": 2')
        raise RuntimeError("killed mid-write")
    assert json.loads(target.read_text()) == {"run": 1}
    assert sorted(p.name for p in tmp_path.iterdir()) == ["results.json"]


def test_atomic_path_renames_what_a_library_wrote(tmp_path):
    target = tmp_path / "plot.png"
    with atomic_path(target) as tmp:
        assert not target.exists() and tmp.endswith(PARTIAL_SUFFIX)
        open(tmp, "wb").write(b"\x89PNG")
    assert target.read_bytes() == b"\x89PNG"
