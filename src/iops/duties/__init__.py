"""Duties: every obligation as a row with an owner and a clock, escalated when overdue."""
