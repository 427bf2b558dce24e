"""Delivery: the outbox every feature writes to, and the dispatcher that sends it to Discord.

`outbox` has no discord import (services use it inside their transactions); `dispatcher`
and `components` are the REST edge.
"""
