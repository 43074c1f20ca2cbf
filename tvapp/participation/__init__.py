"""주민 참여 on the TV: open votes and published results; a vote cast with the
number keys and arrows by one of the household's residents after an SMS code
(as for certificates); a receipt code to check or change the ballot until
closing; the results as a bar chart with turnout and a QR of the phone page.

The blueprint; its routes are in ``views``."""

from flask import Blueprint

bp = Blueprint("participation", __name__, url_prefix="/tv/participation")
