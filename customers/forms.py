"""Forms of the customers pages: the list's search and filters (validated from the query string)."""
from django import forms

STATUS_CHOICES = [("active", "Active"), ("inactive", "Inactive"), ("all", "All")]


class CustomerFilterForm(forms.Form):
    q = forms.CharField(required=False, max_length=200, label="Search",
                        widget=forms.TextInput(attrs={"type": "search", "placeholder": "Name, reference, city, contact…"}))
    status = forms.ChoiceField(required=False, choices=STATUS_CHOICES, initial="active")
    at_risk = forms.BooleanField(required=False, label="Only customers with orders at risk")

    def filters(self) -> dict:
        """The cleaned filters, with defaults for what is missing or invalid."""
        data = self.cleaned_data if self.is_valid() else {}
        return {
            "q": data.get("q") or "",
            "status": data.get("status") or "active",
            "at_risk": bool(data.get("at_risk")),
        }
