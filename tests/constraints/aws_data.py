"""AWS input rules of the data family: OpenSearch and RDS (Aurora)."""

from __future__ import annotations

from tests.constraints.checks import Rule, all_of, int_range, one_of, text

# RDS DB cluster / instance identifiers: 1-63 letters, digits or hyphens; first a letter; no
# two consecutive hyphens; no trailing hyphen.
# https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_CreateDBCluster.html
RDS_IDENT = r"[a-zA-Z](?!.*--)[a-zA-Z0-9-]{0,62}(?<!-)"

_RDS_SRC = "RDS API CreateDBCluster/CreateDBInstance: 1-63 alnum/hyphen, letter first, no --"


RULES: dict[str, list[Rule]] = {
    # ---- OpenSearch
    "aws:opensearch/domain:Domain": [
        # CreateDomain DomainName: 3-28, [a-z][a-z0-9\-]+.
        # https://docs.aws.amazon.com/opensearch-service/latest/APIReference/API_CreateDomain.html
        Rule("domainName", text(28, r"[a-z][a-z0-9\-]+", min_len=3), "OpenSearch CreateDomain"),
        Rule(
            "engineVersion",
            text(18, r"(OpenSearch|Elasticsearch)_[0-9]{1,2}\.[0-9]{1,2}"),
            "OpenSearch CreateDomain EngineVersion",
        ),
        Rule("ebsOptions.volumeSize", int_range(10, 24_576), "OpenSearch EBS volume size GiB"),
        Rule("clusterConfig.instanceCount", int_range(1, 1002), "OpenSearch instance count"),
    ],
    "aws:opensearch/domainPolicy:DomainPolicy": [],
    # ---- RDS
    "aws:rds/cluster:Cluster": [
        Rule("clusterIdentifier", text(63, RDS_IDENT, what="RDS identifier rule"), _RDS_SRC),
        Rule(
            "finalSnapshotIdentifier",
            text(255, r"[a-zA-Z](?!.*--)[a-zA-Z0-9-]*(?<!-)"),
            "RDS DeleteDBCluster FinalDBSnapshotIdentifier",
        ),
        # MasterUsername (Aurora MySQL): 1-16 letters/digits/underscore, a letter first.
        Rule("masterUsername", text(16, r"[a-zA-Z][a-zA-Z0-9_]*"), "RDS MasterUsername (MySQL)"),
        # DatabaseName (Aurora MySQL): 1-64 alphanumeric characters, a letter first.
        Rule("databaseName", text(64, r"[a-zA-Z][a-zA-Z0-9_]*"), "RDS DatabaseName (MySQL)"),
        Rule("backupRetentionPeriod", int_range(1, 35), "RDS BackupRetentionPeriod 1..35"),
        # Aurora MySQL log types: audit, error, general, slowquery (+ iam-db-auth-error, instance).
        Rule(
            "enabledCloudwatchLogsExports[]",
            one_of("audit", "error", "general", "slowquery", "iam-db-auth-error", "instance"),
            "RDS EnableCloudwatchLogsExports (Aurora MySQL)",
        ),
        # ServerlessV2ScalingConfiguration: MinCapacity 0-256, MaxCapacity 1-256 in 0.5 steps;
        # SecondsUntilAutoPause 300-86400.
        # https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_ServerlessV2ScalingConfiguration.html
        Rule(
            "serverlessv2ScalingConfiguration.minCapacity",
            int_range(0, 256, 0.5),
            "RDS ServerlessV2ScalingConfiguration MinCapacity",
        ),
        Rule(
            "serverlessv2ScalingConfiguration.maxCapacity",
            int_range(1, 256, 0.5),
            "RDS ServerlessV2ScalingConfiguration MaxCapacity",
        ),
        Rule(
            "serverlessv2ScalingConfiguration.secondsUntilAutoPause",
            int_range(300, 86_400),
            "RDS ServerlessV2ScalingConfiguration SecondsUntilAutoPause",
        ),
        Rule("engine", one_of("aurora-mysql", "aurora-postgresql"), "RDS Engine (Aurora)"),
        Rule(
            "restoreToPointInTime.restoreType",
            one_of("copy-on-write", "full-copy"),
            "RDS RestoreDBClusterToPointInTime RestoreType",
        ),
    ],
    "aws:rds/clusterInstance:ClusterInstance": [
        Rule("identifier", text(63, RDS_IDENT, what="RDS identifier rule"), _RDS_SRC),
        Rule("promotionTier", int_range(0, 15), "RDS CreateDBInstance PromotionTier 0..15"),
        Rule("instanceClass", text(40, r"db\.[a-z0-9]+(\.[a-z0-9]+)?"), "RDS DBInstanceClass"),
    ],
    "aws:rds/subnetGroup:SubnetGroup": [
        # CreateDBSubnetGroup DBSubnetGroupName: <=255 lowercase letters, numbers, periods,
        # underscores, spaces, hyphens; not "default". Description <=255 (no charset stated).
        Rule(
            "name",
            all_of(
                text(255, r"[a-z0-9._ -]+"),
                lambda v: "must not be default" if v == "default" else None,
            ),
            "RDS CreateDBSubnetGroup DBSubnetGroupName",
        ),
        Rule("description", text(255), "RDS CreateDBSubnetGroup DBSubnetGroupDescription"),
    ],
}
