"""kpi-svc's process never loads SQLAlchemy: its platform is the asyncpg one
(orderpulse.pool_platform), and SQLAlchemy with its ORM would be ~30 MB of its resident set
before the first event (quality.md's memory bar; docs/kpi-decisions.md). Checked in a fresh
interpreter that imports `kpi_svc.main` as uvicorn does: the settings read, the app built, the
start-up heap frozen. (`lint-imports` checks the same statically.)"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
PROBE = """
import sys
import kpi_svc.main
loaded = sorted(name for name in sys.modules if name == "sqlalchemy" or name.startswith("sqlalchemy."))
print(len(loaded), loaded[:5])
print("platform", type(kpi_svc.main.app.state.platform).__name__)
"""


def test_importing_kpi_svc_main_builds_the_app_without_loading_sqlalchemy():
    paths = [ROOT / "shared", ROOT / "services" / "kpi-svc" / "src"]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(str(path) for path in paths)}
    done = subprocess.run([sys.executable, "-c", PROBE], env=env, capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    loaded, platform = done.stdout.strip().splitlines()
    assert loaded == "0 []"
    assert platform == "platform PoolPlatform"
