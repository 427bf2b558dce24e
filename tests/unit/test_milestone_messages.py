from __future__ import annotations

import json

import pytest

from bot.services.milestone_messages import Reached, channel_posts, private_congratulation

# Snowflakes are 18-19 digits; long ones make the longest lines.
BIG_ID = 1_575_609_471_797_821_447


def _group(size: int) -> list[Reached]:
    return [Reached(n, BIG_ID + n, "3 years", belated=n % 2 == 0) for n in range(size)]


def _embed_chars(embeds: tuple[dict[str, object], ...]) -> int:
    return sum(
        len(str(e.get("title", "")))
        + len(str(e.get("description", "")))
        + len(json.dumps(e.get("footer", {})))
        for e in embeds
    )


@pytest.mark.parametrize("size", [6, 40, 120, 500])
def test_grouped_posts_stay_within_discords_limits_and_name_everyone_once(size: int) -> None:
    posts = channel_posts(_group(size), handful=5)
    carried = [cid for _post, ids in posts for cid in ids]
    assert sorted(carried) == list(range(size))
    for post, ids in posts:
        assert ids
        assert 1 <= len(post.embeds) <= 10
        assert _embed_chars(post.embeds) <= 6000
        for embed in post.embeds:
            assert len(str(embed["description"])) <= 4096
        text = " ".join(str(e["description"]) for e in post.embeds)
        assert all(f"<@{BIG_ID + cid}>" in text for cid in ids)
    if size <= 40:
        assert len(posts) == 1


def test_a_handful_get_a_post_each_and_six_are_grouped() -> None:
    assert len(channel_posts(_group(5), handful=5)) == 5
    assert len(channel_posts(_group(6), handful=5)) == 1


def test_private_words_are_kind_and_name_the_label() -> None:
    on_time = private_congratulation("30 days", "alcohol", belated=False).embeds[0]
    assert on_time["title"] == "🎉 30 days"
    assert "alcohol" in on_time["description"]
    late = private_congratulation("1 year", "alcohol", belated=True).embeds[0]
    assert late["title"] == "🎉 1 year"
    assert "late" in late["description"]
