"""Admin for the production copy (read-mostly: Uphance is the source of truth) and the sync log."""
from django.contrib import admin

from .models import (
    LineItem,
    Manufacturer,
    ProductionOrder,
    Season,
    Stage,
    StagePeriod,
    Warehouse,
)
from .sync.models import SyncIssue, SyncRun


@admin.register(Stage)
class StageAdmin(admin.ModelAdmin):
    list_display = ("name", "organisation", "position", "position_locked", "colour", "stuck_after_days")
    list_filter = ("organisation",)
    list_editable = ("position", "stuck_after_days")
    readonly_fields = ("colour_raw",)


class LineItemInline(admin.TabularInline):
    model = LineItem
    fields = ("uphance_id", "product_name", "colour", "units", "stage_status", "current_stage")
    readonly_fields = fields
    extra = 0
    can_delete = False
    show_change_link = True


@admin.register(ProductionOrder)
class ProductionOrderAdmin(admin.ModelAdmin):
    list_display = ("number", "uphance_id", "organisation", "manufacturer", "status", "delivery_status", "due_date", "removed_at")
    list_filter = ("organisation", "status", "delivery_status")
    search_fields = ("number", "uphance_id", "manufacturer__name")
    list_select_related = ("organisation", "manufacturer")
    raw_id_fields = ("manufacturer", "season")
    inlines = [LineItemInline]


@admin.register(LineItem)
class LineItemAdmin(admin.ModelAdmin):
    list_display = ("product_name", "colour", "uphance_id", "order", "units", "stage_status", "current_stage")
    list_filter = ("organisation", "stage_status")
    search_fields = ("product_name", "product_identifier", "uphance_id")
    list_select_related = ("order", "current_stage")
    raw_id_fields = ("order", "current_stage", "warehouse")


@admin.register(StagePeriod)
class StagePeriodAdmin(admin.ModelAdmin):
    list_display = ("line_item", "stage", "sequence", "is_current", "start_time", "end_time", "status", "first_seen_at")
    list_filter = ("organisation", "is_current")
    raw_id_fields = ("line_item", "stage")


@admin.register(SyncRun)
class SyncRunAdmin(admin.ModelAdmin):
    list_display = ("kind", "organisation", "trigger", "outcome", "started_at", "finished_at", "pages", "created", "updated", "unchanged", "removed", "issues")
    list_filter = ("organisation", "kind", "outcome", "trigger")
    readonly_fields = [f.name for f in SyncRun._meta.fields]


@admin.register(SyncIssue)
class SyncIssueAdmin(admin.ModelAdmin):
    list_display = ("record_type", "record_id", "field", "reason", "organisation", "last_seen_at", "occurrences", "resolved_at")
    list_filter = ("organisation", "record_type", "resolved_at")
    readonly_fields = [f.name for f in SyncIssue._meta.fields]


for model in (Manufacturer, Season, Warehouse):
    admin.site.register(model, list_display=("__str__", "organisation"), list_filter=("organisation",))
