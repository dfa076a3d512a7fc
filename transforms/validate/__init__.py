"""The validate stage: Great Expectations suites (``expectations/``) on the inputs and on the candidate marts.

``run`` validates an asset (SQL checks, GX expectations, quarantine or refusal), ``results`` keeps and records
what was found, ``docs`` renders the Data Docs, ``gx`` holds the GX context, ``quarantine`` moves bad report rows.
"""

from transforms.validate.docs import build_data_docs
from transforms.validate.results import SuiteResult, load_results, record_results, results_dir, save_results, summarise
from transforms.validate.run import QUARANTINE_MAX_SHARE, validate_asset, validate_stage

__all__ = [
    "QUARANTINE_MAX_SHARE", "SuiteResult", "build_data_docs", "load_results", "record_results", "results_dir",
    "save_results", "summarise", "validate_asset", "validate_stage",
]
