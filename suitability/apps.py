from django.apps import AppConfig


class SuitabilityConfig(AppConfig):
    name = "suitability"
    verbose_name = "投资者适当性 Suitability"
