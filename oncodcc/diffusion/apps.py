from django.apps import AppConfig


class DiffusionConfig(AppConfig):
    name = "oncodcc.diffusion"
    label = "diffusion"
    verbose_name = "Diffusion des documents"

    def ready(self) -> None:
        from oncodcc.documents import hooks

        from . import outbox, policy  # noqa: F401 - policy registers diffusion.resend

        hooks.on_registered(outbox.on_registered)
        hooks.on_rendered(outbox.on_rendered)
