"""Daily check-ins that reach a human (see DESIGN.md, "Check-ins and escalation").

- `submissions`: a check-in or /sos recorded, with its trend and the alert it raises;
- `alerts`: opening or joining an alert, the escalation steps as due work, claims, stand-downs;
- `prompts`: daily prompts at each member's local time, and silence nudges to their mentor;
- `insights`: history, sharing, and what a mentor may see (every read in the access log);
- `config`: the server's settings and extra crisis lines;
- `upkeep`: note retention and key rotation; `privacy`: export and erasure.
"""

from bot.services.checkins.service import CheckinService

__all__ = ["CheckinService"]
