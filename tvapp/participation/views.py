"""주민 참여 on the TV: the views. Each validates with a form of
``tvapp.participation.forms``, calls ``services.participation.screens``
(which opens the database sessions) and renders."""

from __future__ import annotations

import functools
import secrets

from flask import current_app, g, jsonify, redirect, render_template, request, url_for
from flask_babel import get_locale, gettext

from services.participation import ballots, screens
from tvapp.errors import calm
from tvapp.flow import Flow
from tvapp.participation import bp
from tvapp.participation.forms import CodeForm, ConfirmForm, ReceiptForm, ToggleForm, WhoForm
from tvapp.tv.device import tv_device_required
from tvapp.tv.service_texts import svc

FLOW = Flow("voteflow")  # who is voting, verified or not, the choices so far; the receipt once
RECEIPT_LEN = ballots.RECEIPT_DIGITS
PER_PAGE = 5  # rows of the list that fit at every text size, with the pager
#: The list's votes a page by text size: at 아주 크게 a title wraps onto two lines.
LIST_PER_PAGE = {"normal": PER_PAGE, "large": PER_PAGE, "xlarge": 3}
#: A ballot's options a page by text size (3 x 2 at 보통, 2 x 2 at 크게, 2 x 1 at 아주 크게):
#: fewer, larger tiles that fit under the ticker; the choices are kept while paging.
BALLOT_PER_PAGE = {"normal": 6, "large": 4, "xlarge": 2}
#: The results' bars a page by text size (a long option's label takes two lines).
RESULTS_PER_PAGE = {"normal": 4, "large": 3, "xlarge": 3}


def rt():
    return current_app.extensions["runtime"]


def _calm(title, text, next_text, href, label, status=200):
    return calm("주민 참여", title, text, next_text, href, label, status)


def _locked(message):
    """Too many wrong codes: no code box to type into for the pause (as for certificates)."""
    return _calm("잠시 잠겼습니다", svc(message), "처음 화면으로 돌아가 잠시 뒤에 다시 해 주세요.",
                 url_for("tv.home"), "처음 화면")


def _not_found():
    return _calm("없는 투표입니다", "찾으시는 투표가 없거나 아직 시작하지 않았습니다.", "목록에서 다시 골라 주세요.",
                 url_for("participation.vote_list"), "주민 참여 목록", 404)


def _closed(vote_id: int):
    return _calm("투표가 끝났습니다", "이 투표는 마감되어 더 투표할 수 없습니다.", "결과가 공개되면 이 투표에서 볼 수 있습니다.",
                 url_for("participation.vote", vote_id=vote_id), "투표 보기")


def with_vote(view):
    """Load the vote (``v``) or answer a calm 'not found'."""

    @functools.wraps(view)
    def inner(vote_id, *args, **kwargs):
        try:
            v = screens.vote_view(rt(), vote_id)
        except screens.NotShown:
            return _not_found()
        return view(v, *args, **kwargs)

    return inner


def voting(*keys):
    """A step of casting: the vote must be open and the flow this vote's with ``keys`` done."""

    def wrap(view):
        @functools.wraps(view)
        def inner(v, *args, **kwargs):
            if not v.is_open:
                return _closed(v.id)
            f = FLOW.load()
            if f.get("vote_id") != v.id or any(k not in f for k in keys):
                return redirect(url_for("participation.who", vote_id=v.id))
            return view(v, f, *args, **kwargs)

        return inner

    return wrap


