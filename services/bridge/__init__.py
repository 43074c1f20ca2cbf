"""The bridge to the civil-service back end: XML over HTTP, validated both ways."""
