"""`preview sync`: seed a preview's OpenSearch indices from its database clone.

`spec` is the declarative index spec (pydantic), `source` streams rows with a server-side cursor,
`engine` builds versioned indices, moves aliases with index-scoped calls and runs incremental
upserts, and `command` is the click command. Only `command` is imported by the CLI; it imports
the rest lazily.
"""
