"""Read models: what the dashboard and the API show, each query scoped to who is asking.

Every query that can return a shipper's data takes the principal and limits itself to that
shipper when the principal is a shipper; pages and endpoints never filter on their own.
"""
