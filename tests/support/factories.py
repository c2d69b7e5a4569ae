"""factory_boy factories shared by the whole suite."""
import datetime as dt

import factory
from django.contrib.auth import get_user_model
from django.utils import timezone

from accounts.models import Membership, Organisation
from production.models import (
    LineItem,
    LineQuantity,
    Manufacturer,
    ProductionOrder,
    Season,
    Stage,
    StagePeriod,
    Warehouse,
)


class OrganisationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Organisation

    name = factory.Sequence(lambda n: f"Brand {n}")
    uphance_id = factory.Sequence(lambda n: 90000 + n)


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.test")
    password = factory.django.Password("pw")


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Membership

    user = factory.SubFactory(UserFactory)
    organisation = factory.SubFactory(OrganisationFactory)
    role = Membership.Role.MANAGER


class ManufacturerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Manufacturer

    organisation = factory.SubFactory(OrganisationFactory)
    uphance_id = factory.Sequence(lambda n: 59000 + n)
    name = factory.Sequence(lambda n: f"Factory {n}")


class SeasonFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Season

    organisation = factory.SubFactory(OrganisationFactory)
    uphance_id = factory.Sequence(lambda n: 12000 + n)
    name = factory.Sequence(lambda n: f"SS{26 + n}")


class WarehouseFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Warehouse

    organisation = factory.SubFactory(OrganisationFactory)
    name = factory.Sequence(lambda n: f"Warehouse {n}")


class StageFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Stage

    organisation = factory.SubFactory(OrganisationFactory)
    name = factory.Sequence(lambda n: f"Stage {n}")
    colour = "#89d7ca"
    position = factory.Sequence(lambda n: n)


class ProductionOrderFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ProductionOrder

    organisation = factory.SubFactory(OrganisationFactory)
    uphance_id = factory.Sequence(lambda n: 20000 + n)
    number = factory.LazyAttribute(lambda o: str(o.uphance_id - 19000))
    manufacturer = factory.SubFactory(ManufacturerFactory, organisation=factory.SelfAttribute("..organisation"))
    season = factory.SubFactory(SeasonFactory, organisation=factory.SelfAttribute("..organisation"))
    status = "confirmed"
    status_raw = "CONFIRMED"
    delivery_status = "not_received"
    delivery_status_raw = "Not Received"
    financial_status = "not_paid"
    financial_status_raw = "Not Paid"
    currency = "EUR"
    created_at = factory.LazyFunction(lambda: timezone.now() - dt.timedelta(days=30))
    due_date = factory.LazyFunction(lambda: timezone.localdate() + dt.timedelta(days=20))
    warehouses = factory.LazyFunction(lambda: ["Primary warehouse"])


class LineItemFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = LineItem

    order = factory.SubFactory(ProductionOrderFactory)
    organisation = factory.SelfAttribute("order.organisation")
    uphance_id = factory.Sequence(lambda n: 140000 + n)
    product_id = factory.Sequence(lambda n: 110000 + n)
    product_name = factory.Sequence(lambda n: f"Style {n} - Knit Sweater")
    product_identifier = factory.Sequence(lambda n: f"33-{8100 + n}")
    colour = "Black"
    units = 12
    has_stages = False
    stage_status = "no_stages"


class LineQuantityFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = LineQuantity

    line_item = factory.SubFactory(LineItemFactory)
    uphance_id = factory.Sequence(lambda n: 740000 + n)
    size = "M"
    quantity = 4
    sku_number = factory.Sequence(lambda n: f"SKU-{n}")
    sku_id = factory.Sequence(lambda n: 1200000 + n)


class StagePeriodFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = StagePeriod

    line_item = factory.SubFactory(LineItemFactory)
    organisation = factory.SelfAttribute("line_item.organisation")
    stage = factory.SubFactory(StageFactory, organisation=factory.SelfAttribute("..organisation"))
    sequence = 0
    is_current = True
    start_time = factory.LazyFunction(lambda: timezone.now() - dt.timedelta(days=3))
    status = "in_progress"
    status_raw = "In Progress"
