"""`preview sync`: seed a preview's OpenSearch indices from its database clone.

`spec` is the declarative index spec (pydantic), `source` streams rows with a server-side cursor,
`bulk` sends them as parallel `_bulk` chunks, `aliases` moves aliases and deletes versions with
index-scoped calls, `client` builds the OpenSearch client and words its errors, `engine` runs
full (versioned index + all-or-nothing swap) and incremental syncs, and `command` is the click
command. Only `command` is imported by the CLI; it imports the rest lazily.
"""
