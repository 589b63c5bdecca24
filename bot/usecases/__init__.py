"""Use-cases: one function per thing a patient or staff member wants, one transaction each.

They know storage and rules, never Telegram: handlers parse, call one, and render its result.
"""
