"""지방세 on the TV (/tv/taxes/...) and the phone payment page (/m/pay/...).

Bills come from the back end through services.taxes.bills; paying goes
through services.taxes.payments (one order per bill, fixed when the confirm
screen is shown; one charge however often OK is pressed). Views validate,
call the service, render. Card digits are posted once and forgotten."""

from __future__ import annotations


def init_app(app) -> None:
    from tvapp.taxes import views  # noqa: F401 - routes register on import

    app.register_blueprint(views.bp)
    app.register_blueprint(views.phone_bp)
