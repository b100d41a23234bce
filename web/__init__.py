"""A neurosurgery clinic's patient site."""
