"""Customers, their contacts, addresses and agents, their sales orders, and the demand they put on production.

Every row belongs to an organisation and is keyed by its Uphance id within it. Status fields hold
the normalised key (`not_shipped`) beside the raw payload value. Payload fields Seamline has no
column for are kept in `extra`, so nothing Uphance sends is lost.
"""
from django.db import models
from django.utils import timezone

from production.models.orders import OrgScoped

# Sales-order statuses (normalised) after which nobody waits for the goods any more.
CLOSED_ORDER_STATUSES = frozenset(
    {"cancelled", "canceled", "closed", "complete", "completed", "void", "voided", "archived", "deleted", "rejected"}
)
CANCELLED_STATUSES = frozenset({"cancelled", "canceled", "void", "voided", "deleted", "rejected"})
SHIPPED_FULFILLMENT_STATUSES = frozenset({"shipped", "fulfilled", "delivered", "complete", "completed"})


class SyncedRow(OrgScoped):
    """A row copied from an Uphance payload: the hash of what was last written, and when it was seen."""

    uphance_id = models.BigIntegerField()
    extra = models.JSONField(default=dict, blank=True, help_text="Payload fields Seamline has no column for")
    content_hash = models.CharField(max_length=32, blank=True, help_text="Hash of the payload last written")
    first_seen_at = models.DateTimeField(default=timezone.now)
    last_synced_at = models.DateTimeField(default=timezone.now)

    class Meta:
        abstract = True


class Channel(SyncedRow):
    name = models.CharField(max_length=255, blank=True)

    class Meta:
        ordering = ["name"]
        constraints = [models.UniqueConstraint(fields=["organisation", "uphance_id"], name="channel_uphance_id")]

    def __str__(self):
        return self.name or f"Channel {self.uphance_id}"


class Agent(SyncedRow):
    """A sales agent; shared by the customers and sales orders of an organisation."""

    name = models.CharField(max_length=255, null=True, blank=True)
    email = models.CharField(max_length=255, null=True, blank=True)
    phone = models.CharField(max_length=64, null=True, blank=True)
    address = models.TextField(null=True, blank=True)
    city = models.CharField(max_length=255, null=True, blank=True)
    postal_code = models.CharField(max_length=64, null=True, blank=True)
    country = models.CharField(max_length=64, null=True, blank=True)
    currency = models.CharField(max_length=8, null=True, blank=True)

    class Meta:
        ordering = ["name"]
        constraints = [models.UniqueConstraint(fields=["organisation", "uphance_id"], name="agent_uphance_id")]

    def __str__(self):
        return self.name or f"Agent {self.uphance_id}"


class CustomerQuerySet(models.QuerySet):
    def present(self):
        return self.filter(removed_at__isnull=True)


class Customer(SyncedRow):
    name = models.CharField(max_length=255, null=True, blank=True)
    company_type = models.CharField(max_length=64, null=True, blank=True)
    customer_type = models.CharField(max_length=64, null=True, blank=True)
    country = models.CharField(max_length=64, null=True, blank=True)
    city = models.CharField(max_length=255, null=True, blank=True)
    vat_number = models.CharField(max_length=64, null=True, blank=True)
    channel = models.ForeignKey(Channel, null=True, blank=True, on_delete=models.SET_NULL, related_name="customers")
    channel_uphance_id = models.BigIntegerField(null=True, blank=True)
    channel_name = models.CharField(max_length=255, null=True, blank=True)
    currency = models.CharField(max_length=8, null=True, blank=True)
    notes = models.TextField(null=True, blank=True)
    reference = models.CharField(max_length=255, null=True, blank=True)
    orders_count = models.IntegerField(null=True, blank=True)
    last_order = models.JSONField(null=True, blank=True)
    outstanding_amounts = models.JSONField(default=list, blank=True)
    purchase_amounts = models.JSONField(default=list, blank=True)
    invoices = models.JSONField(default=list, blank=True)
    agents = models.ManyToManyField(Agent, blank=True, related_name="customers")

    is_active = models.BooleanField(default=True, help_text="Uphance lists the customer as active")
    status_raw = models.CharField(max_length=64, blank=True, help_text="The status as Uphance sent it, if it did")
    is_stub = models.BooleanField(
        default=False, help_text="Known only from a sales order so far; the customer sync fills it in"
    )
    removed_at = models.DateTimeField(null=True, blank=True, help_text="Uphance no longer returns it")

    objects = CustomerQuerySet.as_manager()

    class Meta:
        ordering = ["name", "uphance_id"]
        constraints = [models.UniqueConstraint(fields=["organisation", "uphance_id"], name="customer_uphance_id")]
        indexes = [models.Index(fields=["organisation", "is_active", "name"])]

    def __str__(self):
        return self.name or f"Customer {self.uphance_id}"


