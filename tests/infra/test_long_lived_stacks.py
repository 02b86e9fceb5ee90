"""staging and prod: the long-lived layout and what staging shares with previews."""

from __future__ import annotations

from preview.synth.harness import Synth


def test_prod_database_is_protected_and_has_a_reader(prod_synth: Synth) -> None:
    """Prod Aurora: deletion protection, a final snapshot, writer plus reader instances."""
    cluster = prod_synth.get("aws:rds/cluster:Cluster", "db-cluster").inputs
    assert cluster["deletionProtection"] is True and cluster["skipFinalSnapshot"] is False
    assert cluster["finalSnapshotIdentifier"] and cluster["storageEncrypted"] is True
    names = sorted(r.name for r in prod_synth.of_type("aws:rds/clusterInstance:ClusterInstance"))
    assert names == ["db-reader-1", "db-writer"]


def test_no_database_instance_is_public(staging_synth: Synth, prod_synth: Synth) -> None:
    """No Aurora instance in either long-lived stack is publicly accessible."""
    for synth in (staging_synth, prod_synth):
        for inst in synth.of_type("aws:rds/clusterInstance:ClusterInstance"):
            assert inst.inputs["publiclyAccessible"] is False


def test_search_domain_is_private_encrypted_https_only(staging_synth: Synth) -> None:
    """OpenSearch runs in the VPC, encrypts at rest and between nodes, and enforces HTTPS."""
    domain = staging_synth.get("aws:opensearch/domain:Domain", "search-domain").inputs
    assert domain["vpcOptions"]["subnetIds"]
    assert domain["encryptAtRest"]["enabled"] and domain["nodeToNodeEncryption"]["enabled"]
    assert domain["domainEndpointOptions"]["enforceHttps"] is True


def test_services_have_circuit_breaker_and_prod_autoscales(prod_synth: Synth) -> None:
    """Prod services roll back failed deployments; each running one has CPU target tracking."""
    services = prod_synth.of_type("aws:ecs/service:Service")
    assert services and all(
        s.inputs["deploymentCircuitBreaker"] == {"enable": True, "rollback": True} for s in services
    )
    running = [s.name for s in services if s.inputs["desiredCount"] > 0]
    policies = prod_synth.of_type("aws:appautoscaling/policy:Policy")
    assert running and len(policies) == len(running)


def test_staging_does_not_autoscale(staging_synth: Synth) -> None:
    """Autoscaling is a prod feature; staging runs fixed counts."""
    assert not staging_synth.of_type("aws:appautoscaling/policy:Policy")


def test_alarms_cover_cpu_latency_5xx_and_error_lines(prod_synth: Synth) -> None:
    """Alarms exist for CPU per service, p95 latency, 5xx rate and ERROR/FATAL log lines."""
    alarms = {
        a.name: a.inputs for a in prod_synth.of_type("aws:cloudwatch/metricAlarm:MetricAlarm")
    }
    assert {
        "monitoring-web-cpu",
        "monitoring-worker-cpu",
        "monitoring-p95",
        "monitoring-5xx",
        "monitoring-error-lines",
    } <= set(alarms)
    assert alarms["monitoring-p95"]["extendedStatistic"] == "p95"
    topic = prod_synth.get("aws:sns/topic:Topic", "monitoring-alarms")
    assert all(
        a["alarmActions"] == [f"arn:aws:sns:us-east-1:123456789012:{topic.name}"]
        for a in alarms.values()
    )
    flt = prod_synth.get("aws:cloudwatch/logMetricFilter:LogMetricFilter", "monitoring-errors")
    assert flt.inputs["pattern"] == "?ERROR ?FATAL"


def test_http_redirects_to_https(staging_synth: Synth) -> None:
    """Every ALB's port-80 listener answers with a 301 to HTTPS."""
    http = [r for r in staging_synth.of_type("aws:lb/listener:Listener") if r.inputs["port"] == 80]
    assert len(http) == 2
    for listener in http:
        action = listener.inputs["defaultActions"][0]
        assert (
            action["redirect"]["protocol"] == "HTTPS"
            and action["redirect"]["statusCode"] == "HTTP_301"
        )


def test_staging_exports_what_previews_consume(staging_synth: Synth) -> None:
    """Staging exports every output the preview program reads through its StackReference."""
    from preview.synth.harness import DEFAULT_STAGING_OUTPUTS

    assert set(DEFAULT_STAGING_OUTPUTS) <= set(staging_synth.outputs)
    assert staging_synth.outputs["environment"] == "staging"


