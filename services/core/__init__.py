"""Shared plumbing: configuration, database, Redis, jobs, logging, crypto.

Everything else may import this package; it imports nothing of ours.
"""
