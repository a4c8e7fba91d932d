"""Button data: every action round-trips within Telegram's 64 bytes; forged data is refused."""

from __future__ import annotations

import pytest

from handlers.codec import ACTIONS, MAX_BYTES, MAX_INT, VERSION, BadButton, Press, decode, encode

BIGGEST = MAX_INT - 1


@pytest.mark.parametrize(("action", "arity"), sorted(ACTIONS.items()))
@pytest.mark.parametrize("value", [0, 1, 42, BIGGEST])
def test_every_action_round_trips_with_any_argument_size(
    action: str, arity: int, value: int
) -> None:
    args = tuple(value + i if value + i < MAX_INT else value - i for i in range(arity))
    data = encode(action, *args)
    assert len(data.encode("utf-8")) <= MAX_BYTES
    assert decode(data) == Press(action, args)


@pytest.mark.parametrize("action", sorted(ACTIONS))
def test_the_longest_datum_of_every_action_fits_in_64_bytes(action: str) -> None:
    data = encode(action, *[BIGGEST] * ACTIONS[action])
    assert data.startswith(f"{VERSION}:{action}")
    assert len(data.encode("utf-8")) <= 64


@pytest.mark.parametrize(
    ("action", "args"),
    [("zz", ()), ("mn", (1,)), ("op", ()), ("op", (1, 2)), ("op", (-1,)), ("op", (MAX_INT,))],
)
def test_encoding_refuses_what_no_button_may_carry(action: str, args: tuple[int, ...]) -> None:
    with pytest.raises(ValueError):
        encode(action, *args)


@pytest.mark.parametrize(
    "data",
    [
        pytest.param(None, id="none"),
        pytest.param("", id="empty"),
        pytest.param("1", id="version-only"),
        pytest.param("1:", id="empty-action"),
        pytest.param("2:mn", id="other-version"),
        pytest.param("2:op:1", id="other-version-with-args"),
        pytest.param("0:mn", id="version-zero"),
        pytest.param(":mn", id="no-version"),
        pytest.param("mn", id="no-version-no-colon"),
        pytest.param("1:zz", id="unknown-action"),
        pytest.param("1:MN", id="action-case"),
        pytest.param("1:mn:1", id="too-many-args"),
        pytest.param("1:mn:", id="trailing-colon"),
        pytest.param("1:op", id="too-few-args"),
        pytest.param("1:kc:1:2", id="one-missing"),
        pytest.param("1:op:", id="empty-arg"),
        pytest.param("1:op:a", id="letter"),
        pytest.param("1:op:1.5", id="decimal"),
        pytest.param("1:op:1e3", id="exponent"),
        pytest.param("1:op: 1", id="space"),
        pytest.param("1:op:+1", id="plus"),
        pytest.param("1:op:-1", id="negative"),
        pytest.param("1:op:١", id="arabic-indic-digit"),
        pytest.param("1:op:１", id="fullwidth-digit"),
        pytest.param("1:op:²", id="superscript-digit"),
        pytest.param(f"1:op:{MAX_INT}", id="two-to-the-53"),
        pytest.param(f"1:op:{MAX_INT * 10}", id="seventeen-digits"),
        pytest.param("1:op:" + "0" * 17, id="seventeen-zeros"),
        pytest.param("1:op:" + "1" * 60, id="over-64-bytes"),
        pytest.param("1:mn" + " " * 61, id="padded-over-64-bytes"),
        pytest.param("1:a2:12", id="truncated-arguments"),
        pytest.param("1:a", id="truncated-action"),
        pytest.param("1:a2:12:", id="truncated-last-argument"),
    ],
)
def test_decoding_refuses_data_no_button_of_this_bot_carries(data: str | None) -> None:
    with pytest.raises(BadButton):
        decode(data)


def test_the_largest_argument_is_one_below_two_to_the_53() -> None:
    assert decode(f"1:op:{BIGGEST}") == Press("op", (BIGGEST,))
    with pytest.raises(BadButton):
        decode(f"1:op:{BIGGEST + 1}")


def test_bad_button_is_a_value_error() -> None:
    assert issubclass(BadButton, ValueError)
