"""Signals of the accounts app: what other apps may react to without accounts knowing them."""
from django.dispatch import Signal

# Sent after an organisation was connected (or reconnected) to Uphance (kwargs: organisation).
# The production sync starts its first full pass on it.
uphance_connected = Signal()
