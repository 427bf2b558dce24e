"""Privacy as a structural property: every feature exports and erases the member data it owns."""
