"""Callbacks other apps register to follow the store without `documents` importing them (the diffusion outbox).

- `on_registered(callback)`: `callback(document, action)` runs inside the transaction that registers a generated
  document (fiche RCP, PPS, PPAC): action "new" for a first version, "replace" for a later one, "delete" when a
  version is withdrawn. What the callback writes commits or rolls back with the registration.
- `on_rendered(callback)`: `callback(document_id)` runs in the task worker after a rendering run, once the
  renderings it produced are stored (e.g. a delivery waiting for the CDA can now be sent)."""

from collections.abc import Callable

NEW, REPLACE, DELETE = "new", "replace", "delete"

_registered: list[Callable] = []
_rendered: list[Callable] = []


def on_registered(callback: Callable) -> Callable:
    if callback not in _registered:
        _registered.append(callback)
    return callback


def on_rendered(callback: Callable) -> Callable:
    if callback not in _rendered:
        _rendered.append(callback)
    return callback


def registered(document, action: str) -> None:
    for callback in list(_registered):
        callback(document, action)


def rendered(document_id: int) -> None:
    for callback in list(_rendered):
        callback(document_id)
