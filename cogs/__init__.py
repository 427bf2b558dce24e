"""Discord adapters: each module parses an interaction, calls a service and renders the result."""

# The order cogs are loaded in; `python -m bot run`, the simulator and the cog walk test share it.
EXTENSIONS: tuple[str, ...] = (
    "cogs.setup",
    "cogs.timezone",
    "cogs.sobriety",
    "cogs.crisis",
    # After cogs.setup: it adds /setup checkins and /setup crisis-line to that group.
    "cogs.checkins",
    "cogs.mentoring",
    "cogs.privacy",
    # After cogs.setup: it adds /setup meetings to that group.
    "cogs.meetings",
)
