from django import forms
from django.contrib import admin

from inventory.models import ConsumableLot, Item, StockMovement, lot_expired_q
from inventory.services import item_create, item_update
from workshop.admin import TimeStampedAdmin


class ItemAdminForm(forms.ModelForm):
    """The item form remembers the quantity it showed (`quantity_seen`). If a stock movement
    changed the quantity while the page was open, a form that leaves the quantity as shown
    keeps the new one (it must not undo the movement), and a form that changes it is asked
    to enter it again against the new value."""

    quantity_seen = forms.IntegerField(widget=forms.HiddenInput, required=False)

    class Meta:
        model = Item
        fields = ["item_id", "item_name", "quantity", "unit", "reorder_level"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk is not None:
            self.fields["quantity_seen"].initial = self.instance.quantity

    def clean(self):
        cleaned = super().clean()
        seen, current = cleaned.get("quantity_seen"), self.instance.quantity
        if self.instance.pk is None or seen is None or seen == current or "quantity" not in cleaned:
            return cleaned
        if cleaned["quantity"] == seen:
            cleaned["quantity"] = current  # not edited here: keep what the movement made it
            return cleaned
        raise forms.ValidationError(
            {
                "quantity": f"The quantity changed from {seen} to {current} while this page was open "
                "(a stock movement). Enter the quantity again."
            }
        )


@admin.register(Item)
class ItemAdmin(TimeStampedAdmin):
    """Saving goes through the services, so a quantity typed in here is in the ledger too."""

    form = ItemAdminForm

    list_display = ["item_id", "item_name", "quantity", "unit", "reorder_level", "is_low_stock"]
    list_filter = ["is_low_stock", "unit"]
    search_fields = ["item_id", "item_name"]
    readonly_fields = ["is_low_stock"]

    def save_model(self, request, obj, form, change):
        if change:
            data = {name: form.cleaned_data[name] for name in form.changed_data if name != "quantity_seen"}
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

    list_display = [
        "created_at",
        "item",
        "delta",
        "quantity_after",
        "reason",
        "work_order",
        "lot",
        "created_by",
    ]
    list_filter = ["reason", "created_at"]
    search_fields = ["item__item_id", "item__item_name", "work_order__order_id", "lot__lot_id", "note"]
    list_select_related = ["item", "work_order", "lot", "created_by"]
    date_hierarchy = "created_at"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class LotExpiredFilter(admin.SimpleListFilter):
    title = "expired (today)"
    parameter_name = "expired"

    def lookups(self, request, model_admin):
        return [("yes", "Expired"), ("no", "Not expired")]

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return queryset.filter(lot_expired_q())
        if self.value() == "no":
            return queryset.exclude(lot_expired_q())
        return queryset


@admin.register(ConsumableLot)
class ConsumableLotAdmin(TimeStampedAdmin):
    list_display = [
        "lot_id",
        "item",
        "designation",
        "filler_group",
        "heat_number",
        "certificate_type",
        "certificate_no",
        "expires_on",
        "expired",
    ]
    list_filter = [LotExpiredFilter, "filler_group", "certificate_type", "expires_on"]
    search_fields = ["lot_id", "heat_number", "designation", "certificate_no", "item__item_id"]
    list_select_related = ["item"]
    autocomplete_fields = ["item"]

    @admin.display(boolean=True, description="expired")
    def expired(self, obj: ConsumableLot) -> bool:
        return obj.expired_on()
