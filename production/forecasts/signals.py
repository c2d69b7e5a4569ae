"""Signals of the forecasts."""
from django.dispatch import Signal

# Sent after a recompute that changed stored forecasts (kwargs: organisation, run: services.ForecastRun).
# The board can version or warm its cache on it, summaries can look for newly predicted-late items.
forecasts_recomputed = Signal()
