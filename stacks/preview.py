"""Stack `pr-<N>`: one pull request's preview, built on staging's outputs (StackReference).

Steps, top to bottom: read staging, choose the ingress (the shared ALB or a dedicated one),
network security, database clone and search, the route (URL protection), the app services, the
smoke gate, the exports (`contracts.outputs.PreviewOut`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pulumi

from components import config as cfgmod
from components import naming
from components import tags as tagging
from contracts.constants import NAMESPACE
from contracts.errors import ConfigError
from contracts.outputs import PreviewOut
from contracts.outputs import StagingOut as S
from stacks import runtime


@dataclass(frozen=True)
class _Ctx:
    """What every step of a preview needs: its config, names, tags and staging's outputs."""

    cfg: cfgmod.PreviewConfig
    stack: str
    tags: dict[str, str]
    region: str
    prefix: str
    staging: pulumi.StackReference
    # The preview deploy role may create IAM roles only under this boundary (stack bootstrap).
    boundary: str

    def out(self, key: str) -> pulumi.Output[Any]:
        return self.staging.require_output(key)

    def private_subnets(self) -> list[pulumi.Input[str]]:
        return runtime.two_subnets(self.out(S.PRIVATE_SUBNET_IDS))


@dataclass(frozen=True)
class _Ingress:
    listener: pulumi.Input[str]
    alb_dns: pulumi.Input[str]
    alb_zone: pulumi.Input[str]
    security_group: pulumi.Input[str]


def build(cfg: cfgmod.PreviewConfig, stack: str) -> None:
    oidc = _oidc(cfg)
    ctx = _context(cfg, stack)
    host = ctx.out(S.PREVIEW_ZONE_NAME).apply(lambda z: naming.hostname(cfg.pr, z))
    ingress = _ingress(ctx, host)
    cluster, sec = _cluster_and_security(ctx, ingress)
    db = _database(ctx, sec) if cfg.warm_slot is None else _Warm.of(cfg.warm_slot)
    search_arn, search_url = _search(ctx, sec)
    route = _route(ctx, host, ingress, oidc)
    services = _services(ctx, cluster, sec, route, db, search_arn, search_url)
    smoke = _smoke_gate(ctx, cluster, sec, route, services, db, search_url)
    _export(ctx, route, db, smoke, cluster, services)


def _oidc(cfg: cfgmod.PreviewConfig) -> Any:
    """The OIDC settings of urlProtection mode oidc, with the client secret from Pulumi secrets."""
    from components.route import OidcAuth

    if cfg.url_protection.mode != "oidc" or cfg.url_protection.oidc is None:
        return None
    o = cfg.url_protection.oidc
    secret = pulumi.Config(NAMESPACE).get_secret(cfgmod.SECRET_KEY)
    if secret is None:
        raise ConfigError(
            f"{NAMESPACE}:{cfgmod.SECRET_KEY}",
            "is required when urlProtection.mode is oidc",
            f"pulumi config set --secret {NAMESPACE}:{cfgmod.SECRET_KEY} <client secret>",
        )
    return OidcAuth(
        o.issuer,
        o.authorization_endpoint,
        o.token_endpoint,
        o.user_info_endpoint,
        o.client_id,
        secret,
    )


def _context(cfg: cfgmod.PreviewConfig, stack: str) -> _Ctx:
    from components.bootstrap import BOUNDARY_NAME

    return _Ctx(
        cfg=cfg,
        stack=stack,
        tags=tagging.preview_tags(cfg.pr, cfg.sha, cfg.expires_at_iso, cfg.branch),
        region=runtime.region(),
        prefix=index_prefix(cfg),
        staging=pulumi.StackReference("staging", stack_name=cfg.staging_stack),
        boundary=f"arn:aws:iam::{runtime.aws_account()}:policy/{BOUNDARY_NAME}",
    )