class Contact(SyncedRow):
    """A person at a customer (Uphance calls them people)."""

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="contacts")
    first_name = models.CharField(max_length=255, null=True, blank=True)
    last_name = models.CharField(max_length=255, null=True, blank=True)
    position = models.CharField(max_length=255, null=True, blank=True)
    phone_1 = models.CharField(max_length=64, null=True, blank=True)
    phone_2 = models.CharField(max_length=64, null=True, blank=True)
    email = models.CharField(max_length=255, null=True, blank=True)
    notes = models.TextField(null=True, blank=True)
    buyer = models.BooleanField(null=True, blank=True)
    shipping = models.BooleanField(null=True, blank=True)
    billing = models.BooleanField(null=True, blank=True)
    sequence = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["customer_id", "sequence"]
        constraints = [models.UniqueConstraint(fields=["organisation", "uphance_id"], name="contact_uphance_id")]

    def __str__(self):
        return " ".join(p for p in (self.first_name, self.last_name) if p) or self.email or f"Contact {self.uphance_id}"

    @property
    def roles(self) -> list[str]:
        return [name for name in ("buyer", "shipping", "billing") if getattr(self, name)]


class Address(SyncedRow):
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="addresses")
    line_1 = models.TextField(null=True, blank=True)
    line_2 = models.TextField(null=True, blank=True)
    line_3 = models.TextField(null=True, blank=True)
    city = models.CharField(max_length=255, null=True, blank=True)
    state = models.CharField(max_length=255, null=True, blank=True)
    country = models.CharField(max_length=64, null=True, blank=True)
    postcode = models.CharField(max_length=64, null=True, blank=True)
    default_for_shipping = models.BooleanField(null=True, blank=True)
    default_for_billing = models.BooleanField(null=True, blank=True)
    sequence = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["customer_id", "sequence"]
        constraints = [models.UniqueConstraint(fields=["organisation", "uphance_id"], name="address_uphance_id")]
        verbose_name_plural = "addresses"

    def __str__(self):
        return ", ".join(p for p in (self.line_1, self.city, self.country) if p)

    @property
    def lines(self) -> list[str]:
        return [p for p in (self.line_1, self.line_2, self.line_3) if p]


class SalesOrderQuerySet(models.QuerySet):
    def open(self):
        """Sales orders still waiting for goods: not cancelled/closed, not fully shipped, still in Uphance."""
        return self.filter(is_open=True, removed_at__isnull=True)


