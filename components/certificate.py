"""Certificate: a DNS-validated ACM certificate.

Creates: aws.acm.Certificate, one aws.route53.Record per validation option, and
aws.acm.CertificateValidation that waits until the certificate is issued.
"""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_aws as aws


@dataclass(frozen=True)
class CertificateArgs:
    domain_name: pulumi.Input[str]
    zone_id: pulumi.Input[str]
    tags: dict[str, str]

    def __post_init__(self) -> None:
        if isinstance(self.domain_name, str) and not 1 <= len(self.domain_name) <= 253:
            raise ValueError("CertificateArgs.domain_name: a DNS name of 1-253 chars is required")


class Certificate(pulumi.ComponentResource):
    arn: pulumi.Output[str]

    def __init__(
        self, name: str, args: CertificateArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("platform:certificate:Certificate", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        cert = aws.acm.Certificate(
            f"{name}-cert",
            domain_name=args.domain_name,
            validation_method="DNS",
            tags=args.tags,
            # Replace-before-delete keeps listeners pointing at a valid certificate.
            opts=pulumi.ResourceOptions(parent=self, delete_before_replace=False),
        )
        # A single-name certificate has exactly one validation option, known before apply.
        option = cert.domain_validation_options[0]
        record = aws.route53.Record(
            f"{name}-validation",
            zone_id=args.zone_id,
            name=option.resource_record_name,
            type=option.resource_record_type,
            records=[option.resource_record_value],
            ttl=60,
            allow_overwrite=True,
            opts=child,
        )
        validation = aws.acm.CertificateValidation(
            f"{name}-validated",
            certificate_arn=cert.arn,
            validation_record_fqdns=[record.fqdn],
            opts=child,
        )
        self.arn = validation.certificate_arn
        self.register_outputs({"arn": self.arn})
