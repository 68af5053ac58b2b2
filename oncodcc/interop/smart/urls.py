"""URLs of this channel."""

urlpatterns: list = []
