"""kill -9 at every stage boundary and inside publish: readers never see a partial dataset, the next run completes.

One data directory goes through the whole chain (cheaper than one full run per kill point):
dataset A is published; a corrected report arrives (inputs change, dataset B); the run is killed at each
stage; the publish task is killed at each step inside publish; a full run then completes; finally the
replace window of a republish (same dataset id) is hit and the task retry repairs it.
"""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

import duckdb
import pytest
from reliability_helpers import add_changed_report, child_result, copy_data, run_child

from tools.portal import PortalHandle
from transforms.core.paths import DataPaths
from transforms.publish.integrity import check_published, stale_temp_paths

KILLED = -signal.SIGKILL
RUN_POINTS = ["ingest_reports", "load_feeds", "build+0.8", "audit", "publish"]
PUBLISH_POINTS = ["publish.dataset_written", "publish.swap_periods"]


def latest_id(paths: DataPaths) -> str:
    return os.readlink(paths.published / "latest").removeprefix("datasets/")


def warehouse_rows(paths: DataPaths) -> int:
    con = duckdb.connect(str(paths.warehouse), read_only=True)
    try:
        return con.execute("select count(*) from marts.league_table").fetchone()[0]
    finally:
        con.close()


def league_value(paths: DataPaths, db: Path | None = None) -> float:
    """Score of 411300 overall 2020Q4: differs between dataset A and B (the corrected report)."""
    sql = "select score from marts.league_table where city_code = '411300' and period = '2020Q4' and scope = 'overall'"
    con = duckdb.connect(str(db or paths.warehouse), read_only=True)
    try:
        return con.execute(sql).fetchone()[0]
    finally:
        con.close()


def parquet_value(folder: Path) -> float:
    con = duckdb.connect()
    try:
        return con.execute(
            "select score from read_parquet(?) where city_code = '411300' and period = '2020Q4' and scope = 'overall'",
            [str(folder / "league_table.parquet")]).fetchone()[0]
    finally:
        con.close()


@pytest.fixture(scope="module")
def chain(template: DataPaths, portal: PortalHandle, tmp_path_factory: pytest.TempPathFactory) -> dict:
    paths = copy_data(template, tmp_path_factory.mktemp("chain") / "data")
    a_id = latest_id(paths)
    a_value = league_value(paths)
    add_changed_report(paths)
    states: dict[str, dict] = {}

    def snapshot(point: str, proc: object) -> None:
        states[point] = {"rc": proc.returncode, "problems": check_published(paths.published),  # type: ignore[attr-defined]
                         "latest": latest_id(paths), "warehouse_rows": warehouse_rows(paths),
                         "warehouse_value": league_value(paths), "stderr": proc.stderr[-3000:]}  # type: ignore[attr-defined]

    for point in RUN_POINTS:
        t0 = time.monotonic()
        snapshot(point, run_child(paths, "kill-run", portal.url, kill_at=point))
        states[point]["seconds"] = round(time.monotonic() - t0, 1)
    for point in PUBLISH_POINTS:  # Airflow would retry only the publish task: run just that stage
        snapshot(point, run_child(paths, "kill-run", portal.url, kill_at=point, mode="publish"))
    b_id = states["publish.swap_periods"]["latest"]
    b_dir = paths.published / "datasets" / b_id
    b_files = {p.relative_to(b_dir).as_posix(): p.read_bytes() for p in b_dir.rglob("*") if p.is_file()}
    # republishing the same dataset id exchanges the folders: kill right after the exchange
    window = run_child(paths, "kill-run", portal.url, kill_at="publish.replace_window", mode="publish")
    window_state = {"rc": window.returncode, "problems": check_published(paths.published)}
    temp_after_kills = [p.name for p in stale_temp_paths(paths)]
    t0 = time.monotonic()
    out = child_result(run_child(paths, "recover", portal.url))
    recover_seconds = time.monotonic() - t0
    return {"paths": paths, "a_id": a_id, "a_value": a_value, "states": states, "recovered": out, "b_id": b_id,
            "temp_after_kills": temp_after_kills, "b_files": b_files, "window": window_state,
            "recover_seconds": recover_seconds}


