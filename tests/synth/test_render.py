from __future__ import annotations

from preview.synth.render import MASK, mask


def test_secret_named_inputs_are_masked() -> None:
    """Inputs such as clientSecret or masterPassword never reach the output."""
    out = mask({"authenticateOidc": {"clientSecret": "s3cr3t-xyz", "clientId": "abc"}})
    assert out == {"authenticateOidc": {"clientSecret": MASK, "clientId": "abc"}}


def test_secret_arns_are_references_and_stay_visible() -> None:
    """A secret's ARN is not the secret; hiding it would hide where the value lives."""
    arn = "arn:aws:secretsmanager:us-east-1:123456789012:secret:db-AbCdEf"
    assert mask({"secretArn": arn}) == {"secretArn": arn}


def test_known_secret_values_are_masked_inside_any_string() -> None:
    """A config secret embedded in e.g. a JSON container definition is replaced everywhere."""
    out = mask({"containerDefinitions": '[{"env": "TOKEN=hunter2-value"}]'}, ["hunter2-value"])
    assert "hunter2-value" not in out["containerDefinitions"]


def test_failed_policy_is_listed_in_text_with_its_resource() -> None:
    """A failing safety policy is shown by name, resource and message, not only counted."""
    from policy.rules import PolicyResult
    from preview.synth import SynthReport
    from preview.synth.cost import estimate
    from preview.synth.diagram import mermaid
    from preview.synth.render import report_text
    from preview.synth.timing import critical_path
    from tests.synth.graphs import ALB, res

    resources = [res("alb", ALB)]
    report = SynthReport(
        stack="pr-1",
        region="us-east-1",
        resources=resources,
        outputs={},
        policies=[PolicyResult("no-public-data-stores", "alb", False, "is public")],
        cost=estimate(resources),
        path=critical_path(resources),
        mermaid=mermaid(resources),
        naive=None,
    )
    text = report_text(report)
    assert "0 passed, 1 failed" in text
    assert "FAIL no-public-data-stores on alb: is public" in text
