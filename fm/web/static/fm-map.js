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

  function ready() {
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
    function schedule(event) { clearTimeout(timer); timer = setTimeout(function () { load(event); }, 150); }
    map.on("moveend overlayadd overlayremove", schedule);
    load();
  }

  window.fmMap = {assetLayer: assetLayer, caption: caption, legend: legend, scale: scale};
}());
