"""Pure rules for daily check-ins: input, risk, prompt timing, quiet signals and escalation.

- `inputs`: reading mood, craving, notes, schedule options and pause dates, with kind errors;
- `risk`: which check-ins raise an alert, whether it is urgent, and the reason in words;
- `schedule`: the next prompt instant in the member's zone, and when a prompt is too late;
- `trend`: the reply's short mood trend and the history averages;
- `signals`: silence (missed prompts) and a falling mood, the nudges that go to a mentor only;
- `escalation`: the alert's state machine, from the mentor's DM to the moderators.
"""
