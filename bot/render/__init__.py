"""Texts the bot shows, built from domain objects in the patient's language (HTML)."""
