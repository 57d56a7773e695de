from django.apps import AppConfig


class SiteConfig(AppConfig):
    """Project-level glue that knows every app (the demo world's command); no models."""

    name = "anju.site"
    label = "anju_site"
