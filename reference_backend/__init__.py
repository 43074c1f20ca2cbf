"""The reference civil-service back end: a separate process that plays the
municipality's system (registers of residents, land, buildings and tax bills)
behind the XML-over-HTTP protocol of docs/backend-protocol.md."""
