"""A new web process answers its first request as fast as its hundredth (issue 10).

Django compiles a template the first time a page uses it and loads a language's message
catalogue the first time it translates: a new gunicorn worker's first 360° page took about
900 ms instead of 45. Every deploy or worker restart hands those first requests to real
users, and a benchmark run hits a cold worker now and then (the 360° page's p95 was
200 ms for one such request in twenty). ``warm_up`` does that work once, when the worker
starts (gunicorn.conf.py, ``post_worker_init``): Anju's own templates through the cached
loader, the message catalogues of every language, the URL resolver.
"""

import logging
from pathlib import Path

logger = logging.getLogger(__name__)


def warm_up() -> int:
    """Compile Anju's templates and load what the first request would; the number of
    templates compiled. Reads no database."""
    from django.conf import settings
    from django.template import engines
    from django.template.utils import get_app_template_dirs
    from django.urls import get_resolver
    from django.utils import translation

    get_resolver().check()  # imports every view module, builds the resolver
    for code, _name in settings.LANGUAGES:
        with translation.override(code):
            translation.gettext("Customer")
    own = (Path(settings.BASE_DIR) / "anju").resolve()
    compiled = 0
    for engine in engines.all():
        dirs = [*engine.engine.dirs, *get_app_template_dirs("templates")]
        for directory in map(Path, dirs):
            if not directory.resolve().is_relative_to(own):
                continue  # Django's admin and the like: pages staff seldom open
            for path in sorted(directory.rglob("*.html")):
                try:
                    engine.get_template(path.relative_to(directory).as_posix())
                except Exception:  # the page that uses it will say so; the worker still serves
                    logger.exception("template %s does not compile", path)
                else:
                    compiled += 1
    return compiled
