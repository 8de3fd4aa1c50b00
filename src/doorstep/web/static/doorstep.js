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

  function drawCharts(root) {
    if (typeof uPlot === "undefined") return;
    (root || document).querySelectorAll(".chart[data-chart='hourly']").forEach(function (el) {
      if (!charts.has(el)) hourlyChart(el);
    });
  }

  // htmx:load fires for the page and for every part HTMX swaps in, on the new elements (which
  // are in the document, unlike the ones an outerHTML swap replaced).
  document.addEventListener("DOMContentLoaded", function () { drawCharts(document); });
  document.addEventListener("htmx:load", function () { drawCharts(document); });
})();
