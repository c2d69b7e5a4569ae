"""Writes a page of Uphance production orders into the local copy, in bulk, in one transaction.

Only what changed is written: an order whose payload hash is unchanged is skipped (unless it
had been marked removed), a line item whose stage list is unchanged keeps its stage periods.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Iterable, Sequence
from types import SimpleNamespace

from django.db import transaction
from django.db.models import Value
from django.db.models.functions import Coalesce
from django.utils import timezone

from integrations.numbers import ascii_int
from integrations.uphance import payloads
from production.colours import safe_colour
from production.models import (
    LineItem,
    LineQuantity,
    Manufacturer,
    OrderDateChange,
    ProductionOrder,
    Season,
    Stage,
    StagePeriod,
    Warehouse,
)
from production.models.orders import StageStatus
from production.order_copy import (
    ORDER_COPY_FIELDS,
    line_items_order_copy,
    order_copy_values,
    order_open_value,
)

from .bulk import rows_upsert
from .log import Counts

ORDER_FIELDS = [
    "number", "manufacturer", "season", "season_uphance_id", "uphance_organisation_id", "created_at",
    "updated_at", "confirmed_at", "due_date", "in_warehouse_date", "drop_id", "notes", "internal_notes",
    "currency", "payment_terms", "delivery_terms", "items_total", "items_tax", "subtotal", "total_tax",
    "grand_total", "tax_level", "shipping_cost", "shipping_tax", "total_quantity", "status", "status_raw",
    "delivery_status", "delivery_status_raw", "financial_status", "financial_status_raw", "warehouses",
    "extra", "content_hash", "last_synced_at", "removed_at", "is_open",
]
LINE_ITEM_FIELDS = [
    "order", "product_id", "product_name", "product_identifier", "variation_id", "colour", "unit_tax",
    "tax_level", "unit_price", "original_price", "percentage_discount", "warehouse", "bundle_line_item",
    "comments", "brand", "country_of_origin", "intrastat_code", "cover_image", "variation_images", "extra",
    "units", "removed_at",
]
STAGE_STATE_FIELDS = ["has_stages", "stage_status", "current_stage", "current_stage_started_at", "stages_hash", "stages_changed_at"]
QUANTITY_FIELDS = ["position", "size", "quantity", "sku_number", "sku_id", "inventory_id", "upc_number", "bundle_components"]
PERIOD_FIELDS = ["stage", "is_current", "start_time", "end_time", "status", "status_raw", "colour_raw", "changed_at"]

_KNOWN_ORDER_KEYS = set(payloads.ProductionOrder.model_fields)
_KNOWN_LINE_KEYS = set(payloads.ProductionLineItem.model_fields) | {"production_order_id"}


def _hash(value) -> str:
    text = json.dumps(value, sort_keys=True, default=str, separators=(",", ":"))
    return hashlib.blake2b(text.encode(), digest_size=16).hexdigest()


def _as_date(value):
    if isinstance(value, dt.datetime):
        return value.date()
    return value


def _drop_id(value):
    return ascii_int(value)


def _text(value) -> str:
    return "" if value is None else str(value)


def _extra(model, known: set[str]) -> dict:
    return {k: v for k, v in (model.model_extra or {}).items() if k not in known}


# --- stages ------------------------------------------------------------------------------------

class StageBook:
    """The organisation's stages by name, learning new ones and their place in the sequence.

    `past_stages` list order is the stage order (their timestamps may disagree), so a stage seen
    for the first time goes right after the stage listed before it.
    """

    def __init__(self, organisation):
        self.organisation = organisation
        self.by_name: dict[str, Stage] = {s.name: s for s in Stage.objects.filter(organisation=organisation)}
        self._dirty: set[str] = set()

    def learn(self, entries: Sequence[payloads.StageEntry]) -> None:
        names = [e.name for e in entries if e.name]
        for index, entry in enumerate(entries):
            if not entry.name:
                continue
            stage = self.by_name.get(entry.name)
            colour = safe_colour(entry.stage_color)
            if stage is None:
                stage = Stage(organisation=self.organisation, name=entry.name, colour=colour,
                              colour_raw=_text(entry.stage_color)[:64], position=self._position_after(names[:index]))
                self.by_name[entry.name] = stage
                self._dirty.add(entry.name)
            elif colour and stage.colour != colour:
                stage.colour = colour
                stage.colour_raw = _text(entry.stage_color)[:64]
                self._dirty.add(entry.name)

    def _position_after(self, previous_names: list[str]) -> int:
        ordered = sorted(self.by_name.values(), key=lambda s: (s.position, s.name))
        known_previous = [n for n in previous_names if n in self.by_name]
        if not known_previous or any(s.position_locked for s in ordered):
            return (ordered[-1].position + 1) if ordered else 0
        anchor = self.by_name[known_previous[-1]]
        # Shift every later stage one place down to make room.
        for stage in ordered:
            if stage.position > anchor.position:
                stage.position += 1
                self._dirty.add(stage.name)
        return anchor.position + 1

    def save(self) -> None:
        if not self._dirty:
            return
        dirty = [self.by_name[n] for n in self._dirty]
        new = [s for s in dirty if s.pk is None]
        old = [s for s in dirty if s.pk is not None]
        if new:
            # Another pass may learn the same stage at the same moment: the first row wins and
            # both passes go on with it (a conflict must not abort the page's transaction).
            Stage.objects.bulk_create(new, ignore_conflicts=True)
            saved = {s.name: s for s in Stage.objects.filter(organisation=self.organisation, name__in=[s.name for s in new])}
            for stage in new:
                self.by_name[stage.name] = saved[stage.name]
        if old:
            Stage.objects.bulk_update(old, ["colour", "colour_raw", "position"])
        self._dirty.clear()


def stage_status_of(line: payloads.ProductionLineItem) -> str:
    stages = line.production_stages
    if stages is None or (stages.current_stage is None and not stages.past_stages):
        return StageStatus.NO_STAGES
    current = stages.current_stage
    if current is None:
        if all(p.status_key == "completed" for p in stages.past_stages):
            return StageStatus.COMPLETED
        return StageStatus.IN_PROGRESS
    key = current.status_key or ""
    if key in ("not_started", "pending") and current.start_time is None:
        return StageStatus.NOT_STARTED
    if key == "completed":
        return StageStatus.COMPLETED
    return StageStatus.IN_PROGRESS


def stages_payload_hash(line: payloads.ProductionLineItem) -> str:
    if line.production_stages is None:
        return ""
    return _hash(line.production_stages.model_dump(mode="json"))


def _stage_state(line, book: StageBook, now) -> dict:
    entries = line.stages
    current = line.current_stage
    status = stage_status_of(line)
    current_stage = book.by_name.get(current.name) if current and current.name else None
    return {
        "has_stages": status != StageStatus.NO_STAGES,
        "stage_status": status,
        "current_stage": current_stage,
        "current_stage_started_at": current.start_time if current else None,
        "stages_hash": stages_payload_hash(line),
        "_entries": entries,
        "_has_current": current is not None,
    }


# --- the page upsert ----------------------------------------------------------------------------

class Lookups:
    """Manufacturers, seasons and warehouses by Uphance key, created on first sight."""

    def __init__(self, organisation):
        self.organisation = organisation
        self.manufacturers = {m.uphance_id: m for m in Manufacturer.objects.filter(organisation=organisation)}
        self.seasons = {s.uphance_id: s for s in Season.objects.filter(organisation=organisation)}
        self.warehouses = {w.name: w for w in Warehouse.objects.filter(organisation=organisation)}

    def prepare(self, orders: Iterable[payloads.ProductionOrder]) -> None:
        new_m, renamed_m, new_s, new_w = {}, [], {}, {}
        for order in orders:
            if order.company_id is not None:
                existing = self.manufacturers.get(order.company_id)
                name = _text(order.company_name)[:255]
                if existing is None:
                    new_m[order.company_id] = Manufacturer(organisation=self.organisation, uphance_id=order.company_id, name=name)
                elif name and existing.name != name:
                    existing.name = name
                    renamed_m.append(existing)
            if order.season_id is not None and order.season_id not in self.seasons:
                new_s[order.season_id] = Season(organisation=self.organisation, uphance_id=order.season_id)
            for name in [*order.warehouses, *(li.warehouse for li in order.line_items)]:
                if name and name not in self.warehouses:
                    new_w[name] = Warehouse(organisation=self.organisation, name=name[:255])
        if new_m:
            Manufacturer.objects.bulk_create(new_m.values(), ignore_conflicts=True)
            self.manufacturers.update({m.uphance_id: m for m in Manufacturer.objects.filter(organisation=self.organisation, uphance_id__in=new_m)})
        if renamed_m:
            Manufacturer.objects.bulk_update(renamed_m, ["name"])
        if new_s:
            Season.objects.bulk_create(new_s.values(), ignore_conflicts=True)
            self.seasons.update({s.uphance_id: s for s in Season.objects.filter(organisation=self.organisation, uphance_id__in=new_s)})
        if new_w:
            Warehouse.objects.bulk_create(new_w.values(), ignore_conflicts=True)
            self.warehouses.update({w.name: w for w in Warehouse.objects.filter(organisation=self.organisation, name__in=new_w)})


def order_payload_hash(order: payloads.ProductionOrder) -> str:
    return _hash(order.model_dump(mode="json", by_alias=True))


def _pk(obj):
    return None if obj is None else obj.pk


def _order_row(organisation, order: payloads.ProductionOrder, lookups: Lookups, content_hash: str, now) -> dict:
    row = _order_fields(organisation, order, lookups, content_hash, now)
    row["is_open"] = order_open_value(_as_order(row))
    return row


def _as_order(row: dict) -> SimpleNamespace:
    """An order's upsert row read as the order it becomes (what production.order_copy reads of it)."""
    return SimpleNamespace(
        number=row["number"], manufacturer_id=row["manufacturer"], season_id=row["season"], status=row["status"],
        delivery_status=row["delivery_status"], due_date=row["due_date"], in_warehouse_date=row["in_warehouse_date"],
        removed_at=row["removed_at"],
    )


