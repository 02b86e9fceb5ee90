"""The preview-platform Pulumi program: one program, three kinds of stack.

* `staging` / `prod`: the long-lived environment (network, cluster, ALB, Aurora, OpenSearch,
  services, monitoring); staging also owns what previews share and exports it.
* `pr-<N>`: a preview built on staging's outputs (StackReference).
* `bootstrap`: the GitHub OIDC identity (components/bootstrap.py).

The stack name decides the kind; config is read once into components.config and validated
before any resource is registered.
"""

from __future__ import annotations

from typing import Any

import pulumi

from components import config as cfgmod
from components import naming
from components import tags as tagging

NS = cfgmod.NAMESPACE


def _set_keys() -> set[str]:
    """Keys of our namespace that are set, so load() can name typos such as `loadBalacing`.

    pulumi.Config cannot list keys; the runtime keeps them in its config map (or the
    PULUMI_CONFIG environment variable). Should that internal API move, only known keys are
    read and typos go unreported, which is the SDK's own behaviour.
    """
    try:
        from pulumi.runtime import config as runtime_config

        names = set(runtime_config.CONFIG.get()) | set(runtime_config.get_config_env() or {})
    except (AttributeError, ImportError, ValueError):
        return set()
    return {k.split(":", 1)[1] for k in names if k.startswith(f"{NS}:")}


def _raw_config() -> dict[str, Any]:
    """Every key that is set or that any stack kind knows; load() rejects the ones this kind
    does not accept. Secrets are not read here (see cfgmod.SECRET_KEY)."""
    conf = pulumi.Config(NS)
    keys = _set_keys()
    for model in (
        cfgmod.PreviewConfig,
        cfgmod.LongLivedConfig,
        cfgmod.BootstrapConfig,
        cfgmod.PoolConfig,
    ):
        keys |= {f.alias or n for n, f in model.model_fields.items()}
    keys.discard(cfgmod.SECRET_KEY)
    return {k: v for k in sorted(keys) if (v := conf.get(k)) is not None}


def _region() -> str:
    return pulumi.Config("aws").get("region") or "us-east-1"


def _bootstrap(cfg: cfgmod.BootstrapConfig) -> None:
    from components.bootstrap import GithubIdentity, GithubIdentityArgs

    optional = {
        key: value
        for key in ("preview_zone", "state_bucket", "secrets_kms_key_arn", "existing_provider_arn")
        if (value := getattr(cfg, key)) is not None
    }
    identity = GithubIdentity(
        "github",
        GithubIdentityArgs(github_org=cfg.github_org, github_repo=cfg.github_repo, **optional),
    )
    for key in (
        "provider_arn",
        "preview_role_arn",
        "reaper_role_arn",
        "staging_role_arn",
        "prod_role_arn",
        "boundary_arn",
    ):
        if hasattr(identity, key):
            pulumi.export(key, getattr(identity, key))


