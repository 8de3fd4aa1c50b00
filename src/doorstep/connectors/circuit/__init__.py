"""Circuit for Teams, now Spoke Dispatch (contracts/circuit.md): stop webhooks in, plans,
stops, routes, drivers and depots synced, notes, redelivery stops and plan drivers written."""
