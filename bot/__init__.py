"""Steady: a peer-support Discord bot for intensive outpatient program communities."""
