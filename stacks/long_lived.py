"""Stacks `staging` / `prod`: network, cluster, ALB, Aurora, OpenSearch, services, monitoring.

Staging also owns what previews share (their DNS zone, wildcard certificate and ALB) and exports
it; the output names are `contracts.outputs.StagingOut`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pulumi

from components import config as cfgmod
from components import tags as tagging
from contracts.constants import STAGING
from contracts.outputs import StagingOut as Out
from stacks import runtime


@dataclass(frozen=True)
class _Base:
    """What every later step builds on."""

    cfg: cfgmod.LongLivedConfig
    stack: str
    tags: dict[str, str]
    region: str
    prod: bool
    net: Any
    cluster: Any
    registry: Any
    alb: Any
    security: Any


def build(cfg: cfgmod.LongLivedConfig, stack: str) -> None:
    base = _foundation(cfg, stack)
    db, search = _data(base)
    route, services = _app(base, db, search)
    _monitoring(base, route, services)
    _export(base, route, services, db, search)
    if cfg.kind == STAGING and cfg.preview_zone:
        _preview_shared(cfg.preview_zone, cfg.hosted_zone_id, stack, base.net, base.tags)


def _foundation(cfg: cfgmod.LongLivedConfig, stack: str) -> _Base:
    import pulumi_aws as aws

    from components.certificate import Certificate, CertificateArgs
    from components.cluster import Cluster, ClusterArgs
    from components.loadbalancer import LoadBalancer, LoadBalancerArgs
    from components.network import Network, NetworkArgs
    from components.registry import Registry, RegistryArgs
    from components.security import AppSecurity, AppSecurityArgs

    prod = cfg.kind == "prod"
    tags = tagging.long_lived_tags(cfg.kind)
    azs = aws.get_availability_zones(state="available").names[: cfg.az_count]
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
    security = AppSecurity(
        "app-security",
        AppSecurityArgs(
            net.vpc_id, alb.security_group_id, [cfg.app.public_service.port or 80], tags
        ),
    )
    return _Base(cfg, stack, tags, runtime.region(), prod, net, cluster, registry, alb, security)


def _data(b: _Base) -> tuple[Any, Any]:
    """Aurora and OpenSearch, reachable from the app's tasks only."""
    from components.database import Database, DatabaseArgs
    from components.search import SearchDomain, SearchDomainArgs

    cfg = b.cfg
    db = Database(
        "db",
        DatabaseArgs(
            stack=b.stack,
            vpc_id=b.net.vpc_id,
            subnet_ids=b.net.private_subnet_ids,
            app_security_group_id=b.security.task_security_group_id,
            engine_version=cfg.db.engine_version,
            database_name=cfg.db.database_name,
            min_capacity=cfg.db.min_capacity,
            max_capacity=cfg.db.max_capacity,
            # Prod always has a reader (read replicas for read-heavy pages and failover).
            readers=max(cfg.db.readers, 1) if b.prod else cfg.db.readers,
            protect=b.prod,
            tags=b.tags,
        ),
    )
    search = SearchDomain(
        "search",
        SearchDomainArgs(
            stack=b.stack,
            vpc_id=b.net.vpc_id,
            subnet_ids=b.net.private_subnet_ids,
            account_id=runtime.aws_account(),
            tags=b.tags,
            engine_version=cfg.search.engine_version,
            instance_type=cfg.search.instance_type,
            instance_count=cfg.search.instance_count,
            volume_size=cfg.search.volume_size,
            client_security_group_ids=[b.security.task_security_group_id],
        ),
    )
    return db, search