def _order_fields(organisation, order: payloads.ProductionOrder, lookups: Lookups, content_hash: str, now) -> dict:
    return dict(
        organisation=organisation.pk,
        uphance_id=order.id,
        number=_text(order.production_order_number)[:64],
        manufacturer=_pk(lookups.manufacturers.get(order.company_id)),
        season=_pk(lookups.seasons.get(order.season_id)),
        season_uphance_id=order.season_id,
        uphance_organisation_id=order.organisation_id,
        created_at=order.created_at,
        updated_at=order.updated_at,
        confirmed_at=order.confirmed_at,
        due_date=_as_date(order.due_date),
        in_warehouse_date=_as_date(order.in_warehouse_date),
        drop_id=_drop_id(order.drop_id),
        notes=order.notes,
        internal_notes=order.internal_notes,
        currency=_text(order.currency)[:8],
        payment_terms=None if order.payment_terms is None else _text(order.payment_terms),
        delivery_terms=None if order.delivery_terms is None else _text(order.delivery_terms),
        items_total=order.items_total,
        items_tax=order.items_tax,
        subtotal=order.subtotal,
        total_tax=order.total_tax,
        grand_total=order.grand_total,
        tax_level=order.tax_level,
        shipping_cost=order.shipping_cost,
        shipping_tax=order.shipping_tax,
        total_quantity=order.total_quantity or 0,
        status=order.status_key or "",
        status_raw=_text(order.status)[:64],
        delivery_status=order.delivery_status_key or "",
        delivery_status_raw=_text(order.delivery_status)[:64],
        financial_status=order.financial_status_key or "",
        financial_status_raw=_text(order.financial_status)[:64],
        warehouses=list(order.warehouses),
        extra=_extra(order, _KNOWN_ORDER_KEYS),
        content_hash=content_hash,
        first_seen_at=now,
        last_synced_at=now,
        removed_at=None,
    )


