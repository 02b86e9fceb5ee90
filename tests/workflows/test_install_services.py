"""scripts/install-services.sh installs what it can and otherwise names the exact fix."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "scripts" / "install-services.sh"
# What the script itself runs, besides the tools it checks for.
BASICS = ("bash", "dirname", "awk", "cat", "env")


def _run_without(tmp_path: Path, missing: str, uid: int) -> subprocess.CompletedProcess[str]:
    """Run the script with a PATH holding the basics and a stub of every checked tool except
    `missing`, and an `id` that reports `uid` (so the root/apt branch is under test control)."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for tool in BASICS:
        found = shutil.which(tool)
        assert found, tool
        (bin_dir / tool).symlink_to(found)
    # The checked tools are only looked up (`command -v`) before the failure, so stubs do.
    stubs = {t: "#!/bin/sh\nexit 0\n" for t in ("java", "javac", "mvn", "npm", "mariadbd")}
    stubs["id"] = f"#!/bin/sh\necho {uid}\n"
    for tool, body in stubs.items():
        if tool != missing:
            (bin_dir / tool).write_text(body)
            (bin_dir / tool).chmod(0o755)
    # A copy of the repo's scripts so that the real .cache and fetch script are not touched.
    work = tmp_path / "repo"
    (work / "scripts").mkdir(parents=True)
    shutil.copy(SCRIPT, work / "scripts" / SCRIPT.name)
    bash = shutil.which("bash")
    assert bash
    return subprocess.run(
        [bash, str(work / "scripts" / SCRIPT.name)],
        env={"PATH": str(bin_dir), "HOME": str(tmp_path)},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


@pytest.mark.parametrize(
    ("missing", "package"),
    [("mvn", "maven"), ("javac", "default-jdk-headless")],
)
def test_non_root_gets_the_exact_install_command(
    tmp_path: Path, missing: str, package: str
) -> None:
    """Without root, a missing tool stops the script with the apt-get line that fixes it."""
    proc = _run_without(tmp_path, missing, uid=1000)
    assert proc.returncode == 1
    assert f"sudo apt-get install {package}" in proc.stderr


def test_script_is_valid_bash_and_idempotent_when_installed() -> None:
    """With everything installed (as `make services` leaves it), a re-run changes nothing."""
    proc = subprocess.run(
        ["bash", str(SCRIPT)], capture_output=True, text=True, timeout=600, check=False
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert proc.stdout.startswith("services ready")
