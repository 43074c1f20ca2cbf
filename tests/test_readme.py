"""Issue 17 item 12: the README sends users where things really are: SMS
messages in the sms_messages table (read on the phone simulator), not an
outbox folder; and it lists the sandbox's test cards, every one of them."""

import re
from pathlib import Path

from reference_backend.payments import DECLINES

README = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")


def test_the_readme_lists_every_sandbox_test_card():
    shown = {re.sub(r"\D", "", m) for m in re.findall(r"`(\d{4} \d{4} \d{4} \d{4})`", README)}
    assert set(DECLINES) <= shown, set(DECLINES) - shown
    assert any(n not in DECLINES for n in shown)  # and one that is approved


def test_the_readme_says_where_sms_messages_are():
    assert "sms_messages" in README and "/phone/" in README
    assert "SMS outbox" not in README and "var/outbox/sms" not in README
