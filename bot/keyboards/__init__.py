"""Inline keyboards shared by several flows (the date picker)."""
