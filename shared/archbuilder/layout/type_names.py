"""Door and window type names from their real sizes, and lengths in feet and inches.

A type name says what the element is: ``900 x 2100mm`` in metric, ``2'11 3/8" x 6'10 5/8"``
in imperial (a 914.4 × 2133.6 mm door is ``3'0" x 7'0"``). Imperial lengths are rounded to
the nearest eighth of an inch, so a name never claims a nominal size the element does not have.
The planner names in its region's system (imperial in the US); the DXF and IFC exports name in
the project's units.
"""

from __future__ import annotations

MM_PER_INCH = 25.4
EIGHTHS_PER_INCH = 8


def ft_in(mm: float) -> str:
    """A length in feet and inches to the nearest 1/8", as type names and drawings write it:
    914.4 → ``3'0"``, 900 → ``2'11 3/8"`` (messages say ``7 ft 2½ in``: ``compliance.units``)."""
    eighths = round(mm / MM_PER_INCH * EIGHTHS_PER_INCH)
    feet, eighths = divmod(eighths, 12 * EIGHTHS_PER_INCH)
    inches, eighths = divmod(eighths, EIGHTHS_PER_INCH)
    if eighths == 0:
        return f"{feet}'{inches}\""
    numerator, denominator = eighths, EIGHTHS_PER_INCH
    while numerator % 2 == 0:  # 4/8 → 1/2
        numerator, denominator = numerator // 2, denominator // 2
    return f"{feet}'{inches} {numerator}/{denominator}\""


def opening_type_name(width_mm: float, height_mm: float, *, imperial: bool = False) -> str:
    """The type name of a door or window of this size: ``900 x 2100mm`` or ``3'0" x 7'0"``."""
    if imperial:
        return f"{ft_in(width_mm)} x {ft_in(height_mm)}"
    return f"{width_mm:.0f} x {height_mm:.0f}mm"
