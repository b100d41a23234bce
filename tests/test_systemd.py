"""Issue 26.3: deploy/systemd's units pass `systemd-analyze verify` (unknown keys, missing
commands and broken dependencies fail it), with the code where the units expect it (/srv/clinic)
replaced by this checkout, whose virtualenv holds the commands they run."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

from tests.conftest import need
from web.settings import PROJECT_ROOT

UNITS = PROJECT_ROOT / "deploy" / "systemd"
INSTALLED = "/srv/clinic"


def test_the_systemd_units_pass_systemd_analyze_verify(tmp_path: Path) -> None:
    analyze = shutil.which("systemd-analyze")
    need(analyze, "the unit check needs systemd-analyze (apt-get install systemd)")
    assert analyze is not None  # need() has skipped (or failed) the test without it
    venv = Path(sys.executable).parent.parent
    need((venv / "bin" / "uvicorn").exists(), "the unit check needs the project's virtualenv")
    names = sorted(path.name for path in UNITS.iterdir())
    assert {"clinic.target", "clinic-web.service", "clinic-worker.service"} <= set(names)
    assert "clinic-purge.service" in names
    for name in names:
        text = (UNITS / name).read_text(encoding="utf-8")
        text = text.replace(f"{INSTALLED}/.venv", str(venv)).replace(INSTALLED, str(PROJECT_ROOT))
        (tmp_path / name).write_text(text, encoding="utf-8")
    checked = subprocess.run(
        [analyze, "verify", "--man=no", *names],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
    )
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert checked.stderr.strip() == "", checked.stderr


def test_the_target_groups_the_long_running_processes() -> None:
    target = (UNITS / "clinic.target").read_text(encoding="utf-8")
    for unit in ("clinic-web.service", "clinic-worker.service", "clinic-purge.service"):
        assert unit in target
        service = (UNITS / unit).read_text(encoding="utf-8")
        assert "PartOf=clinic.target" in service and "Restart=always" in service
        assert "UMask=0077" in service
