"""Discord-facing command groups and background loops. Thin: validate, call a service, reply."""
