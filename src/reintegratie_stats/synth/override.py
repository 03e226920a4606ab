"""Read and override named truth parameters by a dotted path (``"contact_beta.probation.facilitation"``).

A power or sensitivity study varies one true parameter of the twin while keeping the others at
their defaults. :class:`SynthParams` is frozen and many of its fields are nested mappings, so
``dataclasses.replace`` alone would need a hand-built copy of the nested dict; these helpers
do that copy for a path of keys and validate the result (``SynthParams.__post_init__``).

Examples
--------
>>> from reintegratie_stats.synth import get_parameter, set_parameters
>>> p = set_parameters({"contact_beta.probation.facilitation": 0.4, "has_children_rate": 0.5})
>>> get_parameter("contact_beta.probation.facilitation", p), p.has_children_rate
(0.4, 0.5)
>>> get_parameter("contact_beta.probation.facilitation")  # the default
0.8
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import fields, replace
from typing import Any

from .params import SynthParams

__all__ = ["get_parameter", "set_parameters"]


def _split(name: str) -> list[str]:
    if not isinstance(name, str) or not name:
        raise ValueError(f"a parameter name must be a non-empty string, got {name!r}")
    return name.split(".")


def get_parameter(name: str, params: SynthParams | None = None) -> Any:
    """The value of the truth parameter ``name`` (a field, or ``field.key[.key]``).

    Raises
    ------
    ValueError
        Naming the part of the path that does not exist and the names available there.
    """
    p = params or SynthParams()
    head, *rest = _split(name)
    names = [f.name for f in fields(SynthParams)]
    if head not in names:
        raise ValueError(f"SynthParams has no parameter {head!r} (in {name!r})")
    value: Any = getattr(p, head)
    path = head
    for key in rest:
        if not isinstance(value, Mapping) or key not in value:
            avail = sorted(value) if isinstance(value, Mapping) else []
            raise ValueError(
                f"parameter {name!r}: {path!r} has no key {key!r}"
                + (f"; keys are {avail}" if avail else " (it is not a mapping)")
            )
        value = value[key]
        path = f"{path}.{key}"
    return value


def _set(value: Any, keys: list[str], new: Any, path: str) -> Any:
    if not keys:
        return new
    key, *rest = keys
    if not isinstance(value, Mapping) or key not in value:
        raise ValueError(f"{path!r} has no key {key!r}")
    out = dict(value)  # a copy: the default dicts of other SynthParams stay untouched
    out[key] = _set(value[key], rest, new, f"{path}.{key}")
    return out


def set_parameters(overrides: Mapping[str, Any], params: SynthParams | None = None) -> SynthParams:
    """A new :class:`SynthParams` with the named parameters set (the others unchanged).

    Parameters
    ----------
    overrides : mapping
        ``{"dotted.name": value}``; a name is a field of :class:`SynthParams`, followed by keys
        of nested mappings (``"prep_beta.instr_ext_c"``, ``"facility_rates.has_family_room"``).
    params : SynthParams, optional
        Starting point (default ``SynthParams()``); not modified.

    Returns
    -------
    SynthParams
        Validated (an impossible value raises ``ValueError`` naming the field).
    """
    p = params or SynthParams()
    changes: dict[str, Any] = {}
    for name, value in overrides.items():
        get_parameter(name, p)  # clear error for an unknown name
        head, *rest = _split(name)
        current = changes.get(head, getattr(p, head))
        changes[head] = _set(current, rest, value, head)
    return replace(p, **changes)
