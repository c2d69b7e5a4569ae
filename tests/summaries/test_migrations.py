"""summaries 0002: outbox messages kept before it are given the account they were for, where that is certain."""
import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

BEFORE = [("summaries", "0001_initial")]
AFTER = [("summaries", "0002_outboxmessage_user")]


def migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


@pytest.mark.django_db(transaction=True)
def test_the_outbox_backfill_names_the_summarys_user_or_the_one_member_with_the_address():
    apps = migrate(BEFORE)
    try:
        User = apps.get_model("auth", "User")
        Organisation = apps.get_model("accounts", "Organisation")
        Membership = apps.get_model("accounts", "Membership")
        Summary = apps.get_model("summaries", "Summary")
        Outbox = apps.get_model("summaries", "OutboxMessage")
        north = Organisation.objects.create(name="Northwind")
        south = Organisation.objects.create(name="Southpaw")
        manager = User.objects.create(username="manager", email="m@example.test")
        lookalike = User.objects.create(username="lookalike", email="M@example.test")  # same address, other org
        Membership.objects.create(user=manager, organisation=north, role="manager")
        Membership.objects.create(user=lookalike, organisation=south, role="admin")
        summary = Summary.objects.create(organisation=north, user=manager, local_time="08:00")

        def kept(subject, *, recipient="m@example.test", organisation=None, headers=None):
            return Outbox.objects.create(recipient=recipient, subject=subject, organisation=organisation,
                                         headers=headers or {}).pk

        ids = {
            "summary": kept("summary", organisation=north, headers={"X-Seamline-Summary": str(summary.pk)}),
            "member": kept("member", organisation=south),  # only lookalike is a member of south
            "ambiguous": kept("ambiguous"),  # two accounts have the address, no organisation
            "stranger": kept("stranger", recipient="nobody@example.test", organisation=north),
            "wrong org": kept("wrong org", organisation=south, headers={"X-Seamline-Summary": str(summary.pk)}),
        }
    finally:
        apps = migrate(AFTER)

    Outbox = apps.get_model("summaries", "OutboxMessage")
    users = {name: Outbox.objects.get(pk=pk).user_id for name, pk in ids.items()}
    assert users == {
        "summary": manager.pk, "member": lookalike.pk, "ambiguous": None, "stranger": None,
        "wrong org": lookalike.pk,  # the summary is another organisation's: the address decides, within south
    }