def _long_lived(cfg: cfgmod.LongLivedConfig, stack: str) -> None:
    import pulumi_aws as aws

    from components.certificate import Certificate, CertificateArgs
    from components.cluster import Cluster, ClusterArgs
    from components.database import Database, DatabaseArgs
    from components.loadbalancer import LoadBalancer, LoadBalancerArgs
    from components.monitoring import Monitoring, MonitoringArgs
    from components.network import Network, NetworkArgs
    from components.registry import Registry, RegistryArgs
    from components.route import Route, RouteArgs
    from components.search import SearchDomain, SearchDomainArgs
    from components.security import AppSecurity, AppSecurityArgs
    from components.service import AppServices, AppServicesArgs, Autoscaling

    prod = cfg.kind == "prod"
    tags = tagging.long_lived_tags(cfg.kind)
    region = _region()
    azs = aws.get_availability_zones(state="available").names[: cfg.az_count]
    account = aws.get_caller_identity().account_id
    public = cfg.app.public_service

    net = Network(
        "net",
        NetworkArgs(
            cfg.vpc_cidr,
            list(azs),
            tags,
            nat_per_az=cfg.nat_per_az,
            flow_log_retention_days=cfg.log_retention_days,
            stack=stack,
        ),
    )
    cluster = Cluster("cluster", ClusterArgs(stack, tags))
    registry = Registry("registry", RegistryArgs(stack, cfg.app.name, tags, force_delete=not prod))
    cert = Certificate("app-cert", CertificateArgs(cfg.domain_name, cfg.hosted_zone_id, tags))
    alb = LoadBalancer(
        "app-lb",
        LoadBalancerArgs(
            stack, "app", net.vpc_id, net.public_subnet_ids, cert.arn, tags, protect=prod
        ),
    )
    sec = AppSecurity(
        "app-security",
        AppSecurityArgs(net.vpc_id, alb.security_group_id, [public.port or 80], tags),
    )
    db = Database(
        "db",
        DatabaseArgs(
            stack=stack,
            vpc_id=net.vpc_id,
            subnet_ids=net.private_subnet_ids,
            app_security_group_id=sec.task_security_group_id,
            engine_version=cfg.db.engine_version,
            database_name=cfg.db.database_name,
            min_capacity=cfg.db.min_capacity,
            max_capacity=cfg.db.max_capacity,
            # Prod always has a reader (read replicas for read-heavy pages and failover).
            readers=max(cfg.db.readers, 1) if prod else cfg.db.readers,
            protect=prod,
            tags=tags,
        ),
    )
    search = SearchDomain(
        "search",
        SearchDomainArgs(
            stack=stack,
            vpc_id=net.vpc_id,
            subnet_ids=net.private_subnet_ids,
            account_id=account,
            tags=tags,
            engine_version=cfg.search.engine_version,
            instance_type=cfg.search.instance_type,
            instance_count=cfg.search.instance_count,
            volume_size=cfg.search.volume_size,
            client_security_group_ids=[sec.task_security_group_id],
        ),
    )
    route = Route(
        "app-route",
        RouteArgs(
            stack=stack,
            service=public.name,
            host=cfg.domain_name,
            port=public.port or 80,
            health_path=public.health_path,
            vpc_id=net.vpc_id,
            listener_arn=alb.https_listener_arn,
            priority=1,
            alb_dns_name=alb.dns_name,
            alb_zone_id=alb.zone_id,
            zone_id=cfg.hosted_zone_id,
            tags=tags,
            deregistration_delay=60,
        ),
    )
    # Prod always autoscales (defaults if unset); staging only when it asks to.
    spec = cfg.autoscaling or (cfgmod.AutoscalingSpec() if prod else None)
    scaling = Autoscaling(spec.min, spec.max, spec.cpu_target) if spec else None
    services = AppServices(
        "app",
        AppServicesArgs(
            stack=stack,
            app=cfg.app,
            image_repository_url=registry.app_repository_url,
            image_tag=cfg.image_tag,
            cluster_arn=cluster.arn,
            cluster_name=cluster.name,
            subnet_ids=net.private_subnet_ids,
            security_group_ids=[sec.task_security_group_id],
            target_group_arn=route.target_group_arn,
            region=region,
            tags=tags,
            log_retention_days=cfg.log_retention_days,
            environment={
                "DB_HOST": db.endpoint,
                "DB_READER_HOST": db.reader_endpoint,
                "DB_NAME": cfg.db.database_name,
                "SEARCH_URL": pulumi.Output.concat("https://", search.endpoint),
                "SEARCH_INDEX_PREFIX": "",
                "AWS_REGION": region,
            },
            db_secret_arn=db.master_secret_arn,
            spot=False,
            autoscaling=scaling,
        ),
        opts=pulumi.ResourceOptions(depends_on=[route]),
    )
    Monitoring(
        "monitoring",
        MonitoringArgs(
            stack=stack,
            cluster_name=cluster.name,
            service_names=dict(services.service_names),
            alb_arn_suffix=alb.arn_suffix,
            target_group_arn_suffix=route.target_group_arn_suffix,
            log_group_name=services.log_group_name,
            tags=tags,
            region=region,
            alarm_email=cfg.alarm_email,
        ),
    )
    pulumi.export("environment", cfg.kind)
    pulumi.export("url", route.url)
    pulumi.export("vpcId", net.vpc_id)
    pulumi.export("vpcCidr", cfg.vpc_cidr)
    pulumi.export("publicSubnetIds", net.public_subnet_ids)
    pulumi.export("privateSubnetIds", net.private_subnet_ids)
    pulumi.export("natPublicIps", net.nat_public_ips)
    pulumi.export("clusterArn", cluster.arn)
    pulumi.export("clusterName", cluster.name)
    pulumi.export("serviceNames", services.service_names)
    pulumi.export("dbClusterIdentifier", db.cluster_identifier)
    pulumi.export("dbClusterArn", db.cluster_arn)
    pulumi.export("dbEndpoint", db.endpoint)
    pulumi.export("dbEngineVersion", cfg.db.engine_version)
    pulumi.export("dbSubnetGroupName", db.subnet_group_name)
    pulumi.export("dbMasterSecretArn", db.master_secret_arn)
    pulumi.export("dbName", cfg.db.database_name)
    pulumi.export("searchDomainArn", search.arn)
    pulumi.export("searchDomainEndpoint", search.endpoint)
    pulumi.export("searchSecurityGroupId", search.security_group_id)
    pulumi.export("appRepositoryUrl", registry.app_repository_url)
    pulumi.export("toolsRepositoryUrl", registry.tools_repository_url)
    pulumi.export(
        "toolsImage", pulumi.Output.concat(registry.tools_repository_url, ":", cfg.tools_image_tag)
    )
    if cfg.kind == "staging" and cfg.preview_zone:
        _preview_shared(cfg.preview_zone, cfg.hosted_zone_id, stack, net, tags)


