"""hnplus: the plan as data, city reports and open-data feeds in, scored league tables out.

This package holds all the logic; Airflow DAGs in ``dags/`` only wire it together.
"""

import csv
from pathlib import Path


def _method_version() -> str:
    """The scoring method version, declared once in seeds/scoring_parameters.csv and stored with every result."""
    seed = Path(__file__).resolve().parent.parent / "seeds" / "scoring_parameters.csv"
    with open(seed, encoding="utf-8", newline="") as f:
        for row in csv.DictReader(f):
            if row["parameter"] == "method_version":
                return row["value"]
    raise RuntimeError(f"method_version missing from {seed}")


METHOD_VERSION = _method_version()
