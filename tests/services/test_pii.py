import logging

from services import pii
from services.core.crypto import Crypto
from services.core.logs import RedactingFilter


def test_masks_as_certificates_and_screens_show_them():
    assert pii.mask_rrn("901201-1234567") == "901201-1******"
    assert pii.mask_rrn("9012011234567") == "901201-1******"
    assert pii.mask_phone("010-1234-5678") == "010-****-5678"
    assert pii.mask_phone("+82 10 1234 5678") == "010-****-5678"
    assert pii.mask_phone("02-123-4567") == "02-****-4567"
    assert pii.mask_name("김영수") == "김*수"
    assert pii.mask_name("남궁민수") == "남**수"
    assert pii.mask_email("youngsoo.kim@example.com") == "yo***@example.com"


def test_redact_finds_everything_in_free_text():
    text = "resident 480312-1738204 phone 010-0000-0001 mail a.b@example.com fax 02 1234 5678"
    out = pii.redact(text)
    assert pii.contains_personal_data(text)
    assert pii.contains_personal_data(out) == []
    assert "480312-1******" in out


def test_redacting_filter_masks_a_log_line():
    record = logging.LogRecord("services.x", logging.INFO, __file__, 1,
                               "sent to %s", ("010-0000-0002",), None)
    RedactingFilter().filter(record)
    assert record.getMessage() == "sent to 010-****-0002"


def test_encryption_round_trip_and_keyed_hash():
    c = Crypto("k" * 40)
    token = c.encrypt("480312-1738204")
    assert "480312" not in token
    assert c.decrypt(token) == "480312-1738204"
    assert c.keyed_hash("01000000001", "phone") == c.keyed_hash("01000000001", "phone")
    assert c.keyed_hash("01000000001", "phone") != Crypto("j" * 40).keyed_hash("01000000001", "phone")


def test_object_particle_follows_the_last_syllable():
    from services.korean import eul

    assert eul("주민등록표 등본") == "주민등록표 등본을"
    assert eul("지방세 납세증명서") == "지방세 납세증명서를"
    assert eul("토지대장") == "토지대장을"


def test_ids_that_only_look_like_numbers_are_not_personal_data():
    import uuid

    line = "Pushed job 5694c0ce-2b06-4d2e-8622-9e27699ec04a into requests"
    assert pii.contains_personal_data(line) == []
    for _ in range(2000):
        assert pii.contains_personal_data("job %s sha %s" % (uuid.uuid4(), uuid.uuid4().hex)) == []
    assert pii.contains_personal_data("to 010-0000-0001.") != []
    assert pii.contains_personal_data("(02)1234-5678") != []
