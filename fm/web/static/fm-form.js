/* fm forms: the geometry field's map (draw or edit with Leaflet-Geoman, or type WKT / "lon, lat";
   the text and the map follow each other both ways) and the plan form's asset picker.
   No inline handlers (CSP): everything is wired here. The server checks every value again. */
(function () {
  "use strict";

  var KAMAKURA = [35.319, 139.547];

  // ------------------------------------------------------------------ WKT <-> GeoJSON (2D)
  function parseWkt(text) {
    var s = String(text || "").trim();
    if (!s) return null;
    var lonlat = /^([-+]?\d+(?:\.\d+)?)\s*[,\s]\s*([-+]?\d+(?:\.\d+)?)$/.exec(s);
    if (lonlat) return {type: "Point", coordinates: [Number(lonlat[1]), Number(lonlat[2])]};
    var head = /^(?:SRID=\d+;)?\s*(MULTIPOLYGON|MULTILINESTRING|MULTIPOINT|POLYGON|LINESTRING|POINT)\s*(.*)$/i.exec(s);
    if (!head) return null;
    var type = head[1].toUpperCase(), body = head[2].trim();
    if (/^EMPTY$/i.test(body)) return null;
    var json = body.replace(/(-?\d+(?:\.\d+)?(?:e[-+]?\d+)?)\s+(-?\d+(?:\.\d+)?(?:e[-+]?\d+)?)/gi, "[$1,$2]")
      .replace(/\(/g, "[").replace(/\)/g, "]");
    var nested;
    try { nested = JSON.parse(json); } catch (e) { return null; }
    function point(p) { return Array.isArray(p) && p.length === 2 && p.every(isFinite) && typeof p[0] === "number"; }
    function points(list) { return Array.isArray(list) && list.length > 0 && list.every(point); }
    function rings(list) { return Array.isArray(list) && list.length > 0 && list.every(points); }
    switch (type) {
      case "POINT": return points(nested) && nested.length === 1 ? {type: "Point", coordinates: nested[0]} : null;
      case "LINESTRING": return points(nested) && nested.length > 1 ? {type: "LineString", coordinates: nested} : null;
      case "POLYGON": return rings(nested) ? {type: "Polygon", coordinates: nested} : null;
      case "MULTIPOINT":
        if (points(nested)) return {type: "MultiPoint", coordinates: nested};
        return rings(nested) && nested.every(function (r) { return r.length === 1; }) ?
          {type: "MultiPoint", coordinates: nested.map(function (r) { return r[0]; })} : null;
      case "MULTILINESTRING": return rings(nested) ? {type: "MultiLineString", coordinates: nested} : null;
      default:
        return Array.isArray(nested) && nested.length > 0 && nested.every(rings) ?
          {type: "MultiPolygon", coordinates: nested} : null;
    }
  }

  function round(n) { return Number(n.toFixed(7)); }
  function coords(p) { return round(p[0]) + " " + round(p[1]); }
  function line(list) { return "(" + list.map(coords).join(", ") + ")"; }
  function poly(rings) { return "(" + rings.map(line).join(", ") + ")"; }

  function toWkt(g) {
    switch (g.type) {
      case "Point": return "POINT (" + coords(g.coordinates) + ")";
      case "LineString": return "LINESTRING " + line(g.coordinates);
      case "Polygon": return "POLYGON " + poly(g.coordinates);
      case "MultiPoint": return "MULTIPOINT " + line(g.coordinates);
      case "MultiLineString": return "MULTILINESTRING (" + g.coordinates.map(line).join(", ") + ")";
      case "MultiPolygon": return "MULTIPOLYGON (" + g.coordinates.map(poly).join(", ") + ")";
      default: return "";
    }
  }

  // ------------------------------------------------------------------ the map
  function geometryField(box) {
    var text = document.getElementById("geometry"), note = document.getElementById("geometry-note");
    var polygonsOnly = box.getAttribute("data-shapes") === "polygon";
    var state = window.fmFormMap = {ready: false, map: null, layer: null, syncs: 0};
    var map = L.map(box, {zoomControl: true}).setView(KAMAKURA, 13);
    state.map = map;
    var tiles = JSON.parse(box.getAttribute("data-tiles") || "[]"), layers = {};
    tiles.forEach(function (t, i) {
      var layer = L.tileLayer(t.url, {attribution: t.attribution, minZoom: t.minZoom, maxZoom: t.maxZoom});
      layers[t.name] = layer;
      if (i === 0) layer.addTo(map);
    });
    if (tiles.length > 1) L.control.layers(layers, null, {position: "topright"}).addTo(map);
    L.control.scale({imperial: false}).addTo(map);
    var style = {color: "#b5462f", weight: 3, fillColor: "#b5462f", fillOpacity: 0.25};

    map.pm.setLang(document.documentElement.lang === "ja" ? "ja" : "en");
    map.pm.setGlobalOptions({pathOptions: style, snappable: true, continueDrawing: false});
    map.pm.addControls({
      position: "topleft", drawMarker: false, drawCircle: false, drawText: false, cutPolygon: false,
      rotateMode: false, drawCircleMarker: !polygonsOnly, drawPolyline: !polygonsOnly,
      drawRectangle: true, drawPolygon: true, editMode: true, dragMode: true, removalMode: true
    });
    // Geoman's buttons are empty links titled on their parent: give each the title as its name (WCAG 2.4.4, 4.1.2)
    box.querySelectorAll("[title] > .leaflet-buttons-control-button").forEach(function (button) {
      button.setAttribute("aria-label", button.parentNode.getAttribute("title"));
    });

    function say(message) {
      note.textContent = message || "";
      note.hidden = !message;
    }

    function fromMap() {
      if (!state.layer) { text.value = ""; return; }
      var g = state.layer.toGeoJSON();
      text.value = toWkt(g.geometry || g.features[0].geometry);
      state.syncs += 1;
      say("");
    }

    function watch(layer) {
      layer.on("pm:edit pm:dragend", fromMap);
      layer.on("pm:remove", function () { if (state.layer === layer) { state.layer = null; fromMap(); } });
    }

    function show(geometry, fit) {
      if (state.layer) map.removeLayer(state.layer);
      state.layer = null;
      if (!geometry) return;
      var group = L.geoJSON({type: "Feature", properties: {}, geometry: geometry}, {
        style: function () { return style; },
        pointToLayer: function (_f, latlng) { return L.circleMarker(latlng, L.extend({radius: 8}, style)); }
      });
      state.layer = group.getLayers()[0];
      state.layer.addTo(map);
      watch(state.layer);
      if (fit) {
        if (state.layer.getBounds) map.fitBounds(state.layer.getBounds(), {maxZoom: 18, padding: [30, 30]});
        else map.setView(state.layer.getLatLng(), Math.max(map.getZoom(), 17));
      }
    }

    function fromText() {
      var value = text.value.trim();
      if (!value) { show(null); say(""); return; }
      var geometry = parseWkt(value);
      if (!geometry) { say(box.getAttribute("data-invalid-text")); return; }
      say("");
      show(geometry, true);
      state.syncs += 1;
    }

    map.on("pm:create", function (event) {
      if (state.layer) map.removeLayer(state.layer);  // one geometry a record: a new drawing replaces it
      state.layer = event.layer;
      watch(event.layer);
      fromMap();
    });
    map.on("pm:remove", function (event) {
      if (event.layer === state.layer) { state.layer = null; fromMap(); }
    });

    var timer = null;
    text.addEventListener("input", function () {
      clearTimeout(timer);
      timer = setTimeout(fromText, 300);
    });
    text.addEventListener("change", function () { clearTimeout(timer); fromText(); });

    fromText();
    state.syncs = 0;
    state.ready = true;
    document.documentElement.setAttribute("data-fm-form-map", "ready");
  }

  // ------------------------------------------------------------------ the plan's asset picker
  function assetPicker(input) {
    var target = document.getElementById(input.getAttribute("data-target"));
    var list = document.getElementById("asset-results"), timer = null, asked = 0;

    function codes() { return target.value.split(/[\s,、;；]+/).filter(Boolean); }

    function add(code) {
      var have = codes();
      if (have.indexOf(code) < 0) target.value = have.concat([code]).join("\n");
    }

    function search() {
      var q = input.value.trim(), ticket = ++asked;
      if (!q) { list.textContent = ""; return; }
      fetch(input.getAttribute("data-source") + "?q=" + encodeURIComponent(q), {credentials: "same-origin"})
        .then(function (response) { return response.ok ? response.json() : []; })
        .then(function (found) {
          if (ticket !== asked) return;
          list.textContent = "";
          found.forEach(function (asset) {
            var item = document.createElement("li"), name = document.createElement("span");
            var button = document.createElement("button");
            name.textContent = asset.code + " " + asset.name;
            button.type = "button";
            button.textContent = input.getAttribute("data-add");
            button.addEventListener("click", function () { add(asset.code); });
            item.appendChild(name);
            item.appendChild(button);
            list.appendChild(item);
          });
        });
    }

    input.addEventListener("input", function () { clearTimeout(timer); timer = setTimeout(search, 250); });
    input.addEventListener("keydown", function (event) {
      if (event.key === "Enter") { event.preventDefault(); clearTimeout(timer); search(); }
    });
  }

  function start() {
    // A refused save: focus goes to the summary of what to correct, each line a link to its field (WCAG 3.3.1)
    var summary = document.getElementById("form-errors");
    if (summary) summary.focus();
    var box = document.getElementById("form-map");
    if (box) geometryField(box);
    var picker = document.querySelector(".asset-search");
    if (picker) assetPicker(picker);
  }

  window.fmWkt = {parse: parseWkt, write: toWkt};
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
