"""The running topology (``make deploy-test``): one real deployment per executor mode, on a temporary data
directory and free loopback ports, started before the first test of the mode and stopped after its last.

Opt in with ``-m deployment`` (or ``HNPLUS_DEPLOYMENT=1``): each mode takes several minutes on 2 cores, so
the default ``make test`` run skips these tests.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from deploy_helpers import Api

from tools.deploy.local import Deployment, in_session


def _selected(config: pytest.Config) -> bool:
    return "deployment" in (config.option.markexpr or "") and "not deployment" not in config.option.markexpr \
        or os.environ.get("HNPLUS_DEPLOYMENT") == "1"


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if _selected(config):
        return
    skip = pytest.mark.skip(reason="starts the whole topology (minutes): run `make deploy-test` "
                                   "(pytest -m deployment tests/deployment)")
    for item in items:
        if item.get_closest_marker("deployment") is not None:
            item.add_marker(skip)


@pytest.fixture(scope="module", params=["local", "celery"])
def topology(request: pytest.FixtureRequest) -> Iterator[dict]:
    """A started deployment: ``dep`` (tools.deploy.local.Deployment), ``api`` (a logged-in REST client),
    ``data`` (its data directory) and ``timings`` (figures the tests add to, printed at the end)."""
    executor = request.param
    data = Path(tempfile.mkdtemp(prefix=f"hnplus-deploy-{executor}-"))
    dep = Deployment(data, ports={k: 0 for k in ("postgres", "redis", "api", "scheduler_health", "portal")})
    t0 = time.monotonic()
    try:
        started = dep.start(executor, timeout=420)
    except Exception:
        dep.stop()
        raise
    timings: dict = {"executor": executor, "start_s": round(time.monotonic() - t0, 1), **started}
    api = Api(dep.api_url, dep.secrets["admin_password"])
    try:
        yield {"dep": dep, "api": api, "data": data, "timings": timings, "executor": executor}
    finally:
        sessions = {s["pid"] for s in [*dep.state["services"].values(), *dep.state.get("retired", [])]}
        out = dep.stop()
        timings["stop_s"] = out["stopped_s"]
        print(f"\n[deployment timings] {timings}")
        assert out["left"] == {"processes": {}, "listening": []}, out
        # independent of the stop logic: no live process in any session this deployment ever started
        left = {sid: in_session(sid) for sid in sessions}
        assert not any(left.values()), left
        shutil.rmtree(data, ignore_errors=True)
