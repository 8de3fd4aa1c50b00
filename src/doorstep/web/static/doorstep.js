// The dashboard's own script: charts drawn from the data the server put in the page, and
// redrawn whenever HTMX swaps a live part in. No inline scripts: the CSP allows 'self' only.
(function () {
  "use strict";
  var charts = new WeakMap();

  function hourlyChart(el) {
    var data = JSON.parse(el.getAttribute("data-series"));
    var width = Math.max(280, el.clientWidth || 600);
    var bars = uPlot.paths.bars({ size: [0.7, 40] });
    var opts = {
      width: width, height: 220,
      scales: { x: { time: false } },
      axes: [{ values: function (u, vals) { return vals.map(function (v) { return v + "h"; }); } }, {}],
      series: [
        { label: "hour" },
        { label: "delivered", stroke: "#2e7d32", fill: "rgba(46,125,50,0.35)", paths: bars },
        { label: "failed", stroke: "#c62828", fill: "rgba(198,40,40,0.45)", paths: bars },
      ],
    };
    charts.set(el, new uPlot(opts, [data.hours, data.delivered, data.failed], el));
  }

  // Recipients: per service day, the window hit rate (%, left) and the "where is my parcel"
  // replies per 1,000 deliveries (bars, right). A day without arrivals is a gap in the line.
  function notifyChart(el) {
    var data = JSON.parse(el.getAttribute("data-series"));
    var width = Math.max(280, el.clientWidth || 600);
    var xs = data.days.map(function (_, i) { return i; });
    var label = function (i) { var d = data.days[i]; return d ? d.slice(5) : ""; };
    var opts = {
      width: width, height: 220,
      scales: {
        x: { time: false, range: function () { return [-0.5, xs.length - 0.5]; } },
        pct: { range: [0, 100] },
        wismo: { range: function (u, min, max) { return [0, Math.max(1, max || 0)]; } },
      },
      axes: [
        { splits: function () { return xs; }, values: function (u, vals) { return vals.map(label); } },
        { scale: "pct", values: function (u, vals) { return vals.map(function (v) { return v + "%"; }); } },
        { scale: "wismo", side: 1, grid: { show: false } },
      ],
      series: [
        { label: "day", value: function (u, i) { return label(i); } },
        { label: "hit rate %", scale: "pct", stroke: "#1565c0", width: 2, spanGaps: false, points: { show: true } },
        { label: "where is my parcel per 1,000", scale: "wismo", stroke: "#ef6c00",
          fill: "rgba(239,108,0,0.3)", paths: uPlot.paths.bars({ size: [0.6, 40] }) },
      ],
    };
    charts.set(el, new uPlot(opts, [xs, data.hit_rate, data.wismo_per_1000], el));
  }

  var drawers = { hourly: hourlyChart, notify: notifyChart };

  function drawCharts(root) {
    if (typeof uPlot === "undefined") return;
    (root || document).querySelectorAll(".chart[data-chart]").forEach(function (el) {
      var draw = drawers[el.getAttribute("data-chart")];
      if (draw && !charts.has(el)) draw(el);
    });
  }

  // htmx:load fires for the page and for every part HTMX swaps in, on the new elements (which
  // are in the document, unlike the ones an outerHTML swap replaced).
  document.addEventListener("DOMContentLoaded", function () { drawCharts(document); });
  document.addEventListener("htmx:load", function () { drawCharts(document); });
})();
