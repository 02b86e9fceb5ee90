"""`python -m examples.app`: serve the reference app (settings from the environment)."""

from examples.app.app import main

main()
