"""fax_bridge: deliver PDF certificates by fax the way fax servers expect them.

Stand-alone: imports only the standard library and PyPI packages.
"""
