from django.apps import AppConfig


class DemoConfig(AppConfig):
    """The demo organisation of `make run` (`manage.py seed_demo`): the top app, which may use
    every other one and which nothing imports."""

    name = "apps.demo"
    label = "demo"
