"""How long a patient waits for an answer while a clinic broadcasts at Telegram's limit.

    .venv/bin/python -m bench.reply_latency_bench [--members 10000] [--repliers 20]

The sandbox (a process of its own) enforces 30 messages/s overall and 1/s per chat. A
clinic's broadcast to `members` members is confirmed through the use-cases, then
`interval-bot run` (a process, TELEGRAM_RATE_LIMIT=30) sends it. While it does, one patient
a second sends `/next`. Printed: the replies' latency (median, max; sent to answered) and
the broadcast's own rate (members reached, first to last send, rate / 30).

Goals: median <= 0.5 s, max <= 1.5 s, broadcast >= 0.95 of 30/s. The full size (10,000
members) takes about six minutes.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from bench.outbox_load import load_clinic_members
from bench.sandbox_process import TOKEN, SandboxProcess, sandbox_process
from bot.usecases import patients
from bot.usecases.broadcasts import Audience, confirm_broadcast, draft_broadcast
from bot.usecases.treatments import log_treatment
from rules import Procedure
from storage.database import Database
from storage.schema import upgrade_to_head

RATE = 30
FIRST_MEMBER = 5_000_000
FIRST_REPLIER = 820_000
STAFF = 4_999_999
BODY = "<b>Winter opening hours</b>: from 1 December we open on Saturdays, 9:00-14:00."


async def _prepare(url: str, members: Sequence[int], repliers: Sequence[int]) -> None:
    await upgrade_to_head(url)
    database = Database(url)
    now = datetime.now(UTC)
    try:
        clinic_id, _ = await load_clinic_members(database, members, now, staff_user=STAFF)
        for user in repliers:
            patient = await patients.consent(
                database,
                telegram_user_id=user,
                chat_id=user,
                language="en",
                timezone="Europe/Berlin",
                now=now,
            )
            await log_treatment(database, patient, Procedure.BOTOX, date.today(), now)
        draft = await draft_broadcast(
            database, clinic_id, STAFF, body=BODY, audience=Audience("all"), now=now
        )
        confirmed = await confirm_broadcast(
            database, clinic_id, draft.broadcast.id, STAFF, language="en", now=now
        )
        if confirmed.broadcast is None:
            raise RuntimeError(f"the broadcast was not queued: {confirmed.kind}")
    finally:
        await database.dispose()


def _sent(sandbox: SandboxProcess, since: int) -> tuple[list[dict[str, Any]], int]:
    records: list[dict[str, Any]] = []
    while True:
        page = sandbox.call(f"/_sandbox/sent?since={since}&limit=5000")
        records.extend(page["sent"])
        since = page["next"]
        if since >= page["total"]:
            return records, since


def run(members_count: int, repliers_count: int) -> None:
    """The broadcast, the replies, the figures."""
    members = [FIRST_MEMBER + i for i in range(members_count)]
    repliers = [FIRST_REPLIER + i for i in range(repliers_count)]
    member_set, replier_set = set(members), set(repliers)
    with sandbox_process() as sandbox, tempfile.TemporaryDirectory() as folder:
        sandbox.reset(members + repliers, overall_rate=RATE, per_chat_rate=1)
        url = f"sqlite+aiosqlite:///{Path(folder) / 'interval.db'}"
        asyncio.run(_prepare(url, members, repliers))
        ours = ("TELEGRAM_", "DATABASE_")
        env = {k: v for k, v in os.environ.items() if not k.startswith(ours)}
        env.update(
            TELEGRAM_BOT_TOKEN=TOKEN,
            TELEGRAM_BASE_URL=sandbox.base_url,
            DATABASE_URL=url,
            DATA_DIR=folder,
            TELEGRAM_RATE_LIMIT=str(RATE),
            LOG_LEVEL="WARNING",
        )
        process = subprocess.Popen(
            [sys.executable, "-m", "bot.cli.main", "run"],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            asked: dict[int, list[float]] = {user: [] for user in repliers}
            records: list[dict[str, Any]] = []
            cursor = 0
            reached: set[int] = set()
            turn = 0
            next_ask = time.monotonic() + 1.0
            deadline = time.monotonic() + members_count / RATE * 2 + 120
            while len(reached) < members_count and time.monotonic() < deadline:
                if time.monotonic() >= next_ask and reached:
                    user = repliers[turn % len(repliers)]
                    turn += 1
                    asked[user].append(time.time())
                    sandbox.send(user, "/next")
                    next_ask += 1.0
                page, cursor = _sent(sandbox, cursor)
                records += page
                reached.update(r["chat_id"] for r in page if r["chat_id"] in member_set)
                time.sleep(0.05)
            time.sleep(2.0)  # the last replies
            page, cursor = _sent(sandbox, cursor)
            records += page
            stats = sandbox.stats()
        finally:
            process.terminate()
            process.wait(timeout=60)
    broadcast = sorted(float(r["at"]) for r in records if r["chat_id"] in member_set)
    answered: dict[int, list[float]] = {user: [] for user in repliers}
    for record in records:
        if record["chat_id"] in replier_set and record["method"] == "sendMessage":
            answered[record["chat_id"]].append(float(record["at"]))
    latencies = [
        done - sent
        for user in repliers
        for sent, done in zip(asked[user], sorted(answered[user]), strict=False)
    ]
    elapsed = broadcast[-1] - broadcast[0] if len(broadcast) > 1 else float("nan")
    rate = (len(broadcast) - 1) / elapsed if len(broadcast) > 1 else 0.0
    print(
        f"broadcast to {members_count} members while patients send /next once a second; "
        f"sandbox {RATE}/s overall, 1/s per chat; {datetime.now(UTC).isoformat(timespec='seconds')}"
    )
    print(
        f"replies  {len(latencies)} answered of {turn} asked: latency median "
        f"{statistics.median(latencies):.3f} s, max {max(latencies):.3f} s "
        f"(goals <= 0.5 s, <= 1.5 s)"
    )
    distinct = len({r["chat_id"] for r in records if r["chat_id"] in member_set})
    print(
        f"broadcast {distinct} members reached, {len(broadcast) - distinct} duplicates, in "
        f"{elapsed:.1f} s = {rate:.2f} msg/s = {rate / RATE:.3f} of {RATE}/s (goal >= 0.95); "
        f"429s {stats['rejected_429']}, max {stats['max_per_second']}/s"
    )


def main(argv: Sequence[str] | None = None) -> None:
    """Parse the arguments and run."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--members", type=int, default=10_000)
    parser.add_argument("--repliers", type=int, default=20)
    args = parser.parse_args(argv)
    run(args.members, args.repliers)


if __name__ == "__main__":
    main()
