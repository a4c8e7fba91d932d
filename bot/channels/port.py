"""The channel port: what every chat app's adapter declares and raises, so that the core never
speaks a platform's language.

A channel states its limits once, as `Capabilities` (how long a text, how many actions on a
message, how long a label, whether a sent message can be replaced, whether a press can be
answered, which markup, how long after a person's last message the bot may still write). The
fitter (`bot.channels.fit`) shapes every screen to them. When a notice cannot be delivered, the
adapter raises one neutral `DeliveryError` that says what the dispatcher should do: wait the time
the platform asks, try again later, give up, or wait until the person writes (a closed window).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal, Protocol

from bot.channels.base import Reply

Markup = Literal["html", "whatsapp"]
DeliveryKind = Literal["retry_after", "transient", "permanent", "window_closed"]


@dataclass(frozen=True)
class Capabilities:
    """What one chat app can show and do."""

    name: str
    max_text: int
    """Longest text of one message (characters as the platform counts them)."""
    max_text_with_actions: int
    """Longest text of a message that carries actions (WhatsApp: an interactive body)."""
    max_actions: int
    """Most actions shown as buttons on one message."""
    max_list_rows: int
    """Most rows of one list of actions (0: the channel has no lists)."""
    max_label: int
    """Longest label of a button."""
    max_row_label: int
    """Longest title of a list row."""
    max_data: int
    """Most bytes of the data a button carries back."""
    edits: bool
    """Whether a sent message can be replaced (else a superseding screen is sent anew)."""
    answers_presses: bool
    """Whether a press gets its own short answer (a toast); else the answer is a message."""
    markup: Markup
    """How bold, italic, code and links are written."""
    reply_window: timedelta | None = None
    """How long after a person's last message the bot may write freely (None: any time)."""

    def may_write(self, last_seen: datetime | None, now: datetime) -> bool:
        """Whether a free-form message may go to a person who last wrote at `last_seen`; the
        last minutes of a window count as closed (a message must arrive before it closes)."""
        if self.reply_window is None:
            return True
        return last_seen is not None and now < last_seen + self.reply_window - WINDOW_MARGIN


WINDOW_MARGIN = timedelta(minutes=10)

TELEGRAM = Capabilities(
    name="telegram", max_text=4096, max_text_with_actions=4096, max_actions=100,
    max_list_rows=0, max_label=64, max_row_label=64, max_data=64, edits=True,
    answers_presses=True, markup="html",
)  # fmt: skip

WHATSAPP = Capabilities(
    name="whatsapp", max_text=4096, max_text_with_actions=1024, max_actions=3,
    max_list_rows=10, max_label=20, max_row_label=24, max_data=256, edits=False,
    answers_presses=False, markup="whatsapp", reply_window=timedelta(hours=24),
)  # fmt: skip


class DeliveryError(Exception):
    """A notice part that did not reach its person, and what to do about it.

    `retry_after`: the platform asked to wait `retry_in`; `transient`: a network error or a
    server fault, try again later; `permanent`: it will never be taken (`reach` names why, as a
    catalogue key, when the person cannot be written to at all: blocked, gone); `window_closed`:
    the person must write first (WhatsApp's 24 hours), a template may be sent instead.
    """

    def __init__(
        self,
        kind: DeliveryKind,
        detail: str,
        *,
        retry_in: timedelta | None = None,
        reach: str | None = None,
    ) -> None:
        super().__init__(detail)
        self.kind: DeliveryKind = kind
        self.detail = detail
        self.retry_in = retry_in
        self.reach = reach


BriefKind = Literal["handover", "reminders", "notice"]


@dataclass(frozen=True)
class Brief:
    """A notice in short, for a person the bot may not write to freely (WhatsApp's closed
    window): which of the bot's pre-approved messages, its values (the essentials: OPD, step,
    deadline, how many cases), and the data of its one button, which opens the full notice."""

    kind: BriefKind
    values: tuple[str, ...]
    button: str


class Sender(Protocol):
    """Delivers notices into one chat app: each part (each file in order, then the text with
    its actions), or a notice's `Brief`. Returns the platform's ids of the messages sent; raises
    `DeliveryError` when a part was not delivered."""

    @property
    def capabilities(self) -> Capabilities: ...

    def parts(self, reply: Reply) -> int:
        """How many parts `reply` goes out in on this channel: each file, then its text (as one
        part, or one per message where a retry must not repeat the messages that went)."""
        ...

    async def send_part(self, chat_id: str | int, reply: Reply, index: int) -> Sequence[str]: ...

    async def send_brief(self, chat_id: str | int, brief: Brief) -> Sequence[str]: ...


class ChannelRejected(Exception):
    """The chat app refused the bot's credentials (a wrong or revoked token): the run ends."""

    def __init__(self, detail: str = "", channel: str = "telegram") -> None:
        super().__init__(detail)
        self.channel = channel


class ChannelUnreachable(Exception):
    """The chat app could not be reached; the message says why (secrets already removed)."""

    def __init__(self, detail: str = "", channel: str = "telegram") -> None:
        super().__init__(detail)
        self.channel = channel
