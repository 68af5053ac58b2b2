from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "oncodcc.accounts"
    label = "accounts"
    verbose_name = "Comptes"

    def ready(self) -> None:
        from . import psc, signals  # noqa: F401 (signal receivers; psc registers its configuration check)
