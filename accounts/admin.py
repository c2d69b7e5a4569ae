from django.contrib import admin

from .models import Membership, Organisation, UphanceConnection


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0


@admin.register(Organisation)
class OrganisationAdmin(admin.ModelAdmin):
    list_display = ("name", "uphance_id", "time_zone", "created_at")
    inlines = [MembershipInline]


@admin.register(UphanceConnection)
class UphanceConnectionAdmin(admin.ModelAdmin):
    list_display = ("organisation", "api_url", "uphance_organisation_id", "status", "expires_at")
    # Tokens are never shown, not even encrypted.
    exclude = ("access_token", "refresh_token")
    readonly_fields = ("connected_at", "updated_at")
