"""AWS input rules of the network family: EC2 / VPC, ELBv2, Route 53 and ACM."""

from __future__ import annotations

from tests.constraints.checks import PORT, Rule, all_of, cidr, dns_name, int_range, one_of, text

# EC2 CreateSecurityGroup GroupName/GroupDescription (VPC), IpRange/UserIdGroupPair Description:
# "a-z, A-Z, 0-9, spaces, and ._-:/()#,@[]+=&;{}!$*", up to 255 characters.
# https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_CreateSecurityGroup.html
# https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_IpRange.html
EC2_TEXT = r"[a-zA-Z0-9 ._\-:/()#,@\[\]+=&;{}!$*]*"


# ALB/NLB and target-group names: up to 32 alphanumerics or hyphens, no hyphen at either end;
# a load balancer name must not begin with "internal-".
# https://docs.aws.amazon.com/elasticloadbalancing/latest/APIReference/API_CreateLoadBalancer.html
# https://docs.aws.amazon.com/elasticloadbalancing/latest/APIReference/API_CreateTargetGroup.html
LB_NAME = r"(?!internal-)[a-zA-Z0-9]([a-zA-Z0-9-]{0,30}[a-zA-Z0-9])?"

_EC2_DESC = text(
    255, EC2_TEXT, min_len=0, what="EC2's charset a-zA-Z0-9 spaces ._-:/()#,@[]+=&;{}!$*"
)
_EC2_SRC = "EC2 API CreateSecurityGroup / IpRange: <=255 chars of a-zA-Z0-9 ._-:/()#,@[]+=&;{}!$*"
_LB_SRC = "ELBv2 API CreateLoadBalancer/CreateTargetGroup: <=32 alnum/hyphen, no edge hyphen"


