"""Receivers of production's own models: a line item's copy of its order's fields stays right through model saves.

The sync writes the copies itself (production.sync.upsert, in bulk); these cover everything else that
saves one row at a time: the admin, management commands, the test factories.
"""
from django.db.models.signals import post_save, pre_save
from django.dispatch import receiver

from production.models import LineItem, ProductionOrder

from .order_copy import (
    ORDER_COPY_FIELDS,
    ORDER_SOURCE_FIELDS,
    line_items_order_copy,
    order_copy_values,
    order_line_items_copy,
    order_open_value,
)


@receiver(pre_save, sender=LineItem)
def line_item_copies_order(sender, instance, update_fields=None, raw=False, **kwargs):
    if raw or update_fields is not None or instance.order_id is None:
        return  # a partial save: post_save copies from the database when it wrote the order or the removal
    for field, value in order_copy_values(instance.order, present=instance.removed_at is None).items():
        setattr(instance, field, value)


@receiver(post_save, sender=LineItem)
def line_item_partly_saved(sender, instance, update_fields=None, raw=False, **kwargs):
    if raw or update_fields is None or not ({"order", "removed_at"} & set(update_fields)):
        return
    line_items_order_copy(LineItem.objects.filter(pk=instance.pk))
    instance.refresh_from_db(fields=[f.removesuffix("_id") for f in ORDER_COPY_FIELDS])


@receiver(pre_save, sender=ProductionOrder)
def order_open_kept(sender, instance, update_fields=None, raw=False, **kwargs):
    if not raw and update_fields is None:
        instance.is_open = order_open_value(instance)


@receiver(post_save, sender=ProductionOrder)
def order_saved(sender, instance, created=False, update_fields=None, raw=False, **kwargs):
    if raw or created or (update_fields is not None and not (ORDER_SOURCE_FIELDS & set(update_fields))):
        return  # a new order has no line items yet
    order_line_items_copy(instance)