def _preview_shared(
    zone_name: str, parent_zone_id: str, stack: str, net: Any, tags: dict[str, str]
) -> None:
    """What staging owns for previews: their DNS zone, wildcard cert and shared ALB."""
    import pulumi_aws as aws

    from components.certificate import Certificate, CertificateArgs
    from components.loadbalancer import LoadBalancer, LoadBalancerArgs

    zone = aws.route53.Zone("preview-zone", name=zone_name, force_destroy=False, tags=tags)
    aws.route53.Record(
        "preview-zone-delegation",
        zone_id=parent_zone_id,
        name=zone_name,
        type="NS",
        ttl=300,
        records=zone.name_servers,
    )
    # One label only: *.preview.example.com covers pr-12.preview.example.com.
    cert = Certificate("preview-cert", CertificateArgs(f"*.{zone_name}", zone.zone_id, tags))
    alb = LoadBalancer(
        "preview-lb",
        LoadBalancerArgs(stack, "preview", net.vpc_id, net.public_subnet_ids, cert.arn, tags),
    )
    pulumi.export("previewZoneId", zone.zone_id)
    pulumi.export("previewZoneName", zone_name)
    pulumi.export("previewAlbArn", alb.arn)
    pulumi.export("previewAlbDnsName", alb.dns_name)
    pulumi.export("previewAlbZoneId", alb.zone_id)
    pulumi.export("previewAlbSecurityGroupId", alb.security_group_id)
    pulumi.export("previewListenerArn", alb.https_listener_arn)


