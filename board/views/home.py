"""The home page: the connected organisation at a glance, with direct ways into the board."""
from django.shortcuts import render
from django.views.decorators.http import require_GET

from board.selectors.home import organisation_overview


@require_GET
def home(request):
    context = {"overview": organisation_overview(organisation=request.organisation)} if request.organisation else {}
    return render(request, "board/home.html", context)
