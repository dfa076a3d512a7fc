"""The architecture tests read the tree with ``ast`` (tests/architecture/house.py); set ``HNPLUS_HOUSE_ROOT`` to
judge another checkout of the repository."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
