"""Clients, projects, rates and rounding in Slack: the Home section and the modals (pure: data in, dict out).

One module per idea: `ids` (action, callback and block ids), `builders` (the small shared block builders and
`private_metadata`), `section` (the Home "Clients & projects" section), `client`, `project`, `rates`, `rounding`
and `archive` (the modals). Import from those modules; this package re-exports nothing.
"""
