from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "oncodcc.accounts"
    label = "accounts"
    verbose_name = "Comptes"

    def ready(self) -> None:
        # deploy checks, permissions (policy, review_policy), signal receivers; psc registers its configuration check
        from . import checks, policy, psc, review_policy, signals  # noqa: F401
