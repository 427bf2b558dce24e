"""An export too large for one attachment is split into complete JSON files, never cut."""

from __future__ import annotations

import json
from typing import Any

import pytest

from bot.services.privacy.export_files import (
    ExportTooLarge,
    export_files,
    member_ids,
    with_names,
)


def _document(checkins: int) -> dict[str, Any]:
    return {
        "schema_version": 1,
        "server_id": 1,
        "member_id": 2,
        "features": {
            "settings": {"timezone": "Europe/London"},
            "checkins": {
                "entries": [{"mood": n % 5, "note": f"note number {n} ✓"} for n in range(checkins)],
                "schedule": "daily",
            },
            "sobriety": {"counters": [{"label": "alcohol"}]},
        },
    }


def _joined(files: list[tuple[str, bytes]]) -> dict[str, Any]:
    features: dict[str, Any] = {}
    for _name, content in files:
        part = json.loads(content)
        for feature, data in part["features"].items():
            target = features.setdefault(feature, {})
            for key, value in data.items():
                if isinstance(value, list) and isinstance(target.get(key), list):
                    target[key].extend(value)
                else:
                    target[key] = value
    return features


def test_a_small_export_is_one_file_named_steady_export() -> None:
    files = export_files(_document(3), limit=10_000)
    assert [name for name, _ in files] == ["steady-export.json"]
    assert json.loads(files[0][1]) == _document(3)


def test_a_large_export_is_split_into_parts_under_the_limit_holding_everything() -> None:
    document = _document(500)
    files = export_files(document, limit=4_000)
    assert len(files) > 3
    count = len(files)
    for number, (name, content) in enumerate(files, start=1):
        assert len(content) <= 4_000
        part = json.loads(content)
        assert name == f"steady-export-{number}-of-{count}.json"
        assert (part["part"], part["parts"], part["schema_version"]) == (number, count, 1)
    assert _joined(files) == document["features"]


def test_an_item_too_large_for_any_file_is_an_error_not_a_cut() -> None:
    document = _document(1)
    document["features"]["checkins"]["entries"][0]["note"] = "x" * 5_000
    with pytest.raises(ExportTooLarge):
        export_files(document, limit=4_000)


def test_other_people_are_named_beside_their_ids() -> None:
    document = {"pairs": [{"other_member_id": 7, "state": "active"}], "viewer_member_id": 8}
    assert member_ids(document) == {7, 8}
    named = with_names(document, {7: "Sam"}, "a former member")
    assert named == {
        "pairs": [{"other_member": "Sam", "other_member_id": 7, "state": "active"}],
        "viewer_member": "a former member",
        "viewer_member_id": 8,
    }
