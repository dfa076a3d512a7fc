"""``python -m transforms.cli``: the same as the ``hnplus`` command."""

from transforms.cli import app

app(prog_name="hnplus")