class SalesOrder(SyncedRow):
    order_number = models.CharField(max_length=64, null=True, blank=True)
    purchase_order_ref = models.CharField(max_length=255, null=True, blank=True)
    customer = models.ForeignKey(Customer, null=True, blank=True, on_delete=models.SET_NULL, related_name="sales_orders")
    customer_uphance_id = models.BigIntegerField(null=True, blank=True, help_text="company_id")
    company_name = models.CharField(max_length=255, null=True, blank=True)
    channel = models.ForeignKey(Channel, null=True, blank=True, on_delete=models.SET_NULL, related_name="sales_orders")
    channel_uphance_id = models.BigIntegerField(null=True, blank=True)
    channel_name = models.CharField(max_length=255, null=True, blank=True)
    season = models.ForeignKey(
        "production.Season", null=True, blank=True, on_delete=models.SET_NULL, related_name="sales_orders"
    )
    season_uphance_id = models.BigIntegerField(null=True, blank=True)
    uphance_organisation_id = models.BigIntegerField(null=True, blank=True)
    agents = models.ManyToManyField(Agent, blank=True, related_name="sales_orders")

    created_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(null=True, blank=True)
    submitted_at = models.DateTimeField(null=True, blank=True)
    confirmed_at = models.DateTimeField(null=True, blank=True)
    start_ship_date = models.DateField(null=True, blank=True)
    cancel_ship_date = models.DateField(null=True, blank=True)
    proforma_number = models.CharField(max_length=64, null=True, blank=True)
    proforma_date = models.DateField(null=True, blank=True)
    next_due_date = models.DateField(null=True, blank=True)

    items_total = models.DecimalField(max_digits=14, decimal_places=4, null=True, blank=True)
    items_tax = models.DecimalField(max_digits=14, decimal_places=4, null=True, blank=True)
    subtotal = models.DecimalField(max_digits=14, decimal_places=4, null=True, blank=True)
    total_tax = models.DecimalField(max_digits=14, decimal_places=4, null=True, blank=True)
    grand_total = models.DecimalField(max_digits=14, decimal_places=4, null=True, blank=True)
    shipping_cost = models.DecimalField(max_digits=14, decimal_places=4, null=True, blank=True)
    shipping_tax = models.DecimalField(max_digits=14, decimal_places=4, null=True, blank=True)
    settlement_discount = models.DecimalField(max_digits=14, decimal_places=4, null=True, blank=True)
    deposit_percentage = models.DecimalField(max_digits=8, decimal_places=4, null=True, blank=True)
    total_quantity = models.IntegerField(null=True, blank=True)
    currency = models.CharField(max_length=8, null=True, blank=True)
    custom_fields = models.JSONField(default=list, blank=True)

    notes = models.TextField(null=True, blank=True)
    internal_notes = models.TextField(null=True, blank=True)
    invoice_numbers = models.TextField(null=True, blank=True)
    shipment_numbers = models.TextField(null=True, blank=True)
    invoice_method = models.CharField(max_length=64, null=True, blank=True)
    warehouse_name = models.CharField(max_length=255, null=True, blank=True)
    payment_term_name = models.CharField(max_length=255, null=True, blank=True)
    shipping_instructions = models.TextField(null=True, blank=True)
    return_label = models.BooleanField(null=True, blank=True)

    status = models.CharField(max_length=32, blank=True)
    status_raw = models.CharField(max_length=64, null=True, blank=True)
    fulfillment_status = models.CharField(max_length=32, blank=True)
    fulfillment_status_raw = models.CharField(max_length=64, null=True, blank=True)
    financial_status = models.CharField(max_length=32, blank=True)
    financial_status_raw = models.CharField(max_length=64, null=True, blank=True)

    is_open = models.BooleanField(default=True, help_text="Not cancelled/closed and not fully shipped")
    removed_at = models.DateTimeField(null=True, blank=True, help_text="Uphance no longer returns it")

    # Written by demand_links_rebuild: whether the production this order waits on comes too late.
    at_risk = models.BooleanField(default=False)
    risk_reason = models.CharField(max_length=500, blank=True)

    objects = SalesOrderQuerySet.as_manager()

    class Meta:
        ordering = ["-uphance_id"]
        constraints = [models.UniqueConstraint(fields=["organisation", "uphance_id"], name="sales_order_uphance_id")]
        indexes = [
            models.Index(fields=["organisation", "is_open", "at_risk"]),
            models.Index(fields=["organisation", "customer", "is_open"]),
        ]

    def __str__(self):
        return f"SO {self.order_number or self.uphance_id}"

    @property
    def ship_by(self):
        """The last day the order can ship: the cancel ship date, else the start ship date."""
        return self.cancel_ship_date or self.start_ship_date

    @property
    def is_cancelled(self) -> bool:
        return self.status in CANCELLED_STATUSES

    @property
    def status_label(self) -> str:
        return (self.status or "no status").replace("_", " ").capitalize()

    @property
    def fulfillment_label(self) -> str:
        return self.fulfillment_status.replace("_", " ").capitalize()


class SalesOrderLine(OrgScoped):
    """A style in one colour on a sales order (a line item), with per-size quantities."""

    sales_order = models.ForeignKey(SalesOrder, on_delete=models.CASCADE, related_name="lines")
    uphance_id = models.BigIntegerField()
    sequence = models.PositiveSmallIntegerField(default=0)
    product_id = models.BigIntegerField(null=True, blank=True)
    product_name = models.CharField(max_length=255, null=True, blank=True)
    product_identifier = models.CharField(max_length=255, null=True, blank=True)
    variation_id = models.BigIntegerField(null=True, blank=True)
    colour = models.CharField(max_length=120, null=True, blank=True, help_text="color")
    unit_tax = models.DecimalField(max_digits=14, decimal_places=4, null=True, blank=True)
    tax_level = models.DecimalField(max_digits=8, decimal_places=4, null=True, blank=True)
    unit_price = models.DecimalField(max_digits=14, decimal_places=4, null=True, blank=True)
    original_price = models.DecimalField(max_digits=14, decimal_places=4, null=True, blank=True)
    weight = models.DecimalField(max_digits=14, decimal_places=4, null=True, blank=True)
    weight_unit = models.CharField(max_length=16, null=True, blank=True)
    percentage_discount = models.DecimalField(max_digits=8, decimal_places=4, null=True, blank=True)
    bundle_line_item = models.BooleanField(null=True, blank=True)
    comments = models.TextField(null=True, blank=True)
    brand = models.CharField(max_length=255, null=True, blank=True, help_text="product_brand")
    season = models.CharField(max_length=255, null=True, blank=True, help_text="Season name as the line names it")
    country_of_origin = models.CharField(max_length=64, null=True, blank=True)
    intrastat_code = models.CharField(max_length=64, null=True, blank=True)
    extra = models.JSONField(default=dict, blank=True)
    units = models.IntegerField(default=0, help_text="Sum of the line quantities")
    is_cancelled = models.BooleanField(default=False, help_text="The line carries a cancelled status")

    class Meta:
        ordering = ["sales_order_id", "sequence"]
        constraints = [models.UniqueConstraint(fields=["organisation", "uphance_id"], name="sales_order_line_uphance_id")]

    def __str__(self):
        return " ".join(p for p in (self.product_name, self.colour) if p) or f"Line {self.uphance_id}"


