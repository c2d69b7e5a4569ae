// The cumulative flow diagram: units (or line items) in each stage at the end of each day, stacked
// in stage colours with the last stage at the bottom.
(function () {
  "use strict";
  SeamlineCharts.register("flow", (data, el) => {
    const measure = el.dataset.measure === "line_items" ? "line_items" : "units";
    const stages = data.stages.slice().reverse();
    return {
      tooltip: { trigger: "axis", confine: true, order: "seriesDesc" },
      legend: { top: 0, type: "scroll", data: data.stages.map((s) => s.name) },
      grid: SeamlineCharts.grid(),
      xAxis: { type: "category", boundaryGap: false, data: data.days },
      yAxis: { type: "value", name: measure === "units" ? "units" : "line items" },
      series: stages.map((s) => ({
        name: s.name, type: "line", stack: "flow", symbol: "none", lineStyle: { width: 0.5, color: s.colour },
        itemStyle: { color: s.colour }, areaStyle: { color: s.colour, opacity: 0.85 }, data: s[measure],
      })),
    };
  });
})();
