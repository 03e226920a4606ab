"""Report steps of chapter 5 (satisfaction with support versus preparedness for release) and
of its family extension (family contact and preparedness)."""

from __future__ import annotations

from .runner import ReportContext, StepOutput
from .steps import _generic, _workflow, register

__all__ = ["ch5_preparedness", "family_preparedness"]


@register(
    "ch5_preparedness",
    "ch5",
    "Satisfaction with support and preparedness",
    "Tevredenheid met ondersteuning en voorbereiding",
    "multivariate",
)
def ch5_preparedness(ctx: ReportContext) -> StepOutput:
    fn = _workflow("multivariate", "chapter5")
    return _generic("ch5", fn(ctx.inputs.prisoners), ctx)


@register(
    "family_preparedness",
    "family",
    "Family contact and preparedness",
    "Familiecontact en voorbereiding",
    "multivariate",
)
def family_preparedness(ctx: ReportContext) -> StepOutput:
    fn = _workflow("multivariate.family", "family_models")
    return _generic("family_prep", fn(ctx.inputs.prisoners), ctx)