def index_prefix(cfg: cfgmod.PreviewConfig) -> str:
    """The PR's own `pr-<N>-`, or on the warm path with staging's search the slot's indices,
    which the pool seeded ahead of time (the slot's clone holds the same data)."""
    if pre_seeded(cfg) and cfg.warm_slot is not None:
        return cfg.warm_slot.index_prefix
    return naming.index_prefix(cfg.pr)


def pre_seeded(cfg: cfgmod.PreviewConfig) -> bool:
    """Indices already seeded: a warm slot's, in staging's domain, by staging's tools image
    (a PR with tools of its own, or its own domain, seeds on its first run like a cold one)."""
    slot = cfg.warm_slot
    return slot is not None and slot.seeded and cfg.search == "shared" and cfg.tools_image is None


def _ingress(ctx: _Ctx, host: pulumi.Output[str]) -> _Ingress:
    """Staging's shared ALB (a listener rule per preview), or a dedicated ALB and certificate."""
    if ctx.cfg.load_balancing != "dedicated":
        return _Ingress(
            ctx.out(S.PREVIEW_LISTENER_ARN),
            ctx.out(S.PREVIEW_ALB_DNS_NAME),
            ctx.out(S.PREVIEW_ALB_ZONE_ID),
            ctx.out(S.PREVIEW_ALB_SECURITY_GROUP_ID),
        )
    from components.certificate import Certificate, CertificateArgs
    from components.loadbalancer import LoadBalancer, LoadBalancerArgs

    cert = Certificate("cert", CertificateArgs(host, ctx.out(S.PREVIEW_ZONE_ID), ctx.tags))
    alb = LoadBalancer(
        "alb",
        LoadBalancerArgs(
            ctx.stack,
            "web",
            ctx.out(S.VPC_ID),
            runtime.two_subnets(ctx.out(S.PUBLIC_SUBNET_IDS)),
            cert.arn,
            ctx.tags,
        ),
    )
    return _Ingress(alb.https_listener_arn, alb.dns_name, alb.zone_id, alb.security_group_id)


def _cluster_and_security(ctx: _Ctx, ingress: _Ingress) -> tuple[Any, Any]:
    from components.cluster import Cluster, ClusterArgs
    from components.security import AppSecurity, AppSecurityArgs

    cluster = Cluster("cluster", ClusterArgs(ctx.stack, ctx.tags))
    backends: dict[str, pulumi.Input[str]] = {}
    if ctx.cfg.search == "shared":
        backends["search"] = ctx.out(S.SEARCH_SECURITY_GROUP_ID)
    port = ctx.cfg.app.public_service.port or 80
    sec = AppSecurity(
        "security",
        AppSecurityArgs(ctx.out(S.VPC_ID), ingress.security_group, [port], ctx.tags, backends),
    )
    return cluster, sec


@dataclass(frozen=True)
class _Warm:
    """The warm path's database: a pool slot's clone, owned by stack `pool`, not by this one.

    The tasks join the slot's clients group, the one group its clone admits MySQL from."""

    endpoint: str
    secret_arn: str
    security_group_ids: tuple[str, ...]
    slot: str

    @classmethod
    def of(cls, w: cfgmod.WarmSlot) -> _Warm:
        return cls(w.endpoint, w.secret_arn, (w.security_group_id,), w.slot)


def _db_secret(ctx: _Ctx, db: Any) -> pulumi.Input[str]:
    # The clone's (or the warm slot's) own managed secret, not staging's: it survives rotation.
    return db.secret_arn if isinstance(db, _Warm) else db.master_secret_arn


def _task_groups(sec: Any, db: Any) -> list[pulumi.Input[str]]:
    extra = list(db.security_group_ids) if isinstance(db, _Warm) else []
    return [sec.task_security_group_id, *extra]


