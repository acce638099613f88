from django import template

from tiering.services import criterion_text

register = template.Library()


@register.filter
def criterion(value: dict) -> str:
    """A policy criterion in words, e.g. "近12个月贡献前5%"."""
    return criterion_text(value)
