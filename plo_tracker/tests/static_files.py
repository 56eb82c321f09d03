"""WhiteNoise as the product runs it, with the static files listed once per test process.

WhiteNoise lists every static file (about a thousand: the GOV.UK Frontend fonts and images and the
project's own) when its middleware is made. The product makes it once per process. Django's test
client makes it again for each `Client()`, so the listing ran for every test that made a request:
380 ms each time on a slow 2-core machine, over half of the authorization matrix's time. Here the
first listing in the process is kept and handed to every later middleware, so each test serves the
same files with the same headers as before, without walking the folders again.
"""

from __future__ import annotations

from typing import Any, ClassVar

from whitenoise.middleware import WhiteNoiseMiddleware


class WhiteNoiseListedOnce(WhiteNoiseMiddleware):
    _listed: ClassVar[dict[tuple[Any, ...], dict[str, Any]]] = {}

    def add_files_from_finders(self) -> None:
        key = (self.static_prefix, self.max_age, self.allow_all_origins, self.charset)
        listed = self._listed.get(key)
        if listed is None:
            before = dict(self.files)
            super().add_files_from_finders()
            listed = {url: found for url, found in self.files.items() if before.get(url) is not found}
            self._listed[key] = listed
        else:
            self.files.update(listed)