@pytest.mark.parametrize("point", RUN_POINTS + PUBLISH_POINTS)
def test_killed_run_dies_by_sigkill(chain: dict, point: str) -> None:
    assert chain["states"][point]["rc"] == KILLED, chain["states"][point]["stderr"]


@pytest.mark.parametrize("point", RUN_POINTS + PUBLISH_POINTS)
def test_latest_is_always_a_complete_dataset(chain: dict, point: str) -> None:
    assert chain["states"][point]["problems"] == []


@pytest.mark.parametrize("point", [*RUN_POINTS, "publish.dataset_written"])
def test_before_the_switch_readers_still_see_dataset_a(chain: dict, point: str) -> None:
    st = chain["states"][point]
    assert st["latest"] == chain["a_id"]
    assert st["warehouse_value"] == chain["a_value"]
    assert st["warehouse_rows"] == 18 * 12 * 20


@pytest.mark.parametrize("point", ["publish.swap_periods"])
def test_after_the_switch_latest_is_b_and_complete(chain: dict, point: str) -> None:
    st = chain["states"][point]
    assert st["latest"] == chain["b_id"] != chain["a_id"]
    # the analysts' warehouse lags one step behind the files until publish_warehouse runs (documented)
    assert st["warehouse_value"] == chain["a_value"]


def test_next_run_completes_and_publishes_b(chain: dict) -> None:
    paths: DataPaths = chain["paths"]
    assert chain["b_id"] != chain["a_id"]
    assert check_published(paths.published) == []
    assert latest_id(paths) == chain["b_id"]
    b_value = parquet_value(paths.published / "latest")
    assert b_value != chain["a_value"]
    assert league_value(paths) == pytest.approx(b_value)  # files and warehouse agree again
    assert warehouse_rows(paths) == 18 * 12 * 20
    # the superseded dataset A stays complete for a restore
    from transforms.publish.integrity import check_dataset
    assert check_dataset(paths.published / "datasets" / chain["a_id"]) == []


def test_killed_runs_leave_only_hidden_temp_folders(chain: dict) -> None:
    # SIGKILL skips every cleanup; the leftovers are hidden (.<id>.*) and never referenced by a link
    assert chain["temp_after_kills"], "a kill inside publish leaves its temp folder"
    assert all(n.startswith(".") for n in chain["temp_after_kills"])


# apportioned targets are float sums whose order varies with DuckDB's threads: these files differ in the last digits
FLOAT_NOISE = ("indicator_scores.csv", "indicator_scores.parquet", "metadata.json", "datapackage.json")


def _rounded_csv(data: bytes) -> list[list[str]]:
    import csv
    import io

    def r(v: str) -> str:
        try:
            return f"{float(v):.9g}"
        except ValueError:
            return v

    return [[r(v) for v in row] for row in csv.reader(io.StringIO(data.decode("utf-8")))]


def test_same_inputs_give_byte_identical_files(chain: dict) -> None:
    """Dataset B written by the killed publish task and again by the recovery run: the same bytes (all files but
    the indicator scores and the manifests hashing them, which agree to 9 significant digits)."""
    paths: DataPaths = chain["paths"]
    assert chain["recovered"]["publish"]["dataset_id"] == chain["b_id"]
    folder = paths.published / "datasets" / chain["b_id"]
    run_specific = ("data_docs/",)  # Data Docs of the run's validation: named by run id and time (reported)
    again = {p.relative_to(folder).as_posix(): p.read_bytes() for p in folder.rglob("*") if p.is_file()
             and not p.relative_to(folder).as_posix().startswith(run_specific)}
    before = {k: v for k, v in chain["b_files"].items() if not k.startswith(run_specific)}
    assert len(again) > 100 and again.keys() == before.keys()
    assert [k for k in again if again[k] != before[k] and not k.endswith(FLOAT_NOISE)] == []
    for k in (k for k in again if k.endswith("indicator_scores.csv")):
        assert _rounded_csv(again[k]) == _rounded_csv(before[k]), k


