"""Pulumi components of the preview platform: one ComponentResource per module.

Keep this file free of imports: `preview --help` and the naming helpers import
`components.naming` without paying for pulumi_aws.
"""
