"""The fast decoder of the busiest frames accepts exactly what the precise parser accepts,
and decodes it to the same message: speed changes no verdict."""

from __future__ import annotations

import json
import math

import msgspec
from hypothesis import given
from hypothesis import strategies as st

from lessonlib.protocol.messages import MalformedFrame, _fast_decoder, parse_precisely

ANY_VALUE = (
    st.none()
    | st.booleans()
    | st.integers(-(2**70), 2**70)
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(max_size=4)
    | st.just("")
    | st.lists(st.integers(), max_size=2)
)
FIELDS = {
    "symbol": st.sampled_from(["BTC/USDT", "X"]),
    "seq": st.integers(0, 10**9),
    "bid": st.floats(1, 1e6),
    "ask": st.floats(1, 1e6),
    "ts": st.floats(0, 2e9),
}


@st.composite
def frames(draw: st.DrawFn) -> str:
    """Frames near the valid ones: a type, each field valid, mistyped, or missing."""
    kind = draw(st.sampled_from(["ticker", "snapshot", "heartbeat", "welcome", "tick", 3]))
    names = ["ts"] if kind == "heartbeat" else list(FIELDS)
    frame: dict[str, object] = {"type": kind}
    for name in names:
        choice = draw(st.sampled_from(["valid", "valid", "valid", "other", "missing"]))
        if choice == "valid":
            frame[name] = draw(FIELDS[name])
        elif choice == "other":
            frame[name] = draw(ANY_VALUE)
    if draw(st.booleans()):
        frame["extra"] = draw(ANY_VALUE)
    return json.dumps(frame)


def precise(frame: str) -> object:
    try:
        return parse_precisely(frame)
    except MalformedFrame:
        return None


def fast(frame: str) -> object:
    try:
        return _fast_decoder.decode(frame)
    except msgspec.DecodeError:
        return None


@given(frames())
def test_the_fast_decoder_never_accepts_what_the_precise_parser_refuses(frame: str) -> None:
    decoded = fast(frame)
    if decoded is not None:
        assert decoded == precise(frame)


@given(
    st.sampled_from(["ticker", "snapshot"]),
    FIELDS["seq"],
    st.floats(1, 1e6),
    st.floats(0, 1e3),
    FIELDS["ts"],
)
def test_every_valid_price_frame_takes_the_fast_path(
    kind: str, seq: int, bid: float, spread: float, ts: float
) -> None:
    ask = bid + spread
    frame = json.dumps(
        {"type": kind, "symbol": "BTC/USDT", "seq": seq, "bid": bid, "ask": ask, "ts": ts}
    )
    decoded = fast(frame)
    assert decoded is not None and decoded == precise(frame)
    assert math.isclose(decoded.bid, bid)  # type: ignore[attr-defined]