def test_same_inputs_give_byte_identical_dataset(chain: dict) -> None:
    # data_docs/ records the validation run itself (run id, time), so it is the one part that differs by design
    folder = chain["paths"].published / "datasets" / chain["b_id"]
    again = {p.relative_to(folder).as_posix(): p.read_bytes() for p in folder.rglob("*")
             if p.is_file() and not p.relative_to(folder).as_posix().startswith("data_docs/")}
    before = {k: v for k, v in chain["b_files"].items() if not k.startswith("data_docs/")}
    assert again.keys() == before.keys()
    assert [k for k in again if again[k] != before[k]] == []


def test_republishing_the_same_id_never_dangles(chain: dict) -> None:
    # publish swaps an existing datasets/<id> with the new folder in one rename (renameat2 RENAME_EXCHANGE); the
    # kill lands right after that exchange, before the old content (now in the hidden temp folder) is removed:
    # `latest` still points at a complete dataset, and only a hidden leftover remains
    assert chain["window"]["rc"] == KILLED
    assert chain["window"]["problems"] == []
    assert check_published(chain["paths"].published) == []




def _csv_cells(folder: Path) -> list[tuple[str, str]]:
    import csv

    out = []
    for path in sorted(folder.rglob("*.csv")):
        with open(path, encoding="utf-8", newline="") as f:
            for row in csv.reader(f):
                out += [(path.name, c) for c in row]
    return out


def test_published_csv_carries_no_formula_text(chain: dict) -> None:
    """Dataset B includes a report whose file name and free-text fields are formulas."""
    from transforms.core.formulas import is_formula_text

    cells = _csv_cells(chain["paths"].published / "latest")
    assert len(cells) > 100_000
    assert [c for c in cells if is_formula_text(c[1])] == []


def test_published_xlsx_and_site_carry_no_live_formula_or_markup(chain: dict) -> None:
    import openpyxl

    from transforms.core.formulas import is_formula_text

    folder = chain["paths"].published / "latest"
    books = sorted(folder.rglob("*.xlsx"))
    assert books
    strings = 0
    for book in books:
        wb = openpyxl.load_workbook(book)
        for ws in wb.worksheets:
            for row in ws.iter_rows():
                for cell in row:
                    assert cell.data_type != "f", (book.name, cell.coordinate, cell.value)
                    if isinstance(cell.value, str):
                        strings += 1
                        if is_formula_text(cell.value):
                            assert cell.quotePrefix, (book.name, cell.coordinate, cell.value)
    assert strings > 1000
    for page in ("index.html", "data.js"):
        text = (folder / page).read_text(encoding="utf-8")
        assert "<img src=x onerror" not in text and "=HYPERLINK(" not in text


def test_restore_points_latest_back_and_rebuilds_the_warehouse(chain: dict) -> None:
    from transforms.publish.integrity import restore_dataset

    paths: DataPaths = chain["paths"]
    out = restore_dataset(chain["a_id"], paths)
    assert latest_id(paths) == chain["a_id"] and len(out["periods"]) == 20
    assert check_published(paths.published) == []
    assert league_value(paths) == chain["a_value"]
    assert warehouse_rows(paths) == 18 * 12 * 20
    restore_dataset(chain["b_id"], paths)
    assert latest_id(paths) == chain["b_id"] and check_published(paths.published) == []
    assert league_value(paths) == pytest.approx(parquet_value(paths.published / "latest"))


def test_clean_stale_temp_removes_only_leftovers(chain: dict) -> None:
    from transforms.publish.integrity import clean_stale_temp

    paths: DataPaths = chain["paths"]
    gone = clean_stale_temp(paths)
    assert set(chain["temp_after_kills"]) <= {p.name for p in gone}
    assert stale_temp_paths(paths) == []
    assert check_published(paths.published) == []
    assert sorted(p.name for p in (paths.published / "datasets").iterdir()) == sorted([chain["a_id"], chain["b_id"]])
