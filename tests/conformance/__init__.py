"""Independent client libraries run against the simulator (see bot/simulator/README.md).

The clients live outside the project's Python environment: discord.js 14 on Node, pinned by
`discordjs/package-lock.json` and installed with `npm ci` into `.cache/conformance/` (not in
git) the first time a test needs it.
"""
