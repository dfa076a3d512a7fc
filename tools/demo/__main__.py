"""``python -m tools.demo``: see :mod:`tools.demo`."""

import sys

import typer

from tools.demo import main

try:
    main()
except typer.Exit as exc:  # run_job exits like the CLI it serves
    sys.exit(exc.exit_code)
