"""``hnplus run`` says what it did: a new dataset, the same one rebuilt (``--force``), or nothing rebuilt."""

from __future__ import annotations

from pathlib import Path

from transforms.cli.run import _outcome, _published_state
from transforms.core.files import replace_dir, swap_symlink


def _dataset(root: Path, name: str) -> Path:
    tmp = root / f".{name}.tmp"
    tmp.mkdir(parents=True)
    (tmp / "metadata.json").write_text("{}", encoding="utf-8")
    final = root / "datasets" / name
    final.parent.mkdir(exist_ok=True)
    replace_dir(tmp, final)
    swap_symlink(root / "latest", f"datasets/{name}")
    return final


def test_run_messages_tell_the_truth(tmp_path: Path) -> None:
    latest = tmp_path / "latest"
    assert _outcome(None, _published_state(latest), False) == "nothing published yet"
    _dataset(tmp_path, "a")
    first = _published_state(latest)
    assert _outcome(None, first, False).startswith("a new dataset")
    assert "nothing rebuilt" in _outcome(first, _published_state(latest), False)
    _dataset(tmp_path, "a")  # --force: same inputs, same id, rebuilt and swapped in
    again = _published_state(latest)
    msg = _outcome(first, again, True)
    assert "rebuilt and published again" in msg and "nothing rebuilt" not in msg
    _dataset(tmp_path, "b")
    assert _outcome(again, _published_state(latest), False).startswith("a new dataset")
