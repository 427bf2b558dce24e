"""Timed work: the due-work ledger, claiming, lateness policies and the wake-up jobs.

Features call `ledger.schedule`/`ledger.cancel` inside their own transactions and hand the bot a
`WorkKind` per kind of item; the `LedgerRunner` claims due rows and runs the kinds' handlers.
"""
