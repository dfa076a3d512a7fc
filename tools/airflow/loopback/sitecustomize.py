"""Keeps Airflow's log servers on loopback in the processes of ``hnplus airflow-standalone`` (``make airflow``).

Python imports ``sitecustomize`` at start-up from ``PYTHONPATH``; the launcher puts this folder there. Airflow 3.3's
log servers (``airflow.utils.serve_logs``: the scheduler's on 8793, the triggerer's on 8794) call
``uvicorn.run(host="")``, i.e. every interface, and have no host option. Here a host of ``""`` becomes
``HNPLUS_LISTEN_HOST`` (default ``127.0.0.1``); a host that is configured (the API server's
``AIRFLOW__API__HOST``) is left as it is.
"""

from __future__ import annotations

import os


def _keep_log_servers_on_loopback() -> None:
    try:
        import uvicorn
    except ImportError:  # not an Airflow process of this venv
        return
    original = uvicorn.run
    if getattr(original, "_hnplus_loopback", False):
        return

    def run(app, *args, **kwargs):  # noqa: ANN001, ANN002, ANN003, ANN202
        if kwargs.get("host") == "":
            kwargs["host"] = os.environ.get("HNPLUS_LISTEN_HOST", "127.0.0.1")
        return original(app, *args, **kwargs)

    run._hnplus_loopback = True  # type: ignore[attr-defined]
    uvicorn.run = run


_keep_log_servers_on_loopback()
