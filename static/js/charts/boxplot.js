// Box plots of completed stage durations: one box per stage in its colour (whiskers: shortest and
// longest), p90 as a diamond; by manufacturer: one row per manufacturer, a box per stage.
(function () {
  "use strict";
  SeamlineCharts.register("boxplot", (data, el) => {
    const byMaker = el.dataset.by === "manufacturer" && data.by_manufacturer.length;
    const rows = byMaker ? data.by_manufacturer : data.stages;
    if (!rows.some((r) => r.box)) return null;
    const tooltip = {
      trigger: "item", confine: true,
      formatter: (p) => {
        const r = p.data.row;
        if (!r) return "";
        const who = r.manufacturer ? ` · ${r.manufacturer}` : "";
        return `${r.stage}${who}<br>median ${SeamlineCharts.days(r.median)} · p90 ${SeamlineCharts.days(r.p90)}<br>${r.count} completed`;
      },
    };
    if (!byMaker) {
      const names = rows.map((r) => r.stage);
      return {
        tooltip, grid: SeamlineCharts.grid(),
        xAxis: { type: "category", data: names, axisLabel: { interval: 0, rotate: SeamlineCharts.narrow() ? 40 : 0 } },
        yAxis: { type: "value", name: "days" },
        series: [
          { type: "boxplot", name: "days", data: rows.map((r) => ({ value: r.box || [], row: r,
            itemStyle: { color: r.colour + "55", borderColor: r.colour, borderWidth: 2 } })) },
          { type: "scatter", name: "p90", symbol: "diamond", symbolSize: 10,
            data: rows.map((r, i) => ({ value: [i, r.p90], row: r, itemStyle: { color: r.colour } })) },
        ],
      };
    }
    const makers = [...new Set(rows.map((r) => r.manufacturer))];
    const stages = [...new Map(rows.map((r) => [r.stage, r.colour])).entries()];
    el.style.height = `${Math.max(320, makers.length * 26 * Math.max(1, stages.length / 2) + 90)}px`;
    return {
      tooltip, legend: { top: 0, type: "scroll" },
      grid: Object.assign(SeamlineCharts.grid(), { left: SeamlineCharts.narrow() ? 90 : 150, top: 40 }),
      yAxis: { type: "category", data: makers, inverse: true, axisLabel: { width: SeamlineCharts.narrow() ? 80 : 140, overflow: "truncate" } },
      xAxis: { type: "value", name: "days" },
      series: stages.map(([stage, colour]) => ({
        type: "boxplot", name: stage, itemStyle: { color: colour + "55", borderColor: colour },
        data: makers.map((m) => {
          const r = rows.find((x) => x.stage === stage && x.manufacturer === m);
          return r && r.box ? { value: r.box, row: r } : { value: [] };
        }),
      })),
    };
  });
})();
