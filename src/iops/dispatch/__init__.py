"""Dispatch: units, their status and position, assignments to incidents, the live board and the
figures for command.

Units report their status (available, assigned, en route, at scene...) and position; a dispatcher
assigns the unit recommended for an incident (available, with the skills it needs, soonest to
arrive); the first unit at scene stops the incident's attendance clock. The live board shows it all
and changes on every connected screen as it happens, by server-sent events.
"""
