from __future__ import annotations

import subprocess
import sys


def test_loading_the_synth_command_imports_nothing_heavy() -> None:
    """`preview --help` lists synth by loading its module: that must not pull in Pulumi or AWS."""
    code = (
        "import sys, preview.synth.command\n"
        "heavy = sorted(m for m in ('pulumi', 'pulumi_aws', 'yaml', 'pydantic', 'boto3')"
        " if m in sys.modules)\n"
        "print(','.join(heavy))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""
