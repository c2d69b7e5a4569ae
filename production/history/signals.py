"""Signals of the stage history."""
from django.dispatch import Signal

# Sent after an organisation's spans were refreshed (kwargs: organisation). Analytics rebuilds
# its own derived tables on it, after the spans, in the same worker.
stage_history_refreshed = Signal()
