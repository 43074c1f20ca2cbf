"""증명서 발급 on the TV: choose a certificate, whose, its options; identity by
a one-time SMS code typed with the number keys; fax or email; confirm with a
masked preview of the first page; the receipt and the first timeline steps.

The blueprint; its routes are in ``views``."""

from flask import Blueprint

bp = Blueprint("certs", __name__, url_prefix="/tv/certificates")
