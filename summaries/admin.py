from django.contrib import admin

from .models import OutboxMessage, Summary, SummaryDelivery

admin.site.register(Summary, list_display=("__str__", "user", "organisation", "enabled"))
admin.site.register(SummaryDelivery, list_display=("summary", "status", "attempts"))
admin.site.register(OutboxMessage, list_display=("__str__", "organisation"))