def _preview(cfg: cfgmod.PreviewConfig, stack: str) -> None:
    from components.certificate import Certificate, CertificateArgs
    from components.cluster import Cluster, ClusterArgs
    from components.dbclone import DatabaseClone, DatabaseCloneArgs
    from components.loadbalancer import LoadBalancer, LoadBalancerArgs
    from components.route import OidcAuth, Route, RouteArgs
    from components.search import SearchDomain, SearchDomainArgs, index_access_policy
    from components.security import AppSecurity, AppSecurityArgs
    from components.service import AppServices, AppServicesArgs
    from components.smokegate import SmokeGate, SmokeGateArgs

    region = _region()
    tags = tagging.preview_tags(cfg.pr, cfg.sha, cfg.expires_at_iso, cfg.branch)
    public = cfg.app.public_service
    prefix = naming.index_prefix(cfg.pr)
    oidc: OidcAuth | None = None
    if cfg.url_protection.mode == "oidc" and cfg.url_protection.oidc is not None:
        o = cfg.url_protection.oidc
        secret = pulumi.Config(NS).get_secret(cfgmod.SECRET_KEY)
        if secret is None:
            raise cfgmod.ConfigError(
                f"{NS}:{cfgmod.SECRET_KEY}",
                "is required when urlProtection.mode is oidc",
                f"pulumi config set --secret {NS}:{cfgmod.SECRET_KEY} <client secret>",
            )
        oidc = OidcAuth(
            o.issuer,
            o.authorization_endpoint,
            o.token_endpoint,
            o.user_info_endpoint,
            o.client_id,
            secret,
        )
    priority, _ = naming.rule_priorities(cfg.pr, cfg.rule_priority)

    from components.bootstrap import BOUNDARY_NAME

    # The preview deploy role may create IAM roles only under this boundary (stack bootstrap).
    boundary = f"arn:aws:iam::{aws_account()}:policy/{BOUNDARY_NAME}"
    staging = pulumi.StackReference("staging", stack_name=cfg.staging_stack)

    def out(key: str) -> pulumi.Output[Any]:
        return staging.require_output(key)

    zone_name = out("previewZoneName")
    host = zone_name.apply(lambda z: naming.hostname(cfg.pr, z))
    vpc_id = out("vpcId")
    private = out("privateSubnetIds")
    private_list: list[pulumi.Input[str]] = [private[0], private[1]]

    lb_sg: pulumi.Input[str]
    if cfg.load_balancing == "dedicated":
        cert = Certificate("cert", CertificateArgs(host, out("previewZoneId"), tags))
        public_subnets = out("publicSubnetIds")
        alb = LoadBalancer(
            "alb",
            LoadBalancerArgs(
                stack, "web", vpc_id, [public_subnets[0], public_subnets[1]], cert.arn, tags
            ),
        )
        listener, alb_dns, alb_zone, lb_sg = (
            alb.https_listener_arn,
            alb.dns_name,
            alb.zone_id,
            alb.security_group_id,
        )
    else:
        listener, alb_dns, alb_zone, lb_sg = (
            out("previewListenerArn"),
            out("previewAlbDnsName"),
            out("previewAlbZoneId"),
            out("previewAlbSecurityGroupId"),
        )

    cluster = Cluster("cluster", ClusterArgs(stack, tags))
    backends: dict[str, pulumi.Input[str]] = {}
    if cfg.search == "shared":
        backends["search"] = out("searchSecurityGroupId")
    sec = AppSecurity(
        "security", AppSecurityArgs(vpc_id, lb_sg, [public.port or 80], tags, backends)
    )
    db = DatabaseClone(
        "db",
        DatabaseCloneArgs(
            stack=stack,
            source_cluster_identifier=out("dbClusterIdentifier"),
            source_environment=out("environment"),
            engine_version=out("dbEngineVersion"),
            subnet_group_name=out("dbSubnetGroupName"),
            vpc_id=vpc_id,
            app_security_group_id=sec.task_security_group_id,
            tags=tags,
            auto_pause_seconds=cfg.db_auto_pause_seconds,
        ),
    )
    if cfg.search == "dedicated":
        domain = SearchDomain(
            "search",
            SearchDomainArgs(
                stack=stack,
                vpc_id=vpc_id,
                subnet_ids=private_list,
                account_id=aws_account(),
                tags=tags,
                client_security_group_ids=[sec.task_security_group_id],
            ),
        )
        search_arn, search_endpoint = domain.arn, domain.endpoint
    else:
        search_arn, search_endpoint = out("searchDomainArn"), out("searchDomainEndpoint")
    search_url = pulumi.Output.concat("https://", search_endpoint)

    route = Route(
        "route",
        RouteArgs(
            stack=stack,
            service=public.name,
            host=host,
            port=public.port or 80,
            health_path=public.health_path,
            vpc_id=vpc_id,
            listener_arn=listener,
            priority=priority,
            alb_dns_name=alb_dns,
            alb_zone_id=alb_zone,
            zone_id=out("previewZoneId"),
            tags=tags,
            protection=cfg.url_protection.mode,
            allowed_cidrs=cfg.url_protection.cidrs,
            bypass_cidrs=out("natPublicIps").apply(lambda ips: [f"{ip}/32" for ip in ips]),
            oidc=oidc,
        ),
    )
    app_env: dict[str, pulumi.Input[str]] = {
        "DB_HOST": db.endpoint,
        "DB_NAME": out("dbName"),
        "SEARCH_URL": search_url,
        "SEARCH_INDEX_PREFIX": prefix,
        "AWS_REGION": region,
        # No APP_SHA here: the image bakes its own, so /health exposes a stale image.
        "PREVIEW_PR": str(cfg.pr),
    }
    services = AppServices(
        "app",
        AppServicesArgs(
            stack=stack,
            app=cfg.app,
            image_repository_url=out("appRepositoryUrl"),
            image_tag=cfg.sha,
            cluster_arn=cluster.arn,
            cluster_name=cluster.name,
            subnet_ids=private_list,
            security_group_ids=[sec.task_security_group_id],
            target_group_arn=route.target_group_arn,
            region=region,
            tags=tags,
            log_retention_days=cfg.log_retention_days,
            environment=app_env,
            task_policy_json=index_access_policy(search_arn, prefix),
            db_secret_arn=out("dbMasterSecretArn"),
            permissions_boundary=boundary,
            spot=cfg.spot.enabled,
            on_demand_base=cfg.spot.on_demand_base,
        ),
        # ECS rejects a service whose target group is not yet attached to a listener.
        opts=pulumi.ResourceOptions(depends_on=[route]),
    )
    smoke = SmokeGate(
        "smoke",
        SmokeGateArgs(
            stack=stack,
            cluster_arn=cluster.arn,
            tools_image=cfg.tools_image or out("toolsImage"),
            subnet_ids=private_list,
            security_group_ids=[sec.task_security_group_id],
            base_url=route.url,
            health_path=public.health_path,
            expected_sha=cfg.sha,
            task_role_arn=services.task_role_arn,
            region=region,
            tags=tags,
            log_retention_days=cfg.log_retention_days,
            sync_environment={
                "PREVIEW_SYNC_INDEX_PREFIX": prefix,
                "PREVIEW_SYNC_OPENSEARCH_URL": search_url,
                "PREVIEW_SYNC_AWS_REGION": region,
                "PREVIEW_SYNC_DB_HOST": db.endpoint,
                "PREVIEW_SYNC_DB_NAME": out("dbName"),
            },
            db_secret_arn=out("dbMasterSecretArn"),
            permissions_boundary=boundary,
        ),
        opts=pulumi.ResourceOptions(depends_on=[services]),
    )
    pulumi.export("url", route.url)
    pulumi.export("dbEndpoint", db.endpoint)
    pulumi.export("indexPrefix", prefix)
    pulumi.export("stateMachineArn", smoke.state_machine_arn)
    # Where the tools tasks log: `preview up` reads the failing smoke tests from here.
    pulumi.export("smokeLogGroupName", smoke.log_group_name)
    pulumi.export("clusterName", cluster.name)
    pulumi.export("serviceNames", services.service_names)
    pulumi.export("logGroupName", services.log_group_name)
    pulumi.export("pr", cfg.pr)
    pulumi.export("sha", cfg.sha)
    pulumi.export("expiresAt", cfg.expires_at_iso)


def aws_account() -> str:
    import pulumi_aws as aws

    return aws.get_caller_identity().account_id


def main() -> None:
    stack = pulumi.get_stack()
    cfg = cfgmod.load(stack, _raw_config())
    if isinstance(cfg, cfgmod.BootstrapConfig):
        _bootstrap(cfg)
    elif isinstance(cfg, cfgmod.PreviewConfig):
        _preview(cfg, stack)
    elif isinstance(cfg, cfgmod.PoolConfig):
        from stacks import pool

        pool.build(cfg, stack)
    else:
        _long_lived(cfg, stack)


main()