def _app(b: _Base, db: Any, search: Any) -> tuple[Any, Any]:
    """The public route and the app's services behind it."""
    from components.route import Route, RouteArgs
    from components.service import AppServices, AppServicesArgs, Autoscaling

    cfg, public = b.cfg, b.cfg.app.public_service
    route = Route(
        "app-route",
        RouteArgs(
            stack=b.stack,
            service=public.name,
            host=cfg.domain_name,
            port=public.port or 80,
            health_path=public.health_path,
            vpc_id=b.net.vpc_id,
            listener_arn=b.alb.https_listener_arn,
            priority=1,
            alb_dns_name=b.alb.dns_name,
            alb_zone_id=b.alb.zone_id,
            zone_id=cfg.hosted_zone_id,
            tags=b.tags,
            deregistration_delay=60,
        ),
    )
    # Prod always autoscales (defaults if unset); staging only when it asks to.
    spec = cfg.autoscaling or (cfgmod.AutoscalingSpec() if b.prod else None)
    scaling = Autoscaling(spec.min, spec.max, spec.cpu_target) if spec else None
    services = AppServices(
        "app",
        AppServicesArgs(
            stack=b.stack,
            app=cfg.app,
            image_repository_url=b.registry.app_repository_url,
            image_tag=cfg.image_tag,
            cluster_arn=b.cluster.arn,
            cluster_name=b.cluster.name,
            subnet_ids=b.net.private_subnet_ids,
            security_group_ids=[b.security.task_security_group_id],
            target_group_arn=route.target_group_arn,
            region=b.region,
            tags=b.tags,
            log_retention_days=cfg.log_retention_days,
            environment={
                "DB_HOST": db.endpoint,
                "DB_READER_HOST": db.reader_endpoint,
                "DB_NAME": cfg.db.database_name,
                "SEARCH_URL": pulumi.Output.concat("https://", search.endpoint),
                "SEARCH_INDEX_PREFIX": "",
                "AWS_REGION": b.region,
            },
            db_secret_arn=db.master_secret_arn,
            spot=False,
            autoscaling=scaling,
        ),
        opts=pulumi.ResourceOptions(depends_on=[route]),
    )
    return route, services


def _monitoring(b: _Base, route: Any, services: Any) -> None:
    from components.monitoring import Monitoring, MonitoringArgs

    Monitoring(
        "monitoring",
        MonitoringArgs(
            stack=b.stack,
            cluster_name=b.cluster.name,
            service_names=dict(services.service_names),
            alb_arn_suffix=b.alb.arn_suffix,
            target_group_arn_suffix=route.target_group_arn_suffix,
            log_group_name=services.log_group_name,
            tags=b.tags,
            region=b.region,
            alarm_email=b.cfg.alarm_email,
        ),
    )


def _export(b: _Base, route: Any, services: Any, db: Any, search: Any) -> None:
    cfg, net, registry = b.cfg, b.net, b.registry
    tools_image = pulumi.Output.concat(registry.tools_repository_url, ":", cfg.tools_image_tag)
    outputs: dict[str, Any] = {
        Out.ENVIRONMENT: cfg.kind,
        Out.URL: route.url,
        Out.VPC_ID: net.vpc_id,
        Out.VPC_CIDR: cfg.vpc_cidr,
        Out.PUBLIC_SUBNET_IDS: net.public_subnet_ids,
        Out.PRIVATE_SUBNET_IDS: net.private_subnet_ids,
        Out.NAT_PUBLIC_IPS: net.nat_public_ips,
        Out.CLUSTER_ARN: b.cluster.arn,
        Out.CLUSTER_NAME: b.cluster.name,
        Out.SERVICE_NAMES: services.service_names,
        Out.DB_CLUSTER_IDENTIFIER: db.cluster_identifier,
        Out.DB_CLUSTER_ARN: db.cluster_arn,
        Out.DB_ENDPOINT: db.endpoint,
        Out.DB_ENGINE_VERSION: cfg.db.engine_version,
        Out.DB_SUBNET_GROUP_NAME: db.subnet_group_name,
        Out.DB_MASTER_SECRET_ARN: db.master_secret_arn,
        Out.DB_NAME: cfg.db.database_name,
        Out.SEARCH_DOMAIN_ARN: search.arn,
        Out.SEARCH_DOMAIN_ENDPOINT: search.endpoint,
        Out.SEARCH_SECURITY_GROUP_ID: search.security_group_id,
        Out.APP_REPOSITORY_URL: registry.app_repository_url,
        Out.TOOLS_REPOSITORY_URL: registry.tools_repository_url,
        Out.TOOLS_IMAGE: tools_image,
    }
    for key, value in outputs.items():
        pulumi.export(key, value)


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
    pulumi.export(Out.PREVIEW_ZONE_ID, zone.zone_id)
    pulumi.export(Out.PREVIEW_ZONE_NAME, zone_name)
    pulumi.export(Out.PREVIEW_ALB_ARN, alb.arn)
    pulumi.export(Out.PREVIEW_ALB_DNS_NAME, alb.dns_name)
    pulumi.export(Out.PREVIEW_ALB_ZONE_ID, alb.zone_id)
    pulumi.export(Out.PREVIEW_ALB_SECURITY_GROUP_ID, alb.security_group_id)
    pulumi.export(Out.PREVIEW_LISTENER_ARN, alb.https_listener_arn)