@bp.get("/")
@tv_device_required
def vote_list():
    rows = screens.listed(rt())
    per = LIST_PER_PAGE.get(g.device.text_size, PER_PAGE)
    pages = max(1, (len(rows) + per - 1) // per)
    page = min(max(1, request.args.get("page", 1, type=int) or 1), pages)
    return render_template("participation/list.html", votes=rows[(page - 1) * per:page * per],
                           page=page, pages=pages,
                           page_url=lambda n: url_for("participation.vote_list", page=n))


@bp.get("/<int:vote_id>/")
@tv_device_required
@with_vote
def vote(v):
    if v.state == "published":
        return redirect(url_for("participation.results", vote_id=v.id))
    return render_template("participation/vote.html", v=v)


@bp.get("/<int:vote_id>/who")
@tv_device_required
@with_vote
def who(v):
    if not v.is_open:
        return _closed(v.id)
    f = FLOW.load()
    chosen = f.get("resident_id") if f.get("vote_id") == v.id else None
    return render_template("participation/who.html", v=v, people=screens.voters(rt(), g.household.id, v.id, refresh=True),
                           chosen=chosen)


@bp.post("/<int:vote_id>/who")
@tv_device_required
@with_vote
def who_post(v):
    form = WhoForm()
    if not v.is_open:
        return _closed(v.id)
    if not form.validate():
        return redirect(url_for("participation.who", vote_id=v.id))
    try:
        person = screens.voter(rt(), g.household.id, v.id, form.resident_id.data)
    except ballots.NotEligible:
        return redirect(url_for("participation.who", vote_id=v.id))
    if person.why_not:
        return _calm("투표할 수 없는 분입니다", "이 분은 이 투표의 대상이 아닙니다 (구 주민, 나이).",
                     "다른 분을 고르실 수 있습니다.", url_for("participation.who", vote_id=v.id), "다른 분 고르기")
    f = FLOW.load()
    if f.get("vote_id") != v.id or f.get("resident_id") != person.id:
        f = {"vote_id": v.id, "resident_id": person.id, "id": secrets.token_urlsafe(9), "chosen": []}
    f["voted"] = person.voted
    FLOW.save(f)
    return redirect(url_for("participation.identity", vote_id=v.id))


@bp.get("/<int:vote_id>/identity")
@tv_device_required
@with_vote
@voting("resident_id")
def identity(v, f):
    if not f.get("verified") and screens.take_approval(rt(), g.device.id, f.get("id"), f["resident_id"]):
        f.update(verified=True, verified_by="sms-reply")  # the phone replied: no code to type
        FLOW.save(f)
    if f.get("verified"):
        return redirect(url_for("participation.ballot", vote_id=v.id))
    person = screens.voter(rt(), g.household.id, v.id, f["resident_id"])
    sent = f.get("code_sent", False)
    digit = screens.reply_digit(rt(), g.device.id, f.get("id"), f["resident_id"]) if sent else None
    return render_template("participation/identity.html", v=v, person=person, sent=sent, digit=digit,
                           poll=url_for("participation.identity_status", vote_id=v.id) if digit else None,
                           flow_id=f.get("id"))


@bp.get("/<int:vote_id>/identity/status.json")
@tv_device_required
def identity_status(vote_id):
    """Whether the phone approved this box's vote (the code screen polls it and
    goes on by itself): nothing personal, and only the box's own flow."""
    f = FLOW.load()
    if f.get("vote_id") != vote_id:
        return jsonify(done=True, waiting=False, next=url_for("participation.who", vote_id=vote_id))
    state = screens.approval_status(rt(), g.device.id, f.get("id"), f.get("resident_id"))
    done = state == "approved" or bool(f.get("verified"))
    if not done and state == "none" and f.get("code_sent"):  # its 5 minutes passed, or a newer code
        return jsonify(done=True, waiting=False,
                       next=url_for("participation.identity", vote_id=vote_id, m="expired"))
    return jsonify(done=done, waiting=state == "pending",
                   next=url_for("participation.identity", vote_id=vote_id) if done else None)


@bp.post("/<int:vote_id>/identity/send")
@tv_device_required
@with_vote
@voting("resident_id")
def identity_send(v, f):
    try:
        result = screens.send_code(rt(), g.household.id, v.id, f["resident_id"], approval=(g.device.id, f["id"]))
    except ballots.NotEligible:
        return _calm("본인 확인을 할 수 없습니다", "이 분은 휴대폰 번호가 없거나 이 투표의 대상이 아닙니다.",
                     "다른 분을 고르실 수 있습니다.", url_for("participation.who", vote_id=v.id), "다른 분 고르기")
    if result.ok:
        f["code_sent"] = True
        FLOW.save(f)
    if result.reason == "locked":
        return _locked(result.message)
    return redirect(url_for("participation.identity", vote_id=v.id, m=result.reason))


@bp.post("/<int:vote_id>/identity/check")
@tv_device_required
@with_vote
@voting("resident_id")
def identity_check(v, f):
    form = CodeForm()
    if not form.validate():
        return redirect(url_for("participation.identity", vote_id=v.id, m="empty"))
    if screens.take_approval(rt(), g.device.id, f.get("id"), f["resident_id"]):  # the phone said yes meanwhile
        f.update(verified=True, verified_by="sms-reply")
        FLOW.save(f)
        return redirect(url_for("participation.ballot", vote_id=v.id))
    result = screens.check_code(rt(), f["resident_id"], form.code.data, approval=(g.device.id, f.get("id")))
    if result.ok:
        f["verified"] = True
        FLOW.save(f)
        return redirect(url_for("participation.ballot", vote_id=v.id))
    if result.reason == "locked":
        return _locked(result.message)
    if result.reason == "expired":
        f["code_sent"] = False
        FLOW.save(f)
    return redirect(url_for("participation.identity", vote_id=v.id, m=result.reason,
                            left=result.attempts_left))


@bp.get("/<int:vote_id>/ballot")
@tv_device_required
@with_vote
@voting("resident_id", "verified")
def ballot(v, f):
    chosen = f.get("chosen", [])
    per = BALLOT_PER_PAGE.get(g.device.text_size, BALLOT_PER_PAGE["normal"])
    pages = max(1, (len(v.options) + per - 1) // per)
    at = request.args.get("at", type=int)
    page = request.args.get("p", type=int) or ((at - 1) // per + 1 if at and at > 0 else 1)
    page = min(max(1, page), pages)
    shown = v.options[(page - 1) * per:page * per]
    if at not in [o.number for o in shown]:
        at = None
    return render_template("participation/ballot.html", v=v, chosen=chosen, spent=v.cost_of(chosen),
                           at=at, error=request.args.get("e", ""), options=shown, page=page, pages=pages,
                           page_url=lambda n: url_for("participation.ballot", vote_id=v.id, p=n),
                           voted=f.get("voted", False), flow_id=f.get("id"))


@bp.post("/<int:vote_id>/ballot")
@tv_device_required
@with_vote
@voting("resident_id", "verified")
def ballot_toggle(v, f):
    form = ToggleForm()
    if not form.validate():
        return redirect(url_for("participation.ballot", vote_id=v.id))
    n = form.number.data
    chosen = list(f.get("chosen", []))
    if v.kind == "question":
        chosen = [] if chosen == [n] else [n]
    elif n in chosen:
        chosen.remove(n)
    else:
        chosen.append(n)
    error = ""
    if chosen:
        try:
            screens.choices_of(rt(), v.id, chosen)
        except ballots.BallotError as e:
            error, chosen = e.reason, f.get("chosen", [])  # refused: the ballot stays as it was
    f["chosen"] = sorted(chosen)
    FLOW.save(f)
    return redirect(url_for("participation.ballot", vote_id=v.id, at=n, e=error or None))


@bp.get("/<int:vote_id>/confirm")
@tv_device_required
@with_vote
@voting("resident_id", "verified")
def confirm(v, f):
    if not f.get("chosen"):
        return redirect(url_for("participation.ballot", vote_id=v.id, e="none"))
    person = screens.voter(rt(), g.household.id, v.id, f["resident_id"])
    return render_template("participation/confirm.html", v=v, person=person, chosen=f["chosen"],
                           spent=v.cost_of(f["chosen"]), voted=f.get("voted", False),
                           error=request.args.get("e", ""), flow_id=f.get("id"))


@bp.post("/<int:vote_id>/confirm")
@tv_device_required
@with_vote
@voting("resident_id", "verified")
def confirm_post(v, f):
    form = ConfirmForm()
    form.validate()
    if not f.get("chosen"):
        return redirect(url_for("participation.ballot", vote_id=v.id, e="none"))
    try:
        cast = screens.record(rt(), v.id, f["resident_id"], f["chosen"], receipt=form.receipt.data or None)
    except ballots.AlreadyVoted:
        f["voted"] = True
        FLOW.save(f)
        return redirect(url_for("participation.confirm", vote_id=v.id, e="already"))
    except ballots.BallotError as e:
        if e.reason == "not_open":
            return _closed(v.id)
        return redirect(url_for("participation.confirm", vote_id=v.id, e=e.reason))
    # The voter's receipt is shown once, on the next screen, then forgotten: the
    # box's flow no longer says who voted, nor what (the choices are dropped now).
    FLOW.save({"vote_id": v.id, "receipt": cast.receipt, "changed": cast.changed})
    return redirect(url_for("participation.done", vote_id=v.id))


@bp.get("/<int:vote_id>/done")
@tv_device_required
@with_vote
def done(v):
    f = FLOW.load()
    if f.get("vote_id") != v.id or "receipt" not in f:
        return redirect(url_for("participation.vote", vote_id=v.id))
    FLOW.clear()  # shown once: a reload or Back finds it no more
    return render_template("participation/done.html", v=v, receipt=ballots.format_receipt(f["receipt"]),
                           changed=f.get("changed"))


@bp.route("/<int:vote_id>/check", methods=["GET", "POST"])
@tv_device_required
@with_vote
def check(v):
    found, asked, limited = None, False, False
    if request.method == "POST":
        form = ReceiptForm()
        if form.validate() and len(form.receipt.data) == RECEIPT_LEN:
            try:
                found, asked = screens.check_receipt(rt(), v.id, form.receipt.data, "box:%d" % g.device.id), True
            except ballots.BallotError:
                limited = True
        else:
            asked = None  # not a whole code
    return render_template("participation/check.html", v=v, found=found, asked=asked, limited=limited)


@bp.get("/<int:vote_id>/results")
@tv_device_required
@with_vote
def results(v):
    if v.state != "published" and not (v.is_open and v.counts):
        return redirect(url_for("participation.vote", vote_id=v.id))
    phone_url = rt().config.PUBLIC_URL.rstrip("/") + url_for("mobile.vote_results", vote_id=v.id)
    per = RESULTS_PER_PAGE.get(g.device.text_size, RESULTS_PER_PAGE["normal"])
    pages = max(1, (len(v.options) + per - 1) // per)
    page = min(max(1, request.args.get("p", 1, type=int) or 1), pages)
    return render_template("participation/results.html", v=v, phone_url=phone_url,
                           options=v.options[(page - 1) * per:page * per], page=page, pages=pages,
                           page_url=lambda n: url_for("participation.results", vote_id=v.id, p=n))


@bp.app_template_filter("won")
def won(amount) -> str:
    """An amount of money: ``1,200,000원`` (English: ``KRW 1,200,000``)."""
    return gettext("%(n)s원", n="{:,}".format(int(amount or 0)))


@bp.app_template_filter("won_short")
def won_short(amount) -> str:
    """A project's cost on a ballot tile: ``3,000만원`` (English: ``KRW 30M``)."""
    n = int(amount or 0)
    if str(get_locale()) == "en":
        if n >= 1_000_000:
            return "KRW %sM" % ("%.1f" % (n / 1_000_000)).rstrip("0").rstrip(".")
        return won(n)
    if n >= 10_000 and n % 10_000 == 0:
        return "{:,}만원".format(n // 10_000)
    return won(n)
