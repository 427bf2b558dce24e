"""Review: a viewing role whose holders Discord did not count makes a channel private.

`few_enough` reads a missing count as 0 holders, the one reading that errs towards posting a
private message: a role created between the two requests, or one the counts leave out (a
"Members" role everyone holds), then makes a channel everyone can see look private.
"""

from __future__ import annotations

from bot.delivery import privacy

MEMBERS_ROLE = 55


def test_a_viewing_role_without_a_count_is_not_assumed_to_be_held_by_nobody() -> None:
    assert privacy.few_enough({MEMBERS_ROLE}, {}, members=100) is False


def test_counted_roles_are_judged_as_before() -> None:
    assert privacy.few_enough({MEMBERS_ROLE}, {MEMBERS_ROLE: 10}, members=100) is True
    assert privacy.few_enough({MEMBERS_ROLE}, {MEMBERS_ROLE: 60}, members=100) is False
