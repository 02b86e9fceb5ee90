"""The health Lambda ships as the single file smoke/health.py (components/smokegate.py)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

HEALTH = Path(__file__).resolve().parents[2] / "smoke" / "health.py"


def test_health_module_runs_with_the_standard_library_alone(tmp_path: Path) -> None:
    """Loaded alone, without site-packages or the repo on the path, the handler still works."""
    (tmp_path / "health.py").write_text(HEALTH.read_text())
    probe = (
        "import health, json; "
        "print(json.dumps(health.check('http://127.0.0.1:9/health', '', timeout=1)))"
    )
    # -S: no site-packages; -I: isolated (no PYTHONPATH, no cwd/script dir on sys.path).
    result = subprocess.run(
        [
            sys.executable,
            "-S",
            "-I",
            "-c",
            f"import sys; sys.path.insert(0, {str(tmp_path)!r}); {probe}",
        ],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert '"healthy": false' in result.stdout