class SalesOrderQuantity(OrgScoped):
    """One size of a sales-order line: the SKU and how many units the customer ordered."""

    line = models.ForeignKey(SalesOrderLine, on_delete=models.CASCADE, related_name="quantities")
    sales_order = models.ForeignKey(SalesOrder, on_delete=models.CASCADE, related_name="+")
    uphance_id = models.BigIntegerField(help_text="Negative when Uphance sent no id (derived from line and place)")
    sequence = models.PositiveSmallIntegerField(default=0)
    size = models.CharField(max_length=64, null=True, blank=True)
    quantity = models.IntegerField(default=0)
    sku_number = models.CharField(max_length=255, null=True, blank=True)
    sku_id = models.BigIntegerField(null=True, blank=True, db_index=True)
    upc_number = models.CharField(max_length=64, null=True, blank=True)
    inventory_id = models.BigIntegerField(null=True, blank=True)
    bundle_components = models.JSONField(default=list, blank=True)
    extra = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["line_id", "sequence"]
        constraints = [
            models.UniqueConstraint(fields=["organisation", "uphance_id"], name="sales_order_quantity_uphance_id")
        ]
        verbose_name_plural = "sales order quantities"

    def __str__(self):
        return f"{self.size}: {self.quantity}"


class DemandLink(models.Model):
    """Units of a sales-order quantity that wait on a quantity of an open production order.

    Rebuilt per organisation by `customers.services.demand.demand_links_rebuild` (see there for
    the matching and allocation rules). `units` is what is allocated to this production; a link
    with `is_allocated=False` and no units records another open production of the same SKU.
    """

    class MatchedBy(models.TextChoices):
        SKU = "sku", "SKU"
        VARIATION_SIZE = "variation_size", "Variation and size"

    class RiskKind(models.TextChoices):
        NONE = "", "On time"
        NO_DATE = "no_date", "No date from Uphance"
        LATE = "late", "Expected after the ship date"
        OVERDUE = "overdue", "Ship date passed"
        SLOW = "slow", "Stages need more time than is left"

    organisation = models.ForeignKey("accounts.Organisation", on_delete=models.CASCADE, related_name="+")
    sales_order_quantity = models.ForeignKey(SalesOrderQuantity, on_delete=models.CASCADE, related_name="demand_links")
    sales_order_line = models.ForeignKey(SalesOrderLine, on_delete=models.CASCADE, related_name="demand_links")
    sales_order = models.ForeignKey(SalesOrder, on_delete=models.CASCADE, related_name="demand_links")
    customer = models.ForeignKey(Customer, null=True, blank=True, on_delete=models.SET_NULL, related_name="demand_links")
    line_quantity = models.ForeignKey("production.LineQuantity", on_delete=models.CASCADE, related_name="demand_links")
    line_item = models.ForeignKey("production.LineItem", on_delete=models.CASCADE, related_name="demand_links")
    production_order = models.ForeignKey(
        "production.ProductionOrder", on_delete=models.CASCADE, related_name="demand_links"
    )
    units = models.PositiveIntegerField(default=0)
    is_allocated = models.BooleanField(default=True, help_text="False: another open production of the same SKU")
    matched_by = models.CharField(max_length=16, choices=MatchedBy.choices, default=MatchedBy.SKU)
    ship_by = models.DateField(null=True, blank=True)
    expected_date = models.DateField(null=True, blank=True)
    at_risk = models.BooleanField(default=False)
    risk_kind = models.CharField(max_length=16, choices=RiskKind.choices, blank=True)
    risk_reason = models.CharField(max_length=500, blank=True)
    rebuilt_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["sales_order_id", "sales_order_quantity_id", "-is_allocated", "id"]
        indexes = [
            models.Index(fields=["organisation", "line_item", "is_allocated"]),
            models.Index(fields=["organisation", "production_order"]),
            models.Index(fields=["organisation", "at_risk"]),
        ]

    def __str__(self):
        return f"{self.units} units of SO {self.sales_order_id} on PO {self.production_order_id}"
