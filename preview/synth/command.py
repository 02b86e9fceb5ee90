"""`preview synth`: run the real program offline and show what a stack would be and cost.

Top-level imports are stdlib and click only (see preview/cli.py); the rest loads on invocation.
"""

from __future__ import annotations

import json
from pathlib import Path

import click


@click.command("synth")
@click.option("--pr", type=int, help="Synthesize the preview stack pr-<N> from preview.yaml.")
@click.option(
    "--stack",
    "stack_name",
    help="Synthesize a long-lived stack (staging, prod or bootstrap) from Pulumi.<stack>.yaml.",
)
@click.option(
    "--config",
    "config_file",
    type=click.Path(path_type=Path, dir_okay=False),
    help="Stack file to use instead of preview.yaml / Pulumi.<stack>.yaml.",
)
@click.option(
    "--region", help="Price in this AWS region (default: the config's aws:region, else us-east-1)."
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "json", "mermaid"]),
    default="text",
    show_default=True,
    help="json: one object (resources, policies, cost_per_day_usd, time_to_url_s, naive).",
)
@click.option("--no-naive", is_flag=True, help="Skip synthesizing the naive design.")
def synth(
    pr: int | None,
    stack_name: str | None,
    config_file: Path | None,
    region: str | None,
    fmt: str,
    no_naive: bool,
) -> None:
    """Synthesize a stack offline: resources, policies, cost/day, time-to-URL, diagram.

    Needs no AWS or GitHub credentials. Previews are compared with the naive design
    (a dedicated ALB and a dedicated OpenSearch domain per PR).
    """
    from contracts.errors import UsageError
    from preview.synth import configfile, synth_report
    from preview.synth.render import report_text

    if (pr is None) == (stack_name is None):
        raise UsageError(
            "give exactly one of --pr and --stack",
            hint="e.g. `preview synth --pr 123` or `preview synth --stack staging`",
        )
    if stack_name is not None:
        if stack_name not in ("staging", "prod", "bootstrap"):
            raise UsageError(
                f"--stack {stack_name!r} is not a long-lived stack",
                hint="use --stack staging, prod or bootstrap; for a preview use --pr N",
            )
        stack = stack_name
        config = configfile.stack_file_config(stack, config_file)
    else:
        assert pr is not None
        from components import naming

        try:
            stack = naming.stack_name(pr)
        except naming.NamingError as exc:
            raise UsageError(f"--pr: {exc.message}", hint=exc.hint) from None
        config = configfile.pr_config(pr, template=config_file)

    # The diagram alone needs no comparison; skipping it saves a second program run.
    naive = not no_naive and fmt != "mermaid"
    report = synth_report(stack, config, region=region, naive=naive, ready=fmt != "mermaid")
    if fmt == "json":
        click.echo(json.dumps(report.to_json(), indent=2, sort_keys=False))
    elif fmt == "mermaid":
        click.echo(report.mermaid, nl=False)
    else:
        click.echo(report_text(report), nl=False)
