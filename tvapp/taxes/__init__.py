"""지방세 on the TV (/tv/taxes/...); the phone payment page is in ``tvapp.mobile``.

Bills come from the back end through services.taxes.bills; paying goes
through services.taxes.payments (one order per bill, fixed when the confirm
screen is shown; one charge however often OK is pressed). Views validate,
call the service, render. Card digits are posted once and forgotten.

The blueprint; its routes are in ``views``."""

from flask import Blueprint

bp = Blueprint("taxes", __name__, url_prefix="/tv/taxes")
