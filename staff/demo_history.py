"""`manage.py seed_demo --history`: a made-up year of the demo shop, so that a new user sees
trends (analytics, the admin's charts) rather than one day of data.

Over the 12 months before today, in TIME_ZONE:

- **Work orders** `WO-H0001…`, a few each working day for six clients, assigned to the
  employees there are (each welder at their own pace; a few unassigned). Most are completed
  (`completed_at` after `created_at`, some after their due date, most on or before it); a few
  were cancelled; the last weeks' are still pending, in progress or on hold.
- **Inspections** `QC-H00001…` of those orders, with the five methods and three inspectors:
  fails of every defect type (porosity most often), each followed by a passing re-inspection
  before the order was completed, and a pass rate that slowly improves over the year.
- **Stock movements** of each item whose ledger is still just its initial stock: receipts and
  consumptions (some for the work orders in hand) over the year, ending at the item's quantity
  as it is — the initial receipt becomes the opening stock a year ago, so the ledger still sums
  to the quantity.
- **Equipment** `EQ-H01…` with service intervals and last service dates (two overdue).

The records' `created_at` (and the movements' and inspections' times) are backdated after
their bulk insert (`auto_now_add` stamps "now" on insert). Deterministic: the same date gives
the same data (a seeded random generator). Loaded once: when `WO-H0001` exists, nothing is
done. The bulk writes send no signals, so the dashboard's cache is invalidated at the end.
"""

from __future__ import annotations

import datetime as dt
import math
import random
from dataclasses import dataclass

from django.db import models, transaction
from django.utils import timezone

from dashboard.cache import invalidate
from equipment.models import Equipment
from inspections.models import DefectType, Inspection, InspectionMethod, InspectionResult
from inventory.models import Item, MovementReason, StockMovement
from staff.models import Employee
from workorders.models import WorkOrder, WorkOrderStatus, completion_time
from workshop.history.services import history_base_versions

SEED = 11  # the issue that asked for it
DAYS = 365
ORDER_PREFIX = "WO-H"
FIRST_ORDER = f"{ORDER_PREFIX}0001"
BATCH = 500

CLIENTS = [
    ("Client A", 6),
    ("Client B", 5),
    ("Client C", 4),
    ("Client D", 3),
    ("Northern Steel", 2),
    ("Harbour Works", 1),
]
DESCRIPTIONS = [
    "Pipe Welding",
    "Structural Beam",
    "Tank Repair",
    "Gate Fabrication",
    "Maintenance",
    "Handrail, stainless",
    "Pressure vessel seam",
    "Trailer frame repair",
    "Bracket series",
    "Manifold, TIG",
]
INSPECTORS = ["Inspector X", "Inspector Y", "Inspector Z"]
METHODS = [
    (InspectionMethod.VT, 45),
    (InspectionMethod.UT, 20),
    (InspectionMethod.PT, 15),
    (InspectionMethod.MT, 10),
    (InspectionMethod.RT, 10),
]
# Methods that look inside the weld find more.
METHOD_FAIL_FACTOR = {"VT": 0.8, "PT": 1.0, "MT": 1.0, "UT": 1.3, "RT": 1.5}
DEFECTS = [
    (DefectType.POROSITY, 30),
    (DefectType.UNDERCUT, 18),
    (DefectType.LACK_OF_FUSION, 14),
    (DefectType.SPATTER, 10),
    (DefectType.SLAG_INCLUSION, 9),
    (DefectType.CRACK, 7),
    (DefectType.INCOMPLETE_PENETRATION, 6),
    (DefectType.DISTORTION, 4),
    (DefectType.OTHER, 2),
]
# (lead-time factor, fail-rate factor) by the demo welders' roles; anyone else is average.
WELDER_PACE = {"Senior Welder": (0.8, 0.6), "Welder": (1.0, 1.0), "Apprentice": (1.4, 1.6)}
EQUIPMENT = [
    ("EQ-H01", "MIG Welder 250", 90),
    ("EQ-H02", "TIG Welder AC/DC", 180),
    ("EQ-H03", "Plasma Cutter 60A", 60),
    ("EQ-H04", "Spot Welder", 120),
    ("EQ-H05", "Welding Robot Cell", 30),
    ("EQ-H06", "Fume Extractor", 90),
]


