"""Korean particles that depend on the word before them (받침)."""

from __future__ import annotations


def has_final_consonant(word: str) -> bool:
    if not word:
        return False
    ch = word.rstrip()[-1]
    if "가" <= ch <= "힣":
        return (ord(ch) - 0xAC00) % 28 != 0
    return ch in "013678LMNRlmnr"  # read aloud: 영, 일, 삼, 육, 칠, 팔; el, em, en, ar


def eul(word: str) -> str:
    """The object particle: 등본을, 증명서를."""
    return word + ("을" if has_final_consonant(word) else "를")
