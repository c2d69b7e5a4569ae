"""Admin of the customers app: read the synced copy (Uphance is the source of truth)."""
from django.contrib import admin

from .models import (
    Address,
    Agent,
    Channel,
    Contact,
    Customer,
    DemandLink,
    SalesOrder,
    SalesOrderLine,
    SalesOrderQuantity,
)


class ContactInline(admin.TabularInline):
    model = Contact
    extra = 0
    fields = ["uphance_id", "first_name", "last_name", "email", "buyer", "shipping", "billing"]


class AddressInline(admin.TabularInline):
    model = Address
    extra = 0
    fields = ["uphance_id", "line_1", "city", "country", "default_for_shipping", "default_for_billing"]


@admin.register(Customer)
class CustomerAdmin(admin.ModelAdmin):
    list_display = ["name", "uphance_id", "organisation", "is_active", "is_stub", "city", "country", "last_synced_at"]
    list_filter = ["organisation", "is_active", "is_stub"]
    search_fields = ["name", "reference", "uphance_id"]
    raw_id_fields = ["channel"]
    filter_horizontal = ["agents"]
    inlines = [ContactInline, AddressInline]


class SalesOrderLineInline(admin.TabularInline):
    model = SalesOrderLine
    extra = 0
    fields = ["uphance_id", "product_name", "colour", "variation_id", "units", "is_cancelled"]


@admin.register(SalesOrder)
class SalesOrderAdmin(admin.ModelAdmin):
    list_display = ["__str__", "uphance_id", "organisation", "customer", "status", "fulfillment_status",
                    "start_ship_date", "cancel_ship_date", "is_open", "at_risk"]
    list_filter = ["organisation", "is_open", "at_risk", "status", "fulfillment_status"]
    search_fields = ["order_number", "uphance_id", "purchase_order_ref", "company_name"]
    raw_id_fields = ["customer", "channel", "season"]
    filter_horizontal = ["agents"]
    inlines = [SalesOrderLineInline]


@admin.register(SalesOrderQuantity)
class SalesOrderQuantityAdmin(admin.ModelAdmin):
    list_display = ["uphance_id", "line", "size", "quantity", "sku_id", "sku_number"]
    search_fields = ["sku_number", "sku_id", "uphance_id"]
    raw_id_fields = ["line", "sales_order"]


@admin.register(DemandLink)
class DemandLinkAdmin(admin.ModelAdmin):
    list_display = ["sales_order", "customer", "production_order", "line_item", "units", "is_allocated",
                    "matched_by", "at_risk", "risk_reason"]
    list_filter = ["organisation", "is_allocated", "at_risk", "risk_kind", "matched_by"]
    raw_id_fields = ["sales_order_quantity", "sales_order_line", "sales_order", "customer", "line_quantity",
                     "line_item", "production_order"]


@admin.register(Agent)
class AgentAdmin(admin.ModelAdmin):
    list_display = ["name", "uphance_id", "organisation", "email", "phone", "country"]
    search_fields = ["name", "email"]


@admin.register(Channel)
class ChannelAdmin(admin.ModelAdmin):
    list_display = ["name", "uphance_id", "organisation"]
