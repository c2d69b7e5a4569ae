"""Writing pages of orders: what two passes running at once must not break."""
import pytest
from django.db import transaction

from integrations.uphance.payloads import StageEntry
from production.models import Stage
from production.sync.upsert import StageBook

pytestmark = pytest.mark.django_db


def entries(*names):
    return [StageEntry(name=name, stage_color="#123456", status="In Progress") for name in names]


def test_two_passes_learning_the_same_new_stage_at_once_share_one_row(organisation):
    Stage.objects.create(organisation=organisation, name="Cutting", position=0)
    first, second = StageBook(organisation), StageBook(organisation)  # both read the stages before either saved
    first.learn(entries("Cutting", "Embroidery"))
    second.learn(entries("Cutting", "Embroidery"))

    with transaction.atomic():
        first.save()
    with transaction.atomic():  # the second pass's page transaction survives and goes on
        second.save()
        assert Stage.objects.filter(organisation=organisation).count() == 2

    row = Stage.objects.get(organisation=organisation, name="Embroidery")
    assert first.by_name["Embroidery"].pk == second.by_name["Embroidery"].pk == row.pk
    assert row.position == 1
