// Draws each <canvas data-chart="ID"> from the JSON of <script type="application/json" id="ID"> (json_script):
// no inline script, no data in attributes. Chart.js is served locally (static/vendor/chartjs).
(function () {
  "use strict";
  var palette = ["#9bb7d4", "#0d6efd", "#198754", "#fd7e14", "#6f42c1"];
  function draw(canvas) {
    var source = document.getElementById(canvas.getAttribute("data-chart"));
    if (!source || typeof window.Chart === "undefined") { return; }
    var spec = JSON.parse(source.textContent);
    var datasets = spec.series.map(function (serie, i) {
      return { label: serie.label, data: serie.data, backgroundColor: palette[i % palette.length],
               borderColor: palette[i % palette.length], tension: 0.2 };
    });
    var stacked = Boolean(spec.stacked);
    new window.Chart(canvas, {
      type: spec.type,
      data: { labels: spec.labels, datasets: datasets },
      options: {
        responsive: true, maintainAspectRatio: false, animation: false,
        locale: "fr-FR",
        scales: { x: { stacked: stacked }, y: { stacked: stacked, beginAtZero: true } },
        plugins: { legend: { position: "bottom" } }
      }
    });
  }
  document.addEventListener("DOMContentLoaded", function () {
    Array.prototype.forEach.call(document.querySelectorAll("canvas[data-chart]"), draw);
  });
})();