def _line_item_row(organisation, order_pk: int, line: payloads.ProductionLineItem, lookups: Lookups,
                   copies: dict) -> dict:
    return dict(
        **copies,
        organisation=organisation.pk,
        order=order_pk,
        uphance_id=line.id,
        product_id=line.product_id,
        product_name=_text(line.product_name)[:255],
        product_identifier=_text(line.product_identifier)[:255],
        variation_id=line.variation_id,
        colour=_text(line.color)[:120],
        unit_tax=line.unit_tax,
        tax_level=line.tax_level,
        unit_price=line.unit_price,
        original_price=line.original_price,
        percentage_discount=line.percentage_discount,
        warehouse=_pk(lookups.warehouses.get(line.warehouse)) if line.warehouse else None,
        bundle_line_item=bool(line.bundle_line_item),
        comments=line.comments,
        brand=line.product_brand,
        country_of_origin=_text(line.country_of_origin)[:64],
        intrastat_code=_text(line.intrastat_code)[:64],
        cover_image=line.product_cover_image,
        variation_images=list(line.variation_images),
        extra=_extra(line, _KNOWN_LINE_KEYS),
        units=line.quantity,
        removed_at=None,
        # Insert-only (not in LINE_ITEM_FIELDS): the forecast's columns are NOT NULL and written by production.forecasts.
        forecast_state="",
        forecast_stages=[],
    )


