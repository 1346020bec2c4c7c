"""Maps: which features a viewport gets (:mod:`.viewport`), as GeoJSON (:mod:`.geojson`), drawn by
Folium builders (:mod:`.build`) on a configurable basemap (:mod:`.basemap`) with fm's colours
(:mod:`.style`). Plain functions over frames: no Flask, no database."""
