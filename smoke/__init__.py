"""Readiness gate of a preview: ASL definition, health-check Lambda, pytest smoke suite."""
