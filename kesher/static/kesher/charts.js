// Kesher's charts (decision 0071): each element with data-chart names a JSON script holding an
// Apache ECharts option built on the server. Drawn with the ECharts served from node_modules
// (installed by `npm ci`); without it nothing is drawn and the table under each chart remains.
// A click on a bar, a point or a slice opens the list of exactly its records (its "drill" URL).
// The chart's element is dir="ltr": ECharts lays out right to left itself (the server's option
// mirrors axes and legend in Hebrew); an inherited rtl direction would flip its SVG text anchors.
(function () {
  "use strict";

  function draw(element) {
    if (!window.echarts || element.dataset.drawn) return;
    const source = document.getElementById(element.dataset.chart);
    if (!source) return;
    const option = JSON.parse(source.textContent);
    const chart = window.echarts.init(element, null, { renderer: "svg" });
    chart.setOption(option);
    chart.on("click", (params) => {
      const drill = params.data && params.data.drill;
      if (drill) window.location.assign(drill);
    });
    element.dataset.drawn = "1";
    element.classList.add("chart-drawn");
    new ResizeObserver(() => chart.resize()).observe(element);
  }

  function drawAll(root) {
    (root || document).querySelectorAll("[data-chart]").forEach(draw);
  }

  document.addEventListener("DOMContentLoaded", () => drawAll(document));
  document.addEventListener("htmx:load", (event) => drawAll(event.target));
})();
