"""Safety policies of the platform (rules.py) and their pulumi-policy pack entry (__main__.py)."""
