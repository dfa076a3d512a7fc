"""``python -m tools.portal``: see :func:`tools.portal.main`."""

from tools.portal import main

main()
