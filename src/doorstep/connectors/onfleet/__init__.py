"""The Onfleet connector (contracts/onfleet.md): signed webhooks in, API v2 reads and writes out."""
