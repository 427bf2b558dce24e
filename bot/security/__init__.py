"""Protecting what members write: encryption of notes at rest."""
