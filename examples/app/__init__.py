"""Reference app of the preview smoke gate (see examples/app/app.py)."""
