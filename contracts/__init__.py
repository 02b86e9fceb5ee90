"""What the Pulumi program, the components, the CLI, the smoke tools and the harness share.

Standard library only and importing nothing of ours, so every other package may depend on it:
`errors` (the one error family and the exit codes), `outputs` (every stack output name) and
`constants` (project name, stack names, tag keys, the tools-task log layout).
"""
