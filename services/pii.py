"""Masking of personal data for screens, documents and logs.

Resident registration numbers (주민등록번호) are ``YYMMDD-SNNNNNN``; phone
numbers are shown ``010-****-5678``; names ``김*수``.
"""

from __future__ import annotations

import re

from services import phones

# Not glued to letters or digits: hex ids (UUIDs, hashes) are not phone numbers.
RRN_RE = re.compile(r"(?<![0-9A-Za-z])(\d{6})[- ]?([1-8])(\d{6})(?![0-9A-Za-z])")
PHONE_RE = re.compile(r"(?<![0-9A-Za-z])(0\d{1,2})\)?[- .]?(\d{3,4})[- .]?(\d{4})(?![0-9A-Za-z])")
PHONE_INTL_RE = re.compile(r"\+82[- ]?\d{1,2}[- ]?\d{3,4}[- ]?\d{4}")
EMAIL_RE = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}")
# One-time codes: six digits after 인증번호 (services.otp); pairing codes: eight
# letters of services.pairing's vowel-less alphabet, dashed or not, any case.
OTP_RE = re.compile(r"(인증\s*번호\D{0,3})\d{6}(?!\d)")
# 주민 참여 (services.participation.sms): a vote's receipt code (12 digits, grouped
# or not), the choices shown in a reply (선택[...]) and those texted after a
# vote's number ("투표 12 1 3"): what links a phone to a ballot.
RECEIPT_CODE_RE = re.compile(r"(?<![\d-])\d{4}[ -]?\d{4}[ -]?\d{4}(?![\d-])")
CHOICE_RE = re.compile(r"선택\[[^\]]*\]")
VOTE_CHOICES_RE = re.compile(r"((?:투표|vote)\s*\d{1,6})[\s,]+\d[\d\s,]*", re.IGNORECASE)
PAIRING_RE = re.compile(r"(?<![A-Za-z])[BCDFGHJKLMNPQRSTVWXZ]{4}[- ]?[BCDFGHJKLMNPQRSTVWXZ]{4}(?![A-Za-z])",
                        re.IGNORECASE)


def digits(text: str) -> str:
    return re.sub(r"\D", "", text or "")


def format_rrn(rrn: str) -> str:
    d = digits(rrn)
    return "%s-%s" % (d[:6], d[6:]) if len(d) == 13 else rrn


def mask_rrn(rrn: str) -> str:
    """``901201-1234567`` -> ``901201-1******`` (as certificates print it)."""
    d = digits(rrn)
    if len(d) != 13:
        return "******-*******"
    return "%s-%s******" % (d[:6], d[6])


def mask_phone(phone: str) -> str:
    """``010-****-5678``, ``02-****-4567``, ``0505-****-4567`` (the area code as
    :mod:`services.phones` reads it)."""
    parts = phones.groups(phone)
    if len(parts) == 3:
        return "%s-****-%s" % (parts[0], parts[2])
    d = phones.national_digits(phone)
    if len(d) < 7:
        return "*" * len(d)
    return "%s-****-%s" % ("02" if d.startswith("02") else d[:3], d[-4:])


def mask_name(name: str) -> str:
    if not name:
        return ""
    if len(name) == 1:
        return "*"
    if len(name) == 2:
        return name[0] + "*"
    return name[0] + "*" * (len(name) - 2) + name[-1]


def mask_email(email: str) -> str:
    local, _, domain = (email or "").partition("@")
    if not domain:
        return "***"
    return (local[:2] + "***") + "@" + domain


def redact(text: str) -> str:
    """Mask every resident number, phone number and email address in free text."""
    text = RRN_RE.sub(lambda m: "%s-%s******" % (m.group(1), m.group(2)), text)
    text = PHONE_INTL_RE.sub("+82-**-****-****", text)
    text = PHONE_RE.sub(lambda m: "%s-****-%s" % (m.group(1), m.group(3)), text)
    text = EMAIL_RE.sub(lambda m: mask_email(m.group(0)), text)
    return text


def mask_codes(text: str) -> str:
    """A message text as it may be stored: one-time and pairing codes, vote receipts
    and choices masked."""
    text = OTP_RE.sub(lambda m: m.group(1) + "******", text or "")
    text = CHOICE_RE.sub("선택[***]", VOTE_CHOICES_RE.sub(lambda m: m.group(1) + " ***", text))
    text = RECEIPT_CODE_RE.sub("**** **** ****", text)
    return PAIRING_RE.sub("****-****", text)


def contains_personal_data(text: str) -> list[str]:
    """What a log scan looks for: unmasked resident numbers, phones, emails."""
    found = []
    for m in RRN_RE.finditer(text):
        found.append("resident number " + mask_rrn(m.group(0)))
    for m in PHONE_RE.finditer(text):
        found.append("phone " + mask_phone(m.group(0)))
    for m in PHONE_INTL_RE.finditer(text):
        found.append("phone " + mask_phone(m.group(0)))
    for m in EMAIL_RE.finditer(text):
        found.append("email " + mask_email(m.group(0)))
    return found
