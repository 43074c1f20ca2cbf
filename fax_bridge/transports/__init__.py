"""Fax transports behind one interface (:class:`base.FaxTransport`)."""
