"""Puts the current organisation and membership in every template."""


def organisation(request):
    return {
        "current_organisation": getattr(request, "organisation", None),
        "current_membership": getattr(request, "membership", None),
    }
