"""/verify/<number>: is this certificate genuine? Public; phone-friendly (it is
what the QR code on every page opens). Shows a summary and, for 90 days after
issue, the issued document itself (its pages as images, resident numbers
masked), to be compared line by line with the paper; never a full resident
number. Rate-limited per address against enumeration."""

from __future__ import annotations

import re

from flask import current_app, redirect, render_template, request, url_for

from services import ratelimit
from services.certificates import catalogue, verification
from services.certificates.issue import verification_view
from tvapp.verify import bp

LIMIT_PER_MINUTE = 30


def _limited() -> bool:
    r = current_app.extensions["runtime"].redis
    return not ratelimit.hit(r, ratelimit.verify_lookups(LIMIT_PER_MINUTE), request.remote_addr or "-")


def _type_name(cert) -> str:
    """Certificates by their catalogue name; other documents (tax receipts) by title."""
    ctype = catalogue.BY_CODE.get(cert.cert_type)
    return ctype.name_ko if ctype else cert.title


def _same_name(a: str, b: str) -> bool:
    """"주민등록표 등본" and "주민등록표 (등본)" name one document: the title
    adds nothing when only spaces and brackets differ."""
    def bare(t):
        return re.sub(r"[\s()\[\]·]", "", t or "")
    return bare(a) == bare(b)


@bp.get("/")
def form():
    number = request.args.get("number", "")
    if number:
        n = verification.normalise(number)
        if n:
            return redirect(url_for("verify.show", number=n))
        return render_template("verify/result.html", state="malformed", number=number[:40]), 400
    return render_template("verify/result.html", state="form")


@bp.get("/<number>")
def show(number: str):
    if _limited():
        return render_template("verify/result.html", state="limited"), 429
    rt = current_app.extensions["runtime"]
    found = verification_view(rt, number)
    if found is None:
        shown = verification.fmt(number) if verification.normalise(number) else number[:40]
        return render_template("verify/result.html", state="unknown", number=shown), 404
    cert = found.cert
    return render_template(
        "verify/result.html", state="genuine" if found.viewable else "expired",
        number=verification.fmt(cert.verification_no),
        title=None if _same_name(_type_name(cert), cert.title) else cert.title,
        type_name=_type_name(cert), issued_at=cert.issued_at, view_until=found.view_until,
        office=cert.office, holder=cert.holder_masked, pages=cert.pages, images=found.pages,
        sections=cert.summary.get("sections", []), receipt=found.receipt, sha256=cert.sha256)
