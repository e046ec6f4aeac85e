from django.contrib import admin

from reviewers import models


@admin.register(models.Criterion)
class CriterionAdmin(admin.ModelAdmin):
    list_display = ["name", "code", "group", "weight", "position", "is_active"]
    list_editable = ["position", "is_active"]


class ScoreInline(admin.TabularInline):
    model = models.Score
    extra = 0


@admin.register(models.Review)
class ReviewAdmin(admin.ModelAdmin):
    list_display = ["application", "reviewer", "recommendation", "submitted_at"]
    inlines = [ScoreInline]
