"""services.korean: Korea time and its date formats; particles by the final
consonant of the word as it is read."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

import pytest

from services import korean
from services.korean import KST, eul, eun, final_consonant, gwa, iga, josa, ro

# -- time -----------------------------------------------------------------------


def test_kst_is_utc_plus_nine():
    assert KST.utcoffset(None) == timedelta(hours=9)
    assert korean.now_kst().utcoffset() == timedelta(hours=9)
    utc = datetime(2026, 11, 21, 5, 5, tzinfo=timezone.utc)
    assert korean.to_kst(utc).hour == 14


def test_korean_dates():
    utc = datetime(2026, 11, 21, 5, 5, tzinfo=timezone.utc)
    assert korean.korean_datetime(utc) == "2026년 11월 21일 14:05"
    assert korean.korean_date(utc) == "2026년 11월 21일"
    assert korean.month_day(utc) == "11월 21일"
    late = datetime(2026, 12, 31, 15, 30, tzinfo=timezone.utc)  # already 1 January in Seoul
    assert korean.korean_datetime(late) == "2027년 1월 1일 00:30"
    assert korean.korean_date("2026-11-09") == "2026년 11월 9일"
    assert korean.korean_date(date(2026, 3, 5)) == "2026년 3월 5일"
    assert korean.korean_date("2026-11-08T20:00:00+00:00") == "2026년 11월 9일"
    assert korean.korean_datetime(None) == korean.korean_date(None) == korean.month_day("") == ""


def test_no_other_module_of_ours_defines_korea_time():
    """One definition (the standalone fax_bridge and remote_nav keep their own)."""
    import pathlib
    import re

    root = pathlib.Path(__file__).resolve().parents[2]
    allowed = {"services/korean.py"}
    found = []
    for top in ("services", "tvapp", "broadcast_feed"):
        for path in (root / top).rglob("*.py"):
            rel = path.relative_to(root).as_posix()
            if rel in allowed:
                continue
            text = path.read_text(encoding="utf-8")
            if re.search(r"timedelta\(hours=9\)|ZoneInfo\(\"Asia/Seoul\"\)", text):
                found.append(rel)
    assert found == []


# -- particles ----------------------------------------------------------------------

# word, 을/를, 이/가, 은/는, 과/와, 으로/로
WORDS = [
    ("토지대장", "을", "이", "은", "과", "으로"),  # the bug: not 토지대장를
    ("건축물대장", "을", "이", "은", "과", "으로"),
    ("건축물", "을", "이", "은", "과", "로"),  # ㄹ takes 로
    ("주민등록표 등본", "을", "이", "은", "과", "으로"),
    ("주민등록표 초본", "을", "이", "은", "과", "으로"),
    ("지방세 납세증명서", "를", "가", "는", "와", "로"),
    ("가족관계증명서", "를", "가", "는", "와", "로"),
    ("토지", "를", "가", "는", "와", "로"),
    ("팩스", "를", "가", "는", "와", "로"),
    ("메일", "을", "이", "은", "과", "로"),
    ("서울", "을", "이", "은", "과", "로"),
    ("구청", "을", "이", "은", "과", "으로"),
    ("마포구", "를", "가", "는", "와", "로"),
    ("집", "을", "이", "은", "과", "으로"),
    ("길", "을", "이", "은", "과", "로"),
    ("닭", "을", "이", "은", "과", "으로"),  # a double final consonant
    ("삶", "을", "이", "은", "과", "으로"),  # ㄻ is not ㄹ
    ("힣", "을", "이", "은", "과", "으로"),
    ("가", "를", "가", "는", "와", "로"),
    # digits, read in Korean
    ("0", "을", "이", "은", "과", "으로"),  # 영
    ("1", "을", "이", "은", "과", "로"),  # 일
    ("2", "를", "가", "는", "와", "로"),  # 이
    ("3", "을", "이", "은", "과", "으로"),  # 삼
    ("4", "를", "가", "는", "와", "로"),  # 사
    ("5", "를", "가", "는", "와", "로"),  # 오
    ("6", "을", "이", "은", "과", "으로"),  # 육
    ("7", "을", "이", "은", "과", "로"),  # 칠
    ("8", "을", "이", "은", "과", "로"),  # 팔
    ("9", "를", "가", "는", "와", "로"),  # 구
    ("10", "을", "이", "은", "과", "으로"),  # 십
    ("100", "을", "이", "은", "과", "으로"),  # 백
    ("1,000", "을", "이", "은", "과", "으로"),  # 천
    ("10000", "을", "이", "은", "과", "으로"),  # 만
    ("1000000000000", "를", "가", "는", "와", "로"),  # 일조
    ("02-123-4567", "을", "이", "은", "과", "로"),  # ...칠
    ("02-123-4562", "를", "가", "는", "와", "로"),  # ...이
    ("20261121-123456", "을", "이", "은", "과", "으로"),  # ...육
    ("20261121-123459", "를", "가", "는", "와", "로"),  # ...구
    ("1,234,560원", "을", "이", "은", "과", "으로"),
    ("2026년", "을", "이", "은", "과", "으로"),
    # Latin letters, read by name
    ("TV", "를", "가", "는", "와", "로"),  # 티비
    ("PDF", "를", "가", "는", "와", "로"),  # 에프
    ("URL", "을", "이", "은", "과", "로"),  # 엘
    ("QR", "을", "이", "은", "과", "로"),  # 알
    ("ARS", "를", "가", "는", "와", "로"),  # 에스
    ("mapo@example.com", "을", "이", "은", "과", "으로"),  # 엠
    ("Kakao", "를", "가", "는", "와", "로"),
    ("등본(상세)", "를", "가", "는", "와", "로"),  # what is in brackets is read last
    ("'등본'", "을", "이", "은", "과", "으로"),
    ("등본 ", "을", "이", "은", "과", "으로"),
]


@pytest.mark.parametrize("word,obj,subj,topic,and_,towards", WORDS)
def test_particles(word, obj, subj, topic, and_, towards):
    assert eul(word) == word + obj
    assert iga(word) == word + subj
    assert eun(word) == word + topic
    assert gwa(word) == word + and_
    assert ro(word) == word + towards
    for which, want in (("을", obj), ("를", obj), ("이", subj), ("가", subj), ("은", topic), ("는", topic),
                        ("과", and_), ("와", and_), ("으로", towards), ("로", towards)):
        assert josa(word, which) == word + want


def test_every_hangul_syllable():
    for code in range(0xAC00, 0xD7A4):
        ch = chr(code)
        final = (code - 0xAC00) % 28
        assert final_consonant(ch) == final
        assert eul(ch)[-1] == ("을" if final else "를")
        assert ro(ch)[len(ch):] == ("으로" if final and final != 8 else "로")


def test_words_without_a_reading_take_the_vowel_form():
    assert final_consonant("") is None and final_consonant("%") is None
    assert eul("") == "를" and iga(None) == "가"
    assert josa("★", "은") == "★는"


def test_unknown_particle_is_refused():
    with pytest.raises(KeyError):
        josa("등본", "의")


def test_particles_written_both_ways_are_resolved_by_the_word_before():
    from markupsafe import Markup

    from services.korean import particles

    assert particles("토지대장을(를) 발급할 수 없습니다.") == "토지대장을 발급할 수 없습니다."
    assert particles("증명서을(를) 보냈습니다.") == "증명서를 보냈습니다."
    assert particles("건축물이(가) 없습니다. 토지이(가) 없습니다.") == "건축물이 없습니다. 토지가 없습니다."
    assert particles("등본은(는) / 팩스은(는)") == "등본은 / 팩스는"
    assert particles("등본과(와) 증명서과(와)") == "등본과 증명서와"
    assert particles("팩스 02-123-4567(으)로, 메일 a@b.com(으)로, 구청(으)로, 서울(으)로") == \
        "팩스 02-123-4567로, 메일 a@b.com으로, 구청으로, 서울로"
    assert particles("접수번호 20261121-123452을(를)") == "접수번호 20261121-123452를"
    assert particles("no particles here (at all)") == "no particles here (at all)"
    assert particles("(으)로 쓰는 조사") == "(으)로 쓰는 조사"  # a marker with no word before it
    m = particles(Markup("<b>구청</b>(으)로"))
    assert isinstance(m, Markup) and m == Markup("<b>구청</b>으로")  # the text is read, not the tags
    assert particles(Markup("&#39;서울&#39;(으)로 &lt;구청&gt;을(를)")) == Markup("&#39;서울&#39;로 &lt;구청&gt;을")
    assert particles(Markup("<b>x</b> 구청(으)로")) == Markup("<b>x</b> 구청으로")


def test_sms_replies_take_the_particle_of_their_values():
    from services.korean import particles
    from services.petitions import R

    assert particles(R["not_found"].format(receipt="20261121-123456")).endswith("123456을 찾을 수 없습니다.")
    assert particles(R["not_found"].format(receipt="20261121-123459")).endswith("123459를 찾을 수 없습니다.")
    assert particles(R["not_by_sms"].format(name="토지대장")).startswith("토지대장은 문자로")
    assert particles(R["not_by_sms"].format(name="지방세 납세증명서")).startswith("지방세 납세증명서는 문자로")
    assert "메일로 보낸 뒤" in particles(R["accepted"].format(w="등본", receipt="1", how="메일"))
