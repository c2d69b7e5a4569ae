"""Who may still receive a summary: an active account that is still a member of the summary's organisation.

A summary holds its organisation's orders, products and customers at risk, so it stops the moment
its user leaves the organisation or the account is deactivated; checked when choosing what is due
and again just before sending.
"""
from django.contrib.auth import get_user_model
from django.db.models import Exists, OuterRef, QuerySet

from accounts.models import Membership
from summaries.models import Summary


def _is_member():
    return Exists(Membership.objects.filter(user=OuterRef("user_id"), organisation=OuterRef("organisation_id")))


def summaries_receivable(queryset: QuerySet[Summary]) -> QuerySet[Summary]:
    """`queryset` narrowed to summaries whose user is active and a member of their organisation."""
    return queryset.filter(_is_member(), user__is_active=True)


def summary_recipient_problem(*, summary: Summary) -> str:
    """Why `summary` must not be sent to its user now, or "" when it may (read fresh from the database)."""
    user = get_user_model().objects.filter(pk=summary.user_id).values("is_active").first()
    if user is None or not user["is_active"]:
        return f"{summary.user} is deactivated."
    if not Membership.objects.filter(user_id=summary.user_id, organisation_id=summary.organisation_id).exists():
        return f"{summary.user} is no longer a member of {summary.organisation}."
    return ""


def organisation_summaries(*, organisation) -> list[dict]:
    """Every summary in the organisation, for its admins: whose, what and whether it can still go out."""
    summaries = (
        Summary.objects.filter(organisation=organisation)
        .select_related("user", "saved_view")
        .annotate(is_member=_is_member())
        .order_by("user__username", "id")
    )
    rows = []
    for summary in summaries:
        if not summary.user.is_active:
            problem = "Account deactivated"
        elif not summary.is_member:
            problem = "No longer a member"
        else:
            problem = ""
        rows.append({"summary": summary, "problem": problem})
    return rows
