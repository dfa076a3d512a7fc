"""Helpers of the reliability suite: copy a data directory, run the real pipeline in a child process."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

from transforms.core.paths import REPO_ROOT, DataPaths

CHILD = """
import json, sys
from pathlib import Path
sys.path.insert(0, sys.argv[5])
from faults import install_fault_hooks
install_fault_hooks()
from transforms.pipeline import stages
from transforms.core.paths import DataPaths
root, run_id, url, mode = sys.argv[1:5]
paths = DataPaths(Path(root))
if mode == "publish":  # the Airflow retry of one task: only the publish stage
    out = stages.publish(run_id, paths)
else:
    out = stages.run_all_exclusive(run_id, paths, url)
print("RESULT " + json.dumps(out, default=str))
"""


def copy_data(src: DataPaths, dest: Path) -> DataPaths:
    """Copy a whole data directory, keeping ``latest`` and period links as (relative) symlinks."""
    shutil.copytree(src.root, dest, symlinks=True, dirs_exist_ok=True)
    return DataPaths(dest)


def run_child(paths: DataPaths, run_id: str, url: str, kill_at: str | None = None, mode: str = "all",
              timeout: float = 180, preexec: object = None) -> subprocess.CompletedProcess:
    """The real pipeline in a child process; ``kill_at`` names a fault point (faults.py)."""
    env = dict(os.environ, HNPLUS_DATA_DIR=str(paths.root), GX_ANALYTICS_ENABLED="False")
    env.pop("HNPLUS_FAULT_KILL_AT", None)
    if kill_at:
        env["HNPLUS_FAULT_KILL_AT"] = kill_at
    args = [str(paths.root), run_id, url, mode, str(Path(__file__).parent)]
    return subprocess.run([sys.executable, "-c", CHILD, *args], env=env, cwd=REPO_ROOT, capture_output=True,
                          text=True, timeout=timeout, preexec_fn=preexec)  # type: ignore[arg-type]


def child_result(proc: subprocess.CompletedProcess) -> dict:
    lines = [ln for ln in proc.stdout.splitlines() if ln.startswith("RESULT ")]
    assert lines, f"rc={proc.returncode}\n{proc.stdout[-2000:]}\n{proc.stderr[-4000:]}"
    return json.loads(lines[-1][len("RESULT "):])


def add_changed_report(paths: DataPaths) -> Path:
    """A corrected report for 411300 2020Q4 (so the inputs change), carrying formula-like text in every free field."""
    src = paths.inbox / "411300" / "411300_2020Q4.json"
    doc = json.loads(src.read_text(encoding="utf-8"))
    doc["submitter"] = "=HYPERLINK(\"http://evil.example\",\"点我\")"
    doc["note"] = "@SUM(1+1)*cmd|' /C calc'!A0 <img src=x onerror=alert(1)>"
    for ind in doc["indicators"]:
        if isinstance(ind.get("value"), int | float):
            ind["value"] = round(ind["value"] * 1.5 + 1, 2)
        ind["note"] = "+cmd|' /C notepad'!A1"
    for ms in doc["milestones"]:
        ms["evidence"] = "-2+3+cmd|' /C calc'!A0"
    dest = paths.inbox / "411300" / "=411300_2020Q4 修正.json"
    dest.write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")
    return dest
