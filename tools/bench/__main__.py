"""``python -m tools.bench [--scale L|S|XS|M|C] [--skip-baseline] [--baseline-fraction F] [--repeat N]``.

Writes ``$HNPLUS_DATA_DIR/bench/results-<scale>.json`` and prints a short table.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from tools.bench.runner import print_table, run_bench
from transforms.core.paths import data_paths


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m tools.bench", description=__doc__)
    ap.add_argument("--scale", default="L", choices=["XXS", "XS", "S", "M", "L", "C"],
                    help="C: issue 20's county scale (2,850 units, 100 M feed rows; implies --skip-baseline)")
    ap.add_argument("--skip-baseline", action="store_true", help="do not run the pandas baseline")
    ap.add_argument("--baseline-fraction", type=float, default=None,
                    help="share of cities the pandas baseline runs on (then extrapolated linearly); default 1: all")
    ap.add_argument("--skip-intake-subset", action="store_true")
    ap.add_argument("--airflow", action="store_true",
                    help="with --scale S: also time `hnplus run` (Airflow dags test) cold and with no changed input")
    ap.add_argument("--repeat", type=int, default=3,
                    help="cold runs of the pipeline, each with the floor beside it; figures of the median (default 3)")
    ap.add_argument("--data-dir", type=Path, default=None, help="bench root (default $HNPLUS_DATA_DIR/bench)")
    args = ap.parse_args(argv)
    root = args.data_dir or data_paths().root / "bench"
    results = run_bench(args.scale, root, skip_baseline=args.skip_baseline,
                        baseline_fraction=args.baseline_fraction, intake_subset=not args.skip_intake_subset,
                        airflow=args.airflow, repeat=args.repeat)
    print_table(results)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