def _database(ctx: _Ctx, sec: Any) -> Any:
    """A copy-on-write clone of staging's Aurora cluster (the cold path)."""
    from components.dbclone import DatabaseClone, DatabaseCloneArgs

    return DatabaseClone(
        "db",
        DatabaseCloneArgs(
            stack=ctx.stack,
            source_cluster_identifier=ctx.out(S.DB_CLUSTER_IDENTIFIER),
            source_environment=ctx.out(S.ENVIRONMENT),
            engine_version=ctx.out(S.DB_ENGINE_VERSION),
            subnet_group_name=ctx.out(S.DB_SUBNET_GROUP_NAME),
            vpc_id=ctx.out(S.VPC_ID),
            app_security_group_id=sec.task_security_group_id,
            tags=ctx.tags,
            auto_pause_seconds=ctx.cfg.db_auto_pause_seconds,
        ),
    )


def _search(ctx: _Ctx, sec: Any) -> tuple[pulumi.Input[str], pulumi.Output[str]]:
    """Staging's search domain (the PR's own index prefix), or a dedicated domain."""
    from components.search import SearchDomain, SearchDomainArgs

    if ctx.cfg.search == "dedicated":
        domain = SearchDomain(
            "search",
            SearchDomainArgs(
                stack=ctx.stack,
                vpc_id=ctx.out(S.VPC_ID),
                subnet_ids=ctx.private_subnets(),
                account_id=runtime.aws_account(),
                tags=ctx.tags,
                client_security_group_ids=[sec.task_security_group_id],
            ),
        )
        arn, endpoint = domain.arn, domain.endpoint
    else:
        arn, endpoint = ctx.out(S.SEARCH_DOMAIN_ARN), ctx.out(S.SEARCH_DOMAIN_ENDPOINT)
    return arn, pulumi.Output.concat("https://", endpoint)


def _route(ctx: _Ctx, host: pulumi.Output[str], ingress: _Ingress, oidc: Any) -> Any:
    from components.route import Route, RouteArgs

    cfg, public = ctx.cfg, ctx.cfg.app.public_service
    priority, _ = naming.rule_priorities(cfg.pr, cfg.rule_priority)
    nat_ips = ctx.out(S.NAT_PUBLIC_IPS)
    return Route(
        "route",
        RouteArgs(
            stack=ctx.stack,
            service=public.name,
            host=host,
            port=public.port or 80,
            # The ALB checks liveness (no DB) every 15 s, so the clone can pause.
            health_path=public.liveness_path,
            vpc_id=ctx.out(S.VPC_ID),
            listener_arn=ingress.listener,
            priority=priority,
            alb_dns_name=ingress.alb_dns,
            alb_zone_id=ingress.alb_zone,
            zone_id=ctx.out(S.PREVIEW_ZONE_ID),
            tags=ctx.tags,
            protection=cfg.url_protection.mode,
            allowed_cidrs=cfg.url_protection.cidrs,
            bypass_cidrs=nat_ips.apply(lambda ips: [f"{ip}/32" for ip in ips]),
            oidc=oidc,
        ),
    )


