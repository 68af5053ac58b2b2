from django.contrib import admin

from .models import Board, BoardMember, Meeting


class BoardMemberInline(admin.TabularInline):
    model = BoardMember
    autocomplete_fields = ("practitioner",)
    extra = 1


@admin.register(Board)
class BoardAdmin(admin.ModelAdmin):
    list_display = ("name", "nature", "organ_system", "managing_3c", "frequency", "active")
    list_filter = ("nature", "managing_3c", "active", "is_recourse", "is_paediatric")
    search_fields = ("name",)
    filter_horizontal = ("hospitals", "secretaries")
    inlines = [BoardMemberInline]


@admin.register(Meeting)
class MeetingAdmin(admin.ModelAdmin):
    list_display = ("board", "starts_at", "status")
    list_filter = ("status", "board")
    date_hierarchy = "starts_at"
