import pytest
import shapely
from shapely import LineString, Point, Polygon

from fm.db.types import Geometry
from fm.errors import ValidationError

SQUARE = Polygon([(139.5, 35.3), (139.6, 35.3), (139.6, 35.4), (139.5, 35.3)])


def test_polygon_is_promoted_for_a_multipolygon_column():
    checked = Geometry("MULTIPOLYGON").check(SQUARE)
    assert checked.geom_type == "MultiPolygon"
    assert checked.geoms[0].equals(SQUARE)


@pytest.mark.parametrize(
    ("column", "value", "message"),
    [
        ("GEOMETRY", "POINT (1 2)", "must be a shapely geometry"),
        ("GEOMETRY", Point(), "empty"),
        ("POINT", LineString([(139.5, 35.3), (139.6, 35.4)]), "is a LineString"),
        ("GEOMETRY", Point(35.3, 139.5), "not longitude/latitude"),
        ("GEOMETRY", Point(-30000.0, -80000.0), "not longitude/latitude"),
        ("GEOMETRY", Point(float("nan"), 35.0), "non-finite"),
        ("GEOMETRY", shapely.set_srid(Point(139.5, 35.3), 6677), "SRID 6677"),
    ],
)
def test_refuses_what_is_not_a_lonlat_geometry_of_the_column_type(column, value, message):
    with pytest.raises(ValidationError, match=message):
        Geometry(column).check(value)


def test_unknown_geometry_type_is_refused():
    with pytest.raises(ValueError, match="geometry_type"):
        Geometry("CIRCLE")
