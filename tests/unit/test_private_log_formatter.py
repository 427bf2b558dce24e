"""Steady's log formatter: a traceback shows where and what kind of error, never its words."""

from __future__ import annotations

import logging
import sys

from bot.logs import PrivateFormatter, setup_logging


def _record_of_chained_failure() -> logging.LogRecord:
    note = " ".join(("a", "rough", "patch"))  # what a member wrote (not in the source lines)
    try:
        try:
            raise KeyError(note)
        except KeyError as exc:
            raise RuntimeError(f"saving {note!r} failed") from exc
    except RuntimeError:
        return logging.LogRecord(
            "bot.test", logging.ERROR, __file__, 1, "saving failed", None, sys.exc_info()
        )


def test_a_chained_traceback_keeps_frames_and_classes_but_no_message() -> None:
    record = _record_of_chained_failure()

    text = PrivateFormatter().format(record)

    assert "rough patch" not in text
    assert "builtins.KeyError" in text
    assert "builtins.RuntimeError" in text
    assert "direct cause" in text
    assert "_record_of_chained_failure" in text  # the frames are still there
    assert text.index("KeyError") < text.index("RuntimeError")  # oldest first, as Python


def test_a_handler_formatting_after_steadys_reuses_the_safe_traceback() -> None:
    record = _record_of_chained_failure()
    PrivateFormatter().format(record)

    assert "rough patch" not in logging.Formatter().format(record)


def test_steadys_log_handler_uses_the_private_formatter() -> None:
    root = logging.getLogger()
    saved_handlers, saved_level = list(root.handlers), root.level
    try:
        setup_logging("INFO")
        assert isinstance(root.handlers[0].formatter, PrivateFormatter)
    finally:
        root.handlers[:] = saved_handlers
        root.setLevel(saved_level)