def production_orders_upsert(
    *, organisation, orders: Sequence[payloads.ProductionOrder], now: dt.datetime | None = None,
    stages_included: bool = True,
) -> Counts:
    """Upsert one page of orders with their line items, quantities and stage periods; one transaction."""
    now = now or timezone.now()
    counts = Counts()
    # The same order twice in a page (a listing that shifted): the last copy wins.
    by_id = {order.id: order for order in orders}
    with transaction.atomic():
        existing = {
            row["uphance_id"]: row
            for row in ProductionOrder.objects.filter(organisation=organisation, uphance_id__in=list(by_id)).values(
                "id", "uphance_id", "content_hash", "removed_at", "first_seen_at", *TRACKED_FIELDS
            )
        }
        changed: list[payloads.ProductionOrder] = []
        hashes = {}
        for order_id, order in by_id.items():
            content_hash = order_payload_hash(order)
            row = existing.get(order_id)
            if row and row["content_hash"] == content_hash and row["removed_at"] is None:
                counts.unchanged += 1
                continue
            hashes[order_id] = content_hash
            changed.append(order)
            if row:
                counts.updated += 1
            else:
                counts.created += 1
        if not changed:
            return counts

        lookups = Lookups(organisation)
        lookups.prepare(changed)
        book = StageBook(organisation)
        if stages_included:
            for order in changed:
                for line in order.line_items:
                    book.learn(line.stages)
            book.save()

        # INSERT … ON CONFLICT DO UPDATE: first_seen_at is only ever written by the insert.
        order_rows = [_order_row(organisation, order, lookups, hashes[order.id], now) for order in changed]
        date_changes = order_dates_track(organisation=organisation, rows=order_rows, held=existing, now=now)
        rows_upsert(
            ProductionOrder, order_rows, unique=["organisation", "uphance_id"], update=ORDER_FIELDS + TRACKED_WRITES,
        )
        OrderDateChange.objects.bulk_create(date_changes)
        order_pks = dict(ProductionOrder.objects.filter(organisation=organisation, uphance_id__in=[o.id for o in changed]).values_list("uphance_id", "id"))
        lines = [(order_pks[o.id], line) for o in changed for line in o.line_items]
        # Line items carry copies of their order's fields, written here in the same transaction.
        copies = {order_pks[row["uphance_id"]]: order_copy_values(_as_order(row)) for row in order_rows}
        line_items_write(
            organisation=organisation, lines=lines, lookups=lookups, book=book, now=now,
            stages_included=stages_included, copies=copies,
        )
        # Line items an order no longer lists are kept for history, marked removed (their copies follow the order).
        kept = [line.id for _, line in lines]
        line_items_order_copy(
            LineItem.objects.filter(organisation=organisation, order_id__in=list(order_pks.values())).exclude(
                uphance_id__in=kept
            ),
            removed_at=Coalesce("removed_at", Value(now)), is_open=Value(False),
        )
    return counts


# --- dates that move, goods that arrive ------------------------------------------------------------