RULES: dict[str, list[Rule]] = {
    # ---- EC2 / VPC
    "aws:ec2/securityGroup:SecurityGroup": [
        Rule(
            "name",
            all_of(
                text(255, EC2_TEXT),
                lambda v: "must not start with sg-" if str(v).startswith("sg-") else None,
            ),
            _EC2_SRC + "; GroupName not sg-*",
        ),
        Rule("description", _EC2_DESC, _EC2_SRC),
        Rule("ingress[].description", _EC2_DESC, _EC2_SRC),
        Rule("egress[].description", _EC2_DESC, _EC2_SRC),
        Rule("ingress[].fromPort", int_range(-1, 65535), "EC2 IpPermission FromPort -1..65535"),
        Rule("ingress[].toPort", int_range(-1, 65535), "EC2 IpPermission ToPort -1..65535"),
        Rule("ingress[].cidrBlocks[]", cidr(), "EC2 IpRange CidrIp: an IPv4 CIDR"),
        Rule("egress[].cidrBlocks[]", cidr(), "EC2 IpRange CidrIp: an IPv4 CIDR"),
    ],
    "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule": [
        Rule("description", _EC2_DESC, _EC2_SRC),
        Rule("fromPort", PORT, "EC2 AuthorizeSecurityGroupIngress FromPort"),
        Rule("toPort", PORT, "EC2 AuthorizeSecurityGroupIngress ToPort"),
        Rule("ipProtocol", one_of("tcp", "udp", "icmp", "icmpv6", "-1"), "EC2 IpProtocol"),
    ],
    "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule": [
        Rule("description", _EC2_DESC, _EC2_SRC),
    ],
    "aws:ec2/securityGroupRule:SecurityGroupRule": [
        Rule("description", _EC2_DESC, _EC2_SRC),
    ],
    # CreateVpc / CreateSubnet: "The allowed block size is between a /16 netmask (65,536 IP
    # addresses) and /28 netmask (16 IP addresses)."
    # https://docs.aws.amazon.com/vpc/latest/userguide/vpc-cidr-blocks.html
    "aws:ec2/vpc:Vpc": [Rule("cidrBlock", cidr(28, 16), "VPC CIDR /16../28")],
    "aws:ec2/subnet:Subnet": [Rule("cidrBlock", cidr(28, 16), "subnet CIDR /16../28")],
    "aws:ec2/eip:Eip": [Rule("domain", one_of("vpc", "standard"), "EC2 AllocateAddress Domain")],
    "aws:ec2/flowLog:FlowLog": [
        Rule("trafficType", one_of("ACCEPT", "REJECT", "ALL"), "EC2 CreateFlowLogs TrafficType"),
        Rule(
            "logDestinationType",
            one_of("cloud-watch-logs", "s3", "kinesis-data-firehose"),
            "EC2 CreateFlowLogs LogDestinationType",
        ),
    ],
    "aws:ec2/internetGateway:InternetGateway": [],
    "aws:ec2/natGateway:NatGateway": [],
    "aws:ec2/route:Route": [Rule("destinationCidrBlock", cidr(), "EC2 CreateRoute: IPv4 CIDR")],
    "aws:ec2/routeTable:RouteTable": [],
    "aws:ec2/routeTableAssociation:RouteTableAssociation": [],
    # ---- ELBv2
    "aws:lb/loadBalancer:LoadBalancer": [
        Rule("name", text(32, LB_NAME, what="ELB's name rule"), _LB_SRC),
        Rule("loadBalancerType", one_of("application", "network", "gateway"), _LB_SRC),
    ],
    "aws:lb/targetGroup:TargetGroup": [
        Rule("name", text(32, LB_NAME, what="ELB's name rule"), _LB_SRC),
        Rule("port", int_range(1, 65535), "ELBv2 CreateTargetGroup Port"),
        # CreateTargetGroup: HealthCheckPath 1-1024 starting with "/"; interval 5-300;
        # timeout 2-120; thresholds 2-10; Matcher HttpCode 200-499 for HTTP target groups;
        # deregistration_delay.timeout_seconds 0-3600.
        Rule(
            "healthCheck.path",
            text(1024, r"/[A-Za-z0-9_\-.$/~\"'@:+&=?%]*"),
            "ELBv2 CreateTargetGroup HealthCheckPath",
        ),
        Rule("healthCheck.interval", int_range(5, 300), "ELBv2 HealthCheckIntervalSeconds"),
        Rule("healthCheck.timeout", int_range(2, 120), "ELBv2 HealthCheckTimeoutSeconds"),
        Rule("healthCheck.healthyThreshold", int_range(2, 10), "ELBv2 HealthyThresholdCount"),
        Rule("healthCheck.unhealthyThreshold", int_range(2, 10), "ELBv2 UnhealthyThresholdCount"),
        Rule(
            "healthCheck.matcher",
            text(100, r"[2-4][0-9]{2}([-,][2-4][0-9]{2})*"),
            "ELBv2 Matcher HttpCode 200-499",
        ),
        Rule("deregistrationDelay", int_range(0, 3600), "ELBv2 deregistration_delay 0..3600"),
        Rule("targetType", one_of("instance", "ip", "lambda", "alb"), "ELBv2 TargetType"),
    ],
    "aws:lb/listener:Listener": [
        Rule("port", int_range(1, 65535), "ELBv2 CreateListener Port"),
        Rule("protocol", one_of("HTTP", "HTTPS", "TCP", "TLS", "UDP", "TCP_UDP"), "ELBv2"),
        Rule(
            "defaultActions[].fixedResponse.messageBody",
            text(1024, min_len=0),
            "ELBv2 FixedResponseActionConfig MessageBody <=1024",
        ),
        Rule(
            "defaultActions[].fixedResponse.statusCode",
            text(3, r"[245][0-9]{2}"),
            "ELBv2 FixedResponseActionConfig StatusCode 2XX/4XX/5XX",
        ),
        Rule(
            "defaultActions[].redirect.statusCode",
            one_of("HTTP_301", "HTTP_302"),
            "ELBv2 RedirectActionConfig StatusCode",
        ),
    ],
    "aws:lb/listenerRule:ListenerRule": [
        # CreateRule: Priority 1-50000; host-header values <=128 chars of A-Z a-z 0-9 - . * ?;
        # at most 5 condition values per rule (quotas for ALBs: "Condition values per rule 5").
        # https://docs.aws.amazon.com/elasticloadbalancing/latest/application/load-balancer-listeners.html
        Rule("priority", int_range(1, 50_000), "ELBv2 CreateRule Priority"),
        Rule(
            "conditions[].hostHeader.values[]",
            text(128, r"[A-Za-z0-9.*?-]+"),
            "ELBv2 host-header condition value",
        ),
        Rule("conditions[].sourceIp.values[]", cidr(), "ELBv2 source-ip condition: CIDR"),
        Rule(
            "conditions",
            lambda cs: (
                None
                if sum(
                    len(v.get("values") or [])
                    for c in cs
                    for v in c.values()
                    if isinstance(v, dict)
                )
                <= 5
                else "more than 5 condition values in one rule"
            ),
            "ALB quota: 5 values per rule",
        ),
        Rule(
            "actions[].authenticateOidc.issuer",
            text(2048, r"https://.+"),
            "ELBv2 AuthenticateOidcActionConfig: https endpoints",
        ),
    ],
    # ---- Route 53 / ACM
    "aws:route53/record:Record": [
        # ResourceRecordSet Name <=1024 bytes, labels <=63 (DNS: 255 total); TTL 0..2147483647.
        Rule(
            "name",
            dns_name(253, wildcard=True, underscore=True),
            "Route 53 ResourceRecordSet Name (DNS limits; _ allowed, e.g. ACM validation)",
        ),
        Rule(
            "type",
            one_of("A", "AAAA", "CAA", "CNAME", "MX", "NS", "TXT", "SRV", "PTR", "SOA"),
            "Route 53 RRType",
        ),
        Rule("ttl", int_range(0, 2_147_483_647), "Route 53 ResourceRecordSet TTL"),
    ],
    "aws:route53/zone:Zone": [
        Rule("name", dns_name(253), "Route 53 CreateHostedZone Name"),
        Rule("comment", text(256, min_len=0), "Route 53 HostedZoneConfig Comment <=256"),
    ],
    "aws:acm/certificate:Certificate": [
        # RequestCertificate DomainName 1-253, wildcard only as the leftmost label.
        Rule("domainName", dns_name(253, wildcard=True), "ACM RequestCertificate DomainName"),
        Rule("validationMethod", one_of("DNS", "EMAIL"), "ACM ValidationMethod"),
    ],
    "aws:acm/certificateValidation:CertificateValidation": [],
}
