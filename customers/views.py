"""Customer pages: the list (search, status, open and at-risk orders) and one customer with what they wait for."""
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import render
from django.views.decorators.http import require_GET

from accounts.decorators import organisation_required
from customers.shipup.selectors import shipup_logs_attach

from .forms import CustomerFilterForm
from .selectors import customer_get, customer_open_orders, customers_list

PER_PAGE = 50


@require_GET
@organisation_required
def customer_list(request):
    form = CustomerFilterForm(request.GET)
    filters = form.filters()
    customers = customers_list(organisation=request.organisation, **filters)
    page = Paginator(customers, PER_PAGE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    template = "customers/list.html#results" if request.htmx else "customers/list.html"
    return render(request, template, {"form": form, "filters": filters, "page": page, "query": query.urlencode()})


@require_GET
@organisation_required
def customer_detail(request, uphance_id: int):
    customer = customer_get(organisation=request.organisation, uphance_id=uphance_id)
    if customer is None:
        raise Http404("No such customer in this organisation.")
    orders = customer_open_orders(organisation=request.organisation, customer=customer)
    shipup_logs_attach(sales_orders=orders)  # every order's Shipup push log in one query
    return render(request, "customers/detail.html", {"customer": customer, "orders": orders})