DATED_FIELDS = ("due_date", "in_warehouse_date")
TRACKED_WRITES = ["original_due_date", "original_in_warehouse_date", "arrived_at"]
TRACKED_FIELDS = (*DATED_FIELDS, "delivery_status", *TRACKED_WRITES)
_RECEIVED = ("receiving", "all_received")


def order_dates_track(*, organisation, rows: list[dict], held: dict, now) -> list[OrderDateChange]:
    """Compare a page's order rows with what is held: slips, original dates, arrivals.

    Every changed due / in-warehouse date becomes an OrderDateChange (old, new, seen now); the
    original date is the first one Seamline saw (set on first insert, or when a date first
    appears). `arrived_at` is set once: the order's updated_at when a sync first sees it
    receiving, or all received after not received; an order first seen all received has none
    (Uphance does not say when its first goods came in). Adds the tracked fields to `rows`.
    """
    changes = []
    for row in rows:
        old = held.get(row["uphance_id"])
        for field in DATED_FIELDS:
            original = f"original_{field}"
            if old is None or old[original] is None:
                row[original] = row[field]
            else:
                row[original] = old[original]
            if old is not None and old[field] != row[field]:
                changes.append(OrderDateChange(
                    organisation=organisation, order_id=old["id"], field=field, old_date=old[field],
                    new_date=row[field], seen_at=now,
                ))
        arrived = old["arrived_at"] if old is not None else None
        if arrived is None and row["delivery_status"] in _RECEIVED:
            seen_arriving = row["delivery_status"] == "receiving" if old is None else old["delivery_status"] not in _RECEIVED
            if seen_arriving:
                arrived = min(row["updated_at"] or now, now)
        row["arrived_at"] = arrived
    return changes


class _Held:
    """What stage_periods_write needs of a line item: its pk (the payload gives the rest)."""

    __slots__ = ("pk", "uphance_id")

    def __init__(self, pk, uphance_id):
        self.pk, self.uphance_id = pk, uphance_id


def line_items_write(*, organisation, lines, lookups: Lookups, book: StageBook, now, stages_included: bool,
                     copies: dict) -> None:
    """Upsert line items with their stage state and copies of their order's fields (`copies`: order pk →
    production.order_copy values), then their quantities and changed stage periods."""
    existing = {
        li["uphance_id"]: li
        for li in LineItem.objects.filter(organisation=organisation, uphance_id__in=[line.id for _, line in lines]).values(
            "id", "uphance_id", "stages_hash", "stages_changed_at", "has_stages", "stage_status", "current_stage_id",
            "current_stage_started_at",
        )
    }
    rows, stage_changed = [], []
    for order_pk, line in lines:
        row = _line_item_row(organisation, order_pk, line, lookups, copies[order_pk])
        old = existing.get(line.id)
        state = _stage_state(line, book, now) if stages_included else None
        if state is not None and (old is None or old["stages_hash"] != state["stages_hash"] or old["stages_changed_at"] is None):
            row.update(
                has_stages=state["has_stages"], stage_status=state["stage_status"],
                current_stage=_pk(state["current_stage"]), current_stage_started_at=state["current_stage_started_at"],
                stages_hash=state["stages_hash"], stages_changed_at=now,
            )
            stage_changed.append((line, state))
        elif old is not None:
            # Stages unchanged (or not fetched): keep what is held.
            row.update(
                has_stages=old["has_stages"], stage_status=old["stage_status"], current_stage=old["current_stage_id"],
                current_stage_started_at=old["current_stage_started_at"], stages_hash=old["stages_hash"],
                stages_changed_at=old["stages_changed_at"],
            )
        else:
            row.update(has_stages=False, stage_status=StageStatus.NO_STAGES, current_stage=None,
                       current_stage_started_at=None, stages_hash="", stages_changed_at=None)
        rows.append(row)
    rows_upsert(LineItem, rows, unique=["organisation", "uphance_id"],
                update=LINE_ITEM_FIELDS + STAGE_STATE_FIELDS + ORDER_COPY_FIELDS)
    ids = dict(LineItem.objects.filter(organisation=organisation, uphance_id__in=[r["uphance_id"] for r in rows]).values_list("uphance_id", "id"))
    line_quantities_write(lines=[(ids[line.id], line) for _, line in lines], existing_ids={ids[k] for k in existing})
    if stage_changed:
        changed = [(_Held(ids[line.id], line.id), line, state) for line, state in stage_changed]
        stage_periods_write(organisation=organisation, changed=changed, book=book, now=now)


