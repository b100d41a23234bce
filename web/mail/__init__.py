"""E-mail: what to tell whom (outbox rows), the sender loop and SMTP."""