def test_preview_alb_defaults_to_404(staging_synth: Synth) -> None:
    """Unknown hosts on the shared preview ALB get a fixed 404, never another PR's app."""
    listener = staging_synth.get("aws:lb/listener:Listener", "preview-lb-https").inputs
    assert listener["defaultActions"][0]["fixedResponse"]["statusCode"] == "404"
    cert = staging_synth.get("aws:acm/certificate:Certificate", "preview-cert-cert").inputs
    assert cert["domainName"] == "*.preview.example.com"


def test_prod_has_a_nat_gateway_per_az(prod_synth: Synth, staging_synth: Synth) -> None:
    """Prod survives an AZ outage with one NAT per AZ; staging saves with one."""
    assert len(prod_synth.of_type("aws:ec2/natGateway:NatGateway")) == 3
    assert len(staging_synth.of_type("aws:ec2/natGateway:NatGateway")) == 1


def test_bootstrap_stack_builds_the_github_identity() -> None:
    """Stack `bootstrap` dispatches to the GithubIdentity component with the configured repo."""
    from preview.synth.harness import synthesize
    from tests.infra.conftest import stack_file

    synth = synthesize("bootstrap", stack_file("Pulumi.bootstrap.yaml"))
    assert [r.name for r in synth.resources if r.type.endswith(":GithubIdentity")] == ["github"]
    assert not synth.of_type("aws:rds/cluster:Cluster")


def test_search_group_has_no_inline_rules(staging_synth: Synth) -> None:
    """Staging's search security group keeps no inline ingress, so a staging `up` never deletes
    the standalone rules previews add for their own tasks."""
    sg = staging_synth.get("aws:ec2/securityGroup:SecurityGroup", "search-sg")
    assert not sg.inputs.get("ingress")
    rules = staging_synth.of_type("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule")
    assert [r.inputs["fromPort"] for r in rules if r.parent and r.parent.endswith("::search")] == [
        443
    ]


def test_every_taggable_long_lived_resource_is_tagged(
    staging_synth: Synth, prod_synth: Synth
) -> None:
    """Each taggable resource of staging/prod says its environment and that we manage it."""
    from policy.rules import is_taggable

    for env, synth in (("staging", staging_synth), ("prod", prod_synth)):
        taggable = [r for r in synth.resources if r.custom and is_taggable(r.type)]
        assert len(taggable) > 30
        for res in taggable:
            tags = res.inputs.get("tags") or {}
            assert (tags.get("environment"), tags.get("managed-by")) == (
                env,
                "preview-platform",
            ), res.name


def test_bootstrap_passes_the_preview_zone_to_the_identity() -> None:
    """previewZone on stack bootstrap reaches GithubIdentityArgs: the preview role may then
    manage records in that zone (checked through the role policy the component writes)."""
    from preview.synth.harness import synthesize

    cfg = {"githubOrg": "acme", "githubRepo": "shop", "previewZone": "pv.acme.dev"}
    with_zone = synthesize("bootstrap", cfg)
    without = synthesize("bootstrap", {"githubOrg": "acme", "githubRepo": "shop"})
    assert "pv.acme.dev" in str([r.inputs for r in with_zone.resources])
    assert "pv.acme.dev" not in str([r.inputs for r in without.resources])


def test_long_lived_vpcs_have_flow_logs(staging_synth: Synth, prod_synth: Synth) -> None:
    """Both long-lived VPCs record all traffic to a per-stack CloudWatch log group."""
    for env, synth in (("staging", staging_synth), ("prod", prod_synth)):
        (flow,) = synth.of_type("aws:ec2/flowLog:FlowLog")
        assert flow.inputs["trafficType"] == "ALL"
        group = synth.get("aws:cloudwatch/logGroup:LogGroup", "net-flow-logs").inputs
        assert group["name"] == f"/preview-platform/{env}/vpc-flow-logs"


def test_only_prod_alb_has_deletion_protection(staging_synth: Synth, prod_synth: Synth) -> None:
    """The prod app ALB cannot be deleted by accident; staging's ALBs stay disposable."""
    prod_alb = prod_synth.get("aws:lb/loadBalancer:LoadBalancer", "app-lb-alb").inputs
    assert prod_alb["enableDeletionProtection"] is True
    assert not any(
        r.inputs.get("enableDeletionProtection")
        for r in staging_synth.of_type("aws:lb/loadBalancer:LoadBalancer")
    )
