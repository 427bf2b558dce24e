"""Storage: the models, the engine and the one way services get a transaction."""

from bot.db.database import Database

__all__ = ["Database"]
