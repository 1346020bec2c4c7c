/* fm maps: the asset layers of a Folium map, drawn on Leaflet's canvas renderer.
   Fed by the app's viewport endpoint (features, or clusters when the viewport holds too many),
   or by a FeatureCollection inlined in an exported file. window.fmMapState tells tests and the
   benchmark what was drawn. */
(function () {
  "use strict";

  var state = window.fmMapState = {ready: false, mode: null, drawn: 0, total: 0, requests: 0, errors: []};

  function esc(value) {
    return String(value == null ? "" : value).replace(/[&<>"']/g, function (c) {
      return {"&": "&amp;", "<": "&lt;", ">": "&gt;", "\"": "&quot;", "'": "&#39;"}[c];
    });
  }

  function format(template, values) {
    return template.replace(/\{(\w+)\}/g, function (_, key) {
      return values[key] == null ? "" : Number(values[key]).toLocaleString();
    });
  }

  // Steps of drawing a standalone file, timed for the benchmark (bench/maps.py reads them): performance.measure.
  function step(name, since) {
    if (window.performance && performance.measure) performance.measure("fm:" + name, {start: since, end: performance.now()});
    return performance.now();
  }

  function ready() {
    if (!state.ready) state.readyAt = performance.now();  // since navigation began
    state.ready = true;
    document.documentElement.setAttribute("data-fm-map", "ready");
  }

  function cardHtml(card, properties, cfg) {
    var labels = cfg.labels, rows = [];
    function row(label, html) { rows.push("<tr><th>" + esc(label) + "</th><td>" + html + "</td></tr>"); }
    function swatch(colour) {  // an SVG fill, not a style attribute: the CSP allows no inline styles
      return "<svg class=\"fm-swatch\" viewBox=\"0 0 10 10\"><circle cx=\"5\" cy=\"5\" r=\"5\" fill=\"" + esc(colour) + "\"/></svg>";
    }
    if (cfg.layer !== "risk") row(labels.class, swatch(cfg.colours[properties["class"]]) + esc(cfg.classes[properties["class"]]));
    row(labels.category, esc(card.category));
    if (card.district) row(labels.district, esc(card.district));
    row(labels.condition, esc(card.condition || labels.none));
    row(labels.last_inspected, esc(card.last_inspected_on || labels.never));
    if (card.next_due_on) row(labels.next_due, esc(card.next_due_on));
    row(labels.risk, swatch(card.risk_colour) + esc(card.risk) + (card.score == null ? "" : " (" + card.score.toFixed(3) + ")"));
    var html = "<div class=\"fm-card\"><h3>" + esc(card.name) + " <small>" + esc(card.code) + "</small></h3><table>" +
      rows.join("") + "</table>";
    if (card.reasons.length) {
      html += "<p>" + esc(labels.reasons) + "</p><ul>" + card.reasons.map(function (r) {
        return "<li>" + esc(r) + "</li>";
      }).join("") + "</ul>";
    }
    html += "<p>" + esc(labels.planned) + "</p><ul>" + (card.planned.length ? card.planned.map(function (w) {
      return "<li>" + esc(w.due) + " " + esc(w.kind) + (w.cost == null ? "" : " ¥" + Number(w.cost).toLocaleString()) +
        (w.reference ? " (" + esc(w.reference) + ")" : "") + "</li>";
    }).join("") : "<li>" + esc(labels.none) + "</li>") + "</ul>";
    if (card.url) html += "<a href=\"" + esc(card.url) + "\">" + esc(labels.open) + "</a>";
    return html + "</div>";
  }

  function legend(map, html) {
    var control = L.control({position: "bottomright"});
    control.onAdd = function () {
      var div = L.DomUtil.create("div", "fm-legend");
      div.innerHTML = html;
      L.DomEvent.disableClickPropagation(div);
      return div;
    };
    control.addTo(map);
    if (!window.fmMapAssets) ready();  // maps without an asset layer are complete once built
  }

  function caption(map, text) {
    var div = L.DomUtil.create("div", "fm-caption", map.getContainer());
    div.textContent = text;
    // A popup opened near the top pans the map to show itself below the caption, not under it.
    L.Popup.mergeOptions({autoPanPaddingTopLeft: L.point(5, div.offsetTop + div.offsetHeight + 5)});
  }

  function scale(map) {
    L.control.scale({imperial: false}).addTo(map);
  }

  function assetLayer(map, groups, cfg) {
    window.fmMapAssets = true;
    var labels = cfg.labels, source = cfg.source, pending = null, timer = null, loaded = null, openCode = null;
    // Points on a canvas of their own above lines and areas, so no pipe hides a building.
    map.createPane("fmPoints").style.zIndex = 450;
    var points = L.canvas({pane: "fmPoints"});
    var clusters = L.layerGroup().addTo(map), layers = {};
    var status = L.control({position: "bottomleft"});
    status.onAdd = function () { this._div = L.DomUtil.create("div", "fm-status"); return this._div; };
    status.addTo(map);

    function say(text, error) {
      status._div.textContent = text;
      status._div.className = "fm-status" + (error ? " fm-error" : "");
    }

    function colour(properties) { return cfg.colours[properties["class"]] || "#777777"; }

    // The features in view as a table after the map, for a screen reader or a keyboard (JIS X 8341-3 1.1.1, 1.3.1):
    // code, category and class by name, never by colour alone (1.4.1). Rebuilt on every redraw; announced politely.
    var frame = map.getContainer().closest(".map-frame") || map.getContainer();
    var listing = document.createElement("section");
    listing.className = "fm-in-view";
    listing.setAttribute("aria-live", "polite");
    listing.setAttribute("aria-label", labels.in_view);
    listing.tabIndex = 0;  // it scrolls: reachable by keyboard
    frame.parentNode.insertBefore(listing, frame.nextSibling);

    function table(caption, heads, rows) {
      listing.innerHTML = "<table class=\"counts\"><caption>" + esc(caption) + "</caption><thead><tr>" +
        heads.map(function (h) { return "<th scope=\"col\">" + esc(h) + "</th>"; }).join("") + "</tr></thead><tbody>" +
        rows.map(function (r) { return "<tr>" + r.map(function (c) { return "<td>" + esc(c) + "</td>"; }).join("") +
          "</tr>"; }).join("") + "</tbody></table>";
    }

    function list(collection) {
      if (state.mode === "clusters") {
        var counts = {};
        collection.features.forEach(function (f) {
          Object.keys(f.properties.classes).forEach(function (key) {
            counts[key] = (counts[key] || 0) + f.properties.classes[key];
          });
        });
        table(labels.in_view_clusters, [labels.class, labels.count], Object.keys(cfg.classes).filter(function (key) {
          return counts[key];
        }).map(function (key) { return [cfg.classes[key], counts[key].toLocaleString()]; }));
        return;
      }
      table(labels.in_view, [labels.code, labels.category, labels.class], collection.features.map(function (f) {
        var p = f.properties;
        return [p.code, (cfg.categories || {})[p.category] || p.category, cfg.classes[p["class"]] || p["class"]];
      }));
    }

    function bindCard(feature, layer) {
      var properties = feature.properties;
      if (properties.card) {
        layer.bindPopup(cardHtml(properties.card, properties, cfg), {maxWidth: 380});
        return;
      }
      layer.bindPopup(esc(labels.loading), {maxWidth: 380});
      layer.on("popupclose", function () { if (openCode === properties.code) openCode = null; });
      layer.on("popupopen", function (event) {
        openCode = properties.code;
        fetch(source.card.replace("__CODE__", encodeURIComponent(properties.code)))
          .then(function (response) {
            return response.json().then(function (body) {
              if (!response.ok) throw new Error(body.error ? body.error.message : response.status);
              return body;
            });
          })
          .then(function (card) { event.popup.setContent(cardHtml(card, properties, cfg)); })
          .catch(function (error) { event.popup.setContent(esc(labels.error + " " + error.message)); });
      });
    }

    Object.keys(groups).forEach(function (code) {
      layers[code] = L.geoJSON(null, {
        style: function (feature) {
          var c = colour(feature.properties);
          if (feature.geometry.type === "Point") return {color: "#333333", weight: 1, opacity: 1, fillColor: c, fillOpacity: 0.95};
          return {color: c, weight: map.getZoom() >= 16 ? 4 : 2, opacity: 0.95, fillColor: c, fillOpacity: 0.5};
        },
        pointToLayer: function (feature, latlng) {
          return L.circleMarker(latlng, {renderer: points, radius: 6});
        },
        onEachFeature: bindCard
      }).addTo(groups[code]);
    });

    function cluster(feature) {
      var p = feature.properties, latlng = L.latLng(feature.geometry.coordinates[1], feature.geometry.coordinates[0]);
      var size = Math.round(26 + 8 * Math.log10(p.count));
      var disc = document.createElement("div");  // styled through the DOM: the CSP allows no style attributes
      disc.className = "fm-cluster";
      disc.textContent = p.count.toLocaleString();
      disc.style.background = colour(p);
      disc.style.width = disc.style.height = size + "px";
      disc.style.lineHeight = (size - 4) + "px";
      var marker = L.marker(latlng, {icon: L.divIcon({className: "", iconSize: [size, size], html: disc})});
      var lines = Object.keys(p.classes).map(function (key) {
        return esc(cfg.classes[key] || key) + ": " + p.classes[key].toLocaleString();
      });
      marker.bindTooltip(esc(format(labels.cluster, {count: p.count})) + "<br>" + lines.join("<br>"));
      marker.on("click", function () { map.setView(latlng, Math.min(map.getZoom() + 2, 19)); });
      return marker;
    }

    function reopen(code) {
      Object.keys(layers).forEach(function (category) {
        layers[category].eachLayer(function (layer) {
          if (layer.feature.properties.code === code) layer.openPopup();
        });
      });
    }

    function draw(collection) {
      var keep = openCode;  // a card open before the redraw stays open on the asset's new layer
      clusters.clearLayers();
      Object.keys(layers).forEach(function (code) { layers[code].clearLayers(); });
      state.mode = collection.mode || "features";
      state.total = collection.total == null ? collection.features.length : collection.total;
      if (state.mode === "clusters") {
        collection.features.forEach(function (feature) { clusters.addLayer(cluster(feature)); });
        say(format(labels.clustered, {total: state.total, count: collection.features.length}));
      } else {
        var byCategory = {};
        collection.features.forEach(function (feature) {
          (byCategory[feature.properties.category] = byCategory[feature.properties.category] || []).push(feature);
        });
        Object.keys(byCategory).forEach(function (code) { if (layers[code]) layers[code].addData(byCategory[code]); });
        say(format(labels.shown, {count: collection.features.length}));
      }
      state.drawn = collection.features.length;
      list(collection);
      if (keep && state.mode === "features") reopen(keep);
      ready();
    }

    function visible() {
      return Object.keys(groups).filter(function (code) { return map.hasLayer(groups[code]); });
    }

    function load(event) {
      // A small move (a popup panning into view) inside what was loaded, at the same zoom and with
      // the same layers, needs nothing new.
      var view = map.getBounds(), key = map.getZoom() + "|" + visible().join(",");
      if (event && event.type === "moveend" && loaded && loaded.key === key && loaded.bounds.contains(view)) return;
      var bounds = view.pad(0.1), params = new URLSearchParams(source.filters || {});
      loaded = {key: key, bounds: bounds};
      var box = [Math.max(bounds.getWest(), -180), Math.max(bounds.getSouth(), -90),
                 Math.min(bounds.getEast(), 180), Math.min(bounds.getNorth(), 90)];
      params.set("bbox", box.map(function (v) { return v.toFixed(6); }).join(","));
      params.set("zoom", String(map.getZoom()));
      params.set("category", visible().join(","));
      if (pending) pending.abort();
      pending = new AbortController();
      state.requests += 1;
      say(labels.loading);
      fetch(source.endpoint + "?" + params.toString(), {signal: pending.signal, headers: {Accept: "application/json"}})
        .then(function (response) {
          return response.json().then(function (body) {
            if (!response.ok) throw new Error(body.error ? body.error.message : String(response.status));
            return body;
          });
        })
        .then(draw)
        .catch(function (error) {
          if (error.name === "AbortError") return;
          loaded = null;  // nothing was drawn for this view: the next move asks again
          state.errors.push(error.message);
          say(labels.error + " " + error.message, true);
          ready();
        });
    }

    if (source.data) {
      draw(source.data);
      return;
    }
    if (source.packed) {
      var begin = step("page", 0);
      unpack(source.packed, begin).then(function (packed) {
        if (packed.count < (source.canvas_from == null ? Infinity : source.canvas_from)) {
          return packed.cards().then(function () {
            draw(packedCollection(packed));  // few: a Leaflet layer each, as the app's pages draw them
          });
        }
        canvasLayer(map, groups, cfg, packed, say, table);
        // The cards read once the map is on screen: a popup opened before then shows its card when it is read.
        requestAnimationFrame(function () { setTimeout(packed.reader, 0); });
      }).catch(function (error) {
        state.errors.push(String(error));
        say(labels.error + " " + error, true);
        ready();
      });
      return;
    }
    function schedule(event) { clearTimeout(timer); timer = setTimeout(function () { load(event); }, 150); }
    map.on("moveend overlayadd overlayremove", schedule);
    load();
  }

  // A standalone file's packed features (fm/domain/maps/packed.py): base64 of gzip, decompressed by the browser.
  function bytes(text) {  // the browser's own base64 decoder where it has one, else a plain loop
    if (Uint8Array.fromBase64) return Uint8Array.fromBase64(text);
    var binary = atob(text), out = new Uint8Array(binary.length);
    for (var i = 0; i < binary.length; i++) out[i] = binary.charCodeAt(i);
    return out;
  }

  function inflate(text) {
    var stream = new Blob([bytes(text)]).stream().pipeThrough(new DecompressionStream("gzip"));
    return new Response(stream).arrayBuffer();
  }

  function inflateJson(text) {
    return inflate(text).then(function (data) { return JSON.parse(new TextDecoder().decode(data)); });
  }

  // The geometry and codes at once; the cards (most of the bytes) at the first call of out.cards().
  function unpack(packed, begin) {
    return Promise.all([inflate(packed.geometry), inflateJson(packed.codes)]).then(function (parts) {
      begin = step("inflate", begin);
      var data = parts[0], types = {uint8: Uint8Array, uint32: Uint32Array, int32: Int32Array}, out = {
        count: packed.count, categories: packed.categories, classes: packed.classes, code: parts[1], card: null
      };
      Object.keys(packed.layout).forEach(function (name) {
        var spec = packed.layout[name];
        out[name] = new types[spec[0]](data, spec[1], spec[2]);
      });
      var loading = null, worker = null, asked = 0, answers = {};
      out.cards = function () {  // every card on this thread (a small file, drawn as Leaflet layers)
        if (!loading) {
          loading = packed.cards ? inflateJson(packed.cards).then(function (card) {
            out.card = card;
            return card;
          }) : Promise.resolve(null);
        }
        return loading;
      };
      // The cards of a large file are read and looked up by a worker, so that the page's thread never spends the
      // half second parsing them: a card is asked for by index when a tooltip or popup needs it.
      out.reader = function () {
        if (worker !== null || !packed.cards) return;
        try {
          var code = [bytes, inflate, inflateJson, cell, card, cardWorker].map(String).join("\n") + "\ncardWorker();";
          worker = new Worker(URL.createObjectURL(new Blob([code], {type: "text/javascript"})));
          worker.onmessage = function (event) {
            answers[event.data.id].resolve(event.data.card);
            delete answers[event.data.id];
          };
          worker.onerror = function () {  // refused (a page's policy) or failed: the cards on this thread
            worker = false;
            Object.keys(answers).forEach(function (id) { here(answers[id].index).then(answers[id].resolve); });
            answers = {};
          };
          worker.postMessage({cards: packed.cards});
        } catch (error) {
          worker = false;  // no worker allowed: the cards on this thread
        }
      };
      function here(i) { return out.cards().then(function () { return card(out, i); }); }
      out.cardOf = function (i) {
        if (!packed.cards) return Promise.resolve(null);
        out.reader();
        if (!worker) return here(i);
        return new Promise(function (resolve) {
          asked += 1;
          answers[asked] = {resolve: resolve, index: i};
          worker.postMessage({id: asked, index: i});
        });
      };
      var n = out.x.length, lon = new Float64Array(n), lat = new Float64Array(n);
      for (var i = 0; i < n; i++) {
        lon[i] = (out.x[i] + packed.origin[0]) / packed.scale;
        lat[i] = (out.y[i] + packed.origin[1]) / packed.scale;
      }
      out.lon = lon;
      out.lat = lat;
      step("decode", begin);
      return out;
    });
  }

  // One card from the columns (fm/domain/maps/packed.py): a list per field, few distinct texts as values and an
  // index each, reasons and planned work as offsets into flat lists.
  function cell(column, i) {
    if (Array.isArray(column)) return column[i];
    if (column.codes) return column.codes[i] < 0 ? null : column.values[column.codes[i]];
    var out = [], items = column.items, keys = Array.isArray(items) ? null : Object.keys(items);
    for (var j = column.offsets[i]; j < column.offsets[i + 1]; j++) {
      if (!keys) { out.push(items[j]); continue; }
      var item = {};
      keys.forEach(function (key) { item[key] = items[key][j]; });
      out.push(item);
    }
    return out;
  }

  function cardWorker() {  // the body of the cards' worker (out.reader): the cards read once, then one per question
    var columns = null, waiting = [];
    function answer(question) { postMessage({id: question.id, card: card({card: columns}, question.index)}); }
    onmessage = function (event) {
      if (event.data.cards !== undefined) {
        inflateJson(event.data.cards).then(function (read) {
          columns = read;
          waiting.forEach(answer);
          waiting = [];
        });
      } else if (columns) {
        answer(event.data);
      } else {
        waiting.push(event.data);
      }
    };
  }

  function card(packed, i) {
    if (!packed.card) return null;
    var out = {};
    Object.keys(packed.card).forEach(function (key) { out[key] = cell(packed.card[key], i); });
    return out;
  }

  function properties(packed, i) {
    return {code: packed.code[i], category: packed.categories[packed.category[i]], "class": packed.classes[packed["class"][i]]};
  }

  function paths(packed, i) {
    var out = [];
    for (var p = packed.feature_paths[i]; p < packed.feature_paths[i + 1]; p++) {
      var ring = [];
      for (var v = packed.path_vertices[p]; v < packed.path_vertices[p + 1]; v++) ring.push([packed.lon[v], packed.lat[v]]);
      out.push(ring);
    }
    return out;
  }

  function packedCollection(packed) {
    var features = [];
    for (var i = 0; i < packed.count; i++) {
      var rings = paths(packed, i), kind = packed.kind[i], geometry;
      if (kind === 0) geometry = rings.length === 1 ? {type: "Point", coordinates: rings[0][0]} :
        {type: "MultiPoint", coordinates: rings.map(function (r) { return r[0]; })};
      else if (kind === 1) geometry = rings.length === 1 ? {type: "LineString", coordinates: rings[0]} :
        {type: "MultiLineString", coordinates: rings};
      else geometry = {type: "MultiPolygon", coordinates: rings.map(function (r) { return [r]; })};
      var p = properties(packed, i);
      p.card = card(packed, i);
      features.push({type: "Feature", geometry: geometry, properties: p});
    }
    return {type: "FeatureCollection", mode: "features", total: packed.count, features: features};
  }

  var LISTED = 1000;  // the most features the table after a canvas map lists (those in view, first ones)

  // Every feature of a large standalone file on one canvas, redrawn after each move from the typed arrays;
  // the feature under the pointer found by its index (a tooltip, and the card's popup on a click).
  function canvasLayer(map, groups, cfg, packed, say, table) {
    var labels = cfg.labels, n = packed.count, pane = map.createPane("fmCanvas");
    pane.style.zIndex = 420;
    pane.style.pointerEvents = "none";
    var begin = performance.now();
    var canvas = L.DomUtil.create("canvas", "fm-canvas", pane), context = canvas.getContext("2d");
    // Points on a canvas of their own above lines and areas, written pixel by pixel (stamp, below).
    var dots = L.DomUtil.create("canvas", "fm-canvas", pane), dotContext = dots.getContext("2d");
    var mx = new Float64Array(packed.lon.length), my = new Float64Array(packed.lat.length);
    for (var v = 0; v < mx.length; v++) {  // Web Mercator, 0–1 across the world
      mx[v] = (packed.lon[v] + 180) / 360;
      var s = Math.sin(packed.lat[v] * Math.PI / 180);
      my[v] = 0.5 - Math.log((1 + s) / (1 - s)) / (4 * Math.PI);
    }
    var shown = {}, colours = packed.classes.map(function (key) {
      return cfg.colours[key] || "#777777";
    });
    var view = null, tooltip = L.tooltip({direction: "top", offset: [0, -6]}), frameRequest = null, pointed = -1;

    function visibleCategories() {
      shown = {};
      packed.categories.forEach(function (code, index) { shown[index] = !groups[code] || map.hasLayer(groups[code]); });
    }

    function place() {
      var size = map.getSize(), topLeft = map.containerPointToLayerPoint([0, 0]), ratio = window.devicePixelRatio || 1;
      [canvas, dots].forEach(function (each) {
        L.DomUtil.setPosition(each, topLeft);
        each.width = Math.round(size.x * ratio);
        each.height = Math.round(size.y * ratio);
        each.style.width = size.x + "px";
        each.style.height = size.y + "px";
      });
      context.setTransform(ratio, 0, 0, ratio, 0, 0);
      var origin = map.project(map.containerPointToLatLng([0, 0]), map.getZoom());
      view = {scale: 256 * Math.pow(2, map.getZoom()), x: origin.x, y: origin.y, width: size.x, height: size.y,
              ratio: ratio};
    }

    function sx(v) { return mx[v] * view.scale - view.x; }
    function sy(v) { return my[v] * view.scale - view.y; }

    // Each feature's box (Web Mercator) and the features by kind and class, so that a redraw fills and strokes
    // one path per kind and class instead of one per feature.
    var box = new Float64Array(4 * n), buckets = [[], [], []], c, k, i;
    for (k = 0; k < 3; k++) for (c = 0; c < packed.classes.length; c++) buckets[k].push([]);
    for (i = 0; i < n; i++) {
      var minX = Infinity, minY = Infinity, maxX = -Infinity, maxY = -Infinity;
      for (var at = packed.path_vertices[packed.feature_paths[i]]; at < packed.path_vertices[packed.feature_paths[i + 1]]; at++) {
        minX = Math.min(minX, mx[at]); maxX = Math.max(maxX, mx[at]); minY = Math.min(minY, my[at]); maxY = Math.max(maxY, my[at]);
      }
      box[4 * i] = minX; box[4 * i + 1] = minY; box[4 * i + 2] = maxX; box[4 * i + 3] = maxY;
      buckets[packed.kind[i]][packed["class"][i]].push(i);
    }

    begin = step("index", begin);  // where the first drawing starts

    function inView(i) {
      return box[4 * i + 2] * view.scale - view.x >= -8 && box[4 * i] * view.scale - view.x <= view.width + 8 &&
        box[4 * i + 3] * view.scale - view.y >= -8 && box[4 * i + 1] * view.scale - view.y <= view.height + 8;
    }

    function trace(i) {
      for (var p = packed.feature_paths[i]; p < packed.feature_paths[i + 1]; p++) {
        var first = packed.path_vertices[p], last = packed.path_vertices[p + 1];
        context.moveTo(sx(first), sy(first));
        for (var v = first + 1; v < last; v++) context.lineTo(sx(v), sy(v));
        if (packed.kind[i] === 2) context.closePath();
      }
    }

    // A point is a stamp of its class's dot (drawn once per class and size on a small canvas, anti-aliased), its
    // pixels blended into one image of every point: 100,000 points in tens of milliseconds, where as many arcs
    // filled and stroked by the canvas took half a second.
    var stamps = {};
    function stampOf(cls, radius) {
      var ratio = view.ratio, key = cls + "|" + radius + "|" + ratio;
      if (stamps[key]) return stamps[key];
      var half = radius + 1, size = Math.ceil(2 * half * ratio), dot = document.createElement("canvas");
      dot.width = dot.height = size;
      var pen = dot.getContext("2d");
      pen.scale(ratio, ratio);
      pen.beginPath();
      pen.arc(half, half, radius, 0, 2 * Math.PI);
      pen.globalAlpha = 0.95;
      pen.fillStyle = colours[cls];
      pen.fill();
      pen.globalAlpha = 1;
      pen.lineWidth = 1;
      pen.strokeStyle = "#333333";
      pen.stroke();
      var rgba = pen.getImageData(0, 0, size, size).data, stamp = {size: size, at: [], rgba: []};
      for (var p = 0; p < size * size; p++) {
        if (!rgba[4 * p + 3]) continue;
        stamp.at.push(p);
        stamp.rgba.push(rgba[4 * p], rgba[4 * p + 1], rgba[4 * p + 2], rgba[4 * p + 3]);
      }
      return (stamps[key] = stamp);
    }

    function stamp(points, radius) {  // points: [class, [features]] worst last
      var width = dots.width, height = dots.height, image = dotContext.createImageData(width, height);
      var out = image.data;
      points.forEach(function (entry) {
        var mark = stampOf(entry[0], radius), size = mark.size, at = mark.at, rgba = mark.rgba, count = at.length;
        var shift = size / 2;
        entry[1].forEach(function (i) {
          for (var p = packed.feature_paths[i]; p < packed.feature_paths[i + 1]; p++) {
            var v = packed.path_vertices[p];
            var left = Math.round(sx(v) * view.ratio - shift), top = Math.round(sy(v) * view.ratio - shift);
            for (var k = 0; k < count; k++) {
              var x = left + at[k] % size, y = top + ((at[k] / size) | 0);
              if (x < 0 || y < 0 || x >= width || y >= height) continue;
              var o = 4 * (y * width + x), a = rgba[4 * k + 3] / 255, below = out[o + 3] / 255 * (1 - a);
              var alpha = a + below;  // source over: the stamp above what is there
              out[o] = (rgba[4 * k] * a + out[o] * below) / alpha;
              out[o + 1] = (rgba[4 * k + 1] * a + out[o + 1] * below) / alpha;
              out[o + 2] = (rgba[4 * k + 2] * a + out[o + 2] * below) / alpha;
              out[o + 3] = alpha * 255;
            }
          }
        });
      });
      dotContext.putImageData(image, 0, 0);
    }

    var first = begin;  // the first drawing is timed
    function redraw() {
      grid = null;  // made again for this view at the next pointer move
      visibleCategories();
      place();
      context.clearRect(0, 0, view.width, view.height);
      var zoom = map.getZoom(), drawn = 0, listed = [], wide = zoom >= 16 ? 4 : 2;
      var radius = zoom >= 15 ? 6 : zoom >= 13 ? 4 : 3, points = [];  // the whole city readable, not a blot
      [2, 1, 0].forEach(function (kind) {  // areas, then lines, then points above them
        buckets[kind].slice().reverse().forEach(function (members, back) {  // the worst class drawn last, on top
          var cls = buckets[kind].length - 1 - back;
          context.beginPath();
          var any = false, inside = [];
          members.forEach(function (i) {
            if (!shown[packed.category[i]] || !inView(i)) return;
            any = true;
            drawn += 1;
            if (listed.length < LISTED) listed.push(i);
            if (kind !== 0) trace(i); else inside.push(i);
          });
          if (kind === 0) points.push([cls, inside]);
          if (!any || kind === 0) return;
          var colour = colours[cls];
          if (kind !== 1) {
            context.globalAlpha = kind === 0 ? 0.95 : 0.5;
            context.fillStyle = colour;
            context.fill("evenodd");
          }
          context.globalAlpha = kind === 0 ? 1 : 0.95;
          context.lineWidth = kind === 0 ? 1 : wide;
          context.strokeStyle = kind === 0 ? "#333333" : colour;
          context.stroke();
          context.globalAlpha = 1;
        });
      });
      stamp(points, radius);
      var painted = first && step("paint", first);
      state.mode = "features";
      state.total = n;
      state.drawn = countShown();
      say(format(labels.shown, {count: state.drawn}));
      listed.sort(function (a, b) { return a - b; });
      table(labels.in_view + (drawn > listed.length ? " (" + listed.length.toLocaleString() + " / " +
        drawn.toLocaleString() + ")" : ""), [labels.code, labels.category, labels["class"]], listed.map(function (i) {
        var p = properties(packed, i);
        return [p.code, (cfg.categories || {})[p.category] || p.category, cfg.classes[p["class"]] || p["class"]];
      }));
      if (first) step("table", painted);
      first = null;
      ready();
    }

    function countShown() {
      var count = 0;
      for (var i = 0; i < n; i++) if (shown[packed.category[i]]) count += 1;
      return count;
    }

    function near(px, py, x1, y1, x2, y2) {  // squared distance from a point to a segment
      var dx = x2 - x1, dy = y2 - y1, t = dx || dy ? ((px - x1) * dx + (py - y1) * dy) / (dx * dx + dy * dy) : 0;
      t = Math.max(0, Math.min(1, t));
      var ex = x1 + t * dx - px, ey = y1 + t * dy - py;
      return ex * ex + ey * ey;
    }

    // The feature at a point of the map: a point within 8 px first, then a line within 5 px, then an area around it.
    // The features drawn in view by 32-pixel cell of the screen (each in every cell its box, 8 px wider, meets),
    // made at the first pointer move or click after a redraw: a hit then looks at one cell's features.
    var grid = null, CELL = 32;
    function cellsOf() {
      if (grid) return grid;
      var columns = Math.ceil(view.width / CELL), rows = Math.ceil(view.height / CELL), cells = new Array(columns * rows);
      function at(value, most) { return Math.max(0, Math.min(most - 1, Math.floor(value / CELL))); }
      for (var i = 0; i < n; i++) {
        if (!shown[packed.category[i]] || !inView(i)) continue;
        var x1 = at(box[4 * i] * view.scale - view.x - 8, columns), x2 = at(box[4 * i + 2] * view.scale - view.x + 8, columns);
        var y1 = at(box[4 * i + 1] * view.scale - view.y - 8, rows), y2 = at(box[4 * i + 3] * view.scale - view.y + 8, rows);
        for (var y = y1; y <= y2; y++) {
          for (var x = x1; x <= x2; x++) (cells[y * columns + x] = cells[y * columns + x] || []).push(i);
        }
      }
      return (grid = {cells: cells, columns: columns, rows: rows});
    }

    function hit(point) {
      var found = cellsOf(), column = Math.floor(point.x / CELL), row = Math.floor(point.y / CELL);
      if (column < 0 || row < 0 || column >= found.columns || row >= found.rows) return -1;
      var candidates = found.cells[row * found.columns + column] || [];
      var best = -1, bestDistance = Infinity, bestPoint = false, inside = -1;
      for (var c = 0; c < candidates.length; c++) {
        var i = candidates[c], kind = packed.kind[i];
        for (var p = packed.feature_paths[i]; p < packed.feature_paths[i + 1]; p++) {
          var first = packed.path_vertices[p], last = packed.path_vertices[p + 1], v;
          if (kind === 0) {
            var dx = sx(first) - point.x, dy = sy(first) - point.y, d = dx * dx + dy * dy;
            if (d <= 64 && (!bestPoint || d < bestDistance)) { best = i; bestDistance = d; bestPoint = true; }
            continue;
          }
          if (bestPoint) continue;
          for (v = first; v + 1 < last; v++) {
            var s = near(point.x, point.y, sx(v), sy(v), sx(v + 1), sy(v + 1));
            if (s <= 25 && s < bestDistance) { best = i; bestDistance = s; }
          }
          if (kind === 2 && inside < 0) {
            var crossing = false;
            for (v = first; v < last; v++) {
              var w = v + 1 < last ? v + 1 : first, y1 = sy(v), y2 = sy(w);
              if ((y1 > point.y) !== (y2 > point.y) && point.x < (sx(w) - sx(v)) * (point.y - y1) / (y2 - y1) + sx(v)) {
                crossing = !crossing;
              }
            }
            if (crossing) inside = i;
          }
        }
      }
      return best >= 0 ? best : inside;
    }

    function open(i, latlng) {
      var p = properties(packed, i), popup = L.popup({maxWidth: 380}).setLatLng(latlng);
      popup.setContent(esc(labels.loading)).openOn(map);
      packed.cardOf(i).then(function (c) { popup.setContent(c ? cardHtml(c, p, cfg) : esc(p.code)); });
    }

    map.on("click", function (event) {
      var i = hit(event.containerPoint);
      if (i >= 0) open(i, event.latlng);
    });
    map.on("mousemove", function (event) {
      if (frameRequest) return;
      frameRequest = requestAnimationFrame(function () {
        frameRequest = null;
        var i = hit(event.containerPoint);
        map.getContainer().classList.toggle("fm-pointer", i >= 0);
        if (i < 0) { pointed = -1; map.closeTooltip(tooltip); return; }
        if (i === pointed) { tooltip.setLatLng(event.latlng); return; }
        var p = properties(packed, i);
        tooltip.setLatLng(event.latlng).setContent(esc(p.code));
        map.openTooltip(tooltip);
        pointed = i;
        packed.cardOf(i).then(function (c) {  // the name once the card is read
          if (pointed === i && c && c.name) tooltip.setContent(esc(p.code) + " " + esc(c.name));
        });
      });
    });
    map.on("mouseout", function () { pointed = -1; });
    map.on("zoomstart", function () { canvas.style.visibility = dots.style.visibility = "hidden"; });
    map.on("moveend overlayadd overlayremove resize", function () {
      canvas.style.visibility = dots.style.visibility = "";
      redraw();
    });
    // The open-by-code and count hooks tests and the benchmark use.
    state.openCard = function (code) {
      var i = packed.code.indexOf(code);
      if (i < 0) return false;
      var at = packed.path_vertices[packed.feature_paths[i]];
      open(i, L.latLng(packed.lat[at], packed.lon[at]));
      return true;
    };
    state.pointOf = function (code) {  // where a feature's first vertex is on screen (page pixels)
      var i = packed.code.indexOf(code), at = packed.path_vertices[packed.feature_paths[i]];
      var rect = map.getContainer().getBoundingClientRect();
      var point = map.latLngToContainerPoint(L.latLng(packed.lat[at], packed.lon[at]));
      return {x: point.x + rect.left, y: point.y + rect.top};
    };
    state.codes = function (kind) {
      var out = [];
      for (var i = 0; i < n && out.length < 10; i++) if (kind == null || packed.kind[i] === kind) out.push(packed.code[i]);
      return out;
    };
    redraw();
  }

  window.fmMap = {assetLayer: assetLayer, caption: caption, legend: legend, scale: scale};
}());
