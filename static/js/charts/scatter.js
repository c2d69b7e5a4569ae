// Forecast vs actual: days from the forecast to the p50 it gave (x) and to the arrival (y); on the
// diagonal the forecast was exact, above it the line item came later.
(function () {
  "use strict";
  SeamlineCharts.register("forecast-scatter", (data) => {
    if (!data.points.length) return null;
    const top = Math.max(...data.points.map((p) => Math.max(p[0], p[1]))) + 2;
    return {
      tooltip: { trigger: "item", confine: true,
                 formatter: (p) => `forecast p50 in ${p.value[0]} d (p90 ${p.value[2]} d)<br>arrived after ${p.value[1]} d` },
      grid: SeamlineCharts.grid(),
      xAxis: { type: "value", name: "forecast (d)", min: 0, max: top },
      yAxis: { type: "value", name: "actual (d)", min: 0, max: top },
      series: [
        { type: "scatter", symbolSize: 6, itemStyle: { color: "#2563eb", opacity: 0.6 }, data: data.points },
        { type: "line", symbol: "none", silent: true, lineStyle: { color: "#9ca3af", type: "dashed" }, data: [[0, 0], [top, top]] },
      ],
    };
  });
})();
