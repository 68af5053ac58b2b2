"""`{% permitted user "patient.edit" patient as can_edit %}`: templates ask the one policy, like views do."""

from django import template

from oncodcc.core.policy import has_permission

register = template.Library()


@register.simple_tag
def permitted(user, permission: str, obj=None) -> bool:
    return has_permission(user, permission, obj)
