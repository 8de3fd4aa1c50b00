"""The web face: webhooks, health, and (to come) the JSON API, dashboard and tracking page."""
