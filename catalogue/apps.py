from django.apps import AppConfig
from django.core import checks
from django.utils.translation import gettext_lazy as _


class CatalogueConfig(AppConfig):
    name = "catalogue"
    verbose_name = _("Good practice and open data")

    def ready(self):
        checks.register(map_region_check)


def map_region_check(app_configs=None, **kwargs):
    """CATALOGUE_MAP_REGION must name a county of the shipped GeoJSON (or SE): caught at start, not as a 500."""
    from django.conf import settings

    from catalogue.geo import region_map

    try:
        region_map(settings.CATALOGUE_MAP_REGION)
    except ValueError as exc:
        return [checks.Error(str(exc), hint="Set CATALOGUE_MAP_REGION to a county code such as 08, or SE.",
                             id="catalogue.E001")]
    return []
