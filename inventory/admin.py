from django.contrib import admin

from inventory.models import Item, StockMovement
from inventory.services import item_create, item_update
from workshop.admin import TimeStampedAdmin


@admin.register(Item)
class ItemAdmin(TimeStampedAdmin):
    """Saving goes through the services, so a quantity typed in here is in the ledger too."""

    list_display = ["item_id", "item_name", "quantity", "unit", "reorder_level", "is_low_stock"]
    list_filter = ["is_low_stock", "unit"]
    search_fields = ["item_id", "item_name"]
    readonly_fields = ["is_low_stock"]

    def save_model(self, request, obj, form, change):
        if change:
            data = {name: form.cleaned_data[name] for name in form.changed_data}
            item_update(item=obj, data=data, user=request.user)
        else:
            item_create(item=obj, user=request.user)

    def get_deleted_objects(self, objs, request):
        # The ledger goes with its item. Movements are never deleted on their own (their admin
        # refuses it), which must not stop whoever may delete the item.
        deleted, counts, perms_needed, protected = super().get_deleted_objects(objs, request)
        perms_needed.discard(StockMovement._meta.verbose_name)
        return deleted, counts, perms_needed, protected


@admin.register(StockMovement)
class StockMovementAdmin(TimeStampedAdmin):
    """The ledger: read only; movements are made by stock adjustments and item edits."""

    list_display = ["created_at", "item", "delta", "quantity_after", "reason", "work_order", "created_by"]
    list_filter = ["reason", "created_at"]
    search_fields = ["item__item_id", "item__item_name", "work_order__order_id", "note"]
    list_select_related = ["item", "work_order", "created_by"]
    date_hierarchy = "created_at"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
