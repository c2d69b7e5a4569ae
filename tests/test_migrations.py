"""The upgrade from the single-app layout: a database at the previous main's migrations, with data
in it, migrates to today's apps (models moved between apps keep their tables and rows)."""
import datetime as dt

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.db.migrations.loader import MigrationLoader
from django.utils import timezone

OUR_APPS = ("accounts", "production", "customers", "board", "summaries")
# The previous main: one initial migration per app, before board and summaries existed.
BEFORE = [("accounts", "0001_initial"), ("production", "0001_initial"), ("customers", "0001_initial"),
          ("board", None), ("summaries", None)]
NOW = timezone.make_aware(dt.datetime(2026, 3, 2, 9, 0), dt.UTC)


def latest() -> list[tuple[str, str]]:
    graph = MigrationLoader(None, ignore_no_migrations=True).graph
    return sorted(node for node in graph.leaf_nodes() if node[0] in OUR_APPS)


class Migrator:
    """Migrates the test database backwards and forwards with Django's own executor."""

    def migrate(self, targets):
        executor = MigrationExecutor(connection)
        executor.migrate(targets)
        executor.loader.build_graph()
        return executor.loader.project_state([t for t in targets if t[1] is not None])


@pytest.fixture
def migrator(transactional_db):
    migrator = Migrator()
    yield migrator
    migrator.migrate(latest())  # leave the database as every other test expects it


def test_upgrade_keeps_every_moved_row(migrator):
    old = migrator.migrate(BEFORE)
    Organisation = old.apps.get_model("accounts", "Organisation")
    User = old.apps.get_model("auth", "User")
    org = Organisation.objects.create(name="Northwind", uphance_id=35802, time_zone="Europe/London")
    user = User.objects.create(username="maria", email="maria@example.com")
    old.apps.get_model("accounts", "Membership").objects.create(user=user, organisation=org, role="manager")
    saved = old.apps.get_model("production", "SavedView").objects.create(
        organisation=org, user=user, name="Sewing at Bolide", query="stage=2&manufacturer=7", is_default=True
    )
    summary = old.apps.get_model("production", "Summary").objects.create(
        organisation=org, user=user, saved_view=saved, kind="daily", local_time=dt.time(8), time_zone="Europe/London",
    )
    old.apps.get_model("production", "SummaryDelivery").objects.create(
        summary=summary, period_start=NOW, status="sent", trigger="schedule",
    )
    old.apps.get_model("production", "OutboxMessage").objects.create(
        organisation=org, recipient="maria@example.com", subject="Daily summary", text_body="…",
    )
    old.apps.get_model("accounts", "WebhookEvent").objects.create(
        organisation=org, event="receiving_ticket_update", body_sha256="a" * 64, uphance_object_id=20123,
    )
    old.apps.get_model("production", "ProductionOrder").objects.create(
        organisation=org, uphance_id=9001, number="PO-9001", due_date=dt.date(2026, 3, 12),
        in_warehouse_date=dt.date(2026, 3, 20),
    )

    new = migrator.migrate(latest())

    saved_view = new.apps.get_model("board", "SavedView").objects.get()
    assert (saved_view.name, saved_view.query, saved_view.is_default) == ("Sewing at Bolide", "stage=2&manufacturer=7", True)
    summary = new.apps.get_model("summaries", "Summary").objects.get()
    assert summary.saved_view_id == saved_view.pk and summary.user_id == user.pk
    assert new.apps.get_model("summaries", "SummaryDelivery").objects.get().summary_id == summary.pk
    assert new.apps.get_model("summaries", "OutboxMessage").objects.get().subject == "Daily summary"
    event = new.apps.get_model("production", "WebhookEvent").objects.get()
    assert (event.event, event.uphance_object_id, event.organisation_id) == ("receiving_ticket_update", 20123, org.pk)
    order = new.apps.get_model("production", "ProductionOrder").objects.get()
    # Orders held before slips were recorded: their dates are the first Seamline knows.
    assert (order.original_due_date, order.original_in_warehouse_date) == (dt.date(2026, 3, 12), dt.date(2026, 3, 20))
    # Permissions follow their model: the content types moved with it.
    ContentType = new.apps.get_model("contenttypes", "ContentType")
    labels = set(ContentType.objects.filter(model__in=["savedview", "summary", "webhookevent"]).values_list("app_label", "model"))
    assert not labels & {("production", "savedview"), ("production", "summary"), ("accounts", "webhookevent")}
