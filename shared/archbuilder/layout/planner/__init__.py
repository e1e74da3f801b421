"""spine-v2: a constructive floor planner.

It works on the exterior-wall centreline polygon (the footprint offset inwards by half the
exterior wall) and splits it into rectangular cells, one per room:

1. The polygon is decomposed into rectangles (zones); the largest is the main zone, the
   others are wings (``geometry``).
2. In the main zone a circulation spine (the brief's hall or corridor) runs along one axis;
   the bands on either side of it, and optionally a cap across one end, are slots.
   Each wing is one slot, cut into strips that all touch the zone it hangs from (``frames``).
3. Rooms are shared out over the slots (greedily for a few seeded room orders, and wings
   first with the room sets whose targets best match their area), then the spine position
   and cap depth are moved so every slot of the main zone gives its rooms the same share of
   their targets, and each slot is cut in proportion to the target areas (never below a
   room's minimum) (``shareout``). Every frame (spine axis, position, cap) and share-out is
   scored on area error, proportions, the entrance and how rooms are reached (``scoring``,
   ``search``); the best one that passes ``validate_layout`` and ``validate_rules`` is
   returned (``planner``).
4. Doors follow a cheapest-path tree over the cell adjacency from the entrance room, so
   rooms are reached through the hall or living spaces rather than through bedrooms
   (``circulation``).

Walls, doors and windows are derived from the cells; room outlines are the cells minus
the walls (shapely), so they are exact where a side is part exterior, part interior
(``build``, ``doors``, ``windows``).

Modules, from the bottom up: ``geometry`` (rectangles, wall runs, the site), ``room_types``
(per-type tables), ``job`` (the brief as the search sees it), ``frames``, ``shareout``,
``circulation``, ``windows``, ``scoring``, ``doors``, ``search``, ``build`` and ``planner``
(``SpinePlanner``).
"""

from archbuilder.layout.planner.planner import SpinePlanner

__all__ = ["SpinePlanner"]
