"""Storage: the models, the engine and the one way services get a transaction."""

from bot.db.database import Database
from bot.db.write_turns import Urgency

__all__ = ["Database", "Urgency"]
