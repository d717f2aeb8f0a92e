"""Load reference data that other apps own, by asking each installed app for its loader.

``cases`` may not import ``transfers`` or ``notifications`` (dependencies point one way), so
each app that has reference data exposes ``<app>.reference.load()``; this command calls them.
"""

from importlib import import_module

from django.apps import apps
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Load reference data of every app that provides <app>.reference.load()."

    def handle(self, *args, **options):
        for config in apps.get_app_configs():
            if config.name == "cases":
                continue
            try:
                module = import_module(f"{config.name}.reference")
            except ModuleNotFoundError:
                continue
            loader = getattr(module, "load", None)
            if callable(loader):
                result = loader()
                self.stdout.write(f"{config.name}: {result}")
