"""View decorators: an organisation is required, and some pages need a manager or an admin."""
from functools import wraps

from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect


def organisation_required(view):
    """Every organisation-scoped view: without a membership the user is sent to the home page."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if request.organisation is None:
            return redirect("home")
        return view(request, *args, **kwargs)

    return wrapper


def role_required(*, manager: bool = False, admin: bool = False):
    def decorator(view):
        @wraps(view)
        @organisation_required
        def wrapper(request, *args, **kwargs):
            membership = request.membership
            if (admin and not membership.is_admin) or (manager and not membership.is_manager):
                raise PermissionDenied("Your role in this organisation does not allow this.")
            return view(request, *args, **kwargs)

        return wrapper

    return decorator


manager_required = role_required(manager=True)
admin_required = role_required(admin=True)
