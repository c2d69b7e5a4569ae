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
    # Tokens and the webhook secret (it names the organisation in its webhook URL) are never shown.
    exclude = ("access_token", "refresh_token", "webhook_secret")
    # Where the stored bearer token is sent and whose data it brings in are set by connecting
    # (Settings → Uphance), never by editing: an edited api_url would hand the token to any host.
    readonly_fields = (
        "organisation", "api_url", "account_email", "uphance_organisation_id", "expires_at",
        "connected_at", "updated_at",
    )

    def has_add_permission(self, request):
        return False  # a connection is made by logging in to Uphance, which the admin cannot do
