"""The pure rules of delivery: who can see a fallback channel, recognising a message already
posted, the operations' parameters."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bot.delivery import history, privacy
from bot.delivery import operations as ops

GUILD = 100
MODS = 200
MEMBERS = 300
ADMINS = 400
VIEW = privacy.VIEW_CHANNEL


def roles(everyone: int = VIEW) -> list[dict[str, object]]:
    return [
        {"id": str(GUILD), "permissions": str(everyone)},
        {"id": str(MODS), "permissions": "0"},
        {"id": str(MEMBERS), "permissions": str(VIEW)},
        {"id": str(ADMINS), "permissions": str(privacy.ADMINISTRATOR)},
    ]


def channel(*overwrites: tuple[int, int, int]) -> dict[str, object]:
    return {
        "type": 0,
        "permission_overwrites": [
            {"id": str(i), "type": 0, "allow": str(a), "deny": str(d)} for i, a, d in overwrites
        ],
    }


def test_a_channel_everyone_can_see_is_public() -> None:
    assert privacy.viewing_roles(channel(), roles(), GUILD) is None


def test_a_hidden_channel_is_seen_by_the_roles_allowed_and_by_administrators() -> None:
    hidden = channel((GUILD, 0, VIEW), (MODS, VIEW, 0), (MEMBERS, 0, VIEW))
    assert privacy.viewing_roles(hidden, roles(), GUILD) == {MODS, ADMINS}


def test_a_role_base_permission_does_not_undo_the_everyone_overwrite() -> None:
    # Discord applies the @everyone overwrite after all base permissions: only a role's own
    # overwrite (or Administrator) lets it back in.
    hidden = channel((GUILD, 0, VIEW))
    assert privacy.viewing_roles(hidden, roles(), GUILD) == {ADMINS}


def test_a_server_where_everyone_lacks_view_channel_needs_no_overwrite() -> None:
    assert privacy.viewing_roles(channel(), roles(everyone=0), GUILD) == {MEMBERS, ADMINS}


def test_private_means_the_viewing_roles_are_held_by_at_most_half_the_members() -> None:
    counts = {MODS: 3, MEMBERS: 95, ADMINS: 1}
    assert privacy.few_enough({MODS, ADMINS}, counts, 100)
    assert not privacy.few_enough({MODS, MEMBERS}, counts, 100)
    assert not privacy.few_enough({MODS}, counts, 0)  # unknown size: not private


def test_threads_and_dms() -> None:
    assert privacy.is_thread_or_dm_private({"type": 12}) is True
    assert privacy.is_thread_or_dm_private({"type": 1}) is True
    assert privacy.is_thread_or_dm_private({"type": 11}) is None  # judged by its parent


ME = 42
WHEN = datetime(2026, 3, 1, 12, tzinfo=UTC)


def message(i: int, content: str, author: int = ME, **extra: object) -> dict[str, object]:
    return {"id": str(i), "author": {"id": str(author)}, "content": content, **extra}


def test_the_oldest_own_untaken_copy_is_found() -> None:
    payload = {"content": "Day 30", "embeds": [], "components": []}
    recent = [
        message(5, "Day 30"),
        message(3, "Day 30", author=7),  # someone quoting it
        message(4, "Day 30"),
        message(2, "Day 3"),
    ]
    assert history.find_posted(payload, recent, author_id=ME, taken=set()) == 4
    assert history.find_posted(payload, recent, author_id=ME, taken={4}) == 5
    assert history.find_posted(payload, recent, author_id=ME, taken={4, 5}) is None


def test_buttons_and_embeds_tell_messages_apart() -> None:
    def button(row: int) -> list[dict[str, object]]:
        return [{"type": 1, "components": [{"type": 2, "custom_id": f"steady:ack:{row}"}]}]

    payload = {"content": "", "embeds": [{"title": "Check-in"}], "components": button(9)}
    recent = [
        message(1, "", embeds=[{"title": "Check-in", "type": "rich"}], components=button(8)),
        message(2, "", embeds=[{"title": "Check-in", "type": "rich"}], components=button(9)),
    ]
    assert history.find_posted(payload, recent, author_id=ME, taken=set()) == 2


def test_snowflakes_grow_with_time() -> None:
    assert history.snowflake_at(WHEN + timedelta(seconds=1)) > history.snowflake_at(WHEN)
    assert history.snowflake_at(datetime(2015, 1, 1, tzinfo=UTC)) == 0


def test_operations_refuse_what_discord_would() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        ops.create_event(name="Group", start=datetime(2026, 3, 1, 12), location="Room 4")
    with pytest.raises(ValueError, match="location or in a voice channel"):
        ops.create_event(name="Group", start=WHEN)
    with pytest.raises(ValueError, match="1 to 100"):
        ops.create_thread(1, "")
    with pytest.raises(ValueError, match="say what changes"):
        ops.edit_thread()
    event = ops.create_event(name="Group", start=WHEN, end=WHEN + timedelta(hours=1), location="X")
    assert event.params["scheduled_start_time"] == "2026-03-01T12:00:00+00:00"
    assert ops.create_thread(1, "pair").params["type"] == ops.PRIVATE_THREAD
