"""Reads of saved views: a user's named board filters in an organisation."""
from board.models import SavedView


def saved_views_for(*, organisation, user) -> list[SavedView]:
    return list(SavedView.objects.filter(organisation=organisation, user=user).order_by("name"))
