"""Profiles that ship with the box."""