def _services(
    ctx: _Ctx,
    cluster: Any,
    sec: Any,
    route: Any,
    db: Any,
    search_arn: pulumi.Input[str],
    search_url: pulumi.Output[str],
) -> Any:
    from components.search import index_access_policy
    from components.service import AppServices, AppServicesArgs

    cfg = ctx.cfg
    app_env: dict[str, pulumi.Input[str]] = {
        "DB_HOST": db.endpoint,
        "DB_NAME": ctx.out(S.DB_NAME),
        "SEARCH_URL": search_url,
        "SEARCH_INDEX_PREFIX": ctx.prefix,
        "AWS_REGION": ctx.region,
        # No APP_SHA here: the image bakes its own, so /health exposes a stale image.
        "PREVIEW_PR": str(cfg.pr),
    }
    return AppServices(
        "app",
        AppServicesArgs(
            stack=ctx.stack,
            app=cfg.app,
            image_repository_url=ctx.out(S.APP_REPOSITORY_URL),
            # The tag the PR workflow pushes; only pr- tags may expire (components/registry.py).
            image_tag=naming.pr_image_tag(cfg.sha),
            cluster_arn=cluster.arn,
            cluster_name=cluster.name,
            subnet_ids=ctx.private_subnets(),
            security_group_ids=_task_groups(sec, db),
            target_group_arn=route.target_group_arn,
            region=ctx.region,
            tags=ctx.tags,
            log_retention_days=cfg.log_retention_days,
            environment=app_env,
            task_policy_json=index_access_policy(search_arn, ctx.prefix),
            db_secret_arn=_db_secret(ctx, db),
            permissions_boundary=ctx.boundary,
            spot=cfg.spot.enabled,
            on_demand_base=cfg.spot.on_demand_base,
        ),
        # ECS rejects a service whose target group is not yet attached to a listener.
        opts=pulumi.ResourceOptions(depends_on=[route]),
    )


def _smoke_gate(
    ctx: _Ctx,
    cluster: Any,
    sec: Any,
    route: Any,
    services: Any,
    db: Any,
    search_url: pulumi.Output[str],
) -> Any:
    from components.smokegate import GateApp, SmokeGate, SmokeGateArgs

    cfg = ctx.cfg
    return SmokeGate(
        "smoke",
        SmokeGateArgs(
            stack=ctx.stack,
            cluster_arn=cluster.arn,
            tools_image=cfg.tools_image or ctx.out(S.TOOLS_IMAGE),
            subnet_ids=ctx.private_subnets(),
            security_group_ids=_task_groups(sec, db),
            app=GateApp(route.url, cfg.app.public_service.health_path, cfg.sha),
            task_role_arn=services.task_role_arn,
            region=ctx.region,
            tags=ctx.tags,
            log_retention_days=cfg.log_retention_days,
            sync_environment={
                "PREVIEW_SYNC_INDEX_PREFIX": ctx.prefix,
                "PREVIEW_SYNC_OPENSEARCH_URL": search_url,
                "PREVIEW_SYNC_AWS_REGION": ctx.region,
                "PREVIEW_SYNC_DB_HOST": db.endpoint,
                "PREVIEW_SYNC_DB_NAME": ctx.out(S.DB_NAME),
            },
            db_secret_arn=_db_secret(ctx, db),
            permissions_boundary=ctx.boundary,
        ),
        opts=pulumi.ResourceOptions(depends_on=[services]),
    )


def _export(ctx: _Ctx, route: Any, db: Any, smoke: Any, cluster: Any, services: Any) -> None:
    cfg = ctx.cfg
    outputs: dict[str, Any] = {
        PreviewOut.URL: route.url,
        PreviewOut.DB_ENDPOINT: db.endpoint,
        PreviewOut.INDEX_PREFIX: ctx.prefix,
        PreviewOut.STATE_MACHINE: smoke.state_machine_arn,
        PreviewOut.SMOKE_LOGS: smoke.log_group_name,
        PreviewOut.CLUSTER_NAME: cluster.name,
        PreviewOut.SERVICE_NAMES: services.service_names,
        PreviewOut.LOG_GROUP_NAME: services.log_group_name,
        PreviewOut.PR: cfg.pr,
        PreviewOut.SHA: cfg.sha,
        PreviewOut.BRANCH: cfg.branch,
        PreviewOut.EXPIRES_AT: cfg.expires_at_iso,
        # "" on the cold path; the pool slot this preview uses on the warm path.
        PreviewOut.WARM_SLOT: db.slot if isinstance(db, _Warm) else "",
        PreviewOut.PRE_SEEDED: pre_seeded(cfg),
        PreviewOut.RULE_PRIORITY: naming.rule_priorities(cfg.pr, cfg.rule_priority)[0],
    }
    for key, value in outputs.items():
        pulumi.export(key, value)
