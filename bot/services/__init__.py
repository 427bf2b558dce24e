"""Use cases: each public coroutine is one transaction. No `discord` import here."""
