"""The landing page."""

from flask import render_template

from tvapp.home import bp


@bp.get("/")
def index():
    return render_template("index.html")
