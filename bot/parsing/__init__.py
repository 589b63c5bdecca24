"""Reading what patients type: dates and free-text treatment notes."""
