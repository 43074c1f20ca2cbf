"""One base for the errors our code raises on purpose.

Every such error carries an HTTP ``status_code`` and a ``user_message``: a
short Korean sentence a resident or an operator can act on (never a number,
a code or a stack). The web tier turns them into a calm TV or phone screen,
the console's error page, or JSON for an API (``tvapp.errors``); workers and
command-line tools log the class and the message.

Subclasses set ``status_code`` and, where the message is not the exception's
first argument, override ``user_message``.
"""

from __future__ import annotations

DEFAULT_MESSAGE = "요청을 처리하지 못했습니다. 잠시 뒤에 다시 해 주세요."


class AppError(Exception):
    status_code = 400

    @property
    def user_message(self) -> str:
        for name in ("message", "reason"):
            value = getattr(self, name, None)
            if isinstance(value, str) and value:
                return value
        text = str(self.args[0]) if self.args else ""
        return text if _is_sentence(text) else DEFAULT_MESSAGE


def _is_sentence(text: str) -> bool:
    """Korean words, not a code like ``not_found``."""
    return any("\uac00" <= ch <= "\ud7a3" for ch in text)
