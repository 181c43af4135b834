"""``{% chart_scripts %}``: the script tags of the charts, when Apache ECharts is installed
(``npm ci``, decision 0071); nothing otherwise, and the pages show their tables only."""

from functools import cache

from django import template
from django.contrib.staticfiles import finders
from django.templatetags.static import static
from django.utils.html import format_html

register = template.Library()

ECHARTS = "vendor/echarts/echarts.min.js"


@cache
def echarts_installed() -> bool:
    return bool(finders.find(ECHARTS))


@register.simple_tag
def chart_scripts():
    if not echarts_installed():
        return ""
    return format_html(
        '<script src="{}" defer></script><script src="{}" defer></script>',
        static(ECHARTS),
        static("kesher/charts.js"),
    )
