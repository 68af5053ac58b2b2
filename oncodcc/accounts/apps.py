from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "oncodcc.accounts"
    label = "accounts"
    verbose_name = "Comptes"

    def ready(self) -> None:
        from . import checks, policy, psc, signals  # noqa: F401 (deploy checks, permissions, signal receivers)
