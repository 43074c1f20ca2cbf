"""A real SMTP server (aiosmtpd on loopback) that keeps what it receives and
can be told to answer 4xx or 5xx for a while."""

from __future__ import annotations

import email
import email.policy

from aiosmtpd.controller import Controller

from tests.support.procs import free_port


class Handler:
    def __init__(self):
        self.messages: list[email.message.EmailMessage] = []
        self.script: list[str] = []  # answers to DATA before accepting, e.g. ["451 4.3.0 busy"]
        self.refuse_all: str | None = None

    async def handle_DATA(self, server, session, envelope):
        if self.refuse_all:
            return self.refuse_all
        if self.script:
            return self.script.pop(0)
        self.messages.append(email.message_from_bytes(envelope.original_content or envelope.content,
                                                      policy=email.policy.default))
        return "250 2.0.0 OK"


class SmtpServer:
    def __init__(self):
        self.handler = Handler()
        self.port = free_port()
        self.controller = Controller(self.handler, hostname="127.0.0.1", port=self.port)
        self.url = "smtp://127.0.0.1:%d" % self.port

    def start(self) -> "SmtpServer":
        self.controller.start()
        return self

    def stop(self) -> None:
        self.controller.stop()

    @property
    def messages(self):
        return self.handler.messages
