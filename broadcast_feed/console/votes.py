"""Console views for 주민 참여: votes and budget ballots (services.participation).

Create (editors), approve, open, close, publish (approvers), paper counts per
booth (any operator), a ticker line announcing an open vote (approvers); every
step is in the vote's audit log. The routes are on the console's blueprint
(its login, roles and ``no-store``); ``tvapp`` imports this module with the
console's views.
"""

from __future__ import annotations

import logging

from flask import abort, flash, g, redirect, render_template, request, url_for

from broadcast_feed import workflow
from broadcast_feed.console import auth, bp
from broadcast_feed.console.views import _when
from services.participation import ballots, votes

log = logging.getLogger(__name__)

VOTE_STATE_LABELS = {"draft": "작성 중", "approved": "승인됨 (시작 대기)", "open": "투표 중",
                     "closed": "마감", "published": "결과 공개"}
KIND_LABELS = {"question": "찬반·선택 투표", "approval": "주민참여예산 (여러 사업 고르기)",
               "knapsack": "주민참여예산 (예산 안에서 고르기)"}
ACTION_LABELS = {"create": "만듦", "approve": "승인", "refused": "거부됨", "open": "투표 시작", "close": "마감",
                 "publish": "결과 공개", "paper": "종이 투표 입력", "announce": "자막 알림"}
MAX_OPTIONS = 9


@bp.app_context_processor
def _vote_labels():
    return {"vote_state_labels": VOTE_STATE_LABELS, "vote_kind_labels": KIND_LABELS,
            "vote_action_labels": ACTION_LABELS}


def rt():
    return auth.runtime()


def _int(value, default: int = 0) -> int:
    try:
        return int(str(value or "").replace(",", "").strip() or default)
    except ValueError as exc:
        raise votes.VoteError("숫자를 쓰세요") from exc


def _act(action, ok: str, vote_id: int | None = None, step: str = ""):
    """Run one step in a unit of work; flash; redirect (POST-redirect-GET).
    A refused step of a vote is audited in a unit of work of its own."""
    try:
        with rt().session() as s:
            result = action(s)
            vote_id = vote_id or result.id
    except (votes.NotAllowed, workflow.NotAllowed) as exc:
        log.info("console: operator %s refused a vote step", g.actor.id)
        if vote_id and step:
            with rt().session() as s:
                votes.refused(s, vote_id, g.actor.username, step, exc.message)
        return render_template("console/error.html", message=exc.message), 403
    except (votes.VoteError, workflow.WorkflowError) as exc:
        flash(exc.message, "error")
        return redirect(url_for("console.vote", vote_id=vote_id) if vote_id else url_for("console.vote_new"), 303)
    flash(ok, "ok")
    return redirect(url_for("console.vote", vote_id=vote_id), 303)


@bp.get("/votes")
def vote_list():
    with rt().session() as s:
        rows = votes.list_votes(s)
    return render_template("console/votes.html", votes=rows)


@bp.get("/votes/new")
def vote_new():
    return render_template("console/vote_new.html", max_options=MAX_OPTIONS,
                           district=rt().config.PARTICIPATION_DISTRICT)


@bp.post("/votes/new")
def vote_create():
    f = request.form

    def create(s):
        options = [votes.OptionInput(f.get("option_%d" % i, ""), f.get("option_%d_desc" % i, ""),
                                     _int(f.get("option_%d_cost" % i)))
                   for i in range(1, MAX_OPTIONS + 1)]
        opens_at, closes_at = _when(f.get("opens_at")), _when(f.get("closes_at"))
        if opens_at is None or closes_at is None:
            raise votes.VoteError("시작과 마감 시각을 쓰세요")
        return votes.create_vote(
            s, g.actor, kind=f.get("kind", ""), title=f.get("title", ""), description=f.get("description", ""),
            options=options, opens_at=opens_at, closes_at=closes_at,
            district=rt().config.PARTICIPATION_DISTRICT, max_choices=_int(f.get("max_choices"), 1),
            budget=_int(f.get("budget")), electorate=f.get("electorate", "residents"),
            show_running=f.get("show_running") == "1")

    return _act(create, "투표를 만들었습니다 (작성 중). 승인자가 승인하면 시작 시각에 열립니다.")


@bp.get("/votes/<int:vote_id>")
def vote(vote_id: int):
    with rt().session() as s:
        try:
            v = votes.get_vote(s, vote_id)
        except votes.NotFound:
            abort(404)
        votes.advance(s, vote=v)
        options = list(v.options)
        paper = votes.paper_rows(s, vote_id)
        log_rows = votes.audit_entries(s, vote_id)
        counts = ballots.tally(s, v) if v.state in (votes.CLOSED, votes.PUBLISHED) else None
    return render_template("console/vote.html", vote=v, options=options, paper=paper, audit=log_rows,
                           counts=counts)


@bp.post("/votes/<int:vote_id>/approve")
def vote_approve(vote_id: int):
    return _act(lambda s: votes.approve(s, g.actor, vote_id), "승인했습니다.", vote_id, "approve")


@bp.post("/votes/<int:vote_id>/open")
def vote_open(vote_id: int):
    return _act(lambda s: votes.open_now(s, g.actor, vote_id), "투표를 시작했습니다.", vote_id, "open")


@bp.post("/votes/<int:vote_id>/close")
def vote_close(vote_id: int):
    return _act(lambda s: votes.close_now(s, g.actor, vote_id), "투표를 마감했습니다.", vote_id, "close")


@bp.post("/votes/<int:vote_id>/publish")
def vote_publish(vote_id: int):
    return _act(lambda s: votes.publish(s, rt().crypto, g.actor, vote_id, runtime=rt()),
                "투표함을 다시 세어 결과를 공개했습니다.", vote_id, "publish")


@bp.post("/votes/<int:vote_id>/paper")
def vote_paper(vote_id: int):
    f = request.form

    def enter(s):
        v = votes.get_vote(s, vote_id)
        counts = {o.number: _int(f.get("count_%d" % o.number)) for o in v.options}
        return votes.enter_paper(s, g.actor, vote_id, f.get("booth", ""), counts)

    return _act(enter, "종이 투표 수를 넣었습니다 (감사 기록에 남습니다).", vote_id, "paper")


@bp.post("/votes/<int:vote_id>/announce")
def vote_announce(vote_id: int):
    def announce(s):
        v = votes.get_vote(s, vote_id)
        votes.advance(s, vote=v)
        if v.state != votes.OPEN:
            raise votes.BadState("투표 중인 투표만 알릴 수 있습니다")
        text = "[주민 참여] %s - TV 첫 화면 '참여'나 문자 '투표 %d'로 참여하세요" % (v.title, v.id)
        workflow.write_ticker(rt(), g.actor, text[:200], minutes=_int(request.form.get("minutes"), 120) or 120,
                              severity="Moderate")
        votes.audit(s, v.id, g.actor.username, "announce")
        return v

    return _act(announce, "자막으로 알렸습니다.", vote_id, "announce")
