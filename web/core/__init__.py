"""The clinic's rules and data: no web framework and no templates in here."""
