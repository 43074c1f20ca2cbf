"""Delivery of documents: email (SMTP or a local outbox) and fax (fax_bridge)."""
