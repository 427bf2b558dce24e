"""Timed work: the due-work ledger, claiming, lateness policies, repairs and the wake-up jobs.

Features call `ledger.schedule`/`ledger.cancel` inside their own transactions and hand the bot a
`WorkKind` per kind of item (`kinds.py`); the `LedgerRunner` (`runner.py`) claims due rows and
runs the kinds' handlers; `rebuild.py` re-creates missing work daily; `wakeups.py` wakes the
process.

The one lock order (`locks.py`), for every feature: a feature's domain row first, then its
due_work rows, then outbox rows. The runner takes them in that order through the kind's
`lock_subject`; a command locks its row (`locks.lock_row`/`locks.relock`) before it schedules
or cancels work. A handler receives its subject already locked and re-checks it.
"""
