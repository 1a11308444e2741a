"""Every request and answer shape of the HTTP API, declared once with pydantic, by what each describes.

- ``kinds``: the kinds of fields, how a field words its errors (``Words``) and ``Schema``, the validator of a shape;
- ``policy``: a site's policy (``service.config`` checks one with it, so it needs only the kinds and the settings);
- ``api``: the rest of the native API (``/v1/...``);
- ``dropins``: Perspective, Coral Talk and Akismet;
- ``console``: the console's bodies (its ban and user action forms are the API's shapes).

Every name is here too (``from moderation.service.schemas import X``), loaded with its module when first asked for: checking a
policy while the settings load (``service.config``) then loads ``kinds`` and ``policy`` only, not the app's modules
that ``api`` needs.
"""

from importlib import import_module
from typing import Any

#: The modules, in the order a name is looked for: the kinds and the policy first, so that what the settings need
#: loads nothing else.
_MODULES = ("kinds", "policy", "api", "dropins", "console")


def __getattr__(name: str) -> Any:
    if not name.startswith("_"):
        for module in _MODULES:
            found = import_module(f".{module}", __name__)
            if name in vars(found):
                value = globals()[name] = vars(found)[name]
                return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    names = {n for m in _MODULES for n in vars(import_module(f".{m}", __name__)) if not n.startswith("_")}
    return sorted({*globals(), *names})
