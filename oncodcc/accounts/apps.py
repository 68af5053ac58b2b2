from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "oncodcc.accounts"
    label = "accounts"
    verbose_name = "Comptes"

    def ready(self) -> None:
        # signal receivers; psc registers its configuration check; review_policy the access review permission
        from . import psc, review_policy, signals  # noqa: F401
