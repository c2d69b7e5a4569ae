// Bars: weekly throughput per stage (line items, units in the tooltip), or a value per manufacturer.
(function () {
  "use strict";
  SeamlineCharts.register("throughput", (data, el) => {
    const measure = el.dataset.measure === "units" ? "units" : "line_items";
    return {
      tooltip: { trigger: "axis", confine: true, axisPointer: { type: "shadow" } },
      legend: { top: 0, type: "scroll" },
      grid: SeamlineCharts.grid(),
      xAxis: { type: "category", data: data.weeks, axisLabel: { formatter: (v) => v.slice(5) } },
      yAxis: { type: "value", minInterval: 1, name: measure === "units" ? "units" : "line items" },
      series: data.stages.map((s) => ({ name: s.name, type: "bar", itemStyle: { color: s.colour }, data: s[measure] })),
    };
  });
  SeamlineCharts.register("ontime", (data, el) => {
    const rows = data.manufacturers;
    if (!rows.length) return null;
    el.style.height = `${Math.max(240, rows.length * 30 + 80)}px`;
    return {
      tooltip: { trigger: "axis", confine: true, axisPointer: { type: "shadow" } },
      legend: { top: 0 },
      grid: Object.assign(SeamlineCharts.grid(), { left: SeamlineCharts.narrow() ? 90 : 160, top: 36 }),
      yAxis: { type: "category", inverse: true, data: rows.map((r) => r.name),
               axisLabel: { width: SeamlineCharts.narrow() ? 80 : 150, overflow: "truncate" } },
      xAxis: { type: "value", max: 100, name: "% on time" },
      series: [
        { name: "vs current date", type: "bar", itemStyle: { color: "#2563eb" }, data: rows.map((r) => r.on_time_pct) },
        { name: "vs original date", type: "bar", itemStyle: { color: "#93c5fd" }, data: rows.map((r) => r.on_time_original_pct) },
      ],
    };
  });
})();
