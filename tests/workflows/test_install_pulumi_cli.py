"""scripts/install-pulumi-cli.sh: cached when present, the exact fix when Go is missing."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "scripts" / "install-pulumi-cli.sh"


def test_without_go_and_root_it_names_the_install_command(tmp_path: Path) -> None:
    """No `go`, no root: exit 1 with the apt-get line, before anything is built."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for tool in ("bash", "dirname", "sed", "date", "mkdir", "cat"):
        found = shutil.which(tool)
        assert found, tool
        (bin_dir / tool).symlink_to(found)
    (bin_dir / "id").write_text("#!/bin/sh\necho 1000\n")
    (bin_dir / "id").chmod(0o755)
    work = tmp_path / "repo" / "scripts"
    work.mkdir(parents=True)
    shutil.copy(SCRIPT, work / SCRIPT.name)
    proc = subprocess.run(
        [str(bin_dir / "bash"), str(work / SCRIPT.name)],
        env={"PATH": str(bin_dir), "HOME": str(tmp_path)},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert proc.returncode == 1, proc.stderr
    assert "sudo apt-get install golang-go" in proc.stderr
    assert not (tmp_path / "repo" / ".cache").exists()


def test_installed_cli_is_reused() -> None:
    """As `make services` leaves it: a re-run builds nothing and prints the binary's path."""
    proc = subprocess.run(
        ["bash", str(SCRIPT)], capture_output=True, text=True, timeout=900, check=False
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    path = Path(proc.stdout.strip())
    assert path.name == "pulumi" and (ROOT / path).is_file()
    assert "building" not in proc.stderr
    version = subprocess.run(
        [str(ROOT / path), "version"], capture_output=True, text=True, timeout=60, check=True
    )
    assert version.stdout.strip() == "v3.274.1"
