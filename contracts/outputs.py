"""Every stack output name: the program exports them, the CLI and the harness read them.

A rename here renames it everywhere; tests/infra check that the program exports exactly these.
"""

from __future__ import annotations


class PreviewOut:
    """Outputs of a `pr-<N>` stack."""

    URL = "url"
    DB_ENDPOINT = "dbEndpoint"
    INDEX_PREFIX = "indexPrefix"
    STATE_MACHINE = "stateMachineArn"
    # Where the tools tasks log: `preview up` reads the failing smoke tests from here.
    SMOKE_LOGS = "smokeLogGroupName"
    CLUSTER_NAME = "clusterName"
    SERVICE_NAMES = "serviceNames"
    LOG_GROUP_NAME = "logGroupName"
    # Facts the CLI reads back about other previews. A DIY backend keeps no stack config (a
    # fresh CI runner has no Pulumi.<stack>.yaml), so they must be outputs.
    PR = "pr"
    SHA = "sha"
    BRANCH = "branch"
    EXPIRES_AT = "expiresAt"
    WARM_SLOT = "warmSlot"
    # True: the indices are a warm slot's, seeded ahead of time; the first smoke run skips
    # SeedSearch.
    PRE_SEEDED = "searchPreSeeded"
    RULE_PRIORITY = "rulePriority"


class StagingOut:
    """Outputs of a long-lived stack (`staging`, `prod`); the PREVIEW_* ones staging only."""

    ENVIRONMENT = "environment"
    URL = "url"
    VPC_ID = "vpcId"
    VPC_CIDR = "vpcCidr"
    PUBLIC_SUBNET_IDS = "publicSubnetIds"
    PRIVATE_SUBNET_IDS = "privateSubnetIds"
    NAT_PUBLIC_IPS = "natPublicIps"
    CLUSTER_ARN = "clusterArn"
    CLUSTER_NAME = "clusterName"
    SERVICE_NAMES = "serviceNames"
    DB_CLUSTER_IDENTIFIER = "dbClusterIdentifier"
    DB_CLUSTER_ARN = "dbClusterArn"
    DB_ENDPOINT = "dbEndpoint"
    DB_ENGINE_VERSION = "dbEngineVersion"
    DB_SUBNET_GROUP_NAME = "dbSubnetGroupName"
    DB_MASTER_SECRET_ARN = "dbMasterSecretArn"
    DB_NAME = "dbName"
    SEARCH_DOMAIN_ARN = "searchDomainArn"
    SEARCH_DOMAIN_ENDPOINT = "searchDomainEndpoint"
    SEARCH_SECURITY_GROUP_ID = "searchSecurityGroupId"
    APP_REPOSITORY_URL = "appRepositoryUrl"
    TOOLS_REPOSITORY_URL = "toolsRepositoryUrl"
    TOOLS_IMAGE = "toolsImage"
    PREVIEW_ZONE_ID = "previewZoneId"
    PREVIEW_ZONE_NAME = "previewZoneName"
    PREVIEW_ALB_ARN = "previewAlbArn"
    PREVIEW_ALB_DNS_NAME = "previewAlbDnsName"
    PREVIEW_ALB_ZONE_ID = "previewAlbZoneId"
    PREVIEW_ALB_SECURITY_GROUP_ID = "previewAlbSecurityGroupId"
    PREVIEW_LISTENER_ARN = "previewListenerArn"


class BootstrapOut:
    """Outputs of the `bootstrap` stack (attribute names of components.bootstrap.GithubIdentity)."""

    PROVIDER_ARN = "provider_arn"
    PREVIEW_ROLE_ARN = "preview_role_arn"
    REAPER_ROLE_ARN = "reaper_role_arn"
    STAGING_ROLE_ARN = "staging_role_arn"
    PROD_ROLE_ARN = "prod_role_arn"
    BOUNDARY_ARN = "boundary_arn"


BOOTSTRAP_OUTPUTS: tuple[str, ...] = (
    BootstrapOut.PROVIDER_ARN,
    BootstrapOut.PREVIEW_ROLE_ARN,
    BootstrapOut.REAPER_ROLE_ARN,
    BootstrapOut.STAGING_ROLE_ARN,
    BootstrapOut.PROD_ROLE_ARN,
    BootstrapOut.BOUNDARY_ARN,
)

# The staging outputs a pr-<N> stack reads through its StackReference.
STAGING_FOR_PREVIEWS: tuple[str, ...] = (
    StagingOut.ENVIRONMENT,
    StagingOut.VPC_ID,
    StagingOut.PUBLIC_SUBNET_IDS,
    StagingOut.PRIVATE_SUBNET_IDS,
    StagingOut.NAT_PUBLIC_IPS,
    StagingOut.DB_CLUSTER_IDENTIFIER,
    StagingOut.DB_ENGINE_VERSION,
    StagingOut.DB_SUBNET_GROUP_NAME,
    StagingOut.DB_MASTER_SECRET_ARN,
    StagingOut.DB_NAME,
    StagingOut.SEARCH_DOMAIN_ARN,
    StagingOut.SEARCH_DOMAIN_ENDPOINT,
    StagingOut.SEARCH_SECURITY_GROUP_ID,
    StagingOut.APP_REPOSITORY_URL,
    StagingOut.TOOLS_IMAGE,
    StagingOut.PREVIEW_ZONE_ID,
    StagingOut.PREVIEW_ZONE_NAME,
    StagingOut.PREVIEW_ALB_DNS_NAME,
    StagingOut.PREVIEW_ALB_ZONE_ID,
    StagingOut.PREVIEW_ALB_SECURITY_GROUP_ID,
    StagingOut.PREVIEW_LISTENER_ARN,
)
