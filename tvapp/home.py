"""The landing page that lists where each part of the system lives."""

from flask import Blueprint, render_template

bp = Blueprint("home", __name__)


@bp.get("/")
def index():
    return render_template("index.html")
