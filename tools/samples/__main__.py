"""``python -m tools.samples``: see :func:`tools.samples.main`."""

from tools.samples import main

main()
