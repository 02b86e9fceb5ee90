"""Benchmark of the `preview` CLI: start-up of `preview --help` and an offline synth of a PR stack.

Each figure is the median of several subprocess runs, next to a baseline measured in the same
run on the same machine, so the ratios stay meaningful on a busy or slow host:

* help:  `preview --help` vs `python -c pass` (interpreter start-up).
* synth: `preview synth --pr 123` (what `make synth` runs: program + naive comparison) vs
  the same without the naive design, and vs the import floor (importing pulumi plus the
  pulumi_aws classes the program uses, nothing else).

Targets: help <= 0.5 s, synth <= 3 s. Last line: `help_s=<seconds> synth_s=<seconds>`.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
PY = sys.executable
HELP_RUNS = 7
SYNTH_RUNS = 3
PR = "123"


def _preview() -> list[str]:
    script = Path(PY).parent / "preview"
    return [str(script)] if script.exists() else [PY, "-m", "preview.cli"]


def _time(cmd: list[str], runs: int) -> float:
    env = {**os.environ, "PYTHONWARNINGS": "ignore"}
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(cmd, cwd=REPO, env=env, check=True, capture_output=True)
        samples.append(time.perf_counter() - start)
    return statistics.median(samples)


def _import_floor_cmd() -> list[str]:
    """python -c that imports exactly the pulumi_aws classes a PR synth registers."""
    out = subprocess.run(
        [*_preview(), "synth", "--pr", PR, "--format", "json", "--no-naive"],
        cwd=REPO,
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    classes = set()
    for r in json.loads(out)["resources"]:
        pkg, _, rest = r["type"].partition(":")
        if pkg == "aws":
            module, _, cls = rest.partition(":")
            mod = module.split("/")[0]
            classes.add((mod + "_" if mod == "lambda" else mod, cls))
    code = "import pulumi, pulumi_aws as aws\n" + "".join(
        f"aws.{m}.{c}\n" for m, c in sorted(classes)
    )
    return [PY, "-W", "ignore", "-c", code]


# One in-process synth with a clock around each phase, run in a fresh interpreter.
_PHASES = """
import json, time, warnings
warnings.simplefilter("ignore")
t = [time.perf_counter()]
import pulumi, pulumi_aws
t.append(time.perf_counter())
from preview.synth.harness import synthesize
from preview.synth import configfile, figures, synth_report
cfg = configfile.pr_config(%s)
s = synthesize("pr-%s", cfg)  # first run pays the pulumi_aws submodule imports
t.append(time.perf_counter())
s = synthesize("pr-%s", cfg)
t.append(time.perf_counter())
n = synthesize("pr-%s", configfile.naive_config(cfg))
t.append(time.perf_counter())
r = synth_report("pr-%s", cfg, naive=False)
t.append(time.perf_counter())
print(json.dumps([b - a for a, b in zip(t, t[1:])]))
"""


def _phases() -> list[float]:
    out = subprocess.run(
        [PY, "-c", _PHASES.replace("%s", PR)], cwd=REPO, check=True, capture_output=True, text=True
    ).stdout
    phases: list[float] = json.loads(out.strip().splitlines()[-1])
    return phases


def main() -> None:
    preview = _preview()
    python_s = _time([PY, "-c", "pass"], HELP_RUNS)
    help_s = _time([*preview, "--help"], HELP_RUNS)
    print(f"python -c pass      {python_s:6.3f} s")
    print(f"preview --help      {help_s:6.3f} s  ({help_s / python_s:.1f}x interpreter start)")

    floor_s = _time(_import_floor_cmd(), SYNTH_RUNS)
    single_s = _time([*preview, "synth", "--pr", PR, "--no-naive"], SYNTH_RUNS)
    synth_s = _time([*preview, "synth", "--pr", PR], SYNTH_RUNS)
    print(f"import floor        {floor_s:6.3f} s  (pulumi + the pulumi_aws classes used)")
    print(f"synth --no-naive    {single_s:6.3f} s  ({single_s / floor_s:.2f}x import floor)")
    print(
        f"synth --pr {PR}      {synth_s:6.3f} s  ({synth_s / single_s:.2f}x without naive, "
        f"{synth_s / floor_s:.2f}x import floor)"
    )
    print(
        f"targets: help <= 0.5 s {'ok' if help_s <= 0.5 else 'MISSED'}, "
        f"synth <= 3 s {'ok' if synth_s <= 3 else 'MISSED'}"
    )
    imp, first, warm, naive, report = _phases()
    print(
        f"where synth time goes: import pulumi {imp:.2f} s, pulumi_aws submodules "
        f"{first - warm:.2f} s, program under mocks {warm:.2f} s, naive program {naive:.2f} s, "
        f"report incl. program+policies {report:.2f} s"
    )
    print(f"help_s={help_s:.3f} synth_s={synth_s:.3f}")


if __name__ == "__main__":
    main()
