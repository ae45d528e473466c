"""Webhooks (SPEC §7): every live event of §5 POSTed to the endpoints that subscribe to it,
signed per Standard Webhooks, retried from the database. The design is in docs/webhooks.md."""
