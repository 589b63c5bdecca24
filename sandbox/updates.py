"""The bot's pending updates: ordered, confirmed by offset, filtered by type."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterable, Mapping
from typing import Any

from sandbox.waiting import Signal

# What Telegram sends when allowed_updates is empty or was never set.
_OPT_IN_TYPES = frozenset({"chat_member", "message_reaction", "message_reaction_count"})


def update_type(update: Mapping[str, Any]) -> str:
    """The update's kind: the one key besides `update_id`."""
    return next((key for key in update if key != "update_id"), "")


def update_chat(update: Mapping[str, Any]) -> int | None:
    """The chat (or, failing that, the user) an update is about, if it says."""
    body = update.get(update_type(update))
    if not isinstance(body, dict):
        return None
    message = body.get("message")
    chat = body.get("chat") or (message.get("chat") if isinstance(message, dict) else None)
    if isinstance(chat, dict) and isinstance(chat.get("id"), int):
        return int(chat["id"])
    sender = body.get("from")
    if isinstance(sender, dict) and isinstance(sender.get("id"), int):
        return int(sender["id"])
    return None


class UpdateQueue:
    """Updates not yet confirmed, in update_id order.

    Long polling confirms by offset; webhook delivery claims one update at a time
    and confirms it on a 2xx answer, one update per chat at a time so that a chat's
    updates reach the bot in order even across several backends. Every push,
    confirmation and release wakes waiters.
    """

    def __init__(self) -> None:
        self._updates: OrderedDict[int, dict[str, Any]] = OrderedDict()
        # Claimed update id -> its chat (None when the update names no chat).
        self._claimed: dict[int, int | None] = {}
        self._busy_chats: set[int] = set()
        self._next_id = 1
        self._fetched_upto = 0
        self._allowed: frozenset[str] | None = None
        self.changed = Signal()

    def __len__(self) -> int:
        return len(self._updates)

    @property
    def unfetched(self) -> int:
        """Updates the bot has not been given yet (neither polled nor delivered)."""
        count = 0
        for update_id in reversed(self._updates):
            if update_id <= self._fetched_upto:
                break
            count += 1
        return count

    @property
    def allowed_updates(self) -> list[str]:
        """The allowed_updates in force ([] means Telegram's default set)."""
        return sorted(self._allowed) if self._allowed is not None else []

    def push(self, update: Mapping[str, Any]) -> int:
        """Append an update (its update_id is assigned here) and wake waiters."""
        update_id = self._next_id
        self._next_id += 1
        self._updates[update_id] = {"update_id": update_id, **update}
        self.changed.notify()
        return update_id

    def set_allowed(self, allowed: Iterable[str] | None) -> None:
        """Keep the previous setting for None; [] restores Telegram's default set."""
        if allowed is None:
            return
        chosen = frozenset(allowed)
        self._allowed = chosen or None

    def is_allowed(self, update: Mapping[str, Any]) -> bool:
        """Whether the current allowed_updates lets this update through."""
        kind = update_type(update)
        if self._allowed is None:
            return kind not in _OPT_IN_TYPES
        return kind in self._allowed

    def confirm_before(self, offset: int) -> None:
        """Forget every update with update_id < offset (getUpdates' offset)."""
        updates = self._updates
        while updates:
            first = next(iter(updates))
            if first >= offset:
                break
            del updates[first]
            self._unclaim(first)

    def keep_last(self, count: int) -> None:
        """Forget all but the last `count` updates (a negative offset)."""
        while len(self._updates) > count:
            first, _ = self._updates.popitem(last=False)
            self._unclaim(first)

    def take(self, limit: int) -> list[dict[str, Any]]:
        """Up to `limit` updates from the front; disallowed types are dropped for good."""
        batch: list[dict[str, Any]] = []
        dropped: list[int] = []
        for update_id, update in self._updates.items():
            if len(batch) >= limit:
                break
            if self.is_allowed(update):
                batch.append(update)
            else:
                dropped.append(update_id)
        for update_id in dropped:
            del self._updates[update_id]
        if batch:
            self._fetched_upto = max(self._fetched_upto, batch[-1]["update_id"])
        return batch

    def claim_next(self) -> dict[str, Any] | None:
        """The first allowed update not claimed and not of a busy chat, now claimed."""
        dropped: list[int] = []
        claimed: dict[str, Any] | None = None
        for update_id, update in self._updates.items():
            if update_id in self._claimed:
                continue
            if not self.is_allowed(update):
                dropped.append(update_id)
                continue
            chat = update_chat(update)
            if chat is not None and chat in self._busy_chats:
                continue
            self._claimed[update_id] = chat
            if chat is not None:
                self._busy_chats.add(chat)
            self._fetched_upto = max(self._fetched_upto, update_id)
            claimed = update
            break
        for update_id in dropped:
            del self._updates[update_id]
        return claimed

    def confirm(self, update_id: int) -> None:
        """Forget one delivered update; its chat's next update may go."""
        self._updates.pop(update_id, None)
        self._unclaim(update_id)
        self.changed.notify()

    def release(self, update_id: int) -> None:
        """Give a claimed update back (delivery was abandoned) and wake waiters."""
        self._unclaim(update_id)
        self.changed.notify()

    def release_all(self) -> None:
        """Give back every claim (webhook removed)."""
        self._claimed.clear()
        self._busy_chats.clear()

    def clear(self) -> None:
        """Drop every pending update (drop_pending_updates)."""
        self._updates.clear()
        self.release_all()

    def _unclaim(self, update_id: int) -> None:
        chat = self._claimed.pop(update_id, None)
        if chat is not None:
            self._busy_chats.discard(chat)

    def reset(self) -> None:
        """Back to a fresh queue; update ids keep growing so old offsets stay harmless."""
        self.clear()
        self._allowed = None
        self._fetched_upto = self._next_id - 1
