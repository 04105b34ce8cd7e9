"""The subscription book: which symbols a client wants and how far it has seen each one.

Pure bookkeeping, no I/O. The feed client asks it what to send on a new connection (every
wanted symbol, resuming from the last ``seq`` seen) and what to do with each price that
arrives: deliver it, drop it as a duplicate, ignore it, or resynchronise because a ``seq``
jumped. Delivered prices of a symbol therefore always have increasing ``seq``, and every
missing ``seq`` between two delivered ones is counted as a gap. Sequence numbers compare only
within one stream (a server's run): a connection welcomed with another stream forgets every
seq seen, so that each symbol starts afresh from a snapshot instead of resuming.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum, auto


class Verdict(Enum):
    """What to do with an arriving price."""

    DELIVER = auto()  # new and in order: hand it to the consumer
    DUPLICATE = auto()  # already delivered (a replay overlapping what was seen): drop it
    IGNORE = auto()  # not wanted now, or superseded by a resync under way: drop it
    RESYNC = auto()  # a seq jumped: ask the exchange to replay from the last seq seen


class Phase(Enum):
    """Where one symbol's subscription stands on the current connection."""

    WANTED = auto()  # wanted, not (yet) requested on this connection
    REQUESTED = auto()  # subscribe sent, no answer yet
    LIVE = auto()  # subscribed: prices flow
    RESYNCING = auto()  # a gap was seen; a resume request is under way


@dataclass(slots=True)
class Track:
    """One wanted symbol: its phase and the last seq delivered (None before the first)."""

    phase: Phase = Phase.WANTED
    last_seq: int | None = None
    replay_until: int | None = None  # the seq the exchange stood at when it answered


class SubscriptionBook:
    """The wanted symbols, their progress, and counters of gaps and duplicates."""

    def __init__(self) -> None:
        self.tracks: dict[str, Track] = {}
        self.stream: str | None = None  # the stream every last_seq belongs to
        self.new_streams = 0  # times the exchange came back with another stream
        self.gaps = 0  # seqs that were skipped and could not be recovered
        self.duplicates = 0

    @property
    def symbols(self) -> list[str]:
        return list(self.tracks)

    def want(self, symbol: str) -> bool:
        """Add ``symbol``; False if it was already wanted."""
        if symbol in self.tracks:
            return False
        self.tracks[symbol] = Track()
        return True

    def drop(self, symbol: str) -> bool:
        """Forget ``symbol`` (unsubscribed or rejected); False if it was not wanted."""
        return self.tracks.pop(symbol, None) is not None

    def connection_lost(self) -> None:
        """Every subscription must be requested again on the next connection."""
        for track in self.tracks.values():
            track.phase = Phase.WANTED

    def connection_opened(self, stream: str) -> bool:
        """A connection was welcomed with ``stream``; True if that is a new stream after an
        earlier one, whose seqs are then forgotten (they mean nothing in the new one)."""
        previous, self.stream = self.stream, stream
        if previous is None or previous == stream:
            return False
        self.new_streams += 1
        for track in self.tracks.values():
            track.last_seq = None
        return True

    def to_request(self) -> tuple[list[str], dict[str, int]]:
        """The symbols not yet requested on this connection, and the resume point of each.

        Marks them requested. Symbols seen before resume from their last seq, so the
        exchange replays what was missed instead of sending a fresh snapshot.
        """
        symbols = [s for s, t in self.tracks.items() if t.phase is Phase.WANTED]
        for symbol in symbols:
            self.tracks[symbol].phase = Phase.REQUESTED
        resume = {s: last for s in symbols if (last := self.tracks[s].last_seq) is not None}
        return symbols, resume

    def resync_request(self, symbol: str) -> dict[str, int]:
        """The resume point to ask for after a gap in ``symbol``'s live stream."""
        track = self.tracks[symbol]
        track.phase = Phase.RESYNCING
        assert track.last_seq is not None, "a gap needs a delivered price before it"
        return {symbol: track.last_seq}

    def subscribed(self, symbol: str, seq: int | None = None) -> bool:
        """The exchange confirmed ``symbol``, standing at ``seq``; False if it is no longer
        wanted. Tickers up to that seq that follow are a replay of what was missed."""
        track = self.tracks.get(symbol)
        if track is None:
            return False
        track.phase = Phase.LIVE
        track.replay_until = seq
        return True

    def is_replay(self, symbol: str, seq: int) -> bool:
        """Whether a delivered ticker is one the exchange replays from its buffer (its seq is
        not above the seq it answered the subscription with), not a live one."""
        track = self.tracks.get(symbol)
        return track is not None and track.replay_until is not None and seq <= track.replay_until

    def ticker(self, symbol: str, seq: int) -> Verdict:
        """Judge a live or replayed ticker; DELIVER advances the symbol's last seq."""
        track = self.tracks.get(symbol)
        if track is None or track.phase is not Phase.LIVE:
            return Verdict.IGNORE
        if track.last_seq is not None:
            if seq <= track.last_seq:
                self.duplicates += 1
                return Verdict.DUPLICATE
            if seq > track.last_seq + 1:
                return Verdict.RESYNC
        track.last_seq = seq
        return Verdict.DELIVER

    def snapshot(self, symbol: str, seq: int) -> tuple[Verdict, int]:
        """Judge a snapshot, and how many seqs it skips over (counted as a gap).

        A snapshot after a resume means the exchange no longer had the missed tickers: the
        ones between the last seq seen and the snapshot are lost for good.
        """
        track = self.tracks.get(symbol)
        if track is None or track.phase is not Phase.LIVE:
            return Verdict.IGNORE, 0
        missed = 0
        if track.last_seq is not None:
            if seq <= track.last_seq:
                self.duplicates += 1
                return Verdict.DUPLICATE, 0
            missed = seq - track.last_seq - 1
            self.gaps += missed
        track.last_seq = seq
        return Verdict.DELIVER, missed