def line_quantities_write(*, lines, existing_ids: set[int]) -> None:
    """Upsert the size quantities of changed line items; sizes no longer listed are deleted."""
    rows, keep = [], set()
    for line_item_pk, line in lines:
        for position, q in enumerate(line.line_quantities):
            if q.id is None:
                continue
            keep.add((line_item_pk, q.id))
            rows.append(dict(
                line_item=line_item_pk, uphance_id=q.id, position=position, size=_text(q.size)[:64],
                quantity=q.quantity or 0, sku_number=_text(q.sku_number)[:255], sku_id=q.sku_id,
                inventory_id=q.inventory_id, upc_number=_text(q.upc_number)[:64],
                bundle_components=list(q.bundle_components),
            ))
    rows_upsert(LineQuantity, rows, unique=["line_item", "uphance_id"], update=QUANTITY_FIELDS)
    if existing_ids:
        held = LineQuantity.objects.filter(line_item_id__in=existing_ids).values_list("pk", "line_item_id", "uphance_id")
        gone = [pk for pk, line_item_id, uphance_id in held if (line_item_id, uphance_id) not in keep]
        if gone:
            LineQuantity.objects.filter(pk__in=gone).delete()


def stage_periods_write(*, organisation, changed, book: StageBook, now) -> int:
    """Write the stage periods of line items whose stage list changed; returns periods written.

    `changed` holds (LineItem row with pk, payload line, stage state) triples. A line item's periods
    are keyed by their place in its stage list; `first_seen_at` is kept, `changed_at` moves only
    when the period itself changed.
    """
    current = {}
    for p in StagePeriod.objects.filter(line_item_id__in=[r.pk for r, _, _ in changed]):
        current[(p.line_item_id, p.sequence)] = p
    write, keep = [], set()
    for row, _line, state in changed:
        entries = state["_entries"]
        for sequence, entry in enumerate(entries):
            stage = book.by_name.get(entry.name) if entry.name else None
            if stage is None:
                continue
            values = {
                "stage_id": stage.pk, "is_current": state["_has_current"] and sequence == len(entries) - 1,
                "start_time": entry.start_time, "end_time": entry.end_time, "status": entry.status_key or "",
                "status_raw": _text(entry.status)[:64], "colour_raw": _text(entry.stage_color)[:64],
            }
            key = (row.pk, sequence)
            keep.add(key)
            old = current.get(key)
            if old is not None and all(getattr(old, k) == v for k, v in values.items()):
                continue
            values["stage"] = values.pop("stage_id")
            write.append(dict(
                organisation=organisation.pk, line_item=row.pk, sequence=sequence,
                first_seen_at=old.first_seen_at if old else now, changed_at=now, **values,
            ))
    rows_upsert(StagePeriod, write, unique=["line_item", "sequence"], update=PERIOD_FIELDS)
    gone = [p.pk for key, p in current.items() if key not in keep]
    if gone:
        StagePeriod.objects.filter(pk__in=gone).delete()
    return len(write) + len(gone)


def line_item_stages_write(*, organisation, items, book: StageBook, now) -> int:
    """Stage refresh: for (held LineItem, timeline payload) pairs, write what changed; returns changed count."""
    for _, timeline in items:
        book.learn(timeline.stages)
    book.save()
    changed = []
    for row, timeline in items:
        state = _stage_state(timeline, book, now)
        if state["stages_hash"] == row.stages_hash and row.stages_changed_at is not None:
            continue
        for field in STAGE_STATE_FIELDS[:-2]:
            setattr(row, field, state[field])
        row.stages_hash = state["stages_hash"]
        row.stages_changed_at = now
        changed.append((row, timeline, state))
    if changed:
        LineItem.objects.bulk_update([r for r, _, _ in changed], STAGE_STATE_FIELDS, batch_size=500)
        stage_periods_write(organisation=organisation, changed=changed, book=book, now=now)
    return len(changed)
