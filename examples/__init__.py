"""Examples: the reference app (`examples/app/`) and the survey seed-data generator (`seed.py`)."""