@dataclass
class HistoryCounts:
    work_orders: int = 0
    completed: int = 0
    inspections: int = 0
    movements: int = 0
    items: int = 0
    equipment: int = 0


def history_loaded() -> bool:
    return WorkOrder.objects.filter(order_id=FIRST_ORDER).exists()


def load_history(*, now: dt.datetime | None = None, seed: int = SEED) -> HistoryCounts | None:
    """Writes the year (see the module docstring). None when it was loaded before."""
    now = now or timezone.now()
    with transaction.atomic():
        if history_loaded():
            return None
        rng = random.Random(f"{seed}:{timezone.localdate(now)}")  # noqa: S311 (made-up data)
        counts = _History(now=now, rng=rng).write()
        history_base_versions()  # the rows written in bulk get their first version
    invalidate()
    return counts


def _weighted(rng: random.Random, pairs):
    values, weights = zip(*pairs, strict=True)
    return rng.choices(values, weights=weights)[0]


class _History:
    def __init__(self, *, now: dt.datetime, rng: random.Random):
        self.now = now
        self.rng = rng
        self.today = timezone.localdate(now)
        self.first_day = self.today - dt.timedelta(days=DAYS)
        self.start = self.moment(self.first_day, 6, 0)
        self.counts = HistoryCounts()

    def moment(self, day: dt.date, hour: int, minute: int = 0, second: int = 0) -> dt.datetime:
        return timezone.make_aware(dt.datetime.combine(day, dt.time(hour, minute, second)))

    def working_moment(self, day: dt.date) -> dt.datetime:
        rng = self.rng
        return self.moment(day, rng.randint(7, 16), rng.randint(0, 59), rng.randint(0, 59))

    def write(self) -> HistoryCounts:
        welders = list(Employee.objects.order_by("employee_id"))
        # The demo's employees (loaded by the seed: no creator) were there all year.
        Employee.objects.filter(created_at__gt=self.start, created_by__isnull=True).update(
            created_at=self.start - dt.timedelta(days=30)
        )
        orders = self.work_orders(welders)
        self.inspections(orders, {w.pk: w for w in welders})
        self.stock(orders)
        self.equipment()
        return self.counts

    # ------------------------------------------------------------------ work orders
    def work_orders(self, welders: list[Employee]) -> list[WorkOrder]:
        rng = self.rng
        orders: list[WorkOrder] = []
        for offset in range(DAYS):
            day = self.first_day + dt.timedelta(days=offset)
            if day.weekday() == 6:  # closed on Sundays
                continue
            busy = 0.8 + 0.5 * offset / DAYS  # the shop grows over the year
            for _ in range(sum(rng.random() < busy / 3 for _ in range(3))):
                orders.append(self.work_order(len(orders) + 1, day, welders))
        for order in orders:
            order._when = (order.created_at, order.updated_at)
        WorkOrder.objects.bulk_create(orders, batch_size=BATCH)
        _restore_times(WorkOrder, orders, key="order_id")
        self.counts.work_orders = len(orders)
        self.counts.completed = sum(o.status == WorkOrderStatus.COMPLETED for o in orders)
        return orders

    def work_order(self, number: int, day: dt.date, welders: list[Employee]) -> WorkOrder:
        rng, now = self.rng, self.now
        created = self.working_moment(day)
        welder = rng.choice(welders) if welders and rng.random() > 0.08 else None
        pace = WELDER_PACE.get(welder.role, (1.0, 1.0))[0] if welder else 1.1
        lead = dt.timedelta(days=rng.lognormvariate(math.log(8), 0.6) * pace)
        finished = created + lead
        due = day + dt.timedelta(days=rng.choice([7, 10, 14, 14, 21, 28]))
        if rng.random() < 0.04:
            status = WorkOrderStatus.CANCELLED
        elif finished <= now and not (day > self.today - dt.timedelta(days=45) and rng.random() < 0.08):
            status = WorkOrderStatus.COMPLETED
        elif day >= self.today - dt.timedelta(days=2):
            status = WorkOrderStatus.PENDING
        else:
            status = WorkOrderStatus.ON_HOLD if rng.random() < 0.12 else WorkOrderStatus.IN_PROGRESS
        completed_at = completion_time(
            status=status,
            previous_status=None,
            stored=None,
            given=finished if status == WorkOrderStatus.COMPLETED else None,
            may_set=True,
            now=now,
        )
        order = WorkOrder(
            order_id=f"{ORDER_PREFIX}{number:04d}",
            client=_weighted(rng, CLIENTS),
            description=rng.choice(DESCRIPTIONS),
            status=status,
            due_date=due,
            completed_at=completed_at,
            assigned_welder=welder,
        )
        last_change = completed_at or min(created + dt.timedelta(days=rng.uniform(0, 3)), now)
        order.created_at, order.updated_at = created, max(last_change, created)
        return order

    # ------------------------------------------------------------------ inspections
    def inspections(self, orders: list[WorkOrder], welders: dict[int, Employee]) -> None:
        rng, now = self.rng, self.now
        rows: list[Inspection] = []

        def add(order, at, method, failed):
            rows.append(
                Inspection(
                    inspection_id=f"QC-H{len(rows) + 1:05d}",
                    work_order_id=order.pk,
                    inspector=rng.choice(INSPECTORS),
                    result=InspectionResult.FAIL if failed else InspectionResult.PASS,
                    defect_type=_weighted(rng, DEFECTS) if failed else None,
                    method=method,
                    inspected_at=at,
                )
            )

        for order in orders:
            created = order._when[0]
            if order.status == WorkOrderStatus.COMPLETED:
                end = order.completed_at
            elif (
                order.status in (WorkOrderStatus.IN_PROGRESS, WorkOrderStatus.ON_HOLD) and rng.random() < 0.5
            ):
                end = min(created + (now - created) * rng.uniform(0.5, 0.95), now)
            else:
                continue
            span = end - created
            progress = (created - self.start) / (now - self.start)  # 0 a year ago … 1 today
            welder = welders.get(order.assigned_welder_id)
            skill = WELDER_PACE.get(welder.role, (1.0, 1.0))[1] if welder else 1.0
            method = _weighted(rng, METHODS)
            fail_rate = (0.26 - 0.12 * progress) * skill * METHOD_FAIL_FACTOR[method]
            first = created + span * rng.uniform(0.55, 0.8)
            if rng.random() < fail_rate:
                add(order, first, method, True)
                # Repaired and inspected again (passing) before the order was completed.
                add(order, first + (end - first) * rng.uniform(0.5, 0.95), method, False)
            else:
                add(order, first, method, False)
            if rng.random() < 0.2:  # a second method on some orders
                other = _weighted(rng, [(m, w) for m, w in METHODS if m != method])
                add(order, first + (end - first) * rng.uniform(0.1, 0.4), other, False)
        for row in rows:
            row._when = (row.inspected_at, row.inspected_at)
        Inspection.objects.bulk_create(rows, batch_size=BATCH)
        _restore_times(Inspection, rows, key="inspection_id")
        self.counts.inspections = len(rows)

    # ------------------------------------------------------------------ stock
    def stock(self, orders: list[WorkOrder]) -> None:
        """For each item whose ledger is only its initial stock: a year of movements that
        ends at its quantity (built backwards from it, so no quantity is ever negative)."""
        rng = self.rng
        ledgers: dict[int, list[StockMovement]] = {}
        for movement in StockMovement.objects.order_by("id"):
            ledgers.setdefault(movement.item_id, []).append(movement)
        busy = [
            (o._when[0], o.completed_at or self.now, o.pk)
            for o in orders
            if o.status != WorkOrderStatus.CANCELLED
        ]
        movements: list[StockMovement] = []
        opening_ids: list[int] = []
        for item in Item.objects.order_by("item_id"):
            ledger = ledgers.get(item.pk, [])
            initial = ledger[0] if len(ledger) == 1 else None
            if ledger and (
                initial is None or initial.reason != MovementReason.RECEIPT or initial.delta != item.quantity
            ):
                continue  # a ledger of its own: not ours to rewrite
            weekly = max(1, round(max(item.reorder_level, 1) * rng.uniform(0.6, 1.1)))
            # At least twice a week (a cylinder a week is two half-uses, discs go every other
            # day): once a week left whole months without a use on some days the demo is loaded.
            uses_a_week = min(3, max(2, weekly))
            ceiling = max(item.quantity, item.reorder_level * 3 + 2 * weekly, 5)
            events: list[tuple[dt.datetime, str, int, int | None]] = []  # backwards in time
            quantity = item.quantity
            for offset in range(DAYS - 1, 0, -1):
                day = self.first_day + dt.timedelta(days=offset)
                if day.weekday() >= 5 or rng.random() > uses_a_week / 5:
                    continue
                at = self.moment(day, rng.randint(8, 16), rng.randint(0, 59))
                used = max(1, round(rng.gauss(weekly / uses_a_week, weekly / uses_a_week / 3)))
                order = self.order_in_hand(busy, at)
                events.append((at, MovementReason.CONSUMPTION, -used, order))
                quantity += used
                if quantity > ceiling:
                    # Before this day's use, a delivery had brought the stock up from low.
                    low = rng.randint(min(1, item.reorder_level), item.reorder_level)
                    events.append(
                        (
                            self.moment(day, 7, rng.randint(0, 59)),
                            MovementReason.RECEIPT,
                            quantity - low,
                            None,
                        )
                    )
                    quantity = low
            opening = quantity
            events.reverse()
            after = opening
            for at, reason, delta, order_pk in events:
                after += delta
                movements.append(
                    StockMovement(
                        item=item,
                        delta=delta,
                        quantity_after=after,
                        reason=reason,
                        work_order_id=order_pk,
                        note="Demo history.",
                    )
                )
                movements[-1]._when = (at, at)
            # (by construction `after` is the item's quantity now)
            # The initial stock becomes the opening stock a year ago.
            if initial is not None and opening:
                StockMovement.objects.filter(pk=initial.pk).update(
                    delta=opening, quantity_after=opening, created_at=self.start, updated_at=self.start
                )
                opening_ids.append(initial.pk)
            elif initial is not None:
                initial.delete()
            elif opening:
                movements.insert(
                    0,
                    StockMovement(
                        item=item,
                        delta=opening,
                        quantity_after=opening,
                        reason=MovementReason.RECEIPT,
                        note="Opening stock.",
                    ),
                )
                movements[0]._when = (self.start, self.start)
            Item.objects.filter(pk=item.pk).update(created_at=self.start - dt.timedelta(days=1))
            self.counts.items += 1
        StockMovement.objects.bulk_create(movements, batch_size=BATCH)
        _restore_times(StockMovement, movements)
        self.counts.movements = len(movements) + len(opening_ids)

    def order_in_hand(self, busy, at: dt.datetime) -> int | None:
        """A work order being worked on at `at` (for some consumptions), or None."""
        if self.rng.random() < 0.4:
            return None
        candidates = [pk for start, end, pk in busy if start <= at <= end]
        return self.rng.choice(candidates) if candidates else None

    # ------------------------------------------------------------------ equipment
    def equipment(self) -> None:
        rng = self.rng
        rows = []
        for n, (equipment_id, name, interval) in enumerate(EQUIPMENT):
            overdue = n in (2, 4)
            since = rng.randint(interval + 5, interval + 40) if overdue else rng.randint(3, interval - 2)
            rows.append(
                Equipment(
                    equipment_id=equipment_id,
                    name=name,
                    status="maintenance" if n == 4 else "operational",
                    last_service_date=self.today - dt.timedelta(days=since),
                    service_interval_days=interval,
                )
            )
        existing = set(
            Equipment.objects.filter(equipment_id__in=[r.equipment_id for r in rows]).values_list(
                "equipment_id", flat=True
            )
        )
        rows = [r for r in rows if r.equipment_id not in existing]
        for row in rows:
            row._when = (self.start - dt.timedelta(days=60),) * 2
        Equipment.objects.bulk_create(rows)
        _restore_times(Equipment, rows, key="equipment_id")
        self.counts.equipment = len(rows)


def _restore_times(model: type[models.Model], objs: list, key: str | None = None) -> None:
    """Put back the `(created_at, updated_at)` each object holds in `_when`: the bulk insert
    stamped them "now". Objects without a primary key after the insert (a database that
    returns none) are found by their business `key`."""
    if not objs:
        return
    if key is not None and any(obj.pk is None for obj in objs):
        ids = dict(
            model.objects.filter(**{f"{key}__in": [getattr(o, key) for o in objs]}).values_list(key, "pk")
        )
        for obj in objs:
            obj.pk = ids[getattr(obj, key)]
    for obj in objs:
        if obj.pk is None:
            raise RuntimeError("The database returned no primary keys from the bulk insert.")
        obj.created_at, obj.updated_at = obj._when
    model.objects.bulk_update(objs, ["created_at", "updated_at"], batch_size=BATCH)
