"""Signals of the production sync: what other apps may react to without the sync knowing them."""
from django.dispatch import Signal

# Sent after a production sync pass that changed something (kwargs: organisation, run).
# The customers app relinks demand on it (and so Shipup hears of it); the board warms its cache.
production_synced = Signal()
