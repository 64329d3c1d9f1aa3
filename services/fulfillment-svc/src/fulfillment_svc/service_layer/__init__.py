"""Handlers: carry out commands and consumed events in a unit of work, through ports."""
