"""Readiness gate of a preview: Step Functions definition, health-check Lambda, pytest smoke suite."""
