"""Delivery: the outbox every feature writes to, and the dispatcher that sends it to Discord.

`outbox` (messages: send, edit, replace, cancel) and `operations` (threads, scheduled events)
have no discord import: services use them inside their transactions. `dispatcher` (lanes,
claims), `sending` and `operation_calls` (the REST edge), `recording` (outcomes and feature
hooks) and `components` talk to Discord; `privacy`, `history` and `outcomes` are their rules.
"""
