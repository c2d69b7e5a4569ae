"""Sets `request.membership` and `request.organisation`: the user's current organisation.

The current organisation is kept in the session; a user who belongs to several switches with
`accounts:switch`. Anonymous users and users with no membership get None for both.
"""
SESSION_KEY = "organisation_id"


def current_membership(request):
    user = request.user
    if not user.is_authenticated:
        return None
    memberships = user.memberships.select_related("organisation").order_by("organisation__name")
    wanted = request.session.get(SESSION_KEY)
    if wanted is not None:
        membership = next((m for m in memberships if m.organisation_id == wanted), None)
        if membership is not None:
            return membership
    return memberships.first()


class CurrentOrganisationMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request.membership = current_membership(request)
        request.organisation = request.membership.organisation if request.membership else None
        return self.get_response(request)
