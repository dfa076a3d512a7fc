"""``airflow db migrate`` (only when the metadata DB needs it) and ``airflow dags test``, in one Airflow process.

Started by file path from ``transforms.cli.airflow.dags_test`` (``hnplus run`` / ``make run``). It lives outside the
``transforms`` package because it imports Airflow, which the package does not: one interpreter start, one
``import airflow``, and no teardown of ~4,000 modules at the end (the DagRun and every task state are committed).

Usage: ``python tools/airflow/dags_test.py --tag TAG LOGICAL_DATE [--conf JSON] [--migrate]`` with the AIRFLOW_*
environment of ``transforms.cli.airflow.airflow_env``: the DAG is the one in the DAGs folder that carries ``TAG``
(its id is declared in ``dags/`` only).
"""

from __future__ import annotations

import contextlib
import io
import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))  # the repository, for ``transforms``

from transforms.cli.airflow import migrate  # noqa: E402


def _airflow_command(args: list[str]) -> int:
    """One Airflow CLI command in this process (what the ``airflow`` script does), as an exit code."""
    from airflow.__main__ import main

    saved = sys.argv
    sys.argv = ["airflow", *args]
    try:
        main()
    except SystemExit as exc:
        if exc.code is None or isinstance(exc.code, int):
            return exc.code or 0
        print(exc.code, file=sys.stderr)  # e.g. dags test: "DagRun failed"
        return 1
    finally:
        sys.argv = saved
    return 0


def _migrate_in_process(env: dict[str, str]) -> None:
    """``airflow db migrate`` in this process, quiet unless it fails (then its output, and SystemExit)."""
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        rc = _airflow_command(["db", "migrate"])
    if rc:
        sys.stderr.write(out.getvalue())
        raise SystemExit(rc)


def dag_id_by_tag(tag: str) -> str:
    """The id of the one DAG in ``AIRFLOW__CORE__DAGS_FOLDER`` tagged ``tag`` (SystemExit if none or several)."""
    from airflow.dag_processing.dagbag import BundleDagBag

    folder = Path(os.environ["AIRFLOW__CORE__DAGS_FOLDER"])
    bag = BundleDagBag(dag_folder=str(folder), bundle_path=folder)  # as `dags test` parses it: folder on sys.path
    ids = sorted(dag_id for dag_id, dag in bag.dags.items() if tag in (dag.tags or ()))
    if len(ids) != 1:
        raise SystemExit(f"expected one DAG tagged {tag!r}, found {ids or 'none'} (import errors: "
                         f"{sorted(bag.import_errors) or 'none'})")
    return ids[0]


def _main(argv: list[str]) -> int:
    import argparse

    parser = argparse.ArgumentParser(prog="tools/airflow/dags_test.py",
                                     description="[db migrate if needed +] airflow dags test, in one process")
    parser.add_argument("--tag", required=True, help="run the one DAG that carries this tag")
    parser.add_argument("logical_date")
    parser.add_argument("--conf", default=None, help="DAG run conf as JSON")
    parser.add_argument("--migrate", action="store_true", help="migrate the metadata DB first if it needs it")
    args = parser.parse_args(argv)
    env = dict(os.environ)
    if args.migrate:
        try:
            migrate(env, run=_migrate_in_process)
        except SystemExit as exc:
            return int(exc.code or 1)
    return _airflow_command(["dags", "test", dag_id_by_tag(args.tag), args.logical_date]
                            + (["--conf", args.conf] if args.conf else []))


if __name__ == "__main__":
    import logging

    code = _main(sys.argv[1:])
    # Leave without the interpreter's teardown of ~4000 modules (2-3 s on 2 cores): the DagRun and every task
    # state are committed, each stage has closed its DuckDB file; only buffered output needs flushing.
    logging.shutdown()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)
