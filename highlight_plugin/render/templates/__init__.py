"""The render room's Jinja2 templates (autoescaped: every text and attribute value is escaped; URLs are quoted
before they get here, since escaping does not quote them)."""
import functools

import jinja2


@functools.lru_cache(maxsize=None)
def environment() -> jinja2.Environment:
    """The templates beside this file, autoescaped, strict about undefined names."""
    return jinja2.Environment(loader=jinja2.PackageLoader('highlight_plugin.render', 'templates'),
                              autoescape=True, undefined=jinja2.StrictUndefined, trim_blocks=True,
                              lstrip_blocks=True, keep_trailing_newline=True)


def render_template(template: str, **context) -> str:
    """Render ``template`` (e.g. ``'report.html.j2'``) with ``context``."""
    return environment().get_template(template).render(**context)
