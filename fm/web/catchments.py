"""Catchments and the facility-location optimiser: ``/portfolio/catchments`` (the map, the sites and the areas, and
the sites to keep at the least cost), and their JSON ``/api/portfolio/catchments`` and ``/api/portfolio/optimise``
(= ``fm portfolio catchment|optimise … --format json``)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, current_app, render_template, request

from fm.app import catchments
from fm.errors import ValidationError
from fm.web.api import fiscal_year_arg, json_response
from fm.web.context import session
from fm.web.maps import embed, static_url
from fm.web.portfolio import _lang, kind_label

api = Blueprint("catchments_api", __name__)
pages = Blueprint("catchments", __name__, url_prefix="/portfolio")


def _number(name: str) -> float | None:
    raw = request.args.get(name, "").strip()
    if not raw:
        return None
    try:
        return float(raw)
    except ValueError:
        raise ValidationError(f"{name}: must be a number of metres, got {raw!r}") from None


def _options() -> dict[str, Any]:
    return {
        "distance_m": _number("distance"),
        "use_network": request.args.get("network") in ("1", "true", "on"),
        "fiscal_year": fiscal_year_arg(),
        "cell_m": _number("cell"),
    }


@api.get("/portfolio/catchments")
def catchments_json() -> Response:
    """Each site's population served (?kind=, distance, network=1, close, fiscal_year, cell)."""
    with session() as active:
        return json_response(
            catchments.catchment(active, request.args.get("kind", ""), close=request.args.get("close"), **_options())
        )


@api.get("/portfolio/optimise")
def optimise_json() -> Response:
    """The sites to keep (?kind=, distance=, keep= (repeatable), network=1, fiscal_year, cell)."""
    with session() as active:
        found = catchments.optimise(
            active, request.args.get("kind", ""), keep=request.args.getlist("keep"), **_options()
        )
        return json_response(found)


@pages.get("/catchments")
def page() -> Any:
    """The catchments of one kind of service on a map, with the sites, the areas and, on request, the optimum."""
    options = _options()
    if options["distance_m"] is None and "distance" not in request.args:
        options["distance_m"] = 1500.0
    close = request.args.get("close") or None
    with session() as active:
        kinds = catchments.kinds_with_sites(active)
        kind = request.args.get("kind") or ("library" if "library" in kinds or not kinds else kinds[0])
        if close is not None and close not in set(catchments.sites(active, kind)["code"]):
            close = None  # left from another kind chosen in the form: the page shows the kind without a closure
        result, sites, areas = catchments.catchment_result(active, kind, close=close, **options)
        m = catchments.catchment_map(
            result, sites, areas, tiles=current_app.config["FM_TILES"], static=static_url, lang=_lang()
        )
        optimum = None
        if request.args.get("optimise") == "1":
            optimum = catchments.optimise(active, kind, **options)
        years = catchments.population_years(active)
    return render_template(
        "portfolio_catchments.html",
        kind=kind,
        kinds=kinds,
        kind_label=kind_label,
        options=options,
        close=close,
        cells=catchments.CELLS,
        years=years,
        fiscal_year=int(areas["fiscal_year"].iloc[0]),
        result=result,
        sites=result.sites.to_dict("records"),
        areas=result.areas.to_dict("records"),
        optimum=optimum,
        map=embed(m),
    )
