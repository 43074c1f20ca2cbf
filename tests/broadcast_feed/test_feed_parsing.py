"""RSS 2.0, Atom 1.0 and CAP 1.2 parsing on fixtures of real-world shape."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from broadcast_feed.errors import FeedRefused
from broadcast_feed.items import District
from broadcast_feed.parsing import parse_document
from broadcast_feed.text import SEOUL

MAPO = District(
    names=["마포구", "Mapo-gu"], centre=(37.5663, 126.9019), geocodes=["법정동코드=1144000000"]
)


def test_rss_sample_has_twelve_items_with_categories(sample_bytes):
    feed = parse_document(sample_bytes("mapo_press_rss.xml"))
    assert feed.kind == "rss"
    assert feed.title == "마포구청 보도자료"
    assert len(feed.items) == 12
    assert {"복지", "교통", "문화", "행정"} <= {i.category for i in feed.items}
    assert len({i.guid for i in feed.items}) == 12
    first = feed.items[0]
    assert first.guid == "mapo-press-29418"
    assert first.published == datetime(2026, 11, 20, 16, 30, tzinfo=SEOUL)
    assert first.published.utcoffset() == timedelta(hours=9)
    assert first.author == "복지정책과"
    assert first.source == "마포구청 보도자료"
    # relative <img> in the CDATA body resolved against the item link
    assert first.image_url == "https://www.mapo.go.kr/upload/press/2026/11/29418_1.jpg"
    assert "\n\n" in first.body and "<" not in first.body
    assert "“추위가 가장 먼저" in first.body  # &ldquo; decoded
    festival = feed.items[2]
    assert "_gaq" not in festival.body  # script dropped with its content
    assert festival.image_url.endswith("29409_festival.jpg")  # enclosure


def test_rss_namespaces_cdata_and_missing_fields(fixture_bytes):
    feed = parse_document(fixture_bytes("rss_namespaces.xml"), source_name="정책브리핑")
    a, b, c, d, e = feed.items
    assert a.source == "정책브리핑"
    assert a.title == "행정안전부, 「지방세 납부」 편의 개선 & 안내"
    assert a.body == "지방세를 TV로도 낸다.\n\n둘째 문단 \u2039script> 글자"
    assert a.link == "https://www.korea.kr/briefing/pressReleaseView.do?newsId=156700001"
    assert a.guid == a.link  # no guid: the link stands in
    assert a.published == datetime(2026, 11, 20, 18, 0, tzinfo=SEOUL)  # dc:date, Z -> KST
    assert a.author == "행정안전부 지방세정책과"
    assert a.category == "행정"  # dc:subject
    assert a.image_url.endswith("photo.jpg")  # media:group, skipping the PDF
    assert b.image_url == "https://news.example.kr/a/img/2.png"
    assert b.body == "Body text… with a link"
    assert b.published is None
    assert c.title == "Only a description, no title."
    assert c.guid == "https://news.example.kr/a/3"
    assert c.published == datetime(2026, 11, 20, 8, 0, tzinfo=SEOUL)
    assert c.categories == ["교통", "안전"]
    assert d.link is None and d.image_url is None and d.published is None
    assert e.title == "(제목 없음)" and e.guid.startswith("sha256:")


def test_atom_sample_with_xhtml_content(sample_bytes):
    feed = parse_document(sample_bytes("mapo_community_atom.xml"))
    assert feed.kind == "atom"
    assert feed.title == "마포 마을소식"
    assert len(feed.items) == 4
    first = feed.items[0]
    assert first.guid == "tag:maeul.mapo.go.kr,2026:/news/1187"
    assert first.category == "나눔"
    assert first.author == "성산2동 마을기자단"
    assert first.body.startswith("지난 19일 성산2동")
    assert first.body.count("\n\n") == 3
    assert first.summary.startswith("성산2동 주민 120여 명이")
    market = feed.items[1]
    assert market.title == "망원시장 온누리상품권 10% 할인 판매 연장"  # type="html" title
    assert "· 한도: 1인당 월 50만 원" in market.body
    garden = feed.items[3]  # type="text" content, no <published>
    assert garden.published == datetime(2026, 11, 13, 17, 20, tzinfo=SEOUL)
    assert garden.body.count("\n\n") == 2


def test_atom_prefixed_xhtml_and_missing_id(fixture_bytes):
    feed = parse_document(fixture_bytes("atom_xhtml.xml"))
    assert feed.title == "동네 소식"
    one, two = feed.items
    assert one.title == "Prefixed \u2039xhtml> content"
    assert one.body == "제목\n\n첫 문단 강조.\n\n둘째 문단"
    assert one.link == "https://blog.example.kr/posts/1"
    assert one.image_url == "https://blog.example.kr/t/1.jpg"
    assert one.published == datetime(2026, 11, 20, 10, 0, tzinfo=SEOUL)
    assert two.title == "HTML title & more"
    assert two.body == "Summary only, no id, no link"  # non-text content ignored
    assert two.guid.startswith("sha256:")
    assert two.published == datetime(2026, 11, 19, 0, 0, tzinfo=SEOUL)


def test_cap_sample_two_languages_prefers_korean(sample_bytes):
    feed = parse_document(sample_bytes("mapo_cold_wave_cap.xml"))
    assert feed.kind == "cap" and feed.items == []
    (alert,) = feed.alerts
    assert alert.status == "Actual" and alert.msg_type == "Update" and alert.scope == "Public"
    assert alert.event == "한파경보"
    assert alert.headline.startswith("[기상청]")
    assert alert.info_for("en-US").event == "Cold Wave Warning"
    assert alert.severity == "Severe" and alert.is_severe
    assert alert.urgency == "Expected" and alert.certainty == "Likely"
    assert alert.expires == datetime(2026, 11, 23, 9, 0, tzinfo=SEOUL)
    assert alert.onset == datetime(2026, 11, 21, 21, 0, tzinfo=SEOUL)
    assert alert.references == [
        ("weather-alert@kma.go.kr", "KMA-WRN-20261121-1000-0037", "2026-11-21T10:00:00+09:00")
    ]
    assert (
        alert.key == "weather-alert@kma.go.kr,KMA-WRN-20261121-1100-0042,2026-11-21T11:00:00+09:00"
    )
    assert len(alert.areas) == 2 and len(alert.areas[0].polygons[0]) == 9
    assert alert.concerns(MAPO)
    now = datetime(2026, 11, 22, 8, 0, tzinfo=SEOUL)
    assert alert.ticker_candidate(MAPO, now)
    assert not alert.ticker_candidate(MAPO, datetime(2026, 11, 23, 9, 0, tzinfo=SEOUL))


@pytest.mark.parametrize(
    "district, expected",
    [
        (District(names=["마포구"]), True),  # areaDesc
        (District(names=["서울특별시 마포구"]), True),
        (District(names=["마포"]), False),  # not a whole word
        (District(names=["강남구"], geocodes=["1144000000"]), True),  # geocode, any name
        (District(names=["강남구"], geocodes=["법정동코드=11440*"]), True),  # prefix
        (District(names=["강남구"], geocodes=["SAME=1144000000"]), False),  # other valueName
        (District(names=["x"], centre=(37.5663, 126.9019)), True),  # inside the polygon
        (District(names=["강남구"], centre=(37.5172, 127.0473)), False),
    ],
)
def test_cap_concerns_district(sample_bytes, district, expected):
    (alert,) = parse_document(sample_bytes("mapo_cold_wave_cap.xml")).alerts
    assert alert.concerns(district) is expected


def test_cap_multiple_info_blocks_circle_and_bad_polygon(fixture_bytes):
    (alert,) = parse_document(fixture_bytes("cap_multi.xml")).alerts
    assert [i.language for i in alert.infos] == ["en-US", "ko-KR", "zh-CN"]
    assert alert.event == "호우경보"  # ko-KR preferred although not first
    assert alert.info_for("en-GB").event == "Heavy Rain Warning"  # same primary language
    assert alert.info_for("ja-JP").language == "en-US"  # first as last resort
    ko = alert.info
    assert ko.areas[0].polygons == []  # malformed polygon skipped
    assert ko.areas[0].circles == [(37.555, 126.895, 1.5)]
    assert len(ko.areas[1].polygons[0]) == 5  # closed automatically
    assert alert.infos[2].areas == [] and alert.infos[2].expires is None
    near_river = District(names=["마포구"], centre=(37.5560, 126.8960))  # in the circle
    far = District(names=["마포구"], centre=(37.60, 126.80))
    yeongdeungpo = District(names=["영등포구"])
    assert alert.concerns(near_river) and not alert.concerns(far)
    assert alert.concerns(yeongdeungpo)
    assert alert.severity == "Extreme" and alert.is_severe


def test_cap_cancel_without_info(fixture_bytes):
    (alert,) = parse_document(fixture_bytes("cap_minimal_cancel.xml")).alerts
    assert alert.msg_type == "Cancel"
    assert alert.infos == [] and alert.info is None
    assert alert.headline == "" and alert.expires is None and not alert.is_severe
    assert len(alert.references) == 2
    assert not alert.ticker_candidate(MAPO, datetime(2026, 11, 22, tzinfo=SEOUL))


def test_cap_without_identifier_is_refused():
    data = b'<alert xmlns="urn:oasis:names:tc:emergency:cap:1.2"><sender>x</sender></alert>'
    with pytest.raises(FeedRefused, match="identifier"):
        parse_document(data)


@pytest.mark.parametrize(
    "data, reason",
    [
        (b"<html><body>hi</body></html>", "unknown root element <html>"),
        (b'<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"/>', "RSS 1.0"),
        (b'<rss version="2.0"><item/></rss>', "without <channel>"),
        (b'<feed xmlns="urn:other"/>', "unknown root element <{urn:other}feed>"),
        (b"not xml at all", "malformed XML"),
        (b"", "malformed XML"),
    ],
)
def test_not_a_feed_gets_a_clear_reason(data, reason):
    with pytest.raises(FeedRefused) as info:
        parse_document(data)
    assert reason in info.value.reason
    assert "\n" not in info.value.reason


def test_atom_single_entry_document():
    data = (
        b'<entry xmlns="http://www.w3.org/2005/Atom"><id>x:1</id><title>T</title>'
        b"<updated>2026-01-01T00:00:00+09:00</updated></entry>"
    )
    feed = parse_document(data, source_name="s")
    assert [i.guid for i in feed.items] == ["x:1"]


def test_max_items_bounds_work():
    items = b"".join(b"<item><guid>%d</guid><title>t</title></item>" % i for i in range(50))
    data = b'<rss version="2.0"><channel><title>c</title>' + items + b"</channel></rss>"
    assert len(parse_document(data, max_items=10).items) == 10
