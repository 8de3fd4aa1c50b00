"""OptimoRoute's Web Service API (contracts/optimoroute.md): no push, so doorstep polls
`get_events` from a cursor it keeps, reads orders and routes, and writes back by order."""
