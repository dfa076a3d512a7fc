"""``python -m tools.deploy start|stop|status|restart|env`` (what ``make deploy-local`` / ``deploy-stop`` run).

    python -m tools.deploy start --executor celery     # Postgres + Redis + Airflow services + two workers
    python -m tools.deploy status                      # health of every part, JSON
    python -m tools.deploy restart airflow-scheduler   # after a part died
    python -m tools.deploy stop                        # nothing of it is left: no process, no listener
    eval "$(python -m tools.deploy env)"               # an operator's shell for `airflow ...` commands
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import sys
from pathlib import Path

from tools.deploy.local import DeployError, Deployment


def _data_dir(arg: str | None) -> Path:
    from transforms.core.paths import data_paths

    return Path(arg) if arg else data_paths().root


def main(argv: list[str] | None = None) -> int:
    """Parse the command line and run one action; exit 1 with the reason when a part fails."""
    ap = argparse.ArgumentParser(prog="python -m tools.deploy", description=__doc__.splitlines()[0])
    ap.add_argument("--data-dir", help="data directory (default: HNPLUS_DATA_DIR or ./data)")
    sub = ap.add_subparsers(dest="action", required=True)
    st = sub.add_parser("start")
    st.add_argument("--executor", choices=["local", "celery"], default=os.environ.get("DEPLOY_EXECUTOR", "local"))
    st.add_argument("--timeout", type=float, default=300.0)
    sub.add_parser("stop")
    sub.add_parser("status")
    rs = sub.add_parser("restart")
    rs.add_argument("service")
    sub.add_parser("env")
    args = ap.parse_args(argv)
    dep = Deployment(_data_dir(args.data_dir))
    try:
        if args.action == "start":
            out = dep.start(args.executor, timeout=args.timeout)
        elif args.action == "stop":
            out = dep.stop()
            print(json.dumps(out, indent=2))
            return 1 if out["left"]["processes"] or out["left"]["listening"] else 0
        elif args.action == "status":
            out = dep.health()
            print(json.dumps(out, indent=2))
            return 0 if dep.healthy(out) else 1
        elif args.action == "restart":
            dep.restart(args.service)
            out = dep.health()
        else:
            for k, v in dep.env().items():
                if k.startswith(("AIRFLOW", "HNPLUS_", "GX_")) or k == "PATH":
                    print(f"export {k}={shlex.quote(v)}")
            return 0
    except DeployError as exc:
        print(f"deploy {args.action} failed: {exc}", file=sys.stderr)
        return 1
    print(json.dumps(out, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
