"""AWS input rules of the security family: IAM, Secrets Manager and KMS."""

from __future__ import annotations

from typing import Any

from tests.constraints.checks import ARN, Rule, int_range, json_doc, no_whitespace_len, text

# IAM role/policy/instance-profile names: "[\w+=,.@-]+".
# https://docs.aws.amazon.com/IAM/latest/APIReference/API_CreateRole.html
IAM_NAME = r"[\w+=,.@-]+"
# IAM descriptions: "[\u0009\u000A\u000D\u0020-\u007E\u00A1-\u00FF]*", up to 1000.
IAM_DESCRIPTION = r"[\t\n\r\x20-\x7e\xa1-\xff]*"


def _policy_doc(doc: Any) -> str | None:
    # IAM policy grammar: Version 2012-10-17, Statement list with Effect Allow/Deny.
    # https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_grammar.html
    if doc.get("Version") != "2012-10-17":
        return f"Version {doc.get('Version')!r} is not 2012-10-17"
    statements = doc.get("Statement")
    statements = statements if isinstance(statements, list) else [statements]
    for s in statements:
        if not isinstance(s, dict) or s.get("Effect") not in ("Allow", "Deny"):
            return f"statement {s!r} has no Effect Allow/Deny"
    return None


_IAM_SRC = "IAM API CreateRole/CreatePolicy/PutRolePolicy: names [\\w+=,.@-], role<=64, policy<=128"


RULES: dict[str, list[Rule]] = {
    # ---- IAM
    "aws:iam/role:Role": [
        Rule("name", text(64, IAM_NAME), _IAM_SRC),
        Rule("description", text(1000, IAM_DESCRIPTION, min_len=0), "IAM CreateRole Description"),
        Rule("maxSessionDuration", int_range(3600, 43200), "IAM CreateRole MaxSessionDuration"),
        Rule("permissionsBoundary", ARN, "IAM CreateRole PermissionsBoundary: a policy ARN"),
        Rule("assumeRolePolicy", json_doc(_policy_doc), "IAM policy grammar"),
        # Trust policy size: quota "Role trust policy length 2,048 characters" (default).
        # https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_iam-quotas.html
        Rule("assumeRolePolicy", no_whitespace_len(2048), "IAM quota: trust policy 2048"),
    ],
    "aws:iam/policy:Policy": [
        Rule("name", text(128, IAM_NAME), _IAM_SRC),
        Rule("description", text(1000, IAM_DESCRIPTION, min_len=0), "IAM CreatePolicy"),
        Rule("policy", json_doc(_policy_doc), "IAM policy grammar"),
        # "Managed policy size 6,144 characters" (whitespace not counted).
        Rule("policy", no_whitespace_len(6144), "IAM quota: managed policy 6144"),
    ],
    "aws:iam/rolePolicy:RolePolicy": [
        Rule("name", text(128, IAM_NAME), _IAM_SRC),
        Rule("policy", json_doc(_policy_doc), "IAM policy grammar"),
        # "Role policy size 10,240 characters" for all inline policies of a role together;
        # one policy over it is refused for certain (the aggregate is checked in check()).
        Rule("policy", no_whitespace_len(10_240), "IAM quota: inline role policies 10240"),
    ],
    "aws:iam/rolePolicyAttachment:RolePolicyAttachment": [
        Rule("policyArn", ARN, "IAM AttachRolePolicy PolicyArn"),
    ],
    "aws:iam/openIdConnectProvider:OpenIdConnectProvider": [
        # CreateOpenIDConnectProvider: Url https, 1-255; ClientIDList items 1-255, <=100 items.
        Rule("url", text(255, r"https://.+"), "IAM CreateOpenIDConnectProvider Url"),
        Rule("clientIdLists[]", text(255), "IAM CreateOpenIDConnectProvider ClientIDList"),
    ],
    "aws:secretsmanager/secret:Secret": [
        Rule("name", text(512, r"[A-Za-z0-9/_+=.@-]+"), "Secrets Manager CreateSecret Name"),
    ],
    "aws:kms/key:Key": [Rule("description", text(8192, min_len=0), "KMS CreateKey Description")],
}
