from django.contrib import admin

from .models import SavedView

admin.site.register(SavedView, list_display=("name", "user", "organisation", "is_default"))
