"""Signals of the customers app: what other parts may react to without the customers services knowing them."""
from django.dispatch import Signal

# Sent after an organisation's demand links were rebuilt (kwargs: organisation, links).
# customers.shipup pushes what changed to Shipup on it.
demand_relinked = Signal()
